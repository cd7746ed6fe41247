#!/usr/bin/env bash
# Linux AppImage from the PyInstaller folder build. Needs appimagetool
# (https://github.com/AppImage/appimagetool/releases) on PATH; it is not fetched by this script.
#   make package && packaging/appimage/build_appimage.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dist="$root/dist"
version=$(python3 -c "import sys; sys.path.insert(0, '$root'); import studio; print(studio.__version__)")
appdir="$dist/ModelStudio.AppDir"
rm -rf "$appdir"
mkdir -p "$appdir/usr/lib"
cp -a "$dist/model-studio" "$appdir/usr/lib/model-studio"
cp "$root/packaging/linux/model-studio.desktop" "$appdir/model-studio.desktop"
cp "$dist/icons/256x256.png" "$appdir/model-studio.png"
cat > "$appdir/AppRun" <<'RUN'
#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
exec "$here/usr/lib/model-studio/studio" "$@"
RUN
chmod 755 "$appdir/AppRun"
ARCH=x86_64 appimagetool "$appdir" "$dist/ModelStudio-$version-x86_64.AppImage"
