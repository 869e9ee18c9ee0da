"""The core must stay usable without Qt: the CLI and any future front end depend on it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_imports_no_qt():
    code = (
        "import sys, pkgutil, importlib, papershelf.core as core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'papershelf.core.'):\n"
        "    if '.migrations.' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
        "import papershelf.cli\n"
        "qt = sorted(n for n in sys.modules if n.startswith(('PySide', 'PyQt', 'shiboken')))\n"
        "print(len([n for n in sys.modules if n.startswith('papershelf.core')]))\n"
        "assert not qt, qt\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "desktop")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # The walk really imported the core's modules (library, importers, search, …).
    assert int(result.stdout.strip()) >= 10
