"""When the library cannot be opened: explain, and offer a backup, another file, or quit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

RESTORE, CHOOSE, QUIT = "restore", "choose", "quit"


def ask_recovery(parent: QWidget | None, path: Path, message: str, backup: Path | None) -> str:
    """RESTORE, CHOOSE or QUIT. The broken file is never modified by asking."""
    box = QMessageBox(parent)
    box.setObjectName("libraryOpenFailedDialog")
    box.setAccessibleName("The library cannot be opened")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Cannot Open Library")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Papershelf cannot open the library {path.name}.")
    if backup is not None:
        advice = (
            f"The newest good backup is {backup.name}. Restoring it keeps the current file "
            "aside, unchanged, next to the library."
        )
    else:
        advice = "There is no backup to restore. You can open or create another library file."
    box.setInformativeText(f"{message}\n\n{advice}")
    box.setDetailedText(f"Library: {path}\n{message}")
    restore = box.addButton("Restore newest backup", QMessageBox.ButtonRole.AcceptRole)
    restore.setObjectName("restoreBackupButton")
    restore.setEnabled(backup is not None)
    choose = box.addButton("Choose another file…", QMessageBox.ButtonRole.ActionRole)
    choose.setObjectName("chooseLibraryButton")
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    quit_button.setObjectName("quitButton")
    box.setDefaultButton(restore if backup is not None else choose)
    box.setEscapeButton(quit_button)
    box.exec()
    clicked = box.clickedButton()
    if clicked is restore and backup is not None:
        return RESTORE
    if clicked is choose:
        return CHOOSE
    return QUIT
