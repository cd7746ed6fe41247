"""Compression and evaluation reports (one row per run), as frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from studio.core.db.tables.compression import CompressionReportRow
from studio.core.errors import NotFoundError


@dataclass(frozen=True)
class CompressionReport:
    id: int
    kind: str  # compress | eval
    model_id: int
    model_name: str
    source_version: int
    result_model_id: int | None
    result_model_name: str | None
    result_version: int | None
    label: str
    recipe: dict[str, Any]
    dataset: str | None
    split: str | None
    results: tuple[dict[str, Any], ...]  # EvalResult dicts, the original first
    log: tuple[str, ...]
    created_by: int | None
    created_by_name: str
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def _report(row: CompressionReportRow) -> CompressionReport:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return CompressionReport(
        id=row.id, kind=row.kind, model_id=row.model_id, model_name=row.model_name,
        source_version=row.source_version, result_model_id=row.result_model_id,
        result_model_name=row.result_model_name, result_version=row.result_version, label=row.label,
        recipe=json.loads(row.recipe_json), dataset=row.dataset, split=row.split,
        results=tuple(json.loads(row.results_json)), log=tuple(json.loads(row.log_json)),
        created_by=row.created_by, created_by_name=row.created_by_name, created_at=created)


class CompressionStore:
    """Every query of compression_reports; each method works on the caller's session (an operation's)."""

    def add(self, s: Session, *, kind: str, model_id: int, model_name: str, source_version: int,
            label: str, recipe: dict[str, Any], results: list[dict[str, Any]], log: list[str],
            created_by: int | None, created_by_name: str, dataset: str | None = None, split: str | None = None,
            result_model_id: int | None = None, result_model_name: str | None = None,
            result_version: int | None = None) -> CompressionReport:
        row = CompressionReportRow(
            kind=kind, model_id=model_id, model_name=model_name, source_version=source_version,
            result_model_id=result_model_id, result_model_name=result_model_name, result_version=result_version,
            label=label, recipe_json=json.dumps(recipe, sort_keys=True), dataset=dataset, split=split,
            results_json=json.dumps(results, sort_keys=True, allow_nan=False, default=_plain),
            log_json=json.dumps(list(log)), created_by=created_by, created_by_name=created_by_name,
            created_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        return _report(row)

    def for_model(self, s: Session, model_id: int) -> list[CompressionReport]:
        """Reports made from this model or producing a version of it, newest first."""
        rows = s.scalars(select(CompressionReportRow).where(or_(
            CompressionReportRow.model_id == model_id, CompressionReportRow.result_model_id == model_id))
            .order_by(CompressionReportRow.id.desc()))
        return [_report(r) for r in rows]

    def get(self, s: Session, report_id: int) -> CompressionReport:
        row = s.get(CompressionReportRow, report_id)
        if row is None:
            raise NotFoundError(f"There is no compression report {report_id}.")
        return _report(row)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a report")
