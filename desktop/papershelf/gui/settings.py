"""Window state and preferences, in one INI file under :func:`papershelf.paths.config_dir`.

An explicit file (instead of QSettings' native store) keeps every test's
settings inside its temporary profile. The typed helpers below are the only
readers and writers of the triage keys: anything odd in the file (edited by
hand, an older version) reads as the default.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

from .. import paths

SETTINGS_FILE = "papershelf.ini"

#: Alt+1 … Alt+9 apply a favourite tag (the plain digits set the priority).
FAVOURITE_SLOTS = 9
#: A tag name is at most 100 characters (core); more in the file is not ours.
_MAX_TAG = 100

_LAST_TAGS = "tags/last"
_FAVOURITES = "tags/favourites"
_SORT = "table/sort"


def open_settings() -> QSettings:
    folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)


def _names(settings: QSettings, key: str, limit: int) -> list[str]:
    """A JSON list of tag names ("" for an empty slot); anything else is no names."""
    try:
        value = json.loads(str(settings.value(key, "[]")))
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [v if isinstance(v, str) and len(v) <= _MAX_TAG else "" for v in value[:limit]]


def last_tags(settings: QSettings) -> list[str]:
    """The tags the user added last (T fills them in, so T then Enter applies them again)."""
    return [name for name in _names(settings, _LAST_TAGS, FAVOURITE_SLOTS) if name]


def set_last_tags(settings: QSettings, tags: list[str]) -> None:
    # JSON, not a QSettings list: an INI list of one item reads back as a plain string.
    settings.setValue(_LAST_TAGS, json.dumps(list(tags[:FAVOURITE_SLOTS])))


def favourite_tags(settings: QSettings) -> list[str]:
    """The tag of each favourite slot (Alt+1 is the first); "" where none is assigned."""
    names = _names(settings, _FAVOURITES, FAVOURITE_SLOTS)
    return names + [""] * (FAVOURITE_SLOTS - len(names))


def set_favourite_tags(settings: QSettings, names: list[str]) -> None:
    slots = (list(names) + [""] * FAVOURITE_SLOTS)[:FAVOURITE_SLOTS]
    settings.setValue(_FAVOURITES, json.dumps(slots))


def chosen_sort(settings: QSettings) -> tuple[int, bool] | None:
    """The column and direction the user chose by clicking a header, or None (the default order)."""
    value = settings.value(_SORT)
    try:
        column, descending = str(value).split(",")
        return int(column), descending == "1"
    except ValueError:
        return None


def set_chosen_sort(settings: QSettings, choice: tuple[int, bool] | None) -> None:
    """Keep the user's sort (column, descending); None goes back to the default order."""
    if choice is None:
        settings.remove(_SORT)
    else:
        settings.setValue(_SORT, f"{int(choice[0])},{int(choice[1])}")
