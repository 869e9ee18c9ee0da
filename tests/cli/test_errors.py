"""The CLI when the library is busy or damaged, and on input that is not UTF-8 or not a possible id.

Each case: one line on stderr, exit status 1, nothing written, never a traceback.
"""

from __future__ import annotations

import json
import os
import pty
import random
import select
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from papershelf import paths
from papershelf.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_JSON = ROOT / "tests" / "fixtures" / "hf-daily-papers-api-sample.json"


@pytest.fixture
def imported(run, sample_text):
    assert run("import", str(sample_text))[0] == 0


def cli_process(library: Path, *argv: str | bytes, busy_timeout_ms: int | None = None, **kwargs):
    """The CLI in its own process, with raw bytes allowed in ``argv``; optionally a short busy timeout."""
    code = "import sys\nfrom papershelf.core import db\n"
    if busy_timeout_ms is not None:
        code += f"db.BUSY_TIMEOUT_MS = {busy_timeout_ms}\n"
    code += "from papershelf.cli import main\nsys.exit(main())\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    return subprocess.Popen([sys.executable, "-c", code, "--library", str(library), *argv], env=env, **kwargs)


def finish(proc: subprocess.Popen, stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = proc.communicate(stdin, timeout=60)
    return proc.returncode, out.decode(), err.decode()


def one_line_error(err: str) -> bool:
    return err.startswith("papershelf: error: ") and err.count("\n") == 1 and "Traceback" not in err


# --- Busy: another program holds the write lock --------------------------------


def test_a_busy_library_is_one_line_and_exit_1(run, imported, library_path, lock_holder):
    holder = lock_holder(library_path)
    started = time.monotonic()
    proc = cli_process(
        library_path, "tag", "1", "busy-test", busy_timeout_ms=500, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    code, _out, err = finish(proc)
    assert time.monotonic() - started < 20
    assert code == 1 and one_line_error(err), err
    assert err == (
        f"papershelf: error: {library_path}: the library is busy in another program (still locked after 0.5 s); "
        "nothing was written. Try again when that program has finished.\n"
    )
    holder.stdin.close()
    holder.wait(10)
    assert "busy-test" not in json.loads(run("show", "1", "--json")[1])["tags"]


def test_on_a_terminal_a_write_says_once_that_it_waits(run, imported, library_path, lock_holder):
    holder = lock_holder(library_path)
    leader, follower = pty.openpty()
    try:
        proc = cli_process(
            library_path, "tag", "1", "waited", busy_timeout_ms=20_000, stdout=subprocess.PIPE, stderr=follower
        )
        os.close(follower)
        seen = b""
        deadline = time.monotonic() + 15
        while b"waiting for the library" not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                seen += os.read(leader, 1024)
        assert b"papershelf: waiting for the library: another program is writing to it" in seen
        holder.stdin.close()  # the other program finishes; our write goes ahead
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and out.decode().strip() == "1: tags: waited"
        try:
            while select.select([leader], [], [], 0.2)[0]:
                seen += os.read(leader, 1024)
        except OSError:
            pass  # the terminal closed with the process
        assert seen.count(b"waiting for the library") == 1
    finally:
        os.close(leader)


# --- Input that is not UTF-8, and ids no library can hold ---------------------------


def test_a_tag_argument_that_is_not_utf8(run, imported, library_path):
    before = library_path.read_bytes()
    proc = cli_process(library_path, "tag", "1", "good", b"ab\xffc", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    code, _out, err = finish(proc)
    assert code == 1 and err == (
        'papershelf: error: tag argument 2 "ab\\xffc": not UTF-8 text (byte 0xff at offset 2); nothing was written\n'
    )
    assert library_path.read_bytes() == before


def test_a_note_on_stdin_that_is_not_utf8(run, imported, library_path):
    proc = cli_process(
        library_path, "note", "1", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    code, _out, err = finish(proc, b"caf\xe9 notes")
    assert code == 1 and err == (
        "papershelf: error: note from standard input: not UTF-8 text (byte 0xe9 at offset 3); nothing was written\n"
    )
    assert json.loads(run("show", "1", "--json")[1])["notes"] == []
    # UTF-8 from a pipe is read as such, whatever the locale.
    proc = cli_process(
        library_path, "note", "1", "-", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert finish(proc, "café notes".encode())[0] == 0
    assert [n["text"] for n in json.loads(run("show", "1", "--json")[1])["notes"]] == ["café notes"]


def test_a_note_that_cannot_be_written_is_kept(run, imported, library_path, lock_holder):
    lock_holder(library_path)
    proc = cli_process(
        library_path,
        "note",
        "1",
        "-",
        busy_timeout_ms=300,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    code, _out, err = finish(proc, b"an idea I typed\n")
    assert code == 1 and one_line_error(err) and "nothing was written" in err
    kept = Path(err.rstrip("\n").rsplit("; your note was kept in ", 1)[1])
    assert kept.parent == paths.data_dir() / "unsaved-notes"
    assert kept.read_text(encoding="utf-8") == "an idea I typed\n"
    assert kept.stat().st_mode & 0o777 == 0o600  # private, like the library


@pytest.mark.parametrize("ident", ["99999999999999999999999", "9223372036854775808", "²"])
def test_an_id_no_library_can_hold(run, imported, ident):
    code, _out, err = run("show", ident)
    assert code == 1 and err == f"papershelf: error: no paper with id, citation key or arXiv id {ident!r}\n"


def test_the_largest_sqlite_integer_is_still_an_id(run, imported):
    code, _out, err = run("show", "9223372036854775807")
    assert code == 1 and "no paper with id" in err


# --- Damage: byte flips in a real library ---------------------------------------------


def page_map(path: Path) -> tuple[int, list[int], list[int]]:
    """Page size, and the pages of indexes and of tables (SQLite's dbstat)."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        pages = conn.execute("SELECT name, pageno FROM dbstat").fetchall()
    conn.close()
    return size, [p for n, p in pages if n in indexes], [p for n, p in pages if n not in indexes]


def integrity(data: bytes, probe: Path) -> str:
    probe.write_bytes(data)
    conn = sqlite3.connect(f"{probe.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    except sqlite3.DatabaseError as exc:
        return str(exc)
    except UnicodeDecodeError:  # damaged text where SQLite keeps its schema: not UTF-8
        return "schema text is not UTF-8"
    finally:
        conn.close()
        probe.unlink()


def damaged_copies(source: Path, tmp: Path, per_kind: int) -> list[tuple[str, int, bytes, str]]:
    """Copies of ``source`` with one byte flipped in an index page or a table page, each damaged to SQLite."""
    base = source.read_bytes()
    page_size, index_pages, table_pages = page_map(source)
    found: list[tuple[str, int, bytes, str]] = []
    for kind, pages in (("index", index_pages), ("table", table_pages)):
        count = 0
        for seed in range(5000):
            rng = random.Random(f"{kind}-{seed}")
            offset = (rng.choice(pages) - 1) * page_size + rng.randrange(page_size)
            data = bytearray(base)
            data[offset] ^= rng.randrange(1, 256)
            verdict = integrity(bytes(data), tmp / "probe.sqlite3")
            if verdict != "ok":
                found.append((kind, seed, bytes(data), verdict))
                count += 1
                if count == per_kind:
                    break
    return found


def test_byte_flips_never_crash_and_a_refusal_writes_nothing(run, imported, library_path, tmp_path, capsys):
    """tag, import and note on damaged copies (the day's check already done): refuse in one line, or succeed."""
    run("note", "1", "first note")
    run("tag", "2", "seen")
    good = library_path.read_bytes()
    outcomes: Counter = Counter()
    for kind, seed, data, verdict in damaged_copies(library_path, tmp_path, per_kind=6):
        for argv in (["tag", "1", "new-tag"], ["import", str(SAMPLE_JSON)], ["note", "1", "a new note"]):
            copy = tmp_path / f"{kind}-{seed}-{argv[0]}" / "library.sqlite3"
            copy.parent.mkdir()
            # The day's check runs on the good file; then the file is damaged behind Papershelf's back.
            copy.write_bytes(good)
            assert main(["--library", str(copy), "list", "--limit", "1"]) == 0
            copy.write_bytes(data)
            capsys.readouterr()
            code = main(["--library", str(copy), *argv])
            _out, err = capsys.readouterr()
            where = f"{kind} flip, seed {seed} ({verdict[:60]}): {argv[0]}: exit {code}: {err!r}"
            assert code in (0, 1) and "Traceback" not in err and "internal error" not in err, where
            wal = Path(f"{copy}-wal")
            changed = copy.read_bytes() != data or (wal.exists() and wal.stat().st_size > 0)
            if code == 1:
                assert one_line_error(err) and f"{copy}: the library file is damaged (" in err, where
                if "(SQLite: " in err:  # met during the operation: the full sentence
                    assert err.endswith(
                        "); nothing was written. Run `papershelf restore` to put back the newest backup.\n"
                    ), where
                assert not changed, where
            outcomes[(argv[0], "refused" if code else "written" if changed else "unchanged")] += 1
    with capsys.disabled():
        print(f"\nbyte flips: {sorted(outcomes.items())}")
    assert sum(outcomes.values()) == 36


def test_an_import_onto_a_full_disk_is_one_line_and_writes_nothing(tmp_path):
    """A write past the limit fails as on a full disk (RLIMIT_FSIZE): one line, exit 1, the library as it was."""
    import json as _json

    library = tmp_path / "lib.sqlite3"
    listing = tmp_path / "big.json"
    papers = [
        {
            "paper": {
                "id": f"2509.{i:05d}",
                "title": f"Paper number {i} about things",
                "summary": "word " * 400,
                "authors": [{"name": "A. Author"}],
                "publishedAt": "2025-09-10T00:00:00.000Z",
            }
        }
        for i in range(3000)
    ]
    listing.write_text(_json.dumps(papers))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    subprocess.run(
        [sys.executable, "-m", "papershelf", "--library", str(library), "list"],
        env=env,
        check=True,
        capture_output=True,
    )

    def limit():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    result = subprocess.run(
        [sys.executable, "-m", "papershelf", "--library", str(library), "import", str(listing)],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "internal error" not in result.stderr
    after = subprocess.run(
        [sys.executable, "-m", "papershelf", "--library", str(library), "list"], env=env, capture_output=True, text=True
    )
    assert after.returncode == 0 and "empty" in after.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith((".part", ".tmp"))] == []
