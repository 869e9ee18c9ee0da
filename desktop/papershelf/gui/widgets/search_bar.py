"""The search field: the core query syntax, searched as you type (debounced)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit

#: Short, because searching runs on a worker and only the newest query's
#: results are shown; the pause only folds bursts (auto-repeat, paste) into one.
DEBOUNCE_MS = 40
SEARCH_TIP = (
    'Words match as prefixes; "quoted phrases" match exactly.\n'
    "Filters: tag:NAME  list:NAME  status:unread|reading|read  date:YYYY-MM-DD  has:notes  has:code\n"
    "-term excludes a term; all terms must match."
)


class SearchField(QLineEdit):
    #: The text to search for, after typing paused (or Enter).
    searchRequested = Signal(str)
    #: Down, Enter or Escape: the user wants to go on in the table.
    leaveRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("searchField")
        self.setAccessibleName("Search")
        self.setPlaceholderText("Search titles, abstracts, notes…  e.g. diffusion tag:rl status:unread")
        self.setToolTip(SEARCH_TIP)
        self.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit)
        self.textChanged.connect(lambda _text: self._timer.start())
        self._last: str | None = None

    def set_text_silently(self, text: str) -> None:
        """Show ``text`` without searching (e.g. when a saved search is chosen)."""
        self._timer.stop()
        self.blockSignals(True)
        self.setText(text)
        self.blockSignals(False)
        self._last = text

    def flush(self) -> None:
        """Search now if a search is waiting for the debounce."""
        if self._timer.isActive():
            self._emit()

    def _emit(self) -> None:
        self._timer.stop()
        text = self.text()
        if text != self._last:
            self._last = text
            self.searchRequested.emit(text)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self.flush()
            self.leaveRequested.emit()
            return
        if key == Qt.Key.Key_Escape:
            if self.text():
                self.clear()
            else:
                self.leaveRequested.emit()
            return
        super().keyPressEvent(event)
