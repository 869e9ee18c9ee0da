#!/usr/bin/env bash
# macOS: build Papershelf.app from packaging/papershelf.spec, smoke-test it, and wrap it in a .dmg.
#
#   packaging/macos/build.sh            (from any folder; uses the Python on PATH, or $PYTHON)
#
# Needs: Python 3.10+ with `pip install -e '.[package]'` done, Xcode command line tools (hdiutil,
# codesign, vtool). Output: dist/Papershelf.app and dist/papershelf-VERSION-macos-ARCH.dmg.
#
# Signing and notarization are off unless the variables below are set (see "SIGNING" further down):
#   MACOS_SIGN_IDENTITY   "Developer ID Application: Name (TEAMID)", in the login or CI keychain
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   for notarytool (an app-specific password)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}

VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' desktop/papershelf/__init__.py)
ARCH=$(uname -m)
APP=dist/Papershelf.app
DMG=dist/papershelf-$VERSION-macos-$ARCH.dmg

mkdir -p build
"$PYTHON" -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/papershelf.spec \
    2>&1 | tee build/pyinstaller-macos.log
test -d "$APP"
/usr/libexec/PlistBuddy -c "Print :CFBundleIdentifier" "$APP/Contents/Info.plist"
/usr/libexec/PlistBuddy -c "Print :LSMinimumSystemVersion" "$APP/Contents/Info.plist"

# The app as users get it: headless round trip through import, the main window and a BibTeX export.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/papershelf" --smoke-test

# ---------------------------------------------------------------------------------------------------
# SIGNING (placeholder; runs only when MACOS_SIGN_IDENTITY is set). PyInstaller already signed the
# bundle ad hoc, which is enough to run on the build machine but not to pass Gatekeeper elsewhere.
if [[ -n "${MACOS_SIGN_IDENTITY:-}" ]]; then
    codesign --force --deep --timestamp --options runtime \
        --entitlements packaging/macos/entitlements.plist \
        --sign "$MACOS_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi
# ---------------------------------------------------------------------------------------------------

# The disk image: the app and a link to /Applications to drag it onto.
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$APP" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$DMG"
hdiutil create -volname "Papershelf $VERSION" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$DMG"

# ---------------------------------------------------------------------------------------------------
# NOTARIZATION (placeholder; runs only when the identity and the Apple ID variables are all set).
if [[ -n "${MACOS_SIGN_IDENTITY:-}" && -n "${APPLE_ID:-}" && -n "${APPLE_TEAM_ID:-}" && -n "${APPLE_APP_PASSWORD:-}" ]]; then
    codesign --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
    xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$DMG"
fi
# ---------------------------------------------------------------------------------------------------

ls -l "$DMG"
