"""fsutil: writing a user-named path keeps links, streams, permissions and the library intact. Real files only."""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from papershelf.core.fsutil import Protected, UnsafeTarget, make_private_dirs, replacing, write_user_file

ROOT = Path(__file__).resolve().parents[2]
TEXT = "@misc{k, title = {Ünïcödé ✓ 👩‍💻}}\n"


def write(path, text: str = TEXT, **kwargs) -> None:
    with write_user_file(path, **kwargs) as stream:
        stream.write(text)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_absolute_symlink_is_kept_and_its_target_replaced_with_its_mode(tmp_path):
    real = tmp_path / "overleaf" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "refs.bib"
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") == TEXT
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == leftovers(real.parent) == []


def test_relative_symlink_is_relative_to_its_own_folder_not_the_working_one(tmp_path, monkeypatch):
    (tmp_path / "thesis").mkdir()
    (tmp_path / "dropbox").mkdir()
    real = tmp_path / "dropbox" / "refs.bib"
    real.write_text("old")
    link = tmp_path / "thesis" / "refs.bib"
    link.symlink_to("../dropbox/refs.bib")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    write(link)
    assert os.readlink(link) == "../dropbox/refs.bib"
    assert real.read_text(encoding="utf-8") == TEXT
    assert list(elsewhere.iterdir()) == []


def test_a_chain_of_links_is_followed_to_the_end(tmp_path):
    (tmp_path / "a").mkdir()
    real = tmp_path / "real.bib"
    real.write_text("old")
    (tmp_path / "a" / "two").symlink_to("../real.bib")
    (tmp_path / "one").symlink_to("a/two")
    write(tmp_path / "one")
    assert (tmp_path / "one").is_symlink() and (tmp_path / "a" / "two").is_symlink()
    assert real.read_text(encoding="utf-8") == TEXT


def test_a_dangling_link_gets_the_file_it_points_to(tmp_path):
    link = tmp_path / "refs.bib"
    link.symlink_to("sub/new.bib")
    (tmp_path / "sub").mkdir()
    write(link)
    assert link.is_symlink()
    assert (tmp_path / "sub" / "new.bib").read_text(encoding="utf-8") == TEXT
    assert stat.S_IMODE((tmp_path / "sub" / "new.bib").stat().st_mode) == 0o600


