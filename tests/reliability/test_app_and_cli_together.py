"""The app and the CLI on one library, as in the report that corrupted it (trust issue, item 1).

Real processes: the app offscreen on its first launch of the day (its daily
backup running), and CLI commands in between its key presses. Afterwards the
library is intact and every change from both sides is there. While the app
runs, its -wal/-shm are never deleted from under it.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "hf-daily-papers-sep-11.txt"

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the app's files")


def run_cli(env, library, *args):
    result = subprocess.run(
        [sys.executable, "-m", "papershelf", "--library", str(library), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def deleted_side_files(pid: int) -> list[str]:
    """The app's open -wal/-shm files that no longer exist on disk: SQLite's locks were lost."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if ("-wal" in target or "-shm" in target) and target.endswith("(deleted)"):
            found.append(target)
    return found


class App:
    def __init__(self, env, library):
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("gui_driver.py")), str(library)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def do(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer.startswith("ok"), answer + self.proc.stderr.read()
        return answer


def test_app_and_cli_on_one_library_lose_nothing(tmp_path):
    library = tmp_path / "L.sqlite3"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "desktop"),
        QT_QPA_PLATFORM="offscreen",
        PAPERSHELF_HOME=str(tmp_path / "home"),
    )
    run_cli(env, library, "import", str(SAMPLE), "--date", "2025-09-11")
    app = App(env, library)  # the first launch of the day: its daily backup runs now
    try:
        run_cli(env, library, "list", "--limit", "1")
        assert deleted_side_files(app.proc.pid) == []
        app.do("select 0")
        app.do("space")  # paper at row 0 read, the app moves on
        run_cli(env, library, "tag", "1", "probe")
        app.do("select 4")
        app.do("note from the app")
        run_cli(env, library, "note", "2", "from the CLI")
        app.do("backup")  # Back Up Now, in-process
        run_cli(env, library, "status", "3", "reading")
        assert deleted_side_files(app.proc.pid) == []
        app.do("select 6")
        app.do("space")
        run_cli(env, library, "list", "--limit", "1")
        run_cli(env, library, "priority", "4", "2")
        state = app.do("state")
    finally:
        out, err = app.proc.communicate("quit\n", timeout=120)
    assert app.proc.returncode == 0, err
    assert "read=2" in state

    conn = sqlite3.connect(f"file:{library}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM paper WHERE status = 'read'").fetchone()[0] == 2
        assert (
            conn.execute(
                "SELECT count(*) FROM paper_tag JOIN tag ON tag.id = paper_tag.tag_id WHERE paper_id = 1 AND name = 'probe'"
            ).fetchone()[0]
            == 1
        )
        notes = {row[0] for row in conn.execute("SELECT text FROM note")}
        assert notes == {"from the app", "from the CLI"}
        assert conn.execute("SELECT status FROM paper WHERE id = 3").fetchone()[0] == "reading"
        assert conn.execute("SELECT priority FROM paper WHERE id = 4").fetchone()[0] == 2
    finally:
        conn.close()
    # And the CLI still reads it.
    assert "probe" in run_cli(env, library, "show", "1")
