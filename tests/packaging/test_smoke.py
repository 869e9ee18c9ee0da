"""`papershelf --smoke-test` from source: the same self test the built bundles run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No Qt platform chosen, and a fake home: the smoke test must pick offscreen and a temporary profile itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSHELF_", "XDG_", "QT_"))}
    home = tmp_path / "home"
    home.mkdir()
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "desktop"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_smoke_test_passes_headless_without_touching_the_profile(tmp_path):
    env = _clean_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "papershelf", "--smoke-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    line = result.stdout.strip()
    assert line.startswith("smoke test passed"), line
    assert "49 papers imported" in line
    assert "window painted" in line and "49 rows" in line
    assert "49 BibTeX entries" in line
    assert "FAILED" not in result.stderr
    # Nothing was written to the (fake) user profile or the working folder.
    assert list((tmp_path / "home").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_smoke_test_reports_each_failure_on_one_line(monkeypatch, capsys, tmp_path):
    from papershelf import paths, smoke

    monkeypatch.setattr(paths, "sample_listing", lambda: tmp_path / "missing.txt")
    assert smoke.run_smoke_test() == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert lines == [
        f"smoke test FAILED: sample listing missing: {tmp_path / 'missing.txt'}",
        "smoke test FAILED: window: skipped, the import failed",
        "smoke test FAILED: export: skipped, the import failed",
    ]


def test_smoke_test_restores_the_environment(monkeypatch, tmp_path):
    from papershelf import paths, smoke

    monkeypatch.setenv("PAPERSHELF_HOME", str(tmp_path / "mine"))
    monkeypatch.setattr(paths, "sample_listing", lambda: tmp_path / "missing.txt")
    smoke.run_smoke_test()
    assert os.environ["PAPERSHELF_HOME"] == str(tmp_path / "mine")
    assert not (tmp_path / "mine").exists()
