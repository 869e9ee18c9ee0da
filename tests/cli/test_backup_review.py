"""Backups and restores as an attacker tried them (a hostile review of the trust fixes), with real processes."""

import json
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
from papershelf.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "hf-daily-papers-sep-11.txt"


def cli(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    return subprocess.run(
        [sys.executable, "-m", "papershelf", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        stdin=stdin,
        **kwargs,
    )


@pytest.fixture
def lib(tmp_path):
    path = tmp_path / "real" / "lib.sqlite3"
    with Library(path) as library:
        library.import_file(SAMPLE)
        library.add_note(1, "precious")
    return path


def content(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return "\n".join(conn.iterdump())


def strays(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal")))


def test_export_through_a_link_to_the_library_never_lands_on_its_real_wal(lib, tmp_path):
    """SQLite keeps the -wal beside the file the link points to; that one is protected too."""
    link = tmp_path / "link.sqlite3"
    link.symlink_to(lib)
    holder = sqlite3.connect(lib)  # keeps the -wal in place, as an open app does
    holder.execute("CREATE TEMP TABLE t(x)")
    holder.execute("PRAGMA journal_mode=WAL")
    try:
        for args in (("export", "--all", "-o", str(lib) + "-wal"), ("backup", str(lib) + "-wal")):
            result = cli("--library", str(link), *args)
            assert result.returncode == 1 and "nothing was written" in result.stderr, result.stderr
    finally:
        holder.close()
    assert cli("--library", str(lib), "show", "1").returncode == 0


def test_backup_never_replaces_a_backup_or_lands_in_the_library(lib, tmp_path):
    made = Path(cli("--library", str(lib), "backup").stdout.strip())
    before = made.read_bytes()
    again = cli("--library", str(lib), "backup", str(made))
    assert again.returncode == 1 and "existing backup" in again.stderr and made.read_bytes() == before
    link = tmp_path / "sl.zip"
    link.symlink_to(made)
    assert cli("--library", str(lib), "backup", str(link)).returncode == 1 and made.read_bytes() == before
    library_before = content(lib)
    with open(lib, "ab") as into_library:  # `papershelf backup - >> lib.sqlite3`
        result = cli("--library", str(lib), "backup", "-", stdout=into_library)
    assert result.returncode == 1 and content(lib) == library_before


def test_another_librarys_export_cannot_overwrite_the_default_librarys_backups(lib, tmp_path):
    default = paths.default_library()
    with Library(default) as library:
        library.import_file(SAMPLE)
    theirs = Path(cli("backup").stdout.strip())
    before = theirs.read_bytes()
    result = cli("--library", str(lib), "export", "--ids", "1", "-o", str(theirs))
    assert result.returncode == 1 and theirs.read_bytes() == before


def test_a_renamed_backup_still_restores(lib, tmp_path):
    renamed = tmp_path / "thesis-2025-11-30"
    assert cli("--library", str(lib), "backup", str(renamed)).returncode == 0
    result = cli("--library", str(lib), "restore", "--yes", str(renamed))
    assert result.returncode == 0, result.stderr


def test_restore_shows_the_backup_and_the_library_on_two_lines_each(lib, tmp_path):
    """The summary's line break came out as a visible '<U+000A>' mark: the escaping covered the whole text."""
    made = tmp_path / "before-thesis"
    assert cli("--library", str(lib), "backup", str(made)).returncode == 0
    result = cli("--library", str(lib), "restore", "--yes", str(made))
    assert result.returncode == 0, result.stderr
    assert "U+000A" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == f" backup: {made}" and lines[1].startswith("         ") and "1 note" in lines[1]
    assert lines[2] == f"library: {lib}"


@pytest.mark.parametrize("kind", ["foreign", "view", "empty"])
def test_restore_never_adopts_or_moves_another_programs_file(lib, tmp_path, kind):
    saved = Path(cli("--library", str(lib), "backup").stdout.strip())
    target = tmp_path / f"{kind}.sqlite"
    if kind == "empty":
        target.touch()
    else:
        conn = sqlite3.connect(target)
        conn.execute("CREATE TABLE moz_places (url)" if kind == "foreign" else "CREATE VIEW v AS SELECT 1")
        conn.commit()
        conn.close()
    before = target.read_bytes()
    result = cli("--library", str(target), "restore", "--yes", str(saved))
    assert result.returncode == 1 and "nothing was restored" in result.stderr, result.stderr
    assert target.read_bytes() == before and not list(tmp_path.glob("*damaged*"))


def test_restore_refuses_while_another_program_holds_the_library_exclusively(lib, tmp_path):
    saved = Path(cli("--library", str(lib), "backup").stdout.strip())
    holder = sqlite3.connect(lib, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # A short busy timeout, so the test takes a second, not thirty.
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from papershelf.core import db; db.BUSY_TIMEOUT_MS = 1000; "
                "from papershelf.cli import main; sys.exit(main(sys.argv[1:]))",
                "--library",
                str(lib),
                "restore",
                "--yes",
                str(saved),
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(ROOT / "desktop")),
            timeout=120,
        )
        assert proc.returncode == 1 and "busy" in proc.stderr and "nothing was restored" in proc.stderr, proc.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert lib.exists() and not list(lib.parent.glob("*damaged*"))


def test_restore_compares_papers_not_counts(tmp_path):
    """Two libraries of the same size: restoring one's backup over the other drops all its papers."""
    a, b = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    for path, names in ((a, ("Alpha one", "Alpha two")), (b, ("Beta one", "Beta two"))):
        listing = tmp_path / f"{path.stem}.json"
        listing.write_text(
            json.dumps(
                [
                    {
                        "paper": {
                            "id": f"2509.{i:05d}{path.stem == 'b' and 9 or 0}",
                            "title": t,
                            "summary": "s",
                            "authors": [{"name": "X"}],
                            "publishedAt": "2025-09-10T00:00:00Z",
                        }
                    }
                    for i, t in enumerate(names)
                ]
            )
        )
        with Library(path) as library:
            library.import_file(listing)
    saved = Path(cli("--library", str(a), "backup").stdout.strip())
    before = content(b)
    result = cli("--library", str(b), "restore", str(saved))
    assert result.returncode == 1 and "2 papers" in result.stderr and "--yes" in result.stderr
    assert content(b) == before


def test_a_backup_whose_manifest_lies_is_judged_by_what_it_holds(lib, tmp_path):
    saved = Path(cli("--library", str(lib), "backup").stdout.strip())
    lying = tmp_path / "lying.sqlite3.zip"
    empty_lib = tmp_path / "empty.sqlite3"
    Library(empty_lib).close()
    with zipfile.ZipFile(saved) as real:
        manifest = json.loads(real.read(backup.MANIFEST))
    manifest["papers"] = 99_999
    with zipfile.ZipFile(lying, "w") as fake:
        fake.writestr(backup.MANIFEST, json.dumps(manifest))
        fake.write(empty_lib, backup.MEMBER)
    before = content(lib)
    result = cli("--library", str(lib), "restore", str(lying))
    assert result.returncode == 1 and "49 papers" in result.stderr
    assert content(lib) == before


def test_restore_never_downgrades_a_library_from_a_newer_papershelf(lib):
    saved = Path(cli("--library", str(lib), "backup").stdout.strip())
    conn = sqlite3.connect(lib)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    before = content(lib)
    result = cli("--library", str(lib), "restore", "--yes", str(saved))
    assert result.returncode == 1 and "newer version" in result.stderr
    assert content(lib) == before


def test_a_backup_of_another_schema_is_one_line(lib, tmp_path):
    odd = tmp_path / "odd.sqlite3"
    conn = sqlite3.connect(odd)
    conn.execute(f"PRAGMA application_id = {0x50536866}")
    conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.execute("INSERT INTO alembic_version VALUES ('0002')")
    conn.execute("CREATE TABLE paper (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    result = cli("--library", str(lib), "restore", "--yes", str(odd))
    assert result.returncode == 1 and "not a usable backup" in result.stderr
    assert "internal error" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_no_stray_side_files_after_a_backup_or_a_refused_restore(lib, tmp_path):
    saved = Path(cli("--library", str(lib), "backup").stdout.strip())
    assert strays(lib.parent) == [] and strays(saved.parent) == []
    with Library(lib) as library:
        library.add_note(2, "only in the library")
    assert cli("--library", str(lib), "restore", str(saved)).returncode == 1
    assert strays(lib.parent) == [] and strays(saved.parent) == []


def test_a_failing_disk_is_not_called_damage(lib):
    """A -shm that cannot be written is a disk problem: 'restore' is the wrong advice."""

    def limit():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    result = cli("--library", str(lib), "list", preexec_fn=limit)
    assert result.returncode == 1 and "damaged" not in result.stderr and "restore" not in result.stderr, result.stderr


def test_an_empty_file_is_not_backed_up(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = cli("--library", str(empty), "backup")
    assert result.returncode == 1 and "an empty file" in result.stderr


def test_the_daily_check_stamp_is_private(lib):
    assert cli("--library", str(lib), "list").returncode == 0
    stamp = paths.backups_dir(lib) / "last-check"
    assert stat.S_IMODE(stamp.stat().st_mode) == 0o600
