"""The status bar's progress for background PDF work: what runs, a progress bar and Cancel (hidden when idle)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from .labels import literal_html


class JobProgress(QWidget):
    """What runs in the background, in the status bar: a label, a progress bar and Cancel (hidden when idle)."""

    cancelRequested = Signal()
    #: The label's widest (pixels): a long file name ends in "…" and leaves the status bar room for its message.
    LABEL_WIDTH = 280
    #: Work shorter than this (reading one small PDF, an empty queue at start-up) never flashes in the bar.
    SHOW_AFTER_MS = 300

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pdfProgress")
        self.setAccessibleName("PDF work in progress")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 0, 0, 0)  # apart from the paper count beside it
        row.setSpacing(6)
        self.label = QLabel(self)
        self.label.setObjectName("pdfProgressLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        #: What the label says, whole (it shows it elided when wider than LABEL_WIDTH; the tooltip has it whole).
        self.text = ""
        row.addWidget(self.label)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("pdfProgressBar")
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        row.addWidget(self.bar)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("pdfCancelButton")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel the PDF work")
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.cancel_button)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self.show)
        self.hide()

    def finish(self) -> None:
        """Nothing runs any more: hidden (and not shown later)."""
        self._show_timer.stop()
        self.hide()

    def _say(self, text: str) -> None:
        self.text = text
        shown = self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, self.LABEL_WIDTH)
        self.label.setText(shown)
        self.label.setToolTip(literal_html(text) if shown != text else "")

    def start(self, text: str) -> None:
        self._say(text)
        self.bar.setRange(0, 0)  # busy until the first progress arrives
        self.cancel_button.setEnabled(True)
        if not self.isVisible():
            self._show_timer.start(self.SHOW_AFTER_MS)

    def update_progress(self, text: str, done: int, total: int) -> None:
        self._say(text)
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))

    def cancelling(self) -> None:
        self._say(self.text.rstrip("…") + " — cancelling…")
        self.cancel_button.setEnabled(False)
