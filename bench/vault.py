"""The vault's file format, side by side with its baselines in one run.

    .venv/bin/python bench/vault.py [--size-gb 2] [--model-mb 500] [--chunk-kib 1024] [--dir /tmp]

1. Encrypt and decrypt a 2 GB file with studio.core.vault.stream:
   a. the format's own speed (read from the page cache, ciphertext/plaintext to a null sink) vs the raw
      AES-GCM speed of the same library (cryptography's AESGCM.encrypt_into/decrypt_into over the same
      chunks, in memory) vs `openssl speed -evp aes-256-gcm` at the same block size. Goal: at least 80% of
      the raw speed.
   b. file to file (what an import or an export does) vs a plain copy of the same file with the same
      chunk size (the ceiling that the disk and page cache set).
2. Peak memory (VmHWM) of a child process encrypting the 2 GB file, above its RSS just before it starts.
   Goal: under 64 MB above the baseline.
3. Load-to-memory of a 500 MB safetensors model from the vault, the way VaultService.load does it (decrypt
   chunk by chunk straight into one buffer; tensors are views of it), and the way the issue first
   sketched it (decrypt, then safetensors.torch.load on a bytes copy), vs safetensors.torch.load_file of
   the plaintext file (lazy mmap), and vs load_file followed by reading every tensor once (what a first
   forward pass does).

The big files go under --dir (default /tmp) and are deleted at the end, also on error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.vault import files, stream  # noqa: E402

GiB = 1 << 30
REF = stream.ArtifactRef(b"v" * 16, b"a" * 16, 1, "weights")


def write_plaintext(path: Path, size: int) -> None:
    block = os.urandom(64 << 20)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def drop_from_cache(path: Path) -> None:
    """Keep both runs comparable: the files stay in the page cache (24 GB RAM), so nothing is dropped; we
    only make sure the writes reached it before timing the next step."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


class NullSink:
    def write(self, data) -> int:
        return len(memoryview(data))


def _open_out(dst: Path | None):
    return open(dst, "wb") if dst is not None else contextlib.nullcontext(NullSink())


def time_encrypt(src: Path, dst: Path | None, key: bytes, chunk: int) -> float:
    start = time.perf_counter()
    with open(src, "rb") as fi, _open_out(dst) as fo:
        stream.encrypt_stream(fi, fo, key, REF, chunk)
    return time.perf_counter() - start


def time_decrypt(src: Path, dst: Path | None, key: bytes) -> float:
    start = time.perf_counter()
    with open(src, "rb") as fi, _open_out(dst) as fo:
        stream.decrypt_stream(fi, fo, key, REF, mapped=True)  # vault files are read mapped
    return time.perf_counter() - start


def time_copy(src: Path, dst: Path, chunk: int) -> float:
    buf = bytearray(chunk)
    start = time.perf_counter()
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while n := fi.readinto(buf):
            fo.write(memoryview(buf)[:n])
    return time.perf_counter() - start


class RawBaseline:
    """The same library over the same chunks of the same data, held in memory (no file, no format): the
    ceiling for the format. Encrypt reads each plaintext chunk from RAM; decrypt reads each sealed chunk
    (made here, same sizes) from RAM; both write into one reused buffer, as the format does."""

    def __init__(self, plain_path: Path, chunk: int):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.aead = AESGCM(os.urandom(32))
        self.nonce = os.urandom(12)
        self.plain = bytearray(plain_path.stat().st_size)
        with open(plain_path, "rb") as fh:
            fh.readinto(self.plain)
        self.spans = [(i, min(len(self.plain), i + chunk)) for i in range(0, len(self.plain), chunk)]
        self.sealed = bytearray(len(self.plain) + 16 * len(self.spans))
        pv, sv = memoryview(self.plain), memoryview(self.sealed)
        for n, (a, b) in enumerate(self.spans):
            self.aead.encrypt_into(self.nonce, pv[a:b], b"", sv[a + 16 * n:b + 16 * (n + 1)])
        self.out = bytearray(chunk + 16)

    def encrypt(self) -> float:
        pv, ov = memoryview(self.plain), memoryview(self.out)
        start = time.perf_counter()
        for a, b in self.spans:
            self.aead.encrypt_into(self.nonce, pv[a:b], b"", ov[:b - a + 16])
        return time.perf_counter() - start

    def decrypt(self) -> float:
        sv, ov = memoryview(self.sealed), memoryview(self.out)
        start = time.perf_counter()
        for n, (a, b) in enumerate(self.spans):
            self.aead.decrypt_into(self.nonce, sv[a + 16 * n:b + 16 * (n + 1)], b"", ov[:b - a])
        return time.perf_counter() - start


