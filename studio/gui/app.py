"""Start the desktop application: QApplication, theme, translations, the data folder, the main window."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from argparse import Namespace

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from studio import __version__
from studio.core.errors import StudioError
from studio.core.resources import resource_path
from studio.gui import theme
from studio.gui.context import AppContext
from studio.gui.errors import CrashReporter
from studio.gui.i18n import error_text, install_translations
from studio.gui.settings import gui_settings

log = logging.getLogger("studio.gui")

# Set by bench/startup.py: print the time the first window was shown, then quit.
BENCH_ENV = "STUDIO_BENCH_STARTUP"


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Model Studio")
    app.setOrganizationName("ModelStudio")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("icons", "studio.svg"))))
    return app


def build_window(app: QApplication, data_dir=None, theme_mode: str | None = None, language: str | None = None):
    """Open the data folder and build the main window (not yet shown). Used by run_gui and the GUI tests."""
    from studio.core.services import Studio
    from studio.gui.main_window import MainWindow

    studio = Studio.open(data_dir)
    settings = gui_settings(studio.paths)
    install_translations(app, language or settings.value("language", "system"))
    theme.apply_theme(app, theme_mode or settings.value("theme", "system"))
    theme.follow_system(app)
    ctx = AppContext(studio, settings)
    return MainWindow(ctx)


def settle_heap() -> None:
    """Everything made at start-up lives as long as the window: move it out of the cyclic collector's
    reach, so that a full collection stays short. Without this one took 50-140 ms, a visible stall while
    scrolling the audit log (bench/audit.py)."""
    gc.freeze()


def run_gui(args: Namespace) -> int:
    app = create_application()
    try:
        window = build_window(app, args.data_dir, args.theme, args.lang)
    except StudioError as error:
        QMessageBox.critical(None, QCoreApplication.translate("App", "Model Studio cannot start"), error_text(error))
        return error.exit_code
    settle_heap()
    reporter = CrashReporter(window.ctx.studio.paths.log_file)
    reporter.install()
    window.show()
    if os.environ.get(BENCH_ENV):
        def shown() -> None:
            print(f"first-window-shown {time.time():.6f}", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)
    code = app.exec()
    window.ctx.studio.close()
    return code
