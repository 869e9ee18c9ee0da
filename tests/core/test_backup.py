"""Backups and restores: compact, complete, all or nothing, and never behind another program's back."""

import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from papershelf import paths
from papershelf.core import backup
from papershelf.core.errors import PapershelfError
from papershelf.core.library import Library

SEP11 = dt.date(2025, 9, 11)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def filled(library_path, sample_text):
    with Library(library_path) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
        lib.add_note(1, "precious note")
        lib.create_list("Thesis")
        lib.add_to_list("Thesis", [1, 2])
    return library_path


def unpack(archive: Path, tmp_path: Path) -> Path:
    """The SQLite file inside a backup archive, as any user could get it out with unzip."""
    out = tmp_path / f"unpacked-{archive.name}.sqlite3"
    with zipfile.ZipFile(archive) as zf:
        out.write_bytes(zf.read(backup.MEMBER))
    return out


def count(path, table="paper"):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def cli(*args, env=None, **kwargs):
    env = dict(os.environ if env is None else env, PYTHONPATH=str(ROOT / "desktop"))
    return subprocess.run(
        [sys.executable, "-m", "papershelf", *args], capture_output=True, text=True, env=env, **kwargs
    )


def test_backup_is_a_complete_copy_even_while_the_library_is_open(filled, tmp_path):
    with Library(filled) as lib:
        lib.add_tags([2], ["open-while-copied"])
        made = backup.backup(filled, folder=tmp_path / "backups")
    assert made.parent == tmp_path / "backups" and made.name.endswith(".sqlite3.zip")
    copy_path = unpack(made, tmp_path)
    assert count(copy_path) == 49
    with Library(copy_path) as copy:
        assert copy.get(2).tags == ["open-while-copied"]
        assert [n.text for n in copy.get(1).notes] == ["precious note"]


def test_backup_is_compact_and_leaves_the_rebuildable_index_out(filled, tmp_path):
    made = backup.backup(filled, folder=tmp_path / "backups")
    assert made.stat().st_size <= 0.25 * filled.stat().st_size
    assert count(unpack(made, tmp_path), "paper_fts") == 0


def test_backup_says_what_it_holds(filled, tmp_path):
    made = backup.backup(filled, folder=tmp_path / "backups", when=dt.datetime(2026, 3, 4, 5, 6))
    summary = backup.summarize(made)
    assert (summary.kind, summary.papers, summary.notes, summary.lists) == ("manual", 49, 1, 1)
    assert summary.describe() == "2026-03-04 05:06 · manual · 49 papers, 1 note, 1 list"


def test_backups_and_their_folder_are_private(filled, tmp_path):
    folder = tmp_path / "new" / "backups"
    made = backup.backup(filled, folder=folder)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(filled.stat().st_mode) == 0o600


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


def test_a_library_named_before_something_keeps_its_manual_backups(tmp_path, sample_text):
    """The name is the user's: 'thesis-before-defense' says nothing about which backups are automatic."""
    thesis = tmp_path / "thesis-before-defense.sqlite"
    with Library(thesis) as lib:
        lib.import_file(sample_text, listing_date=SEP11)
    folder = tmp_path / "backups"
    manual = [backup.backup(thesis, folder=folder, when=dt.datetime(2026, 1, 1, 0, 0, i)) for i in range(3)]
    for day in range(1, 5):
        backup.daily(thesis, folder, keep=1, today=dt.date(2026, 2, day))
    assert all(m.exists() for m in manual)


def test_a_zip_whose_manifest_is_not_an_object_is_not_taken_for_a_backup(filled, tmp_path):
    """Any zip in the backups folder is read: a manifest that is not a JSON object must not stop the daily backup."""
    folder = tmp_path / "backups"
    folder.mkdir()
    stray = folder / "library-daily-20250101-000000.sqlite3.zip"
    with zipfile.ZipFile(stray, "w") as zf:
        zf.writestr(backup.MANIFEST, '["daily"]')
    assert backup.daily(filled, folder, keep=1, today=dt.date(2026, 3, 1)) is not None
    assert stray.exists()  # not known to be automatic, so never pruned
    with pytest.raises(PapershelfError, match="not a Papershelf backup"):
        backup.summarize(stray)


def test_restore_backs_up_the_current_library_first(filled, tmp_path):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    with Library(filled) as lib:
        lib.set_status([1, 2, 3], "read")
        lib.add_note(3, "written after the backup")
    with pytest.raises(backup.WouldDropError, match="1 note"):
        backup.restore(filled, saved, folder=folder)
    done = backup.restore(filled, saved, folder=folder, force=True)
    assert done.source == saved and done.before.notes == 2 and done.after.notes == 1
    with Library(filled) as lib:
        assert lib.count("status:read") == 0
        assert lib.search_ids("precious") == [1]  # the search index was rebuilt
    with Library(unpack(done.kept, tmp_path)) as previous:
        assert previous.count("status:read") == 3


