"""Window state and preferences: every key, its type and its default, declared once in :class:`Settings`.

The values live in one INI file under :func:`papershelf.paths.config_dir`; an
explicit file (instead of QSettings' native store) keeps every test's settings
inside its temporary profile. Anything odd in the file (edited by hand, an
older version, a damaged disk) reads as the default: nothing the file holds
can stop the app from starting. The functions at the bottom are the older
API, kept as thin wrappers over :class:`Settings`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from PySide6.QtCore import QByteArray, QSettings

from .. import paths

SETTINGS_FILE = "papershelf.ini"

#: Alt+1 … Alt+9 apply a favourite tag (the plain digits set the priority).
FAVOURITE_SLOTS = 9
#: A tag name is at most 100 characters (core); more in the file is not ours.
_MAX_TAG = 100
#: Longer than any path a file dialog hands back; a longer value is not ours.
_MAX_PATH = 4096

T = TypeVar("T")


class Setting(Generic[T]):
    """One key of the settings file, with its default and the functions that read and write its stored form.

    ``load`` turns what QSettings hands back into a ``T`` and raises
    ``ValueError`` or ``TypeError`` on anything else (which then reads as the
    default); ``dump`` turns a ``T`` into what is stored (default: as is).
    Writing the default removes the key, so the file holds only choices; so
    does a ``dump`` that returns None.
    """

    def __init__(self, key: str, default: T, load: Callable[[Any], T], dump: Callable[[T], object] | None = None):
        self.key = key
        self.default = default
        self.load = load
        self.dump: Callable[[T], object] = dump or (lambda value: value)
        self.name = key

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Setting[T]: ...
    @overload
    def __get__(self, obj: Settings, owner: type | None = None) -> T: ...
    def __get__(self, obj: Settings | None, owner: type | None = None) -> Setting[T] | T:
        if obj is None:
            return self
        return obj.get(self)

    def __set__(self, obj: Settings, value: T) -> None:
        obj.set(self, value)

    def __repr__(self) -> str:
        return f"Setting({self.key!r}, default={self.default!r})"


# --- Readers: what QSettings hands back -> a typed value, or an error ---------------


def _byte_array(value: Any) -> QByteArray | None:
    """Saved Qt state (geometry, splitters, header): a non-empty QByteArray."""
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    raise TypeError(f"not saved Qt state: {type(value).__name__}")


def _dump_state(value: QByteArray | None) -> QByteArray | None:
    # Empty state is no state: None removes the key.
    return None if value is None or (isinstance(value, QByteArray) and value.isEmpty()) else value


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def load(value: Any) -> int:
        # The INI format stores numbers as text; a bool is not a number here.
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"not a number: {type(value).__name__}")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"{number} is not between {low} and {high}")
        return number

    return load


def _text(limit: int, pattern: str | None = None) -> Callable[[Any], str]:
    matcher = re.compile(pattern) if pattern else None

    def load(value: Any) -> str:
        # An INI value with an unquoted comma reads back as a list: not ours.
        if not isinstance(value, str):
            raise TypeError(f"not text: {type(value).__name__}")
        if len(value) > limit or "\x00" in value or (matcher and not matcher.fullmatch(value)):
            raise ValueError("not a value this version writes")
        return value

    return load


def _flag(value: Any) -> bool:
    """A yes/no choice: the INI format stores it as the text "true" or "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"not true or false: {value!r}")


def _tag_names(value: Any) -> list[str]:
    """A JSON list of tag names ("" for an empty slot), at most one per favourite slot."""
    names = json.loads(value) if isinstance(value, str) else value
    if not isinstance(names, list):
        raise TypeError("not a list of tag names")
    return [v if isinstance(v, str) and len(v) <= _MAX_TAG else "" for v in names[:FAVOURITE_SLOTS]]


def _dump_tag_names(names: list[str]) -> str:
    # JSON, not a QSettings list: an INI list of one item reads back as a plain string.
    return json.dumps([str(n) for n in names[:FAVOURITE_SLOTS]])


def _slots(value: Any) -> list[str]:
    names = _tag_names(value)
    return names + [""] * (FAVOURITE_SLOTS - len(names))


