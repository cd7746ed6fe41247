from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.core.db.base import Base


class CompressionReportRow(Base):
    """One compression run or evaluation of a model version: the recipe, where the result went, and the
    measured rows (the original first, as EvalResult dicts in JSON). Model ids are the vault's; there is no
    foreign key so that a report outlives a deleted model as history."""

    __tablename__ = "compression_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # compress | eval
    model_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    model_name: Mapped[str] = mapped_column(String(200), nullable=False)
    source_version: Mapped[int] = mapped_column(Integer, nullable=False)
    result_model_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    result_model_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    result_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    recipe_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    dataset: Mapped[str | None] = mapped_column(String(200), nullable=True)
    split: Mapped[str | None] = mapped_column(String(10), nullable=True)
    results_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    log_json: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
