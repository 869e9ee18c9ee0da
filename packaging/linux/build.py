"""Build, check and smoke-test the Linux installers: ``make package`` runs this.

    .venv/bin/python packaging/linux/build.py

Writes to ``dist/``:

* ``papershelf-VERSION-linux-x86_64.tar.gz``: the PyInstaller onedir bundle
  (``packaging/papershelf.spec``) in a folder ``papershelf-VERSION/`` with the
  ``papershelf`` executable at its top. Self-contained but for glibc, OpenGL
  and libxcb themselves, like any Qt app.
* ``papershelf_VERSION_amd64.deb``: the same bundle under ``/opt/papershelf``
  with ``/usr/bin/papershelf``, the desktop entry, icons, AppStream metainfo
  and a man page. Libraries that Debian ships are left out of it and become
  Depends (computed by ``dpkg-shlibdeps``), so they get Debian's security
  updates.

Every step fails the build when it finds a problem: the desktop entry and
metainfo validators, an unresolved library in PyInstaller's log or in the
bundle, the size budget, ``papershelf --smoke-test`` run from the unpacked
.tar.gz and from the unpacked .deb, and lintian.

The machine needs the packages ``install-build-deps.sh`` installs (``make
package`` runs it first).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEBIAN = HERE / "debian"
RESOURCES = ROOT / "resources"
DIST = ROOT / "dist"
WORK = ROOT / "build"
PYI_WORK = WORK / "pyinstaller"
BUNDLE = DIST / "papershelf"
APP_ID = "io.github.papershelf.Papershelf"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
TARBALL_BUDGET = 75_000_000  # bytes; the floor, a bare PySide6-Essentials window bundled alike, is ~62 MB
MAINTAINER = os.environ.get("PAPERSHELF_MAINTAINER", "The Papershelf developers <papershelf@users.noreply.github.com>")


class BuildError(Exception):
    """A check failed; the message says which and why."""


def version() -> str:
    text = (ROOT / "desktop" / "papershelf" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def source_date_epoch() -> int:
    """The last commit's time, so that rebuilding the same commit gives the same archives."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True)
        return int(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return int(time.time())


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], **kwargs)


def step(name: str):
    """Decorator: print the step, time it, turn failures into BuildError."""

    def wrap(fn):
        def inner(*args, **kwargs):
            print(f"==> {name}", flush=True)
            start = time.monotonic()
            result = fn(*args, **kwargs)
            print(f"    {name}: done in {time.monotonic() - start:.1f} s", flush=True)
            return result

        return inner

    return wrap


# --- Checks on the sources ------------------------------------------------------------------------------------


@step("validate the desktop entry and the AppStream metainfo")
def validate_resources() -> None:
    desktop = RESOURCES / "papershelf.desktop"
    metainfo = RESOURCES / f"{APP_ID}.metainfo.xml"
    for path in (desktop, metainfo, RESOURCES / "icons" / "papershelf.svg", *icon_pngs().values()):
        if not path.is_file():
            raise BuildError(f"{path.relative_to(ROOT)} is missing")
    out = run(["desktop-file-validate", desktop], capture_output=True, text=True)
    report = (out.stdout + out.stderr).strip()
    if report:
        print("    " + report.replace("\n", "\n    "))
    # Errors and warnings fail; a "hint" is advice only.
    if out.returncode != 0 or re.search(r": (error|warning): ", report):
        raise BuildError(f"desktop-file-validate {desktop.name} failed")
    out = run(["appstreamcli", "validate", "--no-net", "--explain", metainfo], capture_output=True, text=True)
    print("    " + (out.stdout + out.stderr).strip().replace("\n", "\n    "))
    if out.returncode != 0:
        raise BuildError(f"appstreamcli validate {metainfo.name} failed")
    changelog = (DEBIAN / "changelog").read_text(encoding="utf-8")
    top = re.match(r"papershelf \(([^)]+)\)", changelog)
    if not top or top.group(1) != version():
        raise BuildError(
            f"packaging/linux/debian/changelog starts with version {top.group(1) if top else '?'}, "
            f"the app is {version()}: add a changelog entry"
        )


def icon_pngs() -> dict[int, Path]:
    return {size: RESOURCES / "icons" / f"papershelf-{size}.png" for size in ICON_SIZES}


# --- The bundle -----------------------------------------------------------------------------------------------


@step("PyInstaller (packaging/papershelf.spec)")
def pyinstaller() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "pyinstaller.log"
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "INFO",
        "--distpath",
        DIST,
        "--workpath",
        PYI_WORK,
        ROOT / "packaging" / "papershelf.spec",
    ]
    with open(log, "w", encoding="utf-8") as fh:
        result = run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        raise BuildError("PyInstaller failed; the end of build/pyinstaller.log:\n" + "\n".join(tail))
    return log


