#!/usr/bin/env bash
# Build the Debian package from the one-folder build.
#   packaging/linux/build_deb.sh DIST_DIR PYTHON
# DIST_DIR holds model-studio/ (the PyInstaller folder); the .deb is written next to it.
# Layout: /opt/model-studio (the app), /usr/bin/studio (a link), the .desktop entry and hicolor icons.
# User data lives in each user's data folder (~/.local/share/ModelStudio) and is never touched by
# installing, upgrading or removing the package.
set -euo pipefail
dist=$(cd "$1" && pwd)
python=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$("$python" -c "import sys; sys.path.insert(0, '$root'); import studio; print(studio.__version__)")
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
stage="$dist/deb/model-studio_${version}_${arch}"
rm -rf "$dist/deb"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" "$stage/usr/share/doc/model-studio"
cp -a "$dist/model-studio" "$stage/opt/model-studio"
ln -s /opt/model-studio/studio "$stage/usr/bin/studio"
install -m 644 "$here/model-studio.desktop" "$stage/usr/share/applications/model-studio.desktop"
"$python" "$root/packaging/render_icons.py" "$dist/icons" >/dev/null
for png in "$dist"/icons/*x*.png; do
  size=$(basename "$png" .png)
  mkdir -p "$stage/usr/share/icons/hicolor/$size/apps"
  install -m 644 "$png" "$stage/usr/share/icons/hicolor/$size/apps/model-studio.png"
done
cat > "$stage/usr/share/doc/model-studio/copyright" <<TXT
Model Studio $version. Licensed under the Apache License 2.0.
Bundles Python, PyTorch, Qt (LGPLv3, via PySide6), SQLAlchemy, cryptography and other open-source
libraries under their own licences.
TXT
installed_kb=$(du -sk "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<TXT
Package: model-studio
Version: $version
Section: science
Priority: optional
Architecture: $arch
Installed-Size: $installed_kb
Maintainer: Model Studio developers <studio@localhost>
Depends: libc6, libegl1, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0
Description: desktop studio for the whole local life of a language model
 Import datasets, train GPT models in a background process with live plots, prune and quantize them,
 keep every model encrypted at rest, manage local users and grants, and browse a tamper-evident
 audit log. Everything runs on this machine.
TXT
cat > "$stage/DEBIAN/postinst" <<'TXT'
#!/bin/sh
set -e
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
exit 0
TXT
cat > "$stage/DEBIAN/postrm" <<'TXT'
#!/bin/sh
# User data folders (~/.local/share/ModelStudio) are never removed: they hold encrypted models and the
# audit log. Remove one by hand after exporting what you need.
set -e
exit 0
TXT
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
deb="$dist/model-studio_${version}_${arch}.deb"
# zstd keeps the build fast; dpkg >= 1.21 reads it (Debian 12, Ubuntu 22.04 and later).
dpkg-deb --root-owner-group -Zzstd -z3 --build "$stage" "$deb" >/dev/null
rm -rf "$dist/deb"
echo "$deb"