def time_raw_from_file(src: Path, chunk: int) -> float:
    """The library's encrypt_into over the same file read the way the format reads a user's file (readinto
    one reused buffer from the page cache), with no format: what the file read alone costs."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, nonce = AESGCM(os.urandom(32)), os.urandom(12)
    buf, out = bytearray(chunk), bytearray(chunk + 16)
    bv, ov = memoryview(buf), memoryview(out)
    start = time.perf_counter()
    with open(src, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            aead.encrypt_into(nonce, bv[:n], b"", ov[:n + 16])
    return time.perf_counter() - start


def openssl_speed(chunk: int) -> float | None:
    """Bytes per second of `openssl speed -evp aes-256-gcm` at the chunk size (None when unavailable)."""
    if shutil.which("openssl") is None:
        return None
    try:
        out = subprocess.run(["openssl", "speed", "-evp", "aes-256-gcm", "-bytes", str(chunk), "-seconds", "3"],
                             capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    row = next((ln for ln in out.splitlines() if ln.lower().startswith("aes-256-gcm")), None)
    if row is None:
        return None
    value = re.findall(r"([\d.]+)k", row)[-1]  # openssl prints 1000s of bytes per second
    return float(value) * 1000


PEAK_CHILD = r"""
import os, sys
sys.path.insert(0, sys.argv[4])
from studio.core.vault import stream
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
key = os.urandom(32)
ref = stream.ArtifactRef(b"v" * 16, b"a" * 16, 1, "weights")
base = rss("VmRSS:")
with open(sys.argv[1], "rb") as fi, open(sys.argv[2], "wb") as fo:
    stream.encrypt_stream(fi, fo, key, ref, int(sys.argv[3]))
