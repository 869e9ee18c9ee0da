"""File ▸ Restore from Backup…: pick a backup of this library (or any file) to restore."""

from __future__ import annotations

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
    QWidget,
)

from ...core import backup
from ...core.errors import PapershelfError

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def describe(path: Path) -> str:
    """``2026-11-27 04:10 · daily · 49 papers, 1 note, 1 list · 0.1 MB`` for a backup file."""
    try:
        about = backup.summarize(path).describe()
    except PapershelfError:
        about = "not a readable backup"
    size = path.stat().st_size
    return f"{about} · {size / 1e6:.1f} MB" if size >= 100_000 else f"{about} · {max(1, round(size / 1e3))} KB"


class RestoreDialog(QDialog):
    """Lists the backups newest first, each with what it holds next to the library; ``chosen`` after accept()."""

    def __init__(
        self, library: Path, backups: list[Path], parent: QWidget | None = None, current: backup.Summary | None = None
    ):
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setAccessibleName("Restore from backup")
        self.setWindowTitle("Restore from Backup")
        self.setMinimumWidth(520)
        self.chosen: Path | None = None
        self._current = current
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Replace the content of {library.name} with a backup. The library as it is now is backed up "
            "first, so this can be undone by restoring that copy.",
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
        self.view.itemActivated.connect(lambda _item: self.accept())
        layout.addWidget(self.view)
        self.now_label = QLabel(
            f"The library now: {current.describe().split(' · ', 1)[-1]}" if current else "The library now: unreadable",
            self,
        )
        self.now_label.setObjectName("libraryNow")
        self.now_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.now_label)
        self.warning = QLabel(self)
        self.warning.setObjectName("restoreWarning")
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b00020; font-weight: bold;")
        layout.addWidget(self.warning)
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
        self.view.currentItemChanged.connect(lambda item, _old: self._show_losses(item))
        if backups:
            self.view.setCurrentRow(0)

    def _show_losses(self, item: QListWidgetItem | None) -> None:
        """Warn, next to the choice, when restoring it would drop papers, notes or lists."""
        text = ""
        if item is not None and item.data(PATH_ROLE) and self._current is not None:
            try:
                lost = backup.losses(self._current, backup.summarize(Path(item.data(PATH_ROLE))))
            except PapershelfError:
                lost = []
            if lost:
                text = f"Restoring this backup drops {' and '.join(lost)} that the library holds now."
        self.warning.setText(text)
        self.warning.setVisible(bool(text))
        self.restore_button.setText("Restore Anyway" if text else "Restore")

    def _choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self,
            "Restore from a File",
            str(self._folder),
            "Papershelf backups (*.sqlite3.zip *.sqlite3);;All files (*)",
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
