"""Samples kept with a run: what a user generated from its checkpoints, to see how the writing improved. One
JSON Lines file per user (`runs/<id>/samples/<user id>.jsonl`), so that a user's prompts and texts are read for
that user only. Runs from before this layout kept one `samples.jsonl` for everyone: it counts as its owner's."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from studio.core.errors import ValidationError
from studio.core.fsutil import atomic_write_bytes
from studio.core.messages import msg

log = logging.getLogger(__name__)
MAX_SAMPLES = 500  # per user and run; the oldest go first
FIELDS = ("source", "label", "step", "prompt", "text", "settings", "created_at", "tokens", "tokens_per_s")
LEGACY = "samples.jsonl"


def _path(run_dir: Path, user_id: int) -> Path:
    return run_dir / "samples" / f"{int(user_id)}.jsonl"


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("skipped a damaged line in %s", path)
            continue
        if isinstance(record, dict):
            out.append({k: record.get(k) for k in FIELDS})
    return out


def read(run_dir: Path, user_id: int, *, legacy: bool = False) -> list[dict[str, Any]]:
    """The user's samples, oldest first (with the run's old shared file when `legacy`: the owner's)."""
    return (_load(run_dir / LEGACY) if legacy else []) + _load(_path(run_dir, user_id))


def append(run_dir: Path, user_id: int, sample: dict[str, Any]) -> None:
    if not isinstance(sample.get("text"), str) or not isinstance(sample.get("prompt"), str):
        raise ValidationError(msg("A sample needs its prompt and its text."))
    path = _path(run_dir, user_id)
    kept = _load(path)[-(MAX_SAMPLES - 1):] + [{k: sample.get(k) for k in FIELDS}]
    text = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in kept)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))
