"""The GGUF export run by llama.cpp itself (llama-cpp-python), against the studio's own forward pass and generation.

    .venv/bin/python bench/gguf_runtime.py [--tokens 48] [--threads 1]

For each model: write the GGUF (f32, f16, q8_0, q4_0) with the export format's writer, load it in llama.cpp, and
compare on the export check's probe (the first 12 tokens of a fixed sentence):
- the largest |logit difference| over every position and token (f32 is checked to 1e-3 by the export);
- whether the greedy token is the same at every position;
- the greedy continuation of the probe, `--tokens` new tokens, studio (models.generate) vs llama.cpp
  (the argmax of llama.cpp's logits, step by step): how many tokens agree before the first difference;
- llama.cpp's tokenizer on the probe text (from the GGUF's vocabulary) against the studio's ids.
The models: the native GPT of bench/serve.py (6 x 384, 10.8M parameters, character tokenizer), tiny native GPTs
with the byte, character and BPE tokenizers, and tiny transformers Llama, Qwen2, Qwen3 and Mistral models (built
in-process, no download: tests/hf_families.py). Random weights: the logits are close together, which makes the
greedy continuation a strict test (a trained model's margins are wider).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from studio.core.exports.base import ExportOptions, ExportSource  # noqa: E402
from studio.core.exports.checks import PROBE_TEXT, compare_logits, probe_ids  # noqa: E402
from studio.core.exports.gguf_file import FORMAT  # noqa: E402
from studio.core.exports.llama_cpp_lib import LlamaCppModel  # noqa: E402
from studio.core.models.generate import SamplingConfig, generate  # noqa: E402

QUANTS = ("f32", "f16", "q8_0", "q4_0")


def serve_bench_source() -> ExportSource:
    from studio.core.datasets.sample import sample_path
    from studio.core.datasets.tokenizers import CharTokenizer
    from studio.core.models.config import GPTConfig
    from studio.core.models.gpt import GPT, model_tensors

    text = sample_path().read_text(encoding="utf-8")
    tok = CharTokenizer("".join(sorted(set(text) | set(PROBE_TEXT))))
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=256, n_layer=6, n_head=6, n_embd=384,
                          dropout=0.0)).eval()
    cfg = model.config
    return ExportSource("gpt-6x384", 1, cfg.to_dict(), model_tensors(model), {"tokenizer.json": tok.to_json().encode()},
                        kind="trained", architecture="GPT 6L/384d")


def sources(tmp: Path) -> list[tuple[str, ExportSource]]:
    from tests.core.exports.conftest import hf_source, native_source  # the tests' tiny models, built here

    out = [("native GPT 6x384, char", serve_bench_source())]
    out += [(f"native GPT 2x64, {kind}", native_source(kind)) for kind in ("byte", "char", "bpe")]
    out += [(f"transformers {name} 2x32", hf_source(name, tmp)) for name in ("llama", "qwen2", "qwen3", "mistral")]
    return out


def studio_ids(source: ExportSource) -> list[int]:
    """The studio's ids of the probe text, without the BOS its tokenizer may put first (llama.cpp's tokenize
    is asked for none)."""
    ids = source.tokenizer.encode(PROBE_TEXT)
    bos = getattr(source.tokenizer, "bos_id", None)
    return ids[1:] if ids and bos is not None and ids[0] == bos else ids


def run(label: str, source: ExportSource, tmp: Path, tokens: int, threads: int) -> dict:
    ids = probe_ids(source)
    context = source.family.context_length(source.model)
    tokens = min(tokens, context - len(ids))
    t = time.perf_counter()
    ours = list(generate(source.model, ids, SamplingConfig(max_new_tokens=tokens, greedy=True)))
    ours_s = time.perf_counter() - t
    row = {"model": label, "params": sum(p.numel() for p in source.model.parameters()), "probe": len(ids),
           "continuation": tokens, "quants": {}}
    for quant in QUANTS:
        path = tmp / f"{abs(hash(label))}-{quant}.gguf"
        FORMAT.write(source, path, ExportOptions(quant=quant))
        with LlamaCppModel(str(path), context, threads=threads) as llm:
            check = compare_logits(source, ids, llm.eval_all(ids), "llama.cpp", float("inf"))
            t = time.perf_counter()
            theirs = llm.greedy(ids, tokens)
            theirs_s = time.perf_counter() - t
            text_ids = llm.tokenize(PROBE_TEXT) if source.tokenizer is not None else None
        agree = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours), len(theirs)))
        row["quants"][quant] = {
            "max_abs_diff": check["max_abs_diff"], "same_argmax": check["same_argmax"],
            "greedy_agree": agree, "greedy_same": ours == theirs, "size": path.stat().st_size,
            "same_ids": None if text_ids is None else text_ids == studio_ids(source),
            "llama_tok_s": len(theirs) / theirs_s}
        path.unlink()
    row["studio_tok_s"] = len(ours) / ours_s
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=48, help="greedy continuation length (default 48)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import llama_cpp

    print(f"llama-cpp-python {llama_cpp.__version__}, torch {torch.__version__}, {args.threads} thread(s)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-gguf-") as tmp:
        for label, source in sources(Path(tmp)):
            rows.append(run(label, source, Path(tmp), args.tokens, args.threads))
            r = rows[-1]
            print(f"\n{r['model']}: {r['params']:,} parameters; probe {r['probe']} tokens, continuation "
                  f"{r['continuation']}; studio {r['studio_tok_s']:.0f} tok/s")
            print(f"  {'quant':6} {'max|dlogit|':>12} {'argmax':>7} {'greedy same':>12} {'ids':>5} {'llama tok/s':>12}")
            for quant, q in r["quants"].items():
                ids = "-" if q["same_ids"] is None else ("same" if q["same_ids"] else "DIFF")
                print(f"  {quant:6} {q['max_abs_diff']:12.2e} {'same' if q['same_argmax'] else 'DIFF':>7} "
                      f"{q['greedy_agree']:>5}/{r['continuation']:<6} {ids:>5} {q['llama_tok_s']:12.0f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
