"""SIGKILL at random moments during an import, a bulk edit and note saving.

After every kill the library passes PRAGMA integrity_check, every transaction
is all or nothing, and the next run works (re-running the import completes it).
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papershelf.core.importers import Source
from papershelf.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.generate import write_json  # noqa: E402

pytestmark = pytest.mark.slow
KILLS = 20


def start(library: Path, mode: str, arg: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"))
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("worker.py")), str(library), mode, arg],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def kill_after(proc: subprocess.Popen, seconds: float) -> list[str]:
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    return out.splitlines()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_killed_imports_are_all_or_nothing(tmp_path):
    rng = random.Random(7)
    library = tmp_path / "lib.sqlite3"
    Library(library).close()
    outcomes = set()
    for round_ in range(KILLS):
        listing = write_json(tmp_path / f"listing{round_}.json", 1500, seed=round_, start=round_ * 10_000)
        with Library(library) as lib:
            before = lib.count()
            new = lib.import_file(listing, dry_run=True).added
        kill_after(start(library, "import", str(listing)), rng.uniform(0.05, 2.0))
        assert integrity(library) == "ok"
        with Library(library) as lib:
            after_kill = lib.count()
            assert after_kill in (before, before + new), (
                f"round {round_}: a partial import ({after_kill - before} of {new})"
            )
            outcomes.add(after_kill == before)
            # The next run works, and running the same import again completes it.
            assert lib.import_file(listing).added == before + new - after_kill
            assert lib.count() == before + new
    # The random kills hit both before and after the commit at least once.
    assert outcomes == {True, False}


def test_killed_bulk_edits_are_all_or_nothing(tmp_path, sample_text):
    rng = random.Random(11)
    library = tmp_path / "lib.sqlite3"
    with Library(library) as lib:
        lib.import_file(sample_text)
    for round_ in range(KILLS):
        lines = kill_after(start(library, "bulk-edit", str(round_)), rng.uniform(0.1, 1.0))
        assert integrity(library) == "ok"
        with Library(library) as lib:
            steps = [int(line.split()[1]) for line in lines if line.startswith("step")]
            # Every tag of this round is on all 49 papers or on none.
            counts = dict(lib.tags())
            for step in range(max(steps, default=-1) + 2):
                assert counts.get(f"round{round_}-{step}", 0) in (0, 49)
            for step in steps:
                assert counts[f"round{round_}-{step}"] == 49
            assert len({p.status for p in lib.get_many(lib.search_ids(""))}) == 1
            lib.add_tags([1], [f"after-kill-{round_}"])


def test_killed_note_saves_lose_nothing_committed(tmp_path):
    rng = random.Random(13)
    library = tmp_path / "lib.sqlite3"
    with Library(library) as lib:
        lib.import_file(Source.from_text("Sep 11\n\nA paper\n\nIts abstract."))
        note = lib.add_note(1, "")
    for _round in range(KILLS):
        lines = kill_after(start(library, "note", str(note)), rng.uniform(0.1, 0.8))
        assert integrity(library) == "ok"
        saved = [int(line.split()[1]) for line in lines if line.startswith("saved")]
        with Library(library) as lib:
            text = lib.get(1).notes[0].text
            # At least everything reported as saved is there, and it is whole.
            assert len(text) >= max(saved, default=0)
            assert text == "".join(f"word{i} " for i in range(len(text.split())))
