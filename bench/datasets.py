"""Dataset import throughput (MB/s) and peak memory per tokenizer and storage (encrypted at rest, the
default, and plaintext), beside plain-Python reading of the same file (the floor), all in one run.

    .venv/bin/python bench/datasets.py [--size-mb 200] [--tokenizers byte,char,bpe] [--vocab-size 8192]
                                       [--storage encrypted,plaintext]

The corpus is generated (studio.devtools.make_sample.stories: English-like paragraphs, one document per
paragraph) into a temporary folder. Each measurement runs in its own process (`studio dataset import`),
so that its peak resident memory (ru_maxrss) is its own. MB/s = corpus bytes / the import's own time
(from the dataset's statistics; process start-up and the login excluded, but listed). Goal for BPE: 20 MB/s
on 2 cores. Each data folder gets an administrator first (`studio init`), as whom the imports run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        n += len(line)
print(time.perf_counter() - t, n)
"""


OPEN = """
import sys, time
from studio.core.services import Studio
with Studio.open(sys.argv[1], log_to_file=False) as studio:
    session = studio.accounts.login("bench", sys.argv[2])
    t = time.perf_counter()
    arrays = studio.datasets.open_arrays(session, sys.argv[3])
    opened = time.perf_counter() - t
    t = time.perf_counter()
    total = sum(int(arrays.split(s).sum(dtype="uint64")) for s in ("train", "val", "test"))
    print(opened, time.perf_counter() - t)
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float, str]:
    """(wall seconds, peak RSS in MB, CPU seconds, stdout) of `cmd`, run under a small watcher process so
    that the peak resident memory (ru_maxrss from wait4) is the command's own. CPU seconds include the
    worker processes it waited for; peak RSS is the largest single process (the main one)."""
    script = (
        "import os, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "pid, status, ru = os.wait4(p.pid, 0)\n"
        "out = p.stdout.read()\n"
        "sys.stdout.write(json.dumps({'wall': time.perf_counter() - t, 'rss_kb': ru.ru_maxrss, 'status': status, "
        "'cpu': ru.ru_utime + ru.ru_stime, 'out': out.decode()}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, *cmd], capture_output=True, text=True, check=True,
                            env=env)
    data = json.loads(result.stdout)
    if data["status"]:
        raise SystemExit(f"{' '.join(cmd)} failed (status {data['status']}):\n{result.stderr}")
    return data["wall"], data["rss_kb"] // 1024, data["cpu"], data["out"]


def make_corpus(path: Path, size_mb: int) -> int:
    from studio.devtools.make_sample import stories

    with open(path, "w", encoding="utf-8") as fh:
        first = True
        for doc in stories(size_mb * 1_000_000, seed=1):
            fh.write(doc if first else "\n\n" + doc)
            first = False
        fh.write("\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--tokenizers", default="byte,char,bpe")
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--storage", default="encrypted,plaintext")
    args = parser.parse_args()
    password = "Quiet-Harbour-6731"
    env = dict(os.environ, STUDIO_PASSWORD=password)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        t = time.perf_counter()
        size = make_corpus(corpus, args.size_mb)
        mb = size / 1e6
        print(f"corpus: {mb:.1f} MB of generated paragraphs (made in {time.perf_counter() - t:.1f} s); "
              f"{os.cpu_count()} CPU(s)")
        load = os.getloadavg()[0]
        wall, rss, cpu, out = measure([sys.executable, "-c", FLOOR, str(corpus)])
        floor_s = float(out.split()[0])
        rows = [("plain Python: for line in open(...)", floor_s, wall, cpu, rss)]
        reads = []
        for tok in args.tokenizers.split(","):
            for storage in args.storage.split(","):
                data = Path(tmp) / f"data-{tok}-{storage}"
                subprocess.run([sys.executable, "-m", "studio", "init", "--admin", "bench", "--data-dir", str(data)],
                               env=env, check=True, capture_output=True)
                cmd = [sys.executable, "-m", "studio", "dataset", "import", str(corpus), "--name", f"bench-{tok}",
                       "--tokenizer", tok, "--vocab-size", str(args.vocab_size), "--data-dir", str(data), "--json",
                       "--user", "bench", *(["--plaintext"] if storage == "plaintext" else [])]
                wall, rss, cpu, out = measure(cmd, env)
                info = json.loads(out)
                rows.append((f"import, {tok}, {storage} ({info['vocab_size']:,} tokens, {info['tokens']:,} ids)",
                             info["stats"]["import_seconds"], wall, cpu, rss))
                wall, rss, cpu, out = measure([sys.executable, "-c", OPEN, str(data), password, f"bench-{tok}"], env)
                opened, scanned = (float(x) for x in out.split())
                reads.append((f"open_arrays, {tok}, {storage}", opened, scanned, rss, info["tokens"]))
        floor_rate = mb / floor_s
        print(f"{'what':62} {'MB/s':>7} {'x floor':>8} {'seconds':>8} {'process s':>9} {'CPU s':>7} {'peak RSS':>9}")
        for name, seconds, wall, cpu, rss in rows:
            rate = mb / seconds
            print(f"{name:62} {rate:7.1f} {rate / floor_rate:8.3f} {seconds:8.2f} {wall:9.2f} {cpu:7.2f} {rss:6d} MB")
        print(f"\n{'what training reads':40} {'open s':>7} {'one pass s':>10} {'peak RSS':>9}")
        for name, opened, scanned, rss, tokens in reads:
            print(f"{name:40} {opened:7.2f} {scanned:10.2f} {rss:6d} MB   ({tokens:,} tokens)")
        print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
        bpe = next((r for r in rows if ", bpe, " in r[0]), None)
        if bpe:
            rate = mb / bpe[1]
            print(f"goal: BPE import >= 20 MB/s on 2 cores -> {rate:.1f} MB/s, {'met' if rate >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
