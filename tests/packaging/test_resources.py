"""The desktop entry and AppStream metainfo that the installers ship pass their validators."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def test_desktop_entry_validates():
    if not shutil.which("desktop-file-validate"):
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = subprocess.run(["desktop-file-validate", RESOURCES / "papershelf.desktop"], capture_output=True, text=True)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert not re.search(r": (error|warning): ", report), report


def test_metainfo_validates():
    if not shutil.which("appstreamcli"):
        pytest.skip("appstreamcli is not installed (Debian: appstream)")
    metainfo = RESOURCES / "io.github.papershelf.Papershelf.metainfo.xml"
    result = subprocess.run(["appstreamcli", "validate", "--no-net", metainfo], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_icons_for_every_platform():
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (RESOURCES / "icons" / f"papershelf-{size}.png").is_file()
    assert (RESOURCES / "icons" / "papershelf.svg").is_file()
    ico = (RESOURCES / "icons" / "papershelf.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # an ICO file
    icns = (RESOURCES.parent / "packaging" / "macos" / "papershelf.icns").read_bytes()
    assert icns[:4] == b"icns"
