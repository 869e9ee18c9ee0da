"""Window state and preferences, in one INI file under :func:`papershelf.paths.config_dir`.

An explicit file (instead of QSettings' native store) keeps every test's
settings inside its temporary profile.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from .. import paths

SETTINGS_FILE = "papershelf.ini"


def open_settings() -> QSettings:
    folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)
