"""The quick reading-list chooser (L): type to filter, Enter to pick or create."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.display import visible

CREATE_ROLE = Qt.ItemDataRole.UserRole + 1


class ListChooser(QDialog):
    def __init__(self, lists: list[str], count: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("listChooser")
        self.setAccessibleName("Add to reading list")
        self.setWindowTitle("Add to Reading List")
        self.setMinimumWidth(360)
        self._lists = lists
        layout = QVBoxLayout(self)
        label = QLabel(f"Add {count} paper{'s' if count != 1 else ''} to the reading list:", self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(label)
        self.input = QLineEdit(self)
        self.input.setObjectName("listChooserInput")
        self.input.setAccessibleName("Reading list name")
        self.input.setPlaceholderText("Type to filter, or a new list name")
        layout.addWidget(self.input)
        self.view = QListWidget(self)
        self.view.setObjectName("listChooserList")
        self.view.setAccessibleName("Reading lists")
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.input.textChanged.connect(self._fill)
        self.input.returnPressed.connect(self.accept)
        self.view.itemActivated.connect(lambda _item: self.accept())
        self._fill("")
        self.input.setFocus()

    def _fill(self, text: str) -> None:
        self.view.clear()
        wanted = " ".join(text.split())
        matches = [n for n in self._lists if wanted.casefold() in n.casefold()]
        # Existing lists first: typing part of a name and Enter picks it.
        for name in matches:
            item = QListWidgetItem(visible(name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setData(CREATE_ROLE, False)
            self.view.addItem(item)
        if wanted and all(n.casefold() != wanted.casefold() for n in self._lists):
            item = QListWidgetItem(f"Create list “{visible(wanted)}”")
            item.setData(Qt.ItemDataRole.UserRole, wanted)
            item.setData(CREATE_ROLE, True)
            self.view.addItem(item)
        if self.view.count():
            self.view.setCurrentRow(0)

    def keyPressEvent(self, event) -> None:
        # Up and Down move in the list while typing in the field.
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.view.count():
            row = self.view.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            self.view.setCurrentRow(max(0, min(self.view.count() - 1, row)))
            return
        super().keyPressEvent(event)

    def choice(self) -> tuple[str, bool] | None:
        """(list name, whether to create it), or None."""
        item = self.view.currentItem()
        if item is None:
            return None
        return item.data(Qt.ItemDataRole.UserRole), bool(item.data(CREATE_ROLE))
