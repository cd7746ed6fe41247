"""Shared by the fine-tuning tests (core and e2e): a tiny Hugging Face model of a family in the vault, and a
chat dataset imported with its tokenizer and chat template."""

from __future__ import annotations

import json
from pathlib import Path

REPLIES = ["The river is cold in spring.", "Seven stars shine tonight.", "Bread needs flour and time.",
           "The robot counts the fish.", "Rain falls on the roof."]


def chat_records(n: int = 80) -> list[dict]:
    out = []
    for i in range(n):
        reply = REPLIES[i % len(REPLIES)]
        messages = [{"role": "user", "content": f"Tell me thing {i % 7}."}, {"role": "assistant", "content": reply}]
        if i % 3 == 0:
            messages = [{"role": "system", "content": "Be brief."}, *messages,
                        {"role": "user", "content": "Again?"}, {"role": "assistant", "content": reply}]
        out.append({"messages": messages})
    return out


def write_chat(path: Path, n: int = 80) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in chat_records(n)), encoding="utf-8")
    return path


def vault_family(studio, user, family: str, tmp_path: Path, name: str | None = None):
    """A tiny random model of `family` (tests/hf_families.py) imported into the vault; returns the version."""
    from tests.hf_families import save_folder

    folder = save_folder(family, tmp_path / f"hf-{family}")
    return studio.vault.import_path(user, folder, name=name or family).version


def chat_dataset(studio, user, model: str, tmp_path: Path, name: str | None = None, n: int = 80):
    from studio.core.datasets.options import ImportOptions

    source = write_chat(tmp_path / f"chat-{model}.jsonl", n)
    return studio.datasets.import_dataset(user, ImportOptions(
        path=str(source), name=name or f"chat-{model}", tokenizer_of=model, split=(0.8, 0.2, 0.0), encrypt=False))


def finetune_settings(dataset: str, source: str, **changes):
    from studio.core.services.runs import RunSettings

    train = {"max_steps": 20, "batch_size": 4, "seq_len": 32, "lr": 3e-3, "warmup_steps": 0, "schedule": "constant",
             "eval_every": 10, "eval_batches": 2, "seed": 5, "device": "cpu", "threads": 1, **changes.pop("train", {})}
    base = dict(dataset=dataset, source=source, preset=None, model={}, train=train, checkpoint_every=10, keep_last=2,
                checkpoint_store="vault")
    base.update(changes)
    return RunSettings(**base)