def test_restore_leaves_no_stray_side_files(filled, tmp_path):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    backup.summarize(saved)
    backup.restore(filled, saved, folder=folder)
    strays = [p.name for p in tmp_path.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal", ".part", ".tmp"))]
    assert strays == []


def test_restore_moves_a_damaged_library_aside_untouched(filled, tmp_path):
    folder = tmp_path / "backups"
    backup.backup(filled, folder=folder)
    filled.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    damaged = filled.read_bytes()
    done = backup.restore(filled, None, folder=folder)
    assert done.kept.read_bytes() == damaged and "damaged" in done.kept.name
    assert count(filled) == 49
    assert not Path(str(done.kept) + "-shm").exists()


def test_restore_refuses_a_bad_backup_and_changes_nothing(filled, tmp_path):
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("not a backup")
    before = filled.read_bytes()
    with pytest.raises(PapershelfError, match="not a usable backup"):
        backup.restore(filled, bogus, folder=tmp_path / "backups")
    assert filled.read_bytes() == before
    with pytest.raises(PapershelfError, match="no usable backup"):
        backup.restore(filled, None, folder=tmp_path / "empty")


def test_a_backup_without_tables_is_not_usable(filled, tmp_path):
    folder = tmp_path / "backups"
    good = backup.backup(filled, folder=folder)
    os.utime(good, (1, 1))  # older than the empty one
    empty = folder / "library-daily-20991231-000000.sqlite3"
    sqlite3.connect(empty).execute("CREATE VIEW v AS SELECT 1").connection.close()
    assert backup.newest_good(folder) == good
    with pytest.raises(PapershelfError, match="not a usable backup"):
        backup.restore(filled, empty, folder=folder)
    assert count(filled) == 49


def test_a_backup_from_a_newer_papershelf_is_refused(filled, tmp_path):
    folder = tmp_path / "backups"
    newer = tmp_path / "newer.sqlite3"
    with Library(tmp_path / "other.sqlite3") as other:
        made = backup.backup(other.path, folder=folder)
    newer.write_bytes(zipfile.ZipFile(made).read(backup.MEMBER))
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(PapershelfError, match="newer version"):
        backup.restore(filled, newer, folder=folder)
    assert count(filled) == 49
    assert backup.newest_good(tmp_path / "nothing") is None


def test_restore_goes_into_the_library_other_programs_have_open(filled, tmp_path):
    """An open app keeps working on the restored library; nothing it writes afterwards is lost."""
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    with Library(filled) as app:
        app.add_tags([5], ["before-restore"])
        result = cli("--library", str(filled), "restore", str(saved), "--yes")
        assert result.returncode == 0, result.stderr
        app.add_tags([7], ["after-restore"])  # the app writes on, through its old connection
        assert app.get(5).tags == []
    with Library(filled) as lib:
        assert lib.get(7).tags == ["after-restore"] and lib.get(5).tags == []
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_restore_waits_for_a_writer_and_keeps_its_commit_in_the_safety_backup(filled, tmp_path):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    writer = sqlite3.connect(filled, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE paper SET priority = 3 WHERE id = 9")
    restoring = subprocess.Popen(
        [sys.executable, "-m", "papershelf", "--library", str(filled), "restore", str(saved), "--yes"],
        env=dict(os.environ, PYTHONPATH=str(ROOT / "desktop")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            restoring.wait(timeout=3)  # it waits for the writer...
    finally:
        writer.execute("COMMIT")  # ...whose commit is then kept in the safety backup
        writer.close()
    out, err = restoring.communicate(timeout=60)
    assert restoring.returncode == 0, err
    kept = [p for p in backup.list_backups(paths.backups_dir(filled)) if backup.summarize(p).kind == "before-restore"]
    assert len(kept) == 1
    with Library(unpack(kept[0], tmp_path)) as previous:
        assert previous.rows([9])[9].priority == 3
    with Library(filled) as lib:
        assert lib.rows([9])[9].priority == 0


def _limited_file_size(limit: int):
    def apply() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_restore_on_a_full_disk_changes_nothing(filled, tmp_path):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    with Library(filled) as lib:
        lib.add_note(2, "written after the backup")
    before = cli("--library", str(filled), "list", "--json").stdout
    size = filled.stat().st_size
    result = cli("--library", str(filled), "restore", str(saved), "--yes", preexec_fn=_limited_file_size(size // 4))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing was restored" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert filled.exists() and cli("--library", str(filled), "list", "--json").stdout == before
    assert [p.name for p in filled.parent.iterdir() if "damaged" in p.name or p.name.endswith(".tmp")] == []


def test_backup_on_a_full_disk_leaves_nothing_behind(filled, tmp_path):
    folder = tmp_path / "backups"
    result = cli(
        "--library", str(filled), "backup", str(folder / "b.sqlite3.zip"), preexec_fn=_limited_file_size(100_000)
    )
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot write the backup" in result.stderr
    assert list(folder.iterdir()) == [] if folder.exists() else True


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_backup_of_something_that_is_not_a_library_file_is_one_line(tmp_path, kind):
    target = tmp_path / "lib"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = Path("/dev/null")
    result = cli("--library", str(target), "backup", timeout=30)
    assert result.returncode == 1, result.stderr
    assert "not a library file" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert Path("/dev/null").is_char_device()


def test_cli_restore_shows_both_sides_and_refuses_to_drop_papers_unasked(filled, tmp_path, sample_json):
    folder = tmp_path / "backups"
    saved = backup.backup(filled, folder=folder)
    with Library(filled) as lib:
        lib.import_file(sample_json)
        papers = lib.count()
    assert papers > 49
    result = cli("--library", str(filled), "restore", str(saved), stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert f"{papers - 49} paper" in result.stderr and "--yes" in result.stderr
    assert "49 papers, 1 note, 1 list" in result.stdout and f"{papers} papers" in result.stdout
    assert count(filled) == papers
    result = cli("--library", str(filled), "restore", str(saved), "--yes")
    assert result.returncode == 0 and count(filled) == 49