_UNRESOLVED = re.compile(r"Library not found: could not resolve '([^']+)', dependency of '([^']+)'")


@step("check PyInstaller's log and the bundle for unresolved libraries")
def check_libraries(log: Path) -> None:
    """Fail on an unresolved libxcb-*, or on anything unresolved that a shipped binary needs.

    PyInstaller only warns when a library cannot be found, and the bundle then
    fails on the user's machine (Qt's xcb plugin needs a dozen libxcb-*
    libraries that minimal systems lack). Warnings about plugins the spec
    leaves out anyway (the GTK 3 theme) are reported but do not fail.
    """
    problems, notes = unresolved_in_log(log.read_text(encoding="utf-8", errors="replace"), bundle_manifest())
    for line in notes:
        print(f"    note: unresolved, but its user is not shipped: {line}")
    # Then ask the dynamic linker about every shipped binary, as the bundle will run.
    internal = BUNDLE / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}")
    for path in sorted(p for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)):
        out = run(["ldd", path], capture_output=True, text=True, env=env)
        for name in re.findall(r"^\s*(\S+) => not found", out.stdout, re.M):
            problems.append(f"{name} (needed by {path.relative_to(BUNDLE)}; ldd)")
    if problems:
        raise BuildError(
            "unresolved libraries (install them on the build machine: packaging/linux/install-build-deps.sh):\n  "
            + "\n  ".join(sorted(set(problems)))
        )


def unresolved_in_log(log_text: str, manifest: list[str]) -> tuple[list[str], list[str]]:
    """(problems, notes) from PyInstaller's "could not resolve" warnings.

    A problem: any unresolved ``libxcb*``, or a library that a shipped binary
    (by its source path or its name in ``manifest``) needs. A note: a library
    needed only by something the spec leaves out.
    """
    shipped_sources = {line.split("\t")[1] for line in manifest}
    shipped_names = {Path(line.split("\t")[0]).name for line in manifest}
    problems, notes = [], []
    for missing, needed_by in _UNRESOLVED.findall(log_text):
        line = f"{missing} (needed by {needed_by})"
        if missing.startswith("libxcb") or needed_by in shipped_sources or Path(needed_by).name in shipped_names:
            problems.append(line)
        else:
            notes.append(line)
    return problems, notes


def bundle_manifest() -> list[str]:
    """``dest\\tsource\\ttype`` lines for every binary in the bundle, written by the spec."""
    return (PYI_WORK / "papershelf" / "bundle-binaries.tsv").read_text(encoding="utf-8").splitlines()


def is_elf(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"\x7fELF"


@step("remove the build machine's library paths (RUNPATH) from the bundle")
def clean_runpaths() -> None:
    """Python built outside /usr (pyenv, python.org builds) leaves its lib folder in RUNPATH: drop it.

    Only ``$ORIGIN``-relative entries (Qt's) are kept. A bundle must not look
    for libraries in a folder of the machine it was built on.
    """
    changed = 0
    for path in sorted(p for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)):
        out = run(["patchelf", "--print-rpath", path], capture_output=True, text=True)
        if out.returncode != 0 or not out.stdout.strip():
            continue
        entries = out.stdout.strip().split(":")
        keep = [e for e in entries if e.startswith("$ORIGIN")]
        if keep == entries:
            continue
        cmd = ["patchelf", "--set-rpath", ":".join(keep), path] if keep else ["patchelf", "--remove-rpath", path]
        if run(cmd, capture_output=True).returncode != 0:
            raise BuildError(f"patchelf could not clean the RUNPATH of {path.relative_to(BUNDLE)}")
        changed += 1
    print(f"    cleaned {changed} files")


# --- The .tar.gz ----------------------------------------------------------------------------------------------


