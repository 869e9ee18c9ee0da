import datetime as dt
import sqlite3

import pytest

from papershelf.core import backup
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library

SEP11 = dt.date(2025, 9, 11)


@pytest.fixture
def filled(library_path, sample_text):
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
        lib.add_note(1, "precious note")
    return library_path


def count(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM paper").fetchone()[0]
    finally:
        conn.close()


def test_backup_is_a_complete_copy_even_while_the_library_is_open(filled, tmp_path):
    with Library(filled) as lib:
        lib.add_tags([2], ["open-while-copied"])
        made = backup.backup(filled, folder=tmp_path / "backups")
    assert made.parent == tmp_path / "backups" and count(made) == 49
    with Library(made) as copy:
        assert copy.get(2).tags == ["open-while-copied"]
        assert [n.text for n in copy.get(1).notes] == ["precious note"]


def test_daily_backup_once_a_day_and_keeps_the_last_n(filled, tmp_path):
    folder = tmp_path / "backups"
    for day in range(1, 15):
        assert backup.daily(filled, folder, keep=10, today=dt.date(2026, 1, day)) is not None
        assert backup.daily(filled, folder, keep=10, today=dt.date(2026, 1, day)) is None
    names = sorted(p.name for p in backup.list_backups(folder))
    assert len(names) == 10
    assert names[0].startswith("library-daily-20260105-") and names[-1].startswith("library-daily-20260114-")


def test_manual_backups_are_never_pruned(filled, tmp_path):
    folder = tmp_path / "backups"
    manual = backup.backup(filled, folder=folder)
    for day in range(1, 5):
        backup.daily(filled, folder, keep=2, today=dt.date(2026, 2, day))
    assert manual.exists() and len(backup.list_backups(folder)) == 3


def test_restore_backs_up_the_current_library_first(filled, tmp_path):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    with Library(filled) as lib:
        lib.set_status([1, 2, 3], "read")
        lib.add_note(3, "written after the backup")
    source, kept = backup.restore(filled, saved, folder=folder)
    assert source == saved
    with Library(filled) as lib:
        assert lib.count("status:read") == 0
    with Library(kept) as previous:
        assert previous.count("status:read") == 3


def test_restore_moves_a_damaged_library_aside_untouched(filled, tmp_path):
    folder = tmp_path / "backups"
    backup.backup(filled, folder=folder)
    filled.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    damaged = filled.read_bytes()
    source, kept = backup.restore(filled, None, folder=folder)
    assert kept.read_bytes() == damaged and "damaged" in kept.name
    assert count(filled) == 49


def test_restore_refuses_a_bad_backup_and_changes_nothing(filled, tmp_path):
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("not a backup")
    before = filled.read_bytes()
    with pytest.raises(PapershelfError, match="not a usable backup"):
        backup.restore(filled, bogus, folder=tmp_path / "backups")
    assert filled.read_bytes() == before
    with pytest.raises(PapershelfError, match="no usable backup"):
        backup.restore(filled, None, folder=tmp_path / "empty")
