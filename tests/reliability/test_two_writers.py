"""The GUI and two CLI imports on one library at the same time: all succeed, or one waits.

No "database is locked" reaches a user, and the final content is right.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papershelf.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.generate import write_json  # noqa: E402

pytestmark = pytest.mark.slow


def test_gui_and_two_cli_imports_at_once(tmp_path, sample_text):
    library = tmp_path / "shared.sqlite3"
    with Library(library) as lib:
        lib.import_file(sample_text)
    one = write_json(tmp_path / "one.json", 4000, seed=1, start=0)
    two = write_json(tmp_path / "two.json", 4000, seed=2, start=1_000_000)
    with Library(tmp_path / "scratch.sqlite3") as scratch:
        expected_new = scratch.import_file(one).added + scratch.import_file(two).added
    env = dict(os.environ, PYTHONPATH=str(ROOT / "desktop"), QT_QPA_PLATFORM="offscreen")
    gui = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("gui_writer.py")), str(library), "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert gui.stdout.readline().strip() == "ready"
    cli = [
        subprocess.Popen(
            [sys.executable, "-m", "papershelf", "--library", str(library), "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for path in (one, two)
    ]
    outputs = [p.communicate(timeout=300) for p in cli]
    gui_out, gui_err = gui.communicate(timeout=300)
    for proc, (out, err) in zip(cli, outputs):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err
        assert "added" in out
    assert gui.returncode == 0, gui_err
    assert "locked" not in gui_err.lower()
    read = int(gui_out.split("read ")[-1])
    with Library(library) as lib:
        assert lib.count() == 49 + expected_new
        assert lib.count("status:read") == read
        assert lib.count("has:notes") >= 1
        notes = sum(len(p.notes) for p in lib.get_many(lib.search_ids("has:notes")))
        assert notes == 60
        with lib.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