def test_a_dangling_link_into_a_missing_folder_is_an_error_that_names_the_target(tmp_path):
    link = tmp_path / "refs.bib"
    link.symlink_to("nowhere/new.bib")
    with pytest.raises(OSError) as caught:
        write(link)
    assert caught.value.errno == errno.ENOENT and "nowhere/new.bib" in str(caught.value)
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_loop_of_links_is_an_error_and_nothing_is_written(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError) as caught:
        write(tmp_path / "a")
    assert caught.value.errno == errno.ELOOP
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_new_file_is_private_and_an_existing_one_keeps_its_mode(tmp_path):
    new = tmp_path / "new.bib"
    write(new)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    shared = tmp_path / "shared.bib"
    shared.write_text("old")
    shared.chmod(0o664)
    write(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664 and shared.read_text(encoding="utf-8") == TEXT


def test_make_private_dirs_creates_every_missing_folder_0700(tmp_path):
    made = make_private_dirs(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", made):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    tmp_path.chmod(0o755)
    make_private_dirs(tmp_path)  # an existing folder is left as it is
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def read_fifo_in_thread(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as stream:
            received.append(stream.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread, received


def test_a_fifo_is_written_directly_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, received = read_fifo_in_thread(fifo)
    write(fifo)
    thread.join(10)
    assert received == [TEXT.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and leftovers(tmp_path) == []


def test_a_symlink_to_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to("pipe")
    thread, received = read_fifo_in_thread(fifo)
    write(tmp_path / "link")
    thread.join(10)
    assert received == [TEXT.encode("utf-8")]
    assert (tmp_path / "link").is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _make_null_device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is on Linux
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")


def test_a_character_device_is_written_directly_and_stays_a_device(tmp_path):
    device = tmp_path / "null"
    _make_null_device(device)
    write(device)
    assert stat.S_ISCHR(os.lstat(device).st_mode) and leftovers(tmp_path) == []


def test_dev_null_stays_a_character_device(tmp_path):
    # A canary first: if writing devices were broken, the test stops before /dev/null.
    fifo = tmp_path / "canary"
    os.mkfifo(fifo)
    thread, _ = read_fifo_in_thread(fifo)
    write(fifo)
    thread.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    write("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_dash_is_standard_output(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("-")
    assert capsys.readouterr().out == TEXT
    assert list(tmp_path.iterdir()) == []


def _write_in_subprocess(target: str, stdout) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        "from papershelf.core.fsutil import write_user_file\n"
        "with write_user_file(sys.argv[1]) as s:\n"
        "    s.write(sys.argv[2])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop")}
    return subprocess.run([sys.executable, "-c", code, target, TEXT], stdout=stdout, stderr=subprocess.PIPE, env=env)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc on this platform")
def test_proc_self_fd_1_is_the_stream_it_is(tmp_path):
    piped = _write_in_subprocess("/proc/self/fd/1", subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == TEXT.encode("utf-8")
    # A regular file behind /proc/self/fd/1 cannot be renamed over: it is written in place.
    out = tmp_path / "out.txt"
    with open(out, "wb") as stream:
        before = os.fstat(stream.fileno()).st_ino
        redirected = _write_in_subprocess("/proc/self/fd/1", stream)
    assert redirected.returncode == 0, redirected.stderr
    assert out.read_text(encoding="utf-8") == TEXT and out.stat().st_ino == before
    assert leftovers(tmp_path) == []


def test_a_failure_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    real = tmp_path / "refs.bib"
    real.write_text("old")
    link = tmp_path / "link.bib"
    link.symlink_to(real.name)
    with pytest.raises(RuntimeError), write_user_file(link) as stream:
        stream.write("half")
        raise RuntimeError("disk full")
    assert real.read_text() == "old" and link.is_symlink() and leftovers(tmp_path) == []


def test_replacing_yields_a_private_temporary_file_and_refuses_a_fifo(tmp_path):
    target = tmp_path / "backup.sqlite3"
    with replacing(target) as tmp:
        assert tmp.parent == tmp_path and stat.S_IMODE(tmp.stat().st_mode) == 0o600
        tmp.write_bytes(b"data")
    assert target.read_bytes() == b"data" and leftovers(tmp_path) == []
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UnsafeTarget), replacing(tmp_path / "pipe"):
        pass
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


# --- never onto the library or its backups ------------------------------------


@pytest.fixture
def guarded(tmp_path):
    """A live SQLite library in WAL mode with a backups folder, and the Protected for it."""
    library = tmp_path / "data" / "library.sqlite3"
    backups = tmp_path / "data" / "backups"
    backups.mkdir(parents=True)
    (backups / "library-20250101.sqlite3").write_bytes(b"SQLite format 3\0backup")
    connection = sqlite3.connect(library)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    yield library, backups, Protected.library(library, backups)
    connection.close()


def refused(path, protect) -> str:
    with pytest.raises(UnsafeTarget) as caught:
        write(path, protect=protect)
    return str(caught.value)


def test_the_library_its_wal_and_shm_are_refused(guarded, tmp_path):
    library, _, protect = guarded
    before = library.read_bytes()
    assert "the library itself" in refused(library, protect)
    assert "write-ahead log" in refused(library.with_name("library.sqlite3-wal"), protect)
    assert "shared-memory" in refused(library.with_name("library.sqlite3-shm"), protect)
    # By folder and name too, for a -journal that does not exist (yet).
    assert "journal" in refused(library.with_name("library.sqlite3-journal"), protect)
    assert library.read_bytes() == before and leftovers(library.parent) == []


def test_the_library_is_refused_through_a_symlink_and_a_hard_link(guarded, tmp_path):
    library, _, protect = guarded
    (tmp_path / "refs.bib").symlink_to(library)
    os.link(library, tmp_path / "hard.bib")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up.bib").symlink_to("../data/library.sqlite3")
    for path in (tmp_path / "refs.bib", tmp_path / "hard.bib", tmp_path / "sub" / "up.bib"):
        assert "the library itself" in refused(path, protect)
    assert sqlite3.connect(library).execute("SELECT x FROM t").fetchall() == [(1,)]


def test_anything_in_the_backups_folder_is_refused(guarded, tmp_path):
    _, backups, protect = guarded
    backup = backups / "library-20250101.sqlite3"
    assert "backups folder" in refused(backup, protect)
    assert "backups folder" in refused(backups / "new.bib", protect)
    (tmp_path / "via-link").symlink_to(backups)
    assert "backups folder" in refused(tmp_path / "via-link" / "new.bib", protect)
    os.link(backup, tmp_path / "hard-backup.bib")
    assert "backups folder" in refused(tmp_path / "hard-backup.bib", protect)
    assert backup.read_bytes() == b"SQLite format 3\0backup" and not (backups / "new.bib").exists()
    # Beside the backups folder is fine, even spelled through it.
    write(backups / ".." / "refs.bib", protect=protect)
    assert (backups.parent / "refs.bib").read_text(encoding="utf-8") == TEXT


def test_checking_the_library_never_opens_it(guarded, monkeypatch):
    """Opening and closing an SQLite file in this process would drop the connection's POSIX locks."""
    library, backups, protect = guarded
    opened: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def spy_os_open(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    def spy_open(file, *args, **kwargs):
        if not isinstance(file, int):
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    for path in (library, library.with_name("library.sqlite3-wal"), backups / "library-20250101.sqlite3"):
        refused(path, protect)
    assert [p for p in opened if str(library.parent) in p] == []


def test_the_library_stays_locked_by_its_connection_after_the_check(guarded):
    """Had the check opened and closed the library, SQLite's locks would be gone: another process
    closing its connection would think it was the last one and delete the -wal in use."""
    library, _, protect = guarded
    wal = library.with_name("library.sqlite3-wal")
    assert wal.exists()
    for path in (library, wal, library.with_name("library.sqlite3-shm")):
        refused(path, protect)
    other = "import sqlite3, sys\nsqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM t').fetchall()\n"
    subprocess.run([sys.executable, "-c", other, str(library)], check=True)
    assert wal.exists()
