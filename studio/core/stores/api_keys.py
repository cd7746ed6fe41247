"""API keys as frozen dataclasses (the key itself is never stored; see security/apikeys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio.core.db.tables.api_keys import ApiKeyRow


@dataclass(frozen=True)
class ApiKey:
    id: int
    user_id: int
    user_name: str
    name: str
    prefix: str  # the first characters of the key, e.g. "msk_Ab3dE9xQ"
    rate_per_min: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    status: str  # active | expired | revoked | voided (password reset) | tampered | unverified

    @property
    def usable(self) -> bool:
        return self.status == "active"


def to_api_key(row: ApiKeyRow, user_name: str, status: str) -> ApiKey:
    return ApiKey(row.id, row.user_id, user_name, row.name, row.prefix, row.rate_per_min, row.created_at,
                  row.expires_at, row.revoked_at, status)
