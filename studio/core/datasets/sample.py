"""The sample datasets shipped in resources/datasets/ (made by `python -m studio.devtools.make_sample`)."""

from __future__ import annotations

from pathlib import Path

from studio.core.datasets.options import ImportOptions
from studio.core.resources import resource_path

SAMPLE_NAME = "Sample stories"


def sample_path() -> Path:
    """About 1.5 MB of small English-like documents that a tiny model learns within minutes on a CPU."""
    return resource_path("datasets", "sample-stories.txt")


def sample_qa_path() -> Path:
    """About 3,000 prompt/response pairs, for supervised fine-tuning with loss masks."""
    return resource_path("datasets", "sample-qa.jsonl")


def sample_options(name: str = SAMPLE_NAME, tokenizer: str = "char") -> ImportOptions:
    """How the studio imports the sample: character-level (about 70 symbols, what a tiny GPT learns fastest),
    one document per paragraph, 90/5/5 split."""
    return ImportOptions(path=str(sample_path()), name=name, tokenizer=tokenizer, vocab_size=2048,
                         split=(0.9, 0.05, 0.05), seed=1337, tags=("sample",))
