"""Help ▸ Keyboard Shortcuts: every shortcut of the window, in a table, one key per action."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def key_text(keys: list[QKeySequence]) -> str:
    """The key to show for an action: its first sequence, as the platform writes it.

    The others are alternatives of the platform (Undo is also F14 and the
    Undo key on X11) or of the app (Shift+Space beside U): one key reads better.
    """
    return keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str, list[QKeySequence]]], parent: QWidget | None = None):
        """``rows``: (menu, action text, shortcuts)."""
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setAccessibleName("Keyboard shortcuts")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(520, 560)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Shortcut"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        for row, (menu, text, keys) in enumerate(rows):
            for column, value in enumerate((menu, text, key_text(keys))):
                item = QTableWidgetItem(value)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
