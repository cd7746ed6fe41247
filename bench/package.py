"""The packaged app: sizes (folder build, .deb, the biggest parts, what trimming left out) and start-up of the
frozen app against the same app run from source (what `make run` starts), median of 5 each, in one run.

    make package && .venv/bin/python bench/package.py [--runs 5]

Offscreen (QT_QPA_PLATFORM=offscreen), disk cache warmed by one untimed start of each. The trimmed figure is
what packaging/trim.py rejects among the files of the packages it trims (torch, PySide6, pyarrow) in this
virtual environment: an estimate of what the build would hold without it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
APP = DIST / "model-studio" / "studio"
sys.path.insert(0, str(ROOT / "packaging"))

from startup import time_window  # noqa: E402  (bench/ is on the path: this is run as a script)
from trim import keep_binary, keep_data  # noqa: E402

MB = 1024 * 1024


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def trimmed_bytes() -> dict[str, int]:
    site = Path(sysconfig.get_paths()["purelib"])
    out: dict[str, int] = {}
    for package in ("torch", "PySide6", "pyarrow"):
        total = 0
        for f in (site / package).rglob("*"):
            if not f.is_file():
                continue
            rel = f.relative_to(site).as_posix()
            binary = f.suffix in (".so", ".dll", ".dylib") or ".so." in f.name
            if not (keep_binary(rel) if binary else keep_data(rel)):
                total += f.stat().st_size
        out[package] = total
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not APP.exists():
        raise SystemExit("no folder build: run `make package` first")

    folder = tree_size(APP.parent)
    internal = APP.parent / "_internal"
    parts = sorted(((tree_size(p) if p.is_dir() else p.lstat().st_size, p.name) for p in internal.iterdir()),
                   reverse=True)
    print(f"folder build dist/model-studio: {folder / MB:,.0f} MB")
    for size, name in parts[:8]:
        print(f"  {name:32} {size / MB:8,.0f} MB")
    for deb in sorted(DIST.glob("model-studio_*.deb")):
        print(f"{deb.name}: {deb.stat().st_size / MB:,.0f} MB (zstd)")
    trimmed = trimmed_bytes()
    print("left out by packaging/trim.py: " + ", ".join(f"{k} {v / MB:,.0f} MB" for k, v in trimmed.items())
          + f" (total {sum(trimmed.values()) / MB:,.0f} MB)")

    source = [sys.executable, "-m", "studio"]
    with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
        time_window(d1, source)
        time_window(d2, [str(APP)])
        runs_source, runs_frozen = [], []
        for _ in range(args.runs):  # interleaved, so both see the same load on a shared machine
            runs_source.append(time_window(d1, source))
            runs_frozen.append(time_window(d2, [str(APP)]))
    s, f = statistics.median(runs_source), statistics.median(runs_frozen)
    print(f"first window, from source (make run)  median {s:.3f} s  ({', '.join(f'{x:.2f}' for x in runs_source)})")
    print(f"first window, frozen app              median {f:.3f} s  ({', '.join(f'{x:.2f}' for x in runs_frozen)})")
    print(f"ratio frozen / source: {f / s:.2f}")


if __name__ == "__main__":
    main()
