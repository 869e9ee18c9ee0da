"""The detail pane's PDFs: each attached file as one plain-text line, a Locate… button for a missing one,
and where the current search matched inside the PDF ("in the PDF, page 3: …snippet…").

File names, reasons and snippets come from files the user did not write: plain text only
(:func:`core.display.visible`), and each line is cut to a bounded length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from ...core.display import visible


def dropped_pdfs(mime) -> list[Path]:
    """The files of a drag when all are local ``*.pdf`` files, else [] (the window imports a mix).

    Whether each really is a PDF is checked when it is attached.
    """
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not urls or not all(u.isLocalFile() and u.toLocalFile().lower().endswith(".pdf") for u in urls):
        return []
    return [Path(u.toLocalFile()) for u in urls]


#: A name, reason or snippet longer than this is shortened (the file is untrusted).
MAX_SHOWN = 200


def short(text: str | None, limit: int = MAX_SHOWN) -> str:
    """``text`` on one line, hidden characters made visible, at most ``limit`` characters."""
    line = " ".join(visible(text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


#: Between a number and its unit, so that "246 KB" never breaks over two lines.
NBSP = "\u00a0"


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size}{NBSP}bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f}{NBSP}KB"
    return f"{size / (1024 * 1024):.1f}{NBSP}MB"


def attachment_line(attachment: Any) -> str:
    """One attachment as the pane shows it: name · pages · size (· linked), then what is wrong, if anything.

    A stored copy is the usual case and says nothing more; a linked file says so (it can go missing).
    """
    parts = [short(attachment.name or attachment.path.name, 80)]
    pages = getattr(attachment, "pages", None)
    if pages:
        parts.append(f"1{NBSP}page" if pages == 1 else f"{pages:,}{NBSP}pages")
    size = size_text(getattr(attachment, "size", None))
    if size:
        parts.append(size)
    if attachment.kind == "linked":
        parts.append("linked")
    line = " · ".join(parts)
    if attachment.missing:
        return line + " — missing"
    state = getattr(attachment, "text_state", None)
    if state == "failed":
        # The reason is stored as "could not read: why" (as files and show say it): said once here.
        why = (getattr(attachment, "text_error", None) or "").removeprefix("could not read: ")
        return line + " — could not read: " + short(why or "unknown reason", 120)
    if state == "pending":
        return line + " — not read yet"
    cut = getattr(
        attachment, "text_error", None
    )  # read, but only up to a limit: "text of the first 5000 of 6000 pages read"
    if state == "done" and cut:
        return line + " — " + short(cut, 120)
    return line


def hit_line(page: int, snippet: str, name: str = "") -> str:
    """Where the search matched: "In the PDF, page 3: …words around it…" (the snippet marks its own cuts).

    ``name``: the file, for a paper with several PDFs.
    """
    where = f"In {short(name, 80)}" if name else "In the PDF"
    return f"{where}, page {page}: {short(snippet, 240)}"


class AttachmentsView(QWidget):
    """The PDFs of one paper (hidden when it has none) and the current search's match inside them."""

    #: Locate… was clicked for the attachment with this id (its file is missing).
    locateRequested = Signal(int)
    #: Open was clicked for the attachment with this id.
    openRequested = Signal(int)
    #: Remove from This Paper was chosen in a line's context menu (attachment id, file name).
    removeRequested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("attachmentsView")
        self.setAccessibleName("PDFs")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._rows = QVBoxLayout()
        self._rows.setSpacing(2)
        layout.addLayout(self._rows)
        self.hit = _plain(self, "pdfHit", "Where the search matched in the PDF")
        self.hit.hide()
        layout.addWidget(self.hit)
        #: The lines shown, in order (tests read them).
        self.lines: list[str] = []
        self.menu: QMenu | None = None
        self._row_widgets: list[QWidget] = []
        self.hide()

    def set_attachments(self, attachments: Sequence[Any]) -> None:
        for widget in self._row_widgets:
            widget.deleteLater()
        self._row_widgets = []
        self.lines = []
        for attachment in attachments:
            row = QWidget(self)
            row.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            row.customContextMenuRequested.connect(
                lambda point, r=row, a=attachment: self._menu(r, point, a.id, a.name, a.missing)
            )
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(6)
            text = attachment_line(attachment)
            label = _plain(row, "attachmentLine", "PDF")
            label.setText(text)
            label.setToolTip(short(str(attachment.path), 400))
            box.addWidget(label, 1)
            if attachment.missing:
                button = QPushButton("Locate…", row)
                button.setObjectName("locateButton")
                button.setAccessibleName(f"Locate {short(attachment.name, 80)}")
                button.clicked.connect(lambda _=False, a=attachment.id: self.locateRequested.emit(a))
                box.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            else:
                button = QPushButton("Open", row)
                button.setObjectName("openPdfButton")
                button.setAccessibleName(f"Open {short(attachment.name, 80)}")
                button.clicked.connect(lambda _=False, a=attachment.id: self.openRequested.emit(a))
                box.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self._rows.addWidget(row)
            self._row_widgets.append(row)
            self.lines.append(text)
        self.setVisible(bool(attachments))

    def _menu(self, row: QWidget, point: QPoint, attachment_id: int, name: str, missing: bool) -> None:
        """A line's context menu: Open (or Locate…), and Remove from This Paper (undoable)."""
        menu = QMenu(self)
        if missing:
            menu.addAction("Locate…", lambda: self.locateRequested.emit(attachment_id))
        else:
            menu.addAction("Open", lambda: self.openRequested.emit(attachment_id))
        menu.addSeparator()
        menu.addAction("Remove from This Paper", lambda: self.removeRequested.emit(attachment_id, name))
        self.menu = menu  # tests reach it
        menu.popup(row.mapToGlobal(point))

    def set_hit(self, hit: tuple[int, str] | None, name: str = "") -> None:
        """The search's match in the PDF (page, snippet), or None; ``name``: which file, when there are several."""
        if hit is None:
            self.hit.clear()
            self.hit.hide()
            return
        self.hit.setText(hit_line(*hit, name))
        self.hit.show()


def _plain(parent: QWidget, name: str, accessible: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
