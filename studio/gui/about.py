"""Help -> About: versions of the studio, torch, Qt and the compute device. torch is slow to import
(2-3 s), so its line is filled in from a worker thread while the dialog is already open."""

from __future__ import annotations

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from studio import __version__
from studio.core import environment
from studio.gui.concurrent import Task


def _torch_summary(state=None) -> tuple[str, str]:
    info = environment.torch_info()
    return info.version, f"{info.device} ({info.device_name})"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Model Studio"))
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("<h2>Model Studio {version}</h2>").format(version=__version__))
        blurb = QLabel(
            self.tr(
                "Train, compress, encrypt and audit language models on your own machine. "
                "Nothing leaves this computer."
            )
        )
        blurb.setWordWrap(True)
        form = QFormLayout()
        self.torch_label = QLabel(self.tr("loading…"))
        self.device_label = QLabel(self.tr("loading…"))
        for w in (self.torch_label, self.device_label):
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("Studio"), QLabel(__version__))
        form.addRow(self.tr("Python"), QLabel(environment.python_version()))
        form.addRow(self.tr("Qt"), QLabel(self.tr("{qt} (PySide6 {pyside})").format(
            qt=qVersion(), pyside=environment.qt_version() or "?")))
        form.addRow(self.tr("PyTorch"), self.torch_label)
        form.addRow(self.tr("Device"), self.device_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._task = Task(_torch_summary, parent=self)
        self._task.sig_task_finished.connect(self._torch_ready)
        self._task.sig_task_failed.connect(self._torch_failed)
        self._task.start()

    def _torch_ready(self, result: tuple[str, str]) -> None:
        self.torch_label.setText(result[0])
        self.device_label.setText(result[1])

    def _torch_failed(self, error: Exception) -> None:
        self.torch_label.setText(self.tr("not available: {error}").format(error=error))
        self.device_label.setText("—")