def _tar_filter(epoch: int):
    def normalize(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = epoch
        if not info.issym():
            info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
        return info

    return normalize


def _add_sorted(tar: tarfile.TarFile, src: Path, arcname: str, epoch: int) -> None:
    tar.add(src, arcname=arcname, recursive=False, filter=_tar_filter(epoch))
    if src.is_dir() and not src.is_symlink():
        for child in sorted(src.iterdir()):
            _add_sorted(tar, child, f"{arcname}/{child.name}", epoch)


@step("the .tar.gz")
def make_tarball(ver: str, epoch: int) -> Path:
    out = DIST / f"papershelf-{ver}-linux-x86_64.tar.gz"
    with (
        open(out, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=epoch) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _add_sorted(tar, BUNDLE, f"papershelf-{ver}", epoch)
    size = out.stat().st_size
    print(f"    {out.relative_to(ROOT)}: {size / 1e6:.1f} MB (budget {TARBALL_BUDGET / 1e6:.0f} MB)")
    if size > TARBALL_BUDGET:
        raise BuildError(f"{out.name} is {size / 1e6:.1f} MB, over the {TARBALL_BUDGET / 1e6:.0f} MB budget")
    return out


# --- The .deb -------------------------------------------------------------------------------------------------


def _dpkg_owned(path: str) -> bool:
    """Whether a Debian package installed this file (tries the /usr-merged spellings too)."""
    real = os.path.realpath(path)
    candidates = {path, real}
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.add(p[len("/usr") :])
        elif p.startswith("/lib/"):
            candidates.add("/usr" + p)
    return any(run(["dpkg", "-S", c], capture_output=True).returncode == 0 for c in candidates)


def system_libraries() -> list[str]:
    """Bundle paths of the libraries PyInstaller copied from the system's Debian packages."""
    found = []
    for line in bundle_manifest():
        dest, src, _kind = line.split("\t")
        if "/" in dest or not dest.startswith("lib") or dest.startswith("libpython"):
            continue  # Python modules, Qt's own libraries and plugins, and libpython (the bootloader loads it by path)
        if src.startswith(("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")) and _dpkg_owned(src):
            found.append(dest)
    return found


def _normalize_modes(tree: Path) -> None:
    """Debian's modes: 755 folders and programs, 644 everything else (shared libraries included)."""
    for path in [tree, *tree.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        elif path.name.endswith(".so") or ".so." in path.name or not os.access(path, os.X_OK):
            path.chmod(0o644)
        else:
            path.chmod(0o755)


def _gzip_file(src: Path, dest: Path) -> None:
    with (
        open(src, "rb") as fin,
        open(dest, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz,  # gzip -9n
    ):
        gz.write(fin.read())


def _shlib_depends(root: Path, opt: Path) -> str:
    """The Depends that dpkg-shlibdeps computes for every ELF file in the package."""
    elves = sorted(p for p in opt.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p))
    private = sorted({str(p.parent) for p in elves if ".so" in p.name})
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "debian").mkdir()
        (Path(tmp) / "debian" / "control").write_text(
            "Source: papershelf\n\nPackage: papershelf\nArchitecture: amd64\n", encoding="utf-8"
        )
        cmd = ["dpkg-shlibdeps", "-O", f"-S{root}", *(f"-l{d}" for d in private), *(f"-e{p}" for p in elves)]
        out = run(cmd, capture_output=True, text=True, cwd=tmp)
    warnings = [line for line in out.stderr.splitlines() if line.strip()]
    if out.returncode != 0:
        raise BuildError("dpkg-shlibdeps failed:\n  " + "\n  ".join(warnings[-20:]))
    noise = (
        "could avoid a useless dependency",  # links inside Qt's and Python's own builds
        "unresolvable reference to symbol",  # Python modules use libpython's symbols, resolved at load time
        "other similar warnings have been skipped",
    )
    for line in warnings:
        if not any(n in line for n in noise):
            print(f"    {line}")
    match = re.search(r"^shlibs:Depends=(.*)$", out.stdout, re.M)
    if not match:
        raise BuildError("dpkg-shlibdeps gave no Depends")
    return match.group(1)


@step("the .deb")
def make_deb(ver: str, epoch: int) -> Path:
    root = WORK / "deb" / "root"
    if root.exists():
        shutil.rmtree(root)
    opt = root / "opt" / "papershelf"
    shutil.copytree(BUNDLE, opt, symlinks=True)
    dropped = system_libraries()
    for dest in dropped:
        for path in (opt / "_internal" / dest,):
            if path.exists() or path.is_symlink():
                path.unlink()
    for link in [p for p in opt.rglob("*") if p.is_symlink() and not p.exists()]:
        link.unlink()  # symlinks to libraries left out
    print(f"    left out {len(dropped)} libraries that Debian packages provide")

    usr = root / "usr"
    (usr / "bin").mkdir(parents=True)
    (usr / "bin" / "papershelf").symlink_to("/opt/papershelf/papershelf")  # across top-level folders: absolute
    share = usr / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(RESOURCES / "papershelf.desktop", share / "applications" / "papershelf.desktop")
    (share / "metainfo").mkdir()
    shutil.copy(RESOURCES / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    for size, png in icon_pngs().items():
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy(png, folder / "papershelf.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(RESOURCES / "icons" / "papershelf.svg", scalable / "papershelf.svg")
    (share / "man" / "man1").mkdir(parents=True)
    _gzip_file(HERE / "papershelf.1", share / "man" / "man1" / "papershelf.1.gz")
    doc = share / "doc" / "papershelf"
    doc.mkdir(parents=True)
    shutil.copy(DEBIAN / "copyright", doc / "copyright")
    _gzip_file(DEBIAN / "changelog", doc / "changelog.gz")  # a native package: changelog.gz
    (share / "lintian" / "overrides").mkdir(parents=True)
    shutil.copy(DEBIAN / "lintian-overrides", share / "lintian" / "overrides" / "papershelf")
    _normalize_modes(root)
    for exe in (opt / "papershelf",):
        exe.chmod(0o755)

    control_dir = root / "DEBIAN"
    control_dir.mkdir()  # dpkg-shlibdeps finds the package root (and so its private libraries) by it
    depends = _shlib_depends(root, opt)
    installed_kb = sum((p.stat().st_size + 1023) // 1024 for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    control = (DEBIAN / "control.in").read_text(encoding="utf-8")
    for key, value in {
        "VERSION": ver,
        "MAINTAINER": MAINTAINER,
        "INSTALLED_SIZE": str(installed_kb),
        "DEPENDS": depends,
    }.items():
        control = control.replace(f"@{key}@", value)
    (control_dir / "control").write_text(control, encoding="utf-8")
    md5 = []
    for path in sorted(
        p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and control_dir not in p.parents
    ):
        md5.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}\n")
    (control_dir / "md5sums").write_text("".join(md5), encoding="utf-8")
    for path in control_dir.iterdir():
        path.chmod(0o644)
    control_dir.chmod(0o755)

    out = DIST / f"papershelf_{ver}_amd64.deb"
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    result = run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, out], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise BuildError(f"dpkg-deb failed: {result.stderr.strip()}")
    print(f"    {out.relative_to(ROOT)}: {out.stat().st_size / 1e6:.1f} MB, installed {installed_kb / 1024:.1f} MiB")
    print(f"    Depends: {depends}")
    return out


# --- Checks on the results ------------------------------------------------------------------------------------


def smoke(executable: Path, label: str) -> None:
    """``papershelf --smoke-test`` in a clean environment; raises BuildError on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERSHELF_", "PYTHON", "LD_LIBRARY_PATH"))}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = run([executable, "--smoke-test"], capture_output=True, text=True, env=env, timeout=300)
    output = (result.stdout + result.stderr).strip()
    print("    " + output.replace("\n", "\n    "))
    if result.returncode != 0:
        raise BuildError(f"smoke test of the {label} failed (exit {result.returncode})")


@step("smoke test: the unpacked .tar.gz")
def smoke_tarball(tarball: Path, ver: str) -> None:
    with tempfile.TemporaryDirectory(prefix="papershelf-tar-") as tmp:
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="tar") if hasattr(tarfile, "data_filter") else tar.extractall(tmp)
        smoke(Path(tmp) / f"papershelf-{ver}" / "papershelf", ".tar.gz")


@step("smoke test: the .deb unpacked with dpkg -x")
def smoke_deb(deb: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="papershelf-deb-") as tmp:
        result = run(["dpkg", "-x", deb, tmp], capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"dpkg -x failed: {result.stderr.strip()}")
        link = Path(tmp) / "usr" / "bin" / "papershelf"
        if os.readlink(link) != "/opt/papershelf/papershelf":
            raise BuildError(f"/usr/bin/papershelf points to {os.readlink(link)}")
        smoke(Path(tmp) / "opt" / "papershelf" / "papershelf", ".deb")


@step("lintian")
def lintian(deb: Path) -> None:
    """Errors and warnings fail; the overrides (each explained) are in debian/lintian-overrides.

    Informational tags (I:) are summarized by name: on Qt's and Python's
    prebuilt binaries they are expected (no bindnow, unneeded ELF sections,
    "spelling errors" in Unicode tables).
    """
    result = run(["lintian", "--fail-on", "error,warning", "--display-info", deb], capture_output=True, text=True)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    info: dict[str, int] = {}
    for line in lines:
        match = re.match(r"I: \S+: (\S+)", line)
        if match:
            info[match.group(1)] = info.get(match.group(1), 0) + 1
        elif "running with root privileges" not in line:
            print(f"    {line}")
    if info:
        print("    informational: " + ", ".join(f"{tag} x{n}" for tag, n in sorted(info.items())))
    if result.returncode != 0:
        raise BuildError("lintian found errors or warnings")
    print("    no errors or warnings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lintian", action="store_true", help="for quick local iterations only")
    args = parser.parse_args(argv)
    ver, epoch = version(), source_date_epoch()
    start = time.monotonic()
    try:
        validate_resources()
        log = pyinstaller()
        check_libraries(log)
        clean_runpaths()
        tarball = make_tarball(ver, epoch)
        smoke_tarball(tarball, ver)
        deb = make_deb(ver, epoch)
        smoke_deb(deb)
        if not args.skip_lintian:
            lintian(deb)
    except BuildError as exc:
        print(f"package: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"package: done in {time.monotonic() - start:.0f} s:")
    for path in (tarball, deb):
        print(f"  {path.relative_to(ROOT)}  {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