def _dump_slots(names: list[str]) -> str:
    return _dump_tag_names((list(names) + [""] * FAVOURITE_SLOTS)[:FAVOURITE_SLOTS])


def _sort(value: Any) -> tuple[int, bool] | None:
    """``"column,descending"`` as the header click left it, e.g. ``"3,1"``."""
    column, descending = str(value).split(",")
    if descending not in ("0", "1"):
        raise ValueError(f"not a sort direction: {descending!r}")
    return _int_between(0, 999)(column), descending == "1"


def _dump_sort(choice: tuple[int, bool] | None) -> str:
    assert choice is not None  # None is the default: Settings.set removes the key
    return f"{int(choice[0])},{int(bool(choice[1]))}"


@dataclass(frozen=True)
class LastView:
    """Where the user was in a library when it closed; the window shows it again when that library opens."""

    #: The library file, as the window opened it (another library's paper ids mean other papers).
    library: str
    #: The sidebar view: its kind ("all", "date", "list", "saved", "tag", …) and value.
    kind: str
    value: str
    #: That view's query then, searched at once while the sidebar counts load.
    query: str
    #: The current paper's id (None: no paper was current).
    paper: int | None
    #: Table rows above the current paper on screen (negative: it was scrolled out of view above).
    rows_above: int


def _shared_url(value: Any) -> str:
    """A shared library's URL; one holding a password is refused (it is neither read nor written)."""
    from .dialogs.shared_library import has_password

    url = _text(_MAX_PATH)(value)
    if has_password(url):
        raise ValueError("a password is never stored in the settings")
    return url


def _last_view(value: Any) -> LastView | None:
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict):
        raise TypeError("not a view")
    texts: list[str] = []
    for name in ("library", "kind", "value", "query"):
        text = data.get(name)
        if not isinstance(text, str) or len(text) > _MAX_PATH or "\x00" in text:
            raise ValueError(f"not a view this version writes ({name})")
        texts.append(text)
    paper = data.get("paper")
    if paper is not None:
        paper = _int_between(1, 2**63 - 1)(paper)
    rows_above = _int_between(-10_000_000, 10_000_000)(data.get("rowsAbove"))
    library, kind, name, query = texts
    return LastView(library, kind, name, query, paper, rows_above)


def _dump_last_view(view: LastView | None) -> str | None:
    if view is None:
        return None
    fields = {"library": view.library, "kind": view.kind, "value": view.value, "query": view.query}
    return json.dumps({**fields, "paper": view.paper, "rowsAbove": view.rows_above})


