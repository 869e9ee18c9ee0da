"""The panel an empty library shows instead of the table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePanel(QWidget):
    def __init__(self, icon: QIcon | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.setAccessibleName("Welcome")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        if icon is not None and not icon.isNull():
            picture = QLabel(self)
            picture.setObjectName("welcomeIcon")
            picture.setTextFormat(Qt.TextFormat.PlainText)
            picture.setPixmap(icon.pixmap(96, 96))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(picture)
        title = QLabel("Your library is empty", self)
        title.setTextFormat(Qt.TextFormat.PlainText)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        text = QLabel(
            "Import a saved daily papers listing (text or JSON) or a BibTeX file,\n"
            "paste the daily papers page from the clipboard, or try the sample listing.",
            self,
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addSpacing(12)
        self.import_button = self._button("importButton", "Import a listing…", "Import a listing file")
        self.clipboard_button = self._button("clipboardImportButton", "Import from clipboard", "Import from clipboard")
        self.sample_button = self._button("sampleButton", "Open the sample listing", "Open the sample listing")
        self.import_button.setDefault(True)
        for button in (self.import_button, self.clipboard_button, self.sample_button):
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def _button(self, name: str, text: str, accessible: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setMinimumWidth(240)
        return button
