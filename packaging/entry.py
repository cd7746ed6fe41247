"""Entry point of the frozen application (PyInstaller): the same `studio` command as from source."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from studio.cli.main import main

    sys.exit(main())