print(base, rss("VmHWM:"))
"""


def peak_memory(src: Path, dst: Path, chunk: int) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", PEAK_CHILD, str(src), str(dst), str(chunk), str(ROOT)],
                         capture_output=True, text=True, check=True)
    base, peak = map(int, out.stdout.split())
    return base, peak


def make_model(path: Path, megabytes: int) -> int:
    import torch
    from safetensors.torch import save_file

    # a GPT-ish layout: many 4 MB matrices, a few vectors
    tensors, total, i = {}, 0, 0
    while total < megabytes << 20:
        tensors[f"layers.{i}.weight"] = torch.randn(1024, 1024)
        tensors[f"layers.{i}.bias"] = torch.randn(1024)
        total += (1024 * 1024 + 1024) * 4
        i += 1
    save_file(tensors, str(path))
    return len(tensors)


def time_load(plain: Path, enc: Path, key: bytes) -> dict[str, float]:
    import torch
    from safetensors.torch import load, load_file

    from studio.core.vault import safetensors_io

    def vault() -> float:  # what VaultService.load does with each file (minus unwrapping its key)
        start = time.perf_counter()
        buf = files.decrypt_file_to_buffer(enc, key, REF)
        tensors = safetensors_io.tensors_from_buffer(buf)
        took = time.perf_counter() - start
        del tensors, buf
        return took

    def vault_via_bytes() -> float:  # decrypt, then hand a bytes copy to safetensors.torch.load
        start = time.perf_counter()
        data = files.decrypt_file_to_bytes(enc, key, REF)
        tensors = load(data)
        took = time.perf_counter() - start
        del tensors, data
        return took

    def lazy() -> float:
        start = time.perf_counter()
        tensors = load_file(str(plain))
        took = time.perf_counter() - start
        del tensors
        return took

    def touched() -> float:
        start = time.perf_counter()
        tensors = load_file(str(plain))
        for t in tensors.values():
            torch.sum(t)
        took = time.perf_counter() - start
        del tensors
        return took

    def fresh_memory() -> float:  # the floor: the first touch of a new buffer of the model's size
        size = enc.stat().st_size
        block = bytes(1 << 20)
        start = time.perf_counter()
        buf = bytearray(size)
        view = memoryview(buf)
        for i in range(0, size, 1 << 20):
            chunk = view[i:i + (1 << 20)]
            chunk[:] = block[:len(chunk)]
        took = time.perf_counter() - start
        view.release()
        del buf
        return took

    results = {}
    for fn in (vault, vault_via_bytes, lazy, touched, fresh_memory):
        fn()  # warm
        results[fn.__name__] = statistics.median(fn() for _ in range(3))
    return results


def gbps(size: int, seconds: float) -> str:
    return f"{size / seconds / GiB:6.2f} GiB/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--model-mb", type=int, default=500)
    parser.add_argument("--chunk-kib", type=int, default=stream.DEFAULT_CHUNK_SIZE >> 10)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = int(args.size_gb * 1e9)
    chunk = args.chunk_kib << 10
    work = Path(tempfile.mkdtemp(prefix="studio-bench-vault-", dir=args.dir))
    try:
        plain, enc, back = work / "plain.bin", work / "plain.msv", work / "back.bin"
        key = os.urandom(32)
        print(f"# bench/vault.py  size {size / 1e9:.1f} GB  chunk {chunk >> 10} KiB  cpus {os.cpu_count()}  "
              f"load average {os.getloadavg()[0]:.2f}")
        write_plaintext(plain, size)
        time_encrypt(plain, enc, key, chunk)  # warm the page cache for the files
        time_decrypt(enc, back, key)
        runs = range(args.runs)
        # a. the format against the library, interleaved so that both see the same machine load: the
        # format reads from the page cache and discards its output; the baseline works in RAM
        raw = RawBaseline(plain, chunk)
        timings: dict[str, list[float]] = {"fmt_enc": [], "raw_enc": [], "fmt_dec": [], "raw_dec": [], "raw_file": []}
        for _ in range(max(5, args.runs)):
            timings["raw_enc"].append(raw.encrypt())
            timings["raw_file"].append(time_raw_from_file(plain, chunk))
            timings["fmt_enc"].append(time_encrypt(plain, None, key, chunk))
            timings["raw_dec"].append(raw.decrypt())
            timings["fmt_dec"].append(time_decrypt(enc, None, key))
        del raw
        fmt_enc, raw_enc, fmt_dec, raw_dec = (statistics.median(timings[k]) for k in ("fmt_enc", "raw_enc", "fmt_dec", "raw_dec"))
        ossl = openssl_speed(chunk)
        # b. file to file against a plain copy, interleaved so that both see the same disk weather
        file_enc, file_dec, copy = [], [], []
        for _ in runs:
            copy.append(time_copy(plain, back, chunk))
            file_enc.append(time_encrypt(plain, enc, key, chunk))
            file_dec.append(time_decrypt(enc, back, key))
        file_enc_t, file_dec_t, copy_t = map(statistics.median, (file_enc, file_dec, copy))
        assert back.stat().st_size == size

        print(f"format encrypt (page cache -> null)   {gbps(size, fmt_enc)}")
        print(f"raw encrypt_into, same chunks in RAM   {gbps(size, raw_enc)}   -> format/raw {raw_enc / fmt_enc:5.1%}")
        raw_file = statistics.median(timings["raw_file"])
        print(f"raw encrypt_into, reading the file     {gbps(size, raw_file)}   -> format/that {raw_file / fmt_enc:5.1%}"
              "  (the cost of the format itself)")
        print(f"format decrypt (page cache -> null)   {gbps(size, fmt_dec)}")
        print(f"raw decrypt_into, same chunks in RAM   {gbps(size, raw_dec)}   -> format/raw {raw_dec / fmt_dec:5.1%}")
        if ossl:
            print(f"openssl speed -evp aes-256-gcm        {ossl / GiB:6.2f} GiB/s  -> format encrypt/openssl "
                  f"{size / fmt_enc / ossl:5.1%}")
        else:
            print("openssl speed                         (openssl not available)")
        goal = min(raw_enc / fmt_enc, raw_dec / fmt_dec) >= 0.8
        print(f"goal: format >= 80% of raw -> {'met' if goal else 'NOT met'}")
        print(f"encrypt file -> file                  {gbps(size, file_enc_t)}   -> vs copy {copy_t / file_enc_t:5.1%}")
        print(f"decrypt file -> file                  {gbps(size, file_dec_t)}   -> vs copy {copy_t / file_dec_t:5.1%}")
        print(f"plain copy file -> file, same chunks  {gbps(size, copy_t)}")

        enc.unlink()
        back.unlink()
        base, peak = peak_memory(plain, enc, chunk)
        above = (peak - base) / (1 << 20)
        print(f"peak memory encrypting {size / 1e9:.1f} GB: {above:.1f} MiB above the baseline "
              f"(baseline RSS {base / (1 << 20):.1f} MiB, peak {peak / (1 << 20):.1f} MiB); "
              f"goal < 64 MiB: {'met' if above < 64 else 'NOT met'}")
        for p in (plain, enc):
            p.unlink()

        model, model_enc = work / "model.safetensors", work / "model.msv"
        count = make_model(model, args.model_mb)
        files.encrypt_file(model, model_enc, key, REF, chunk)
        t = time_load(model, model_enc, key)
        mb = model.stat().st_size / 1e6
        v = t["vault"]
        print(f"load {mb:.0f} MB model ({count} tensors) from the vault (VaultService.load path: decrypt in place,")
        print(f"  tensors viewing the buffer):                   {v:.3f} s  ({mb / 1e3 / v:.2f} GB/s)")
        print(f"decrypt, then safetensors.torch.load(bytes):     {t['vault_via_bytes']:.3f} s  -> vault path is "
              f"{t['vault_via_bytes'] / v:.1f}x faster")
        print(f"safetensors.load_file plaintext (lazy mmap):     {t['lazy']:.3f} s  -> vault/load_file {v / t['lazy']:.0f}x")
        print(f"load_file + read every tensor once:              {t['touched']:.3f} s  -> vault/that {v / t['touched']:.2f}x")
        print(f"floor: fill a fresh buffer of the same size:     {t['fresh_memory']:.3f} s  -> vault/floor "
              f"{v / t['fresh_memory']:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
