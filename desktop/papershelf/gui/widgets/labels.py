"""Labels that never interpret their text as HTML."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def text_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel showing ``text`` literally (Qt.PlainText), e.g. for form rows."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
