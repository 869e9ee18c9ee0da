"""Only SQLite opens a library file while this process is connected to it (trust issue, item 1)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papershelf.core import db
from papershelf.core.library import Library

pytestmark = pytest.mark.sqlite_only("SQLite's file locks")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_python_cannot_open_a_connected_library_or_its_side_files(library, suffix):
    target = Path(str(library.path) + suffix)
    library.count()  # a live connection
    with pytest.raises(db.LibraryFileOpened):
        open(target, "rb")  # noqa: SIM115 - the open itself is what is refused
    assert db.violations == [str(target)]
    db.violations.clear()


def test_the_guard_sees_through_links(library, tmp_path):
    link = tmp_path / "link.sqlite3"
    link.symlink_to(library.path)
    library.count()
    with pytest.raises(db.LibraryFileOpened):
        os.open(link, os.O_RDONLY)
    db.violations.clear()


def test_a_closed_library_may_be_copied(library_path):
    Library(library_path).close()
    assert not db.is_connected(library_path)
    assert library_path.read_bytes().startswith(b"SQLite format 3\x00")


def test_backups_and_checks_never_open_the_library(library, tmp_path):
    from papershelf.core import backup

    library.count()  # the library stays open, as in the app, while:
    backup.backup(library.path, folder=tmp_path / "backups")
    db.check_file(library.path)
    backup.summarize_library(library.path)
    assert db.violations == []


def test_the_cli_refuses_an_empty_library_path():
    result = subprocess.run(
        [sys.executable, "-m", "papershelf", "--library", "", "list"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "desktop")),
    )
    assert result.returncode == 2 and "--library: the path is empty" in result.stderr


def test_a_file_changed_outside_papershelf_is_checked_again_the_same_day(tmp_path, sample_text):
    """The daily check is skipped only while the file is as Papershelf left it."""
    from papershelf.core.errors import LibraryError

    path, backups = tmp_path / "lib.sqlite3", tmp_path / "backups"
    with Library(path, backups_dir=backups, check="daily") as lib:
        lib.import_file(sample_text)
    Library(path, backups_dir=backups, check="daily").close()  # checked today
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(2, len(data) // page_size):  # damage every index page (type 0x0a / 0x02)
        if data[page * page_size] in (0x0A, 0x02):
            data[page * page_size + 8 : page * page_size + 40] = b"\xff" * 32
    path.write_bytes(bytes(data))
    with pytest.raises(LibraryError, match="damaged"):
        Library(path, backups_dir=backups, check="daily")


def test_papershelfs_own_writes_do_not_trigger_the_full_check_again(tmp_path, sample_text, monkeypatch):
    """The full check reads every page (seconds at 100k papers): once a day, and after outside changes only."""
    calls = []
    real = db.integrity_check
    monkeypatch.setattr(db, "integrity_check", lambda conn, path: (calls.append(path), real(conn, path)))
    path, backups = tmp_path / "lib.sqlite3", tmp_path / "backups"
    with Library(path, backups_dir=backups, check="daily") as lib:  # new: nothing to check
        lib.import_file(sample_text)
    with Library(path, backups_dir=backups, check="daily") as lib:
        lib.add_tags([1], ["x"])
    Library(path, backups_dir=backups, check="daily").close()
    assert calls == []
    os.utime(path, ns=(1, 1))  # something else touched the file
    Library(path, backups_dir=backups, check="daily").close()
    assert len(calls) == 1


def test_a_new_day_runs_the_quick_check_and_a_changed_file_the_full_one(tmp_path, sample_text, monkeypatch):
    """Silent decay is caught daily by the quick check; a file changed behind our back gets the index check too."""
    from papershelf.core import migrate

    checks = []
    monkeypatch.setattr(db, "integrity_check", lambda conn, path: checks.append("full"))
    monkeypatch.setattr(db, "quick_check", lambda conn, path: checks.append("quick"))
    path, backups = tmp_path / "lib.sqlite3", tmp_path / "backups"
    with Library(path, backups_dir=backups, check="daily") as lib:
        lib.import_file(sample_text)
    stamp = backups / "last-check"
    stamp.write_text("2000-01-01 " + stamp.read_text().split(" ", 1)[1])  # as if checked long ago
    Library(path, backups_dir=backups, check="daily").close()
    assert checks == ["quick"]
    Library(path, backups_dir=backups, check="daily").close()
    assert checks == ["quick"]
    os.utime(path, ns=(1, 1))
    Library(path, backups_dir=backups, check="daily").close()
    assert checks == ["quick", "full"]
    assert migrate._check_needed(tmp_path / "unseen.sqlite3", tmp_path / "nowhere") == "full"
