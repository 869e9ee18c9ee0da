#!/usr/bin/env bash
# The Debian packages `make package` needs on the build machine, installed when missing.
#
# * The libraries Qt's xcb and Wayland platform plugins link. PyInstaller must
#   find them to bundle them into the .tar.gz (it fails the build otherwise,
#   see build.py), and dpkg-shlibdeps must find them to turn them into the
#   .deb's Depends.
# * The tools: dpkg-dev (dpkg-shlibdeps), binutils (strip, objdump), patchelf
#   (cleans RUNPATHs), and the
#   validators lintian, desktop-file-utils and appstream.
#
# * With Debian's own Python (the argument, the Python that will run
#   PyInstaller, lives in /usr/bin): its shared libpython, which PyInstaller
#   bundles and Debian's python3 package does not install.
#
# As root on Debian or Ubuntu this installs what is missing (apt-get update
# only when something is). Otherwise it names what is missing and exits 1.
#
#   packaging/linux/install-build-deps.sh [PYTHON]
set -euo pipefail

RUNTIME_LIBS=(
    libxcb1 libx11-6 libx11-xcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
    libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
    libxcb-xfixes0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
    libwayland-client0 libwayland-cursor0 libwayland-egl1
    libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
)
TOOLS=(binutils dpkg-dev file patchelf lintian desktop-file-utils appstream)

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-build-deps: not a Debian-based system; install the equivalents of: ${RUNTIME_LIBS[*]} ${TOOLS[*]}" >&2
    exit 1
fi

PYTHON_LIB=()
if [[ -n ${1:-} ]]; then
    real=$("$1" -c 'import os, sys; print(os.path.realpath(sys.executable))')
    if [[ $real == /usr/bin/* ]]; then
        PYTHON_LIB=("libpython$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
    fi
fi

missing=()
for pkg in "${RUNTIME_LIBS[@]}" "${TOOLS[@]}" "${PYTHON_LIB[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-build-deps: missing Debian packages; run as root:" >&2
    echo "    apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "install-build-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
