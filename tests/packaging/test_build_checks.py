"""The checks in packaging/linux/build.py that must fail the build."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = "/venv/site-packages/PySide6/Qt"


def _build_module():
    spec = importlib.util.spec_from_file_location("papershelf_linux_build", ROOT / "packaging" / "linux" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MANIFEST = [
    f"PySide6/Qt/plugins/platforms/libqxcb.so\t{QT}/plugins/platforms/libqxcb.so\tBINARY",
    f"PySide6/Qt/lib/libQt6XcbQpa.so.6\t{QT}/lib/libQt6XcbQpa.so.6\tBINARY",
]


def _warning(missing: str, needed_by: str) -> str:
    return f"14446 WARNING: Library not found: could not resolve '{missing}', dependency of '{needed_by}'.\n"


def test_unresolved_xcb_library_fails_the_build():
    build = _build_module()
    log = _warning("libxcb-cursor.so.0", f"{QT}/lib/libQt6XcbQpa.so.6")
    problems, notes = build.unresolved_in_log(log, MANIFEST)
    assert problems == [f"libxcb-cursor.so.0 (needed by {QT}/lib/libQt6XcbQpa.so.6)"]
    assert notes == []


def test_any_libxcb_fails_even_for_a_plugin_left_out():
    build = _build_module()
    problems, _ = build.unresolved_in_log(_warning("libxcb-xinerama.so.0", f"{QT}/plugins/x/libother.so"), MANIFEST)
    assert len(problems) == 1


def test_unresolved_library_of_a_shipped_plugin_fails_the_build():
    build = _build_module()
    problems, _ = build.unresolved_in_log(_warning("libfoo.so.1", f"{QT}/plugins/platforms/libqxcb.so"), MANIFEST)
    assert problems == [f"libfoo.so.1 (needed by {QT}/plugins/platforms/libqxcb.so)"]


def test_plugin_the_spec_leaves_out_is_only_a_note():
    build = _build_module()
    log = _warning("libgtk-3.so.0", f"{QT}/plugins/platformthemes/libqgtk3.so") + "12 INFO: Building EXE\n"
    problems, notes = build.unresolved_in_log(log, MANIFEST)
    assert problems == []
    assert notes == [f"libgtk-3.so.0 (needed by {QT}/plugins/platformthemes/libqgtk3.so)"]
