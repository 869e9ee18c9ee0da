"""The typed settings: every key declared once, defaults when the file holds nothing usable, nothing else written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QSettings

from papershelf import paths
from papershelf.gui import settings as settings_module
from papershelf.gui.settings import (
    FAVOURITE_SLOTS,
    SETTINGS_FILE,
    LastView,
    Settings,
    chosen_sort,
    favourite_tags,
    last_tags,
    open_settings,
    set_chosen_sort,
    set_favourite_tags,
    set_last_tags,
)

GUI = Path(settings_module.__file__).resolve().parent


def ini() -> Path:
    paths.config_dir().mkdir(parents=True, exist_ok=True)
    return paths.config_dir() / SETTINGS_FILE


def stored_keys() -> set[str]:
    """The keys in the INI file (``group/key``), as a fresh QSettings at the next launch reads them."""
    return set(QSettings(str(ini()), QSettings.Format.IniFormat).allKeys())


def test_a_new_profile_reads_every_default():
    from papershelf.core import backup

    s = Settings()
    assert s.window_geometry is None and s.table_header is None
    assert s.table_sort is None
    assert s.last_tags == []
    assert s.favourite_tags == [""] * FAVOURITE_SLOTS
    assert s.backups_keep == backup.KEEP  # the GUI keeps as many as the CLI
    assert s.import_folder == "" and s.export_folder == ""
    assert s.export_format == "bibtex"
    s.sync()
    assert stored_keys() == set()  # reading writes nothing


def test_values_survive_a_relaunch(tmp_path):
    s = Settings()
    s.window_geometry = QByteArray(b"\x01\x02geometry")
    s.table_sort = (3, True)
    s.last_tags = ["to-read", "llm"]
    s.favourite_tags = ["to-read", "", "agents"]
    s.backups_keep = 25
    s.import_folder = str(tmp_path / "a, folder with a comma")
    s.export_format = "biblatex"
    s.sync()
    del s

    again = Settings(open_settings())  # a new QSettings on the same file, as at the next launch
    assert again.window_geometry == QByteArray(b"\x01\x02geometry")
    assert again.table_sort == (3, True)
    assert again.last_tags == ["to-read", "llm"]
    assert again.favourite_tags == ["to-read", "", "agents"] + [""] * (FAVOURITE_SLOTS - 3)
    assert again.backups_keep == 25
    assert again.import_folder == str(tmp_path / "a, folder with a comma")
    assert again.export_format == "biblatex"


def test_writing_the_default_removes_the_key():
    s = Settings()
    s.table_sort = (2, False)
    s.backups_keep = 3
    s.sync()
    assert stored_keys() == {"table/sort", "backups/keep"}
    s.table_sort = None  # back to the view's own order
    s.backups_keep = 10
    s.sync()
    assert stored_keys() == set()


CORRUPT = """\
[General]
nonsense line without an equals sign
[window]
geometry=not saved state
state=@ByteArray()
splitter=1, 2, 3
detailSplitter=@Invalid()
[table]
header=12
sort=7,maybe
[tags]
last={"not": "a list"}
favourites=[unclosed
[backups]
keep=-4
[import]
lastFolder=a, b
[export]
lastFolder=
format=../../etc/passwd
[view]
last="{\\"library\\": 3}"
[online]
checkAtStartup=maybe
startupCheckAsked=2
[pdfs]
link=perhaps
lastFolder=a, b
[shared]
lastUrl=postgresql://ann:secret@db.lab/papers
"""


def test_a_corrupted_file_reads_as_the_defaults():
    defaults = Settings()
    expected = {name: getattr(defaults, name) for name in map(_attr, Settings.declared().values())}
    ini().write_text(CORRUPT, encoding="utf-8")

    s = Settings(open_settings())
    for name, value in expected.items():
        assert getattr(s, name) == value, name
    assert set(Settings.declared()) <= stored_keys()  # every key was tried


@pytest.mark.parametrize(
    "key, text, attribute",
    [
        ("backups/keep", "abc", "backups_keep"),  # the window read it with int(): a ValueError at the day's backup
        ("backups/keep", "0", "backups_keep"),  # keeping no backup is not a choice this version offers
        ("backups/keep", "true", "backups_keep"),
        ("table/sort", "99999,1", "table_sort"),
        ("tags/favourites", '"to-read"', "favourite_tags"),
    ],
)
def test_one_bad_value_reads_as_its_default_and_leaves_the_others(key, text, attribute):
    group, name = key.split("/")
    ini().write_text(f"[{group}]\n{name}={text}\n[export]\nformat=ris\n", encoding="utf-8")
    s = Settings()
    assert getattr(s, attribute) == Settings.declared()[key].default
    assert s.export_format == "ris"


def test_a_file_that_is_not_text_does_not_stop_the_app():
    ini().write_bytes(b"\xff\xfe\x00\x00[window]\x00geometry=\x80\x81\n\x00" * 50)
    s = Settings()
    assert s.window_geometry is None and s.backups_keep == 10 and s.favourite_tags == [""] * FAVOURITE_SLOTS


def test_a_settings_folder_that_cannot_be_made_does_not_stop_the_app():
    paths.config_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.config_dir().write_text("a file where the folder should be", encoding="utf-8")
    s = Settings()  # used to raise FileExistsError from mkdir
    s.backups_keep = 4  # kept for this run, though it cannot be saved
    s.sync()
    assert s.backups_keep == 4


def test_only_declared_settings_are_written():
    s = Settings()
    with pytest.raises(AttributeError):
        s.window_geometri = QByteArray(b"typo")  # type: ignore[attr-defined]
    with pytest.raises((ValueError, TypeError)):
        s.backups_keep = 0
    with pytest.raises((ValueError, TypeError)):
        s.window_state = b"bytes, not saved Qt state"  # type: ignore[assignment]
    with pytest.raises((ValueError, TypeError)):
        s.export_format = "bib tex\n[General]"
    s.sync()
    assert stored_keys() == set()

    # Every declared setting written once: the file holds those keys and nothing else.
    values = {
        QByteArray: QByteArray(b"state"),
        "table/sort": (1, False),
        "tags/last": ["x"],
        "tags/favourites": ["y"],
        "backups/keep": 2,
        "export/format": "ris",
        "view/last": LastView("/tmp/library.sqlite3", "date", "2026-09-11", "date:2026-09-11", 7, 3),
        "online/checkAtStartup": True,
        "online/startupCheckAsked": True,
        "pdfs/link": True,
    }
    for key, setting in Settings.declared().items():
        value = values.get(key, values[QByteArray] if setting.default is None else "/tmp")
        setattr(s, _attr(setting), value)
    s.sync()
    assert stored_keys() == set(Settings.declared())


def test_a_key_someone_else_wrote_is_kept():
    ini().write_text("[plugins]\nnewer=version\n", encoding="utf-8")
    s = Settings()
    s.backups_keep = 5
    s.sync()
    assert "plugins/newer" in stored_keys()


def test_the_older_functions_read_and_write_the_same_values():
    store = open_settings()
    set_last_tags(store, ["a", "b"])
    set_favourite_tags(store, ["f1"])
    set_chosen_sort(store, (4, True))
    s = Settings(store)
    assert s.last_tags == last_tags(store) == ["a", "b"]
    assert s.favourite_tags == favourite_tags(store) == ["f1"] + [""] * (FAVOURITE_SLOTS - 1)
    assert s.table_sort == chosen_sort(store) == (4, True)
    set_chosen_sort(s, None)
    assert chosen_sort(store) is None


def test_a_file_written_by_the_previous_version_reads_the_same():
    # What the loose functions and the window wrote before the settings were typed.
    old = QSettings(str(ini()), QSettings.Format.IniFormat)
    old.setValue("tags/last", '["to-read"]')
    old.setValue("tags/favourites", '["to-read", "", "", "", "", "", "", "", ""]')
    old.setValue("table/sort", "5,0")
    old.setValue("export/format", "csl-json")
    old.setValue("import/lastFolder", "/home/someone/Downloads")
    old.setValue("window/geometry", QByteArray(b"old geometry"))
    old.sync()
    s = Settings(open_settings())
    assert s.last_tags == ["to-read"]
    assert s.favourite_tags[0] == "to-read"
    assert s.table_sort == (5, False)
    assert s.export_format == "csl-json"
    assert s.import_folder == "/home/someone/Downloads"
    assert s.window_geometry == QByteArray(b"old geometry")


def test_no_gui_module_but_settings_names_a_key():
    """Every read and write goes through Settings: no key-shaped literal ("group/name") elsewhere in gui/."""
    pattern = re.compile(r"""["']([a-z]+/[A-Za-z]+)["']""")
    assert pattern.findall((GUI / "settings.py").read_text(encoding="utf-8")), "the pattern no longer finds the keys"
    used = {}
    for source in GUI.rglob("*.py"):
        if source.name != "settings.py":
            used |= {key: source.name for key in pattern.findall(source.read_text(encoding="utf-8"))}
    assert not used


def _attr(setting) -> str:
    return setting.name
