"""Where the studio keeps its state: one data folder.

The default is the platform's user data folder (platformdirs); `--data-dir DIR` or the environment
variable STUDIO_DATA_DIR override it, the flag winning over the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "ModelStudio"
ENV_DATA_DIR = "STUDIO_DATA_DIR"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(flag: str | os.PathLike[str] | None = None) -> Path:
    if flag:
        return Path(flag).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


@dataclass(frozen=True)
class DataPaths:
    """The layout of a data folder. Later parts of the studio add their folders here, not elsewhere."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "studio.db"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "studio.log"

    @property
    def audit_anchor(self) -> Path:
        """The audit log's head anchor, kept outside studio.db (studio.core.security.anchor)."""
        return self.root / "audit-anchor.db"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def staging(self) -> Path:
        """Notes of exports being written beside their destinations (fsutil.staged_output's journal)."""
        return self.root / "staging"

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def run_dir(self, run_id: int) -> Path:
        """A training run's folder: its log (run.log) and its worker's lock. The id comes from the database:
        confined to the runs folder like every path made from database content (studio.core.safepaths)."""
        from studio.core.safepaths import confined

        return confined(self.runs, str(int(run_id)), what="run folder")

    @property
    def gui_settings(self) -> Path:
        return self.root / "gui-settings.ini"

    def ensure(self) -> DataPaths:
        for folder in (self.root, self.logs, self.backups, self.vault, self.datasets, self.runs):
            folder.mkdir(parents=True, exist_ok=True)
        return self
