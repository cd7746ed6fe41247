"""Loading a Hugging Face model of about 1 GB: from the encrypted vault vs transformers' from_pretrained on the
plaintext folder, side by side in one run, each in a fresh process.

    .venv/bin/python bench/load_hf.py [--hidden 1536] [--layers 16] [--intermediate 4096] [--vocab 32000]
                                      [--repeat 3] [--dir /tmp]

A Llama-shaped model (bf16, 551M parameters, 1.10 GB with the defaults) is written as a folder (config.json,
model.safetensors, tokenizer files) and imported into a fresh data folder's vault. Then, alternately:

  hf     AutoModelForCausalLM.from_pretrained(folder, dtype=bfloat16) (mmap of the plaintext safetensors)
  vault  studio.runs.load_model(actor, "model:big"): decrypt every file into memory (VaultService.load),
         build through the model family (parameters on meta, the decrypted tensors assigned), tokenizer

  hf-read  from_pretrained, then every weight read once (what the first forward pass does: from_pretrained
         maps the file and reads a weight's pages only when it is used)

Times are from just before the call to the model being ready (imports and the login excluded). Peak RSS is
the process's VmHWM above its RSS just before (reset through /proc/self/clear_refs first); it counts mapped
file pages too (the vault maps its ciphertext in 256 MB windows, two at a time), so the anonymous part
(RssAnon, sampled every 2 ms: the memory the load really holds) is given beside it.
Goals (issue 13): vault load at most 1.5x from_pretrained; peak RSS of the vault load about the model's bytes.
The files are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "Quartz-Loader-4821"
MB = 1_000_000


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def make_folder(folder: Path, args: argparse.Namespace) -> int:
    import torch
    from safetensors.torch import save_file
    from transformers import LlamaConfig

    from studio.core.models.families.transformers_causal import _empty_model
    from studio.core.models.tokenizer_export import byte_tokenizer_json

    config = LlamaConfig(vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.intermediate,
                         num_hidden_layers=args.layers, num_attention_heads=args.hidden // 64,
                         num_key_value_heads=max(1, args.hidden // 256), max_position_embeddings=2048,
                         tie_word_embeddings=False, bos_token_id=0, eos_token_id=256, dtype="bfloat16")
    model = _empty_model(config, torch.bfloat16)
    pool = torch.empty(1 << 24, dtype=torch.bfloat16).normal_(0, 0.02, generator=torch.Generator().manual_seed(0))
    tensors = {}
    for n, (name, t) in enumerate(model.state_dict().items()):  # random values, tiled from one pool (fast)
        flat = torch.ones(t.numel(), dtype=torch.bfloat16) if name.endswith("norm.weight") else (
            pool.roll(n * 7919).repeat(t.numel() // pool.numel() + 1)[: t.numel()])
        tensors[name] = flat.reshape(t.shape).clone()
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config.save_pretrained(folder)
    (folder / "tokenizer.json").write_text(byte_tokenizer_json())
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|endoftext|>"}))
    return sum(t.numel() * t.element_size() for t in tensors.values())


class _AnonPeak:
    """The peak of RssAnon (memory of the process's own, not file pages it maps), sampled every 2 ms."""

    def __init__(self) -> None:
        import threading

        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status("RssAnon"))
            time.sleep(0.002)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _status("RssAnon"))


def child(mode: str, folder: str, data: str) -> None:
    """One load in this (fresh) process; prints {"seconds", "peak_bytes", "anon_peak_bytes", ...}."""
    import torch
    import transformers

    from studio.core.services import Studio

    actor = None
    if mode == "vault":
        studio = Studio.open(Path(data))
        actor = studio.accounts.login("bench", PASSWORD)
    _reset_peak()
    before, anon_before = _status("VmRSS"), _status("RssAnon")
    sampler = _AnonPeak()
    t0 = time.perf_counter()
    if mode == "vault":
        model = studio.runs.load_model(actor, "model:big").model
    else:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16)
        if mode == "hf-read":  # what the first forward pass does: every weight read once
            with torch.no_grad():
                for p in model.parameters():
                    p.sum()
    seconds = time.perf_counter() - t0
    anon = sampler.stop() - anon_before
    peak = _status("VmHWM") - before
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "anon_peak_bytes": anon, "parameters": params,
                      "dtype": str(next(model.parameters()).dtype)}))


def run_child(mode: str, folder: Path, data: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(folder), str(data)], check=True,
                         capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(os.cpu_count())})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=1536)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--intermediate", type=int, default=4096)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FOLDER", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from studio.core.services import Studio

    work = Path(tempfile.mkdtemp(prefix="bench-load-hf-", dir=args.dir))
    try:
        folder, data = work / "big", work / "data"
        t0 = time.perf_counter()
        size = make_folder(folder, args)
        print(f"model: Llama {args.layers}L/{args.hidden}d, {size / MB:,.0f} MB of bf16 weights "
              f"(written in {time.perf_counter() - t0:.1f} s)")
        data.mkdir()
        with Studio.open(data) as studio:
            studio.accounts.create_first_admin("bench", PASSWORD)
            actor = studio.accounts.login("bench", PASSWORD)
            t0 = time.perf_counter()
            studio.vault.import_path(actor, folder, name="big")
            print(f"vault import (checks + encryption): {time.perf_counter() - t0:.1f} s")
        modes = {"hf": "from_pretrained (plaintext folder)", "hf-read": "from_pretrained + read every weight",
                 "vault": "studio vault load"}
        results: dict[str, list[dict]] = {mode: [] for mode in modes}
        run_child("hf", folder, data)  # warm the page cache and the interpreter's files for both
        for _ in range(args.repeat):
            for mode in modes:
                results[mode].append(run_child(mode, folder, data))
        for mode, label in modes.items():
            times = [r["seconds"] for r in results[mode]]
            peak = statistics.median(r["peak_bytes"] for r in results[mode])
            anon = statistics.median(r["anon_peak_bytes"] for r in results[mode])
            print(f"{label:38s} median {statistics.median(times):6.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}); "
                  f"peak RSS +{peak / MB:,.0f} MB ({peak / size:.2f}x the weights), of it anonymous "
                  f"+{anon / MB:,.0f} MB ({anon / size:.2f}x)")
        first = results["vault"][0]
        print(f"loaded: {first['parameters']:,} parameters, {first['dtype']}")
        ratio = statistics.median(r["seconds"] for r in results["vault"]) / statistics.median(
            r["seconds"] for r in results["hf"])
        print(f"vault / from_pretrained: {ratio:.2f}x (goal: at most 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
