from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class SettingRow(Base):
    """Application settings that belong to the data folder (not to one GUI): JSON values by key."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text, nullable=False)
