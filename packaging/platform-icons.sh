#!/usr/bin/env bash
# Regenerate the Windows and macOS icons from resources/icons/papershelf-*.png
# (which packaging/render_icons.py renders from the SVG). Run after the icon
# changes and commit the results; builds use the committed files.
#
#   resources/icons/papershelf.ico   16-256 px, for the .exe, the installer and Start-menu entries
#   packaging/macos/papershelf.icns  16-512 px, for the .app bundle and the .dmg
#
# Needs ImageMagick's `convert` and `png2icns` (Debian: imagemagick, icnsutils).
set -euo pipefail
cd "$(dirname "$0")/.."
icons=resources/icons

convert "$icons"/papershelf-{16,32,48,64,128,256}.png "$icons/papershelf.ico"
png2icns packaging/macos/papershelf.icns "$icons"/papershelf-{16,32,48,128,256,512}.png >/dev/null
echo "$icons/papershelf.ico"
echo "packaging/macos/papershelf.icns"
