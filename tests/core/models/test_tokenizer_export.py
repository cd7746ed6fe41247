"""A native model with each of the studio's tokenizers (byte, char, BPE) exported as a Hugging Face folder:
`AutoTokenizer` encodes 1,000 lines of real text (licence files shipped with Python and the installed
packages, not the training data) to the studio's own ids, and `AutoModelForCausalLM` gives the same logits."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from studio.core.datasets.sample import sample_path
from studio.core.datasets.tokenizers import ByteTokenizer, CharTokenizer, train_bpe

transformers = pytest.importorskip("transformers")


def real_lines(count: int = 1000) -> list[str]:
    """Distinct non-empty lines of licence texts: Python's own, then the installed distributions' (sorted)."""
    files = [Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "LICENSE.txt"]
    site = Path(transformers.__file__).parent.parent
    files += sorted(p for p in site.glob("*.dist-info/**/LICENSE*") if p.is_file())
    lines: dict[str, None] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                lines.setdefault(line, None)
            if len(lines) == count:
                return list(lines)
    pytest.fail(f"only {len(lines)} licence lines found")


def _tokenizer(kind: str):
    if kind == "byte":
        return ByteTokenizer()
    sample = sample_path().read_text(encoding="utf-8")[:200_000]
    if kind == "char":
        return CharTokenizer("".join(sorted(set(sample))))  # the sample's characters: licence text has others
    return train_bpe(sample.splitlines(), 400)


@pytest.mark.parametrize("kind", ["byte", "char", "bpe"])
def test_an_exported_native_model_gives_the_studios_ids_and_logits(kind, tmp_path):
    from studio.core.compression.export import export_hf_folder
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    tok = _tokenizer(kind)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=2, n_head=2, n_embd=32)).eval()
    out = export_hf_folder(tmp_path / "hf", model.config, model_tensors(model), tokenizer_json=tok.to_json()).path

    auto = transformers.AutoTokenizer.from_pretrained(out)
    lines = real_lines()
    theirs = auto(lines)["input_ids"]
    ours = [tok.encode(line) for line in lines]
    assert sum(len(ids) for ids in ours) > 20_000
    mismatched = [line for line, a, b in zip(lines, theirs, ours, strict=True) if a != b]
    assert not mismatched, f"{len(mismatched)} lines differ, e.g. {mismatched[0]!r}"
    if kind == "char":
        assert any(tok.unknown_id in ids for ids in ours)  # characters the tokenizer never saw: <unk> on both sides
    else:
        assert all(auto.decode(ids) == line for ids, line in zip(ours[:200], lines[:200], strict=True))
    assert auto.eos_token_id == tok.eos_id

    hf = transformers.AutoModelForCausalLM.from_pretrained(out).eval()
    x = torch.tensor([ids[:64] for ids in ours if len(ids) >= 64][:4])
    with torch.no_grad():
        assert float((hf(x).logits - model(x)[0]).abs().max()) < 1e-5
