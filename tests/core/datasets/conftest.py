"""Helpers for dataset tests: run an import into a folder and read back what it made."""

from __future__ import annotations

import pytest

from studio.core.datasets.importer import run_import
from studio.core.datasets.options import ImportOptions
from studio.core.datasets.preview import DatasetReader
from studio.core.datasets.storage import PlainStorage
from studio.core.tasks import TaskState


class Imported:
    def __init__(self, result, folder):
        self.result = result
        self.folder = folder
        self.reader = DatasetReader(PlainStorage(), folder)

    @property
    def texts(self) -> list[str]:
        return [self.reader.text(i) for i in range(len(self.reader))]

    @property
    def parts(self) -> list[list[str]]:
        return [self.reader.store.parts(i) for i in range(len(self.reader))]

    @property
    def cleaning(self) -> dict[str, int]:
        return self.result.stats["cleaning"]


@pytest.fixture
def run(tmp_path):
    """run(path, **options) -> Imported (byte tokenizer and everything in train unless told otherwise)."""
    counter = iter(range(10_000))
    opened = []

    def go(path, state=None, block_bytes=None, workers=None, **options):
        options.setdefault("tokenizer", "byte")
        options.setdefault("split", (1.0, 0.0, 0.0))
        folder = tmp_path / f"out{next(counter)}"
        folder.mkdir()
        opts = ImportOptions(path=str(path), name="t", **options).checked()
        result = run_import(opts, folder, PlainStorage(), state or TaskState(), block_bytes, workers)
        imported = Imported(result, folder)
        opened.append(imported)
        return imported

    yield go
    for imported in opened:
        imported.reader.close()
