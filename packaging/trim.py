"""What the frozen build leaves out: torch's tests and C++ headers, Qt plugins the studio does not use,
and Qt modules it never imports. Used by studio.spec; tests/packaging checks the result still works."""

from __future__ import annotations

import re

# Qt plugin folders the studio needs; every other plugin folder is dropped.
QT_PLUGINS_KEPT = {"platforms", "imageformats", "iconengines", "xcbglintegrations", "platformthemes",
                   "styles", "wayland-shell-integration", "wayland-decoration-client",
                   "wayland-graphics-integration-client", "egldeviceintegrations", "tls"}
QT_PLATFORMS_KEPT = ("xcb", "offscreen", "wayland", "minimal", "cocoa", "windows")

_DROP_DATA = [
    re.compile(r"^torch/include/"),
    re.compile(r"^torch/share/cmake/"),
    re.compile(r"(^|/)tests?/"),
    re.compile(r"^torch/testing/_internal/"),
    re.compile(r"^PySide6/Qt/qml/"),
    re.compile(r"^PySide6/Qt/resources/qtwebengine"),
    re.compile(r"^PySide6/(include|typesystems|glue|scripts|support)/"),
    re.compile(r"^PySide6/[^/]+\.pyi$"),
    re.compile(r"^pyarrow/include/"),
]
_DROP_BIN_QT_MODULES = re.compile(
    r"(Qt6?(Quick|Qml|WebEngine|3D|Designer|Multimedia|Pdf|Charts|DataVisualization|Graphs|Sensors|"
    r"SerialPort|Bluetooth|Nfc|Positioning|Location|RemoteObjects|Scxml|StateMachine|TextToSpeech|"
    r"VirtualKeyboard|WebChannel|WebSockets|HttpServer|SpatialAudio|ShaderTools|Help|Sql|Test|UiTools|"
    r"Concurrent|Bodymovin|Lottie|CanvasPainter|LabsAnimation|LanguageServer))"
)


def _qt_plugin_kept(path: str) -> bool:
    match = re.search(r"PySide6/Qt/plugins/([^/]+)/([^/]+)$", path)
    if not match:
        return True
    folder, name = match.groups()
    if folder not in QT_PLUGINS_KEPT:
        return False
    if folder == "platforms":
        return any(p in name for p in QT_PLATFORMS_KEPT)
    if folder == "platformthemes":
        return "xdgdesktopportal" in name  # the GTK theme plugin needs GTK, which we do not ship
    if folder == "imageformats":
        return any(p in name for p in ("qsvg", "qico", "qjpeg", "qgif"))
    return True


def keep_data(dest: str) -> bool:
    dest = dest.replace("\\", "/")
    if any(p.search(dest) for p in _DROP_DATA):
        return False
    return _qt_plugin_kept(dest)


# pyarrow is used for reading Parquet only: no Flight RPC, Substrait, S3 or Gandiva.
_DROP_BIN_PYARROW = re.compile(r"pyarrow/.*(flight|substrait|_s3|arrow_s3|gandiva)")


def keep_binary(dest: str) -> bool:
    dest = dest.replace("\\", "/")
    if _DROP_BIN_PYARROW.search(dest):
        return False
    if "PySide6/" in dest and _DROP_BIN_QT_MODULES.search(dest.rsplit("/", 1)[-1]):
        return False
    if dest.startswith("torch/include/") or "/tests/" in dest:
        return False
    return _qt_plugin_kept(dest)
