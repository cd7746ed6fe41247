"""The application log: a rotating file in the data folder.

Nothing secret is ever passed to a logger (passwords, keys, tokens, weights); the accounts and vault code
are written so, and a test searches the log files for the test secrets.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"


def configure_logging(log_file: Path, level: int = logging.INFO) -> Path:
    """Send the `studio` loggers to a rotating file (5 x 2 MB). Safe to call more than once."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("studio")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if getattr(handler, "_studio_file", None) is not None:
            if handler._studio_file == str(log_file):  # type: ignore[attr-defined]
                return log_file
            logger.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler._studio_file = str(log_file)  # type: ignore[attr-defined]
    logger.addHandler(handler)
    return log_file
