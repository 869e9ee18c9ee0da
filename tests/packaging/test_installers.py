"""The Linux installers that `make package` left in dist/, unpacked and run.

Skipped when dist/ has no installers for this version (run `make package`);
with PAPERSHELF_REQUIRE_PACKAGE=1 (CI, after `make package`) they must exist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from papershelf import __version__

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
TARBALL = DIST / f"papershelf-{__version__}-linux-x86_64.tar.gz"
DEB = DIST / f"papershelf_{__version__}_amd64.deb"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
APP_ID = "io.github.papershelf.Papershelf"
# Parts of Qt and Python the app does not use, which must stay out of the bundle.
UNWANTED = re.compile(
    r"QtNetwork|QtQml|QtQuick|QtPdf|QtSql|QtTest|QtDesigner|QtOpenGLWidgets|/translations/|tkinter|"
    r"libqeglfs|libqlinuxfb|libqvnc|libqgtk3|libqtiff|libqwebp|sqldrivers|qmltooling|EglFS"
)


def _require(path: Path) -> Path:
    if path.is_file():
        return path
    if os.environ.get("PAPERSHELF_REQUIRE_PACKAGE") == "1":
        pytest.fail(f"{path.relative_to(ROOT)} is missing; `make package` should have built it")
    pytest.skip(f"{path.relative_to(ROOT)} not built; run `make package` (or set PAPERSHELF_REQUIRE_PACKAGE=1 to fail)")


def _smoke(executable: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSHELF_", "PYTHON", "LD_LIBRARY_PATH"))}
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run([executable, "--smoke-test"], capture_output=True, text=True, env=env, timeout=300)


def _assert_passed(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("smoke test passed (frozen)"), result.stdout
    assert "49 papers imported" in result.stdout and "49 BibTeX entries" in result.stdout


def _unresolved(tree: Path, private: list[Path]) -> list[str]:
    """`name (file)` for every library some ELF file in ``tree`` needs and the linker cannot find."""
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(map(str, private)))
    missing = []
    for path in sorted(tree.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", path], capture_output=True, text=True, env=env).stdout
        missing += [f"{name} ({path.relative_to(tree)})" for name in re.findall(r"^\s*(\S+) => not found", out, re.M)]
    return missing


@pytest.fixture(scope="module")
def tarball_root(tmp_path_factory) -> Path:
    tarball = _require(TARBALL)
    target = tmp_path_factory.mktemp("tarball")
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="tar")
    return target / f"papershelf-{__version__}"


@pytest.fixture(scope="module")
def deb_root(tmp_path_factory) -> Path:
    deb = _require(DEB)
    if not shutil.which("dpkg"):
        pytest.skip("dpkg is not installed")
    target = tmp_path_factory.mktemp("deb-root")
    subprocess.run(["dpkg", "-x", deb, target], check=True)
    return target


def test_tarball_is_within_the_size_budget():
    assert _require(TARBALL).stat().st_size <= 75_000_000


def test_tarball_layout(tarball_root):
    launcher = tarball_root / "papershelf"
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    internal = tarball_root / "_internal"
    assert (internal / "resources" / "samples" / "hf-daily-papers-sep-11.txt").is_file()
    assert (internal / "resources" / "papershelf.desktop").is_file()
    assert (internal / "resources" / f"{APP_ID}.metainfo.xml").is_file()
    for size in ICON_SIZES:
        assert (internal / "resources" / "icons" / f"papershelf-{size}.png").is_file()
    migrations = internal / "papershelf" / "core" / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    shipped = {p.name for p in (migrations / "versions").glob("*.py")}
    in_source = {p.name for p in (ROOT / "desktop" / "papershelf" / "core" / "migrations" / "versions").glob("*.py")}
    assert in_source <= shipped


def test_tarball_leaves_out_unused_qt_and_python(tarball_root):
    unwanted = [str(p.relative_to(tarball_root)) for p in tarball_root.rglob("*") if UNWANTED.search(str(p))]
    assert unwanted == []


def test_tarball_smoke_test(tarball_root, tmp_path):
    _assert_passed(_smoke(tarball_root / "papershelf", tmp_path))


def test_tarball_has_no_build_machine_paths(tarball_root):
    if not shutil.which("readelf"):
        pytest.skip("readelf is not installed")
    leaks = []
    for path in sorted(tarball_root.rglob("*.so*")):
        if path.is_file() and not path.is_symlink():
            out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
            for runpath in re.findall(r"\((?:RUNPATH|RPATH)\).*\[(.*)\]", out):
                leaks += [f"{path.name}: {p}" for p in runpath.split(":") if not p.startswith("$ORIGIN")]
    assert leaks == []


def test_deb_metadata():
    deb = _require(DEB)
    fields = subprocess.run(
        ["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: papershelf" in fields
    assert f"Version: {__version__}" in fields
    assert "Architecture: amd64" in fields
    depends = re.search(r"^Depends: (.*)$", fields, re.M).group(1)
    # What Qt's xcb platform plugin links, and what it needs to draw and find fonts.
    for package in (
        "libxcb-cursor0",
        "libxkbcommon-x11-0",
        "libxcb-icccm4",
        "libxcb-image0",
        "libxcb-keysyms1",
        "libxcb-randr0",
        "libxcb-render-util0",
        "libxcb-shape0",
        "libxcb-xkb1",
        "libegl1",
        "libgl1",
        "libfontconfig1",
        "libdbus-1-3",
    ):
        assert re.search(rf"(^|, ){re.escape(package)}( |,|$)", depends), f"{package} not in Depends: {depends}"


def test_deb_layout(deb_root):
    link = deb_root / "usr" / "bin" / "papershelf"
    assert link.is_symlink() and os.readlink(link) == "/opt/papershelf/papershelf"
    assert os.access(deb_root / "opt" / "papershelf" / "papershelf", os.X_OK)
    share = deb_root / "usr" / "share"
    assert (share / "applications" / "papershelf.desktop").is_file()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    for size in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "papershelf.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "papershelf.svg").is_file()
    assert (share / "doc" / "papershelf" / "copyright").is_file()
    assert (share / "doc" / "papershelf" / "changelog.gz").is_file()
    assert (share / "man" / "man1" / "papershelf.1.gz").is_file()


def test_deb_smoke_test(deb_root, tmp_path):
    _assert_passed(_smoke(deb_root / "opt" / "papershelf" / "papershelf", tmp_path))


def test_deb_libraries_all_resolve(deb_root):
    """With the Depends installed (they are on the build machine), every bundled binary finds its libraries."""
    if not shutil.which("ldd"):
        pytest.skip("ldd is not available")
    internal = deb_root / "opt" / "papershelf" / "_internal"
    assert _unresolved(deb_root / "opt", [internal, internal / "PySide6" / "Qt" / "lib"]) == []
