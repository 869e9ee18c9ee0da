"""SQLite's damage and busy errors during an operation: one line, and no write after damage.

The file is damaged behind the library's back (after its open-time check),
with no connection open to it, as a disk or another program would.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from papershelf.core import db
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library

ROOT = Path(__file__).resolve().parents[2]


def damage_table(path: Path, table: str) -> None:
    """Overwrite the b-tree header of ``table``'s root page: any read of the table fails."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : (root - 1) * page_size + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))


def damaged_message(path: Path, written: str = "nothing was written") -> str:
    return (
        f"{path}: the library file is damaged (SQLite: database disk image is malformed); {written}. "
        "Run `papershelf restore` to put back the newest backup."
    )


@pytest.fixture
def lib(library_path, sample_text):
    with Library(library_path) as library:
        library.import_file(sample_text)
    library = Library(library_path)
    yield library
    library.close()


def detach(library: Library) -> None:
    """Close the library's connections (the engine makes new ones on the next call)."""
    library.engine.dispose()
    wal = Path(str(library.path) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # everything is in the main file


def test_damage_met_by_a_write_is_one_line_and_every_later_write_is_refused(lib, library_path):
    detach(lib)
    damage_table(library_path, "paper")
    damaged = library_path.read_bytes()
    with pytest.raises(PapershelfError) as info:
        lib.add_tags([1], ["x"])
    assert str(info.value) == damaged_message(library_path)
    # A write that would touch no damaged page is refused too, and so is an import.
    with pytest.raises(PapershelfError) as info:
        lib.create_list("To read")
    assert str(info.value) == damaged_message(library_path)
    with pytest.raises(PapershelfError, match="the library file is damaged"):
        lib.save_search("mine", "tag:x")
    lib.close()
    assert library_path.read_bytes() == damaged


def test_damage_met_by_a_read_on_the_driver_path_is_translated(lib, library_path):
    # get and iter_papers read through the sqlite3 driver directly, below SQLAlchemy.
    detach(lib)
    damage_table(library_path, "paper")
    damaged = library_path.read_bytes()
    with pytest.raises(PapershelfError) as info:
        lib.get(1)
    assert str(info.value) == damaged_message(library_path)
    with pytest.raises(PapershelfError) as info:
        list(lib.iter_papers([1, 2]))
    assert str(info.value) == damaged_message(library_path)
    with pytest.raises(PapershelfError, match="damaged"):
        lib.create_list("To read")
    lib.close()
    assert library_path.read_bytes() == damaged


def test_after_a_change_was_written_the_message_says_nothing_more_was(lib, library_path):
    lib.create_list("To read")
    detach(lib)
    damage_table(library_path, "paper")
    with pytest.raises(PapershelfError) as info:
        lib.resolve("1")
    assert str(info.value) == damaged_message(library_path, "nothing more was written")


def test_a_write_under_way_when_damage_is_seen_elsewhere_does_not_commit(lib, library_path, tmp_path):
    # Another thread (the GUI's sidebar, say) meets the damage while an import is running.
    before = lib.count()
    listing = tmp_path / "listing.json"
    listing.write_text((ROOT / "tests/fixtures/hf-daily-papers-api-sample.json").read_text())

    def progress(_done: int) -> None:
        lib._guard.translate(sqlite3.DatabaseError("database disk image is malformed"))

    with pytest.raises(PapershelfError, match="the library file is damaged"):
        lib.import_file(listing, progress=progress)
    assert lib.count() == before


def test_a_write_that_waits_out_the_busy_timeout_is_one_line(lib, library_path, lock_holder, monkeypatch):
    lib.close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    waits = []
    monkeypatch.setattr(db, "on_lock_wait", lambda: waits.append(time.monotonic()), raising=False)
    monkeypatch.setattr(db, "LOCK_WAIT_NOTICE_S", 0.1, raising=False)
    library = Library(library_path)
    lock_holder(library_path)
    started = time.monotonic()
    with pytest.raises(PapershelfError) as info:
        library.add_tags([1], ["x"])
    assert str(info.value) == (
        f"{library_path}: the library is busy in another program (still locked after 0.3 s); "
        "nothing was written. Try again when that program has finished."
    )
    assert time.monotonic() - started < 5
    assert len(waits) == 1 and waits[0] - started >= 0.1
    # Reads go on while another program writes (WAL), and a busy library is not a damaged one.
    assert library.count() == 49
    library.close()
