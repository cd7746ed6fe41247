"""Serving throughput, side by side with its baselines in one run.

    .venv/bin/python bench/serve.py [--threads 1] [--tokens 200] [--rounds 3] [--no-llama] [--family llama [--row-by-row]]

On a native GPT of 6 layers x 384 (10.8M parameters, the sample's character tokenizer, f32, greedy), or with
`--family llama` a Hugging Face Llama of the same shape (imported into the vault as a folder, with a
character-level tokenizer.json and a ChatML template; served by the transformers family's batch runner):
1. the studio's in-process generation (models.generate, what the Generate view and `studio sample` use);
2. one stream through `studio serve` (the vault, API key, audit and all; OpenAI's client streaming in
   another process): tokens/s of the whole request. Goal: at least 0.9x of (1).
3. 8 concurrent streams: aggregate tokens/s vs one stream at a time. Goal: at least 3x.
4. time to first token, p50 and p99, alone and under 8 streams;
5. llama.cpp (llama-cpp-python, a dev dependency that `make setup` builds) on the GGUF of the same weights, from a
   memfd (the plaintext file never touches the disk): the anchor. Goal: (2) at least 0.5x of it.
All with the same number of threads. The audit writer's entries per commit are reported too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from studio.core.datasets.sample import sample_path  # noqa: E402
from studio.core.datasets.tokenizers import CharTokenizer  # noqa: E402
from studio.core.models.config import GPTConfig  # noqa: E402
from studio.core.models.generate import SamplingConfig, generate  # noqa: E402
from studio.core.models.gpt import GPT, model_tensors  # noqa: E402

PASSWORD = "Quartz-Falcon-7319"
PROMPT = "user: Tell me a story, number 1.\nassistant: "


def characters() -> str:
    return "".join(sorted(set(sample_path().read_text(encoding="utf-8")) | set(PROMPT)))


def build_model(layers: int, width: int, heads: int, context: int) -> tuple[GPT, CharTokenizer]:
    tokenizer = CharTokenizer(characters())
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tokenizer.vocab_size, block_size=context, n_layer=layers, n_head=heads,
                          n_embd=width, dropout=0.0)).eval()
    with torch.no_grad():  # a random model must not stop early: the end-of-document token is never likeliest
        model.transformer.wte.weight[0] = 0.0
    return model, tokenizer


CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def llama_folder(folder: Path, layers: int, width: int, heads: int, context: int) -> Path:
    """A random Hugging Face Llama saved as a folder (config.json, model.safetensors) with a character-level
    tokenizer.json (the sample's characters, then <|endoftext|>, <|im_start|>, <|im_end|>) and a ChatML
    template; the stop tokens are never the likeliest, so every request runs its tokens."""
    import transformers
    from tokenizers import Tokenizer, decoders, models

    chars = characters()
    vocab = {c: i for i, c in enumerate(chars)}
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(specials)
    eos, im_end = len(chars), len(chars) + 2
    config = transformers.LlamaConfig(vocab_size=len(chars) + len(specials), hidden_size=width,
                                      intermediate_size=4 * width, num_hidden_layers=layers, num_attention_heads=heads,
                                      num_key_value_heads=heads, max_position_embeddings=context, bos_token_id=eos,
                                      eos_token_id=[eos, im_end], tie_word_embeddings=False)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    with torch.no_grad():
        model.lm_head.weight[eos:] = 0.0
        model.lm_head.weight[:eos] *= 20.0 / width ** 0.5  # logits of a few units: stops stay below the best
    model.save_pretrained(folder)
    (folder / "tokenizer.json").write_text(tok.to_str(), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": specials[0], "chat_template": CHATML,
        "model_max_length": context}), encoding="utf-8")
    return folder


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def in_process(model: GPT, ids: list[int], tokens: int) -> float:
    t = time.perf_counter()
    n = sum(1 for _ in generate(model, ids, SamplingConfig(max_new_tokens=tokens, greedy=True)))
    return n / (time.perf_counter() - t)


class LlamaAnchor:
    """llama.cpp on the GGUF of the same weights, read from a memfd (in memory only)."""

    def __init__(self, model, tokenizer, threads: int, context: int):
        import llama_cpp as lc

        from studio.core.exports.gguf_file import write_gguf

        self.fd = os.memfd_create("bench-model.gguf")
        write_gguf(model, tokenizer, f"/proc/self/fd/{self.fd}")
        self.llm = lc.Llama(model_path=f"/proc/self/fd/{self.fd}", n_ctx=context, n_threads=threads,
                            n_threads_batch=threads, n_batch=context, verbose=False)

    def rate(self, ids: list[int], tokens: int) -> float:
        t = time.perf_counter()
        n = 0
        for _ in self.llm.generate(ids, temp=0.0, top_k=1, reset=True):
            n += 1
            if n == tokens:
                break
        return n / (time.perf_counter() - t)

    def close(self) -> None:
        self.llm.close()
        os.close(self.fd)


@contextlib.contextmanager
def servers(model, tokenizer, backends: list[str], folder: Path | None = None):
    """A data folder with the model in the vault (stored from memory, or imported from `folder`), an API key,
    and one server per back-end. Yields the key, the servers and the model as the vault gives it back."""
    from studio.core.security import passwords
    from studio.core.services import Studio
    from studio.core.serving.options import ServeOptions

    passwords.set_active_params(passwords.Argon2Params(1, 1, 64 * 1024))
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp, Studio.open(Path(tmp) / "data") as studio:
        admin = studio.accounts.create_first_admin("bench", PASSWORD)
        if folder is None:
            studio.vault.add_version(admin, None, model_tensors(model), name="bench", config=model.config.to_dict(),
                                     tokenizer=tokenizer.to_json())
        else:
            studio.vault.import_path(admin, folder, name="bench")
        loaded = studio.runs.load_model(admin, "model:bench")
        key = studio.keys.create(admin, "bench", rate_per_min=100_000).token
        started = {}
        try:
            for backend in backends:
                started[backend] = studio.serving.start(admin, ["bench"], ServeOptions(
                    port=0, max_batch=8, max_queue=64, backend=backend))
            yield key, started, loaded
        finally:
            for server in started.values():
                studio.serving.stop(admin, server)


def clients(url: str, key: str, n: int, tokens: int) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "serve_client.py"), url, key, "bench",
                           "--clients", str(n), "--rounds", "1", "--max-tokens", str(tokens)],
                          capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(proc.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tokens", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=384)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--no-llama", action="store_true")
    p.add_argument("--family", choices=("gpt", "llama"), default="gpt",
                   help="the native GPT (default) or a Hugging Face Llama of the same shape")
    p.add_argument("--row-by-row", action="store_true",
                   help="serve a transformers family with the family interface's default runner (one forward pass "
                        "per row per step: the torch back-end before it batched these families), for comparison")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.row_by_row:
        from studio.core.models.families.transformers_causal import TransformersFamily
        from studio.core.models.family import ModelFamily

        TransformersFamily.batch_runner = ModelFamily.batch_runner  # type: ignore[method-assign]
    torch.set_num_threads(args.threads)
    from studio.core.serving.llama_runner import available

    has_llama = available() and not args.no_llama
    backends = ["torch", "llama.cpp"] if has_llama else ["torch"]
    local_rates, anchor_rates = [], []
    runs: dict[str, dict] = {b: {1: {"rounds": [], "requests": []}, 8: {"rounds": [], "requests": []}} for b in backends}
    with contextlib.ExitStack() as stack:
        folder, model, tokenizer = None, None, None
        if args.family == "llama":
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-llama-")))
            folder = llama_folder(tmp / "llama", args.layers, args.width, args.heads, args.context)
        else:
            model, tokenizer = build_model(args.layers, args.width, args.heads, args.context)
        key, started, loaded = stack.enter_context(servers(model, tokenizer, backends, folder))
        model, tokenizer = loaded.model, loaded.tokenizer  # the vault's copy: what the servers run
        params = sum(t.numel() for t in model.parameters())
        ids = tokenizer.encode(PROMPT)
        anchor_run = LlamaAnchor(model, tokenizer, args.threads, args.context) if has_llama else None
        in_process(model, ids, 8)  # warm-ups
        if anchor_run:
            anchor_run.rate(ids, 8)
        # Interleaved, round by round, so that every figure sees the same load on a shared machine.
        for _ in range(args.rounds):
            local_rates.append(in_process(model, ids, args.tokens))
            if anchor_run:
                anchor_rates.append(anchor_run.rate(ids, args.tokens))
            for backend, server in started.items():
                for n in (1, 8):
                    got = clients(server.url, key, n, args.tokens)
                    runs[backend][n]["rounds"] += got["rounds"]
                    runs[backend][n]["requests"] += got["requests"]
        for backend, server in started.items():
            stats = server.auditor.stats
            runs[backend]["audit"] = {"entries": stats.entries, "commits": stats.commits, "failures": stats.failures,
                                      "largest_batch": stats.largest_batch}
            engine = server.models[0].engine.stats
            runs[backend]["mean_batch"] = engine.rows_sum / max(1, engine.steps)
    if anchor_run:
        anchor_run.close()
    local = statistics.median(local_rates)
    anchor = statistics.median(anchor_rates) if anchor_rates else None
    kind = "GPT" if args.family == "gpt" else "HF Llama"
    result = {"model": f"{kind} {args.layers}x{args.width}, {params / 1e6:.1f}M parameters, f32", "threads": args.threads,
              "tokens_per_request": args.tokens, "in_process_tok_s": local, "llama_cpp_tok_s": anchor, "backends": {}}
    for backend, served in runs.items():
        result["backends"][backend] = summarise(served, local, anchor)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['model']}, {args.threads} thread(s), greedy, {args.tokens} tokens a request")
    print(f"  in-process generation (studio)      {local:8.1f} tok/s")
    if anchor is not None:
        print(f"  llama.cpp, GGUF from a memfd        {anchor:8.1f} tok/s")
    else:
        print("  llama.cpp: not installed (make setup installs llama-cpp-python), or --no-llama")
    for backend, r in result["backends"].items():
        print(f"  studio serve --backend {backend}:")
        print(f"    one stream                        {r['one_stream_tok_s']:8.1f} tok/s   "
              f"{r['vs_in_process']:5.2f}x in-process (goal 0.90)")
        if r["vs_llama_cpp"] is not None:
            print(f"                                                    {r['vs_llama_cpp']:5.2f}x llama.cpp (goal 0.50)")
        print(f"    8 concurrent streams              {r['aggregate_8_tok_s']:8.1f} tok/s   "
              f"{r['aggregate_8_vs_1']:5.2f}x one at a time ({r['aggregate_1_tok_s']:.1f}; goal 3.00)")
        t1, t8 = r["ttft_ms_1"], r["ttft_ms_8"]
        print(f"    first token alone                 p50 {t1['p50']:6.1f} ms  p99 {t1['p99']:6.1f} ms (n={t1['n']})")
        print(f"    first token, 8 at once            p50 {t8['p50']:6.1f} ms  p99 {t8['p99']:6.1f} ms (n={t8['n']})")
        a = r["audit"]
        print(f"    audit: {a['entries']} entries in {a['commits']} commits (largest {a['largest_batch']}), "
              f"{a['failures']} failures; mean batch {r['mean_batch_rows']:.2f} rows")


def summarise(served: dict, local: float, anchor: float | None) -> dict:
    one = [r["tokens"] / r["total_s"] for r in served[1]["requests"]]
    single = statistics.median(one)
    agg1 = statistics.median(r["tokens"] / r["wall_s"] for r in served[1]["rounds"])
    agg8 = statistics.median(r["tokens"] / r["wall_s"] for r in served[8]["rounds"])
    ttft1 = [r["ttft_s"] * 1000 for r in served[1]["requests"]]
    ttft8 = [r["ttft_s"] * 1000 for r in served[8]["requests"]]
    return {"one_stream_tok_s": single, "vs_in_process": single / local,
            "vs_llama_cpp": None if anchor is None else single / anchor,
            "aggregate_1_tok_s": agg1, "aggregate_8_tok_s": agg8, "aggregate_8_vs_1": agg8 / agg1,
            "ttft_ms_1": {"p50": pct(ttft1, 0.5), "p99": pct(ttft1, 0.99), "n": len(ttft1)},
            "ttft_ms_8": {"p50": pct(ttft8, 0.5), "p99": pct(ttft8, 0.99), "n": len(ttft8)},
            "mean_batch_rows": served["mean_batch"], "audit": served["audit"]}


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
