"""File ▸ Restore from Backup…: pick a backup of this library (or any file) to restore."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def describe(path: Path) -> str:
    """``2026-11-27 04:10 · daily · 12.3 MB`` for a backup file."""
    stat = path.stat()
    # Backups carry the time they were taken in their name; a copied file keeps it.
    stamp = re.search(r"-(\d{8}-\d{6})\.sqlite3$", path.name)
    taken = dt.datetime.strptime(stamp.group(1), "%Y%m%d-%H%M%S") if stamp else dt.datetime.fromtimestamp(stat.st_mtime)
    when = taken.strftime("%Y-%m-%d %H:%M")
    kind = next((k for k in ("daily", "before-schema", "before-restore", "manual") if f"-{k}-" in path.name), "copy")
    return f"{when} · {kind.replace('-', ' ')} · {stat.st_size / 1e6:.1f} MB"


class RestoreDialog(QDialog):
    """Lists the backups newest first; ``chosen`` is the file to restore after accept()."""

    def __init__(self, library: Path, backups: list[Path], parent=None):
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setAccessibleName("Restore from backup")
        self.setWindowTitle("Restore from Backup")
        self.setMinimumWidth(460)
        self.chosen: Path | None = None
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Replace {library.name} with a backup. The library as it is now is backed up first, "
            "so this can be undone by restoring that copy.",
            self,
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.view = QListWidget(self)
        self.view.setObjectName("backupList")
        self.view.setAccessibleName("Backups")
        for path in backups:
            item = QListWidgetItem(describe(path))
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(str(path))
            self.view.addItem(item)
        if not backups:
            empty = QListWidgetItem("No backups yet")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.view.addItem(empty)
        else:
            self.view.setCurrentRow(0)
        self.view.itemActivated.connect(lambda _item: self.accept())
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setEnabled(bool(backups))
        other = QPushButton("Choose a File…", self)
        other.setObjectName("chooseBackupButton")
        buttons.addButton(other, QDialogButtonBox.ButtonRole.ActionRole)
        other.clicked.connect(self._choose_file)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._folder = backups[0].parent if backups else library.parent

    def _choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Restore from a File", str(self._folder), "Papershelf libraries (*.sqlite3);;All files (*)"
        )
        if name:
            self.chosen = Path(name)
            super().accept()

    def accept(self) -> None:
        item = self.view.currentItem()
        if self.chosen is None and item is not None and item.data(PATH_ROLE):
            self.chosen = Path(item.data(PATH_ROLE))
        if self.chosen is not None:
            super().accept()
