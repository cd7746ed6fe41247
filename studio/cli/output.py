"""Printing for CLI verbs: human text by default, one JSON document with --json."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TextIO


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


class Output:
    def __init__(self, as_json: bool, stream: TextIO | None = None):
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def json(self, value: Any) -> None:
        json.dump(to_jsonable(value), self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")

    def line(self, text: str = "") -> None:
        if not self.as_json:
            self.stream.write(text + "\n")

    def table(self, headers: list[str], rows: list[list[Any]]) -> None:
        """A plain aligned table for humans."""
        cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
        for n, row in enumerate(cells):
            self.line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                self.line("  ".join("-" * w for w in widths))
