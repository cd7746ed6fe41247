from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from studio.core.db import Database
from studio.core.db.tables.settings import SettingRow


class SettingsStore:
    """Settings of the data folder (shared by the GUI, the CLI and workers), JSON values by key."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        with self._db.session() as s:
            row = s.get(SettingRow, key)
            return default if row is None else json.loads(row.value_json)

    def set(self, key: str, value: Any) -> None:
        encoded = json.dumps(value, sort_keys=True)
        with self._db.session() as s:
            row = s.get(SettingRow, key)
            if row is None:
                s.add(SettingRow(key=key, value_json=encoded))
            else:
                row.value_json = encoded

    def all(self) -> dict[str, Any]:
        with self._db.session() as s:
            return {r.key: json.loads(r.value_json) for r in s.scalars(select(SettingRow))}
