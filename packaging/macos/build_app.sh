#!/usr/bin/env bash
# macOS: wrap the PyInstaller folder build into Model Studio.app and a .dmg. Run on a Mac after
# `make package` (which on macOS runs only the PyInstaller step). Signing and notarisation: see
# docs/packaging.md; without them Gatekeeper asks the user to confirm the first start.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist="$root/dist"
version=$(python3 -c "import sys; sys.path.insert(0, '$root'); import studio; print(studio.__version__)")
app="$dist/Model Studio.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp -a "$dist/model-studio/." "$app/Contents/MacOS/"
# Icon: render PNGs with packaging/render_icons.py, then build an .icns with iconutil.
python3 "$root/packaging/render_icons.py" "$dist/icons"
iconset="$dist/studio.iconset"; rm -rf "$iconset"; mkdir -p "$iconset"
for s in 16 32 128 256 512; do cp "$dist/icons/${s}x${s}.png" "$iconset/icon_${s}x${s}.png"; done
iconutil -c icns "$iconset" -o "$app/Contents/Resources/studio.icns"
cat > "$app/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>CFBundleName</key><string>Model Studio</string>
  <key>CFBundleIdentifier</key><string>org.modelstudio.studio</string>
  <key>CFBundleVersion</key><string>$version</string>
  <key>CFBundleShortVersionString</key><string>$version</string>
  <key>CFBundleExecutable</key><string>studio</string>
  <key>CFBundleIconFile</key><string>studio.icns</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>LSMinimumSystemVersion</key><string>12.0</string>
  <key>NSHighResolutionCapable</key><true/>
</dict></plist>
PLIST
# Optional signing: export MACOS_SIGN_ID="Developer ID Application: ..." before running.
if [ -n "${MACOS_SIGN_ID:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$MACOS_SIGN_ID" "$app"
fi
dmg="$dist/model-studio-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "Model Studio" -srcfolder "$app" -ov -format UDZO "$dmg"
echo "$dmg"