class Settings:
    """The app's settings as typed attributes, read from and written to one QSettings store.

    ``settings.backups_keep`` reads a value (its default when the file has
    none or holds something else); assigning writes it. Only the keys declared
    here can be written: any other attribute is an ``AttributeError``.
    """

    __slots__ = ("store",)

    # Window layout, saved on close and restored on launch.
    window_geometry: Setting[QByteArray | None] = Setting("window/geometry", None, _byte_array, _dump_state)
    window_state: Setting[QByteArray | None] = Setting("window/state", None, _byte_array, _dump_state)
    window_splitter: Setting[QByteArray | None] = Setting("window/splitter", None, _byte_array, _dump_state)
    detail_splitter: Setting[QByteArray | None] = Setting("window/detailSplitter", None, _byte_array, _dump_state)
    table_header: Setting[QByteArray | None] = Setting("table/header", None, _byte_array, _dump_state)
    #: The column and direction the user chose by clicking a header; None is the view's default order.
    table_sort: Setting[tuple[int, bool] | None] = Setting("table/sort", None, _sort, _dump_sort)
    #: The sidebar view, current paper and scroll of the library last closed.
    last_view: Setting[LastView | None] = Setting("view/last", None, _last_view, _dump_last_view)

    # Triage: T fills in the last tags; Alt+1 … Alt+9 apply the favourites ("" is an empty slot).
    last_tags: Setting[list[str]] = Setting("tags/last", [], _tag_names, _dump_tag_names)
    favourite_tags: Setting[list[str]] = Setting("tags/favourites", [""] * FAVOURITE_SLOTS, _slots, _dump_slots)

    # Files and backups. The default of backups_keep is core.backup.KEEP (a test checks it):
    # importing the core here would load SQLAlchemy before the window first paints.
    backups_keep: Setting[int] = Setting("backups/keep", 10, _int_between(1, 10_000))
    import_folder: Setting[str] = Setting("import/lastFolder", "", _text(_MAX_PATH))
    export_folder: Setting[str] = Setting("export/lastFolder", "", _text(_MAX_PATH))
    export_format: Setting[str] = Setting("export/format", "bibtex", _text(40, r"[a-z0-9][a-z0-9_-]*"))

    # Online: the app contacts the network only when asked, or at start-up if the user said so when asked once.
    check_listings_at_startup: Setting[bool] = Setting("online/checkAtStartup", False, _flag)
    startup_check_asked: Setting[bool] = Setting("online/startupCheckAsked", False, _flag)

    # The shared library last opened with File > Open Shared Library: its URL, never with a password in it.
    shared_url: Setting[str] = Setting("shared/lastUrl", "", _shared_url)

    # PDFs: attached files are copied into the library's files folder, unless the user prefers them linked in place.
    link_pdfs: Setting[bool] = Setting("pdfs/link", False, _flag)
    attach_folder: Setting[str] = Setting("pdfs/lastFolder", "", _text(_MAX_PATH))

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else open_settings()

    @classmethod
    def declared(cls) -> dict[str, Setting[Any]]:
        """Every setting by its key in the file."""
        found = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Setting):
                    found[value.key] = value
        return found

    def get(self, setting: Setting[T]) -> T:
        """The stored value of ``setting``, or its default if there is none or it is not a ``T``."""
        try:
            raw = self.store.value(setting.key)
        except Exception:  # a value QSettings cannot even unpack (a damaged @Variant) is no value
            return _fresh(setting.default)
        if raw is None:
            return _fresh(setting.default)
        try:
            return setting.load(raw)
        except (ValueError, TypeError):
            return _fresh(setting.default)

    def set(self, setting: Setting[T], value: T) -> None:
        """Store ``value``; the default (or nothing to store) removes the key.

        A value that would not read back as itself (wrong type, out of range) raises instead of being written.
        """
        stored = None if value == setting.default else setting.dump(value)
        if stored is None:
            self.store.remove(setting.key)
            return
        setting.load(stored)  # raises on a value that would read back as the default
        self.store.setValue(setting.key, stored)

    def reset(self, setting: Setting[Any]) -> None:
        """Forget the stored value: ``setting`` reads as its default again."""
        self.store.remove(setting.key)

    def sync(self) -> None:
        """Write pending changes to the file now (QSettings also does so on its own)."""
        self.store.sync()


def _fresh(value: T) -> T:
    # A list default must not be shared: a caller appending to it would change the default.
    return copy.copy(value)


def open_settings() -> QSettings:
    """The QSettings store on the app's INI file; a folder that cannot be made leaves it unwritable, not fatal."""
    folder = paths.config_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # QSettings then reads nothing and cannot write: the app still starts
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)


def typed(settings: QSettings | Settings) -> Settings:
    """``settings`` as a :class:`Settings`, whichever of the two it is."""
    return settings if isinstance(settings, Settings) else Settings(settings)


# --- The older API: thin wrappers, kept while call sites move to Settings ------------


def last_tags(settings: QSettings | Settings) -> list[str]:
    """The tags the user added last (T fills them in, so T then Enter applies them again)."""
    return [name for name in typed(settings).last_tags if name]


def set_last_tags(settings: QSettings | Settings, tags: list[str]) -> None:
    typed(settings).last_tags = list(tags)


def favourite_tags(settings: QSettings | Settings) -> list[str]:
    """The tag of each favourite slot (Alt+1 is the first); "" where none is assigned."""
    return typed(settings).favourite_tags


def set_favourite_tags(settings: QSettings | Settings, names: list[str]) -> None:
    typed(settings).favourite_tags = list(names)


def chosen_sort(settings: QSettings | Settings) -> tuple[int, bool] | None:
    """The column and direction the user chose by clicking a header, or None (the default order)."""
    return typed(settings).table_sort


def set_chosen_sort(settings: QSettings | Settings, choice: tuple[int, bool] | None) -> None:
    """Keep the user's sort (column, descending); None goes back to the default order."""
    typed(settings).table_sort = choice
