"""Where a file dialog starts: the folder the user chose last time, if it is still there."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings


def last_folder(settings: QSettings, key: str) -> str:
    """The folder stored under ``key``, or the home folder if none is stored or it went away."""
    folder = settings.value(key)
    return str(folder) if folder and Path(str(folder)).is_dir() else str(Path.home())


def remember_folder(settings: QSettings, key: str, folder: Path) -> None:
    """Start the next file dialog of this kind in ``folder``."""
    settings.setValue(key, str(folder))
