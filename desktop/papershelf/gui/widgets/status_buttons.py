"""Three exclusive buttons for a paper's reading status, and the priority selector."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QPushButton, QWidget

STATUSES = ("unread", "reading", "read")
PRIORITY_CHOICES = ("None", "1 · Low", "2 · Medium", "3 · High")


class StatusButtons(QWidget):
    statusChosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("statusButtons")
        self.setAccessibleName("Reading status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        for status in STATUSES:
            button = QPushButton(status.capitalize(), self)
            button.setCheckable(True)
            button.setObjectName("status" + status.capitalize())
            button.setAccessibleName(f"Mark as {status}")
            button.clicked.connect(lambda _=False, s=status: self.statusChosen.emit(s))
            self._group.addButton(button)
            self.buttons[status] = button
            layout.addWidget(button)
        layout.addStretch(1)

    def set_status(self, status: str) -> None:
        button = self.buttons.get(status)
        if button is not None and not button.isChecked():
            button.setChecked(True)

    def status(self) -> str | None:
        for status, button in self.buttons.items():
            if button.isChecked():
                return status
        return None


class PrioritySelector(QComboBox):
    priorityChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("prioritySelector")
        self.setAccessibleName("Priority")
        self.addItems(PRIORITY_CHOICES)
        self.activated.connect(self.priorityChosen.emit)

    def set_priority(self, priority: int) -> None:
        if self.currentIndex() != priority:
            self.setCurrentIndex(priority)
