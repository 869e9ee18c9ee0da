"""Labels that never interpret their text as HTML."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressDialog, QWidget

from ...core.display import visible


def text_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel showing ``text`` literally (Qt.PlainText), e.g. for form rows."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def wrapped_label(text: str = "", name: str = "", parent: QWidget | None = None) -> QLabel:
    """A word-wrapped plain-text label, named for tests and screen readers when ``name`` is given."""
    label = text_label(text, parent)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
        label.setAccessibleName(name)
    return label


#: How long a task may run before its progress dialog shows.
PROGRESS_DELAY_MS = 400


def progress_dialog(label: str, title: str, *, name: str, accessible: str, parent: QWidget) -> QProgressDialog:
    """A window-modal progress dialog with Cancel, shown after :data:`PROGRESS_DELAY_MS`, that closes only when told.

    Its label names files and listings: plain text, never guessed to be HTML.
    """
    progress = QProgressDialog(label, "Cancel", 0, 0, parent)
    progress.setObjectName(name)
    plain = QLabel(progress)
    plain.setTextFormat(Qt.TextFormat.PlainText)
    progress.setLabel(plain)
    progress.setLabelText(label)
    progress.setAccessibleName(accessible)
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(PROGRESS_DELAY_MS)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    return progress


def literal_html(text: str) -> str:
    """HTML showing ``text`` literally, for Qt APIs that guess rich text (QMessageBox.question, QInputDialog).

    Hidden characters become visible marks (:func:`core.display.visible`).
    """
    return "<qt>" + html.escape(visible(text, multiline=True), quote=False).replace("\n", "<br>") + "</qt>"
