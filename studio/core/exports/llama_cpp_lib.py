"""llama.cpp through llama-cpp-python's C API, as the studio runs it: the GGUF export's check, the serving
back-end (serving/llama_runner.py) and the benchmarks load models here.

Models are loaded without llama.cpp's "extra" CPU buffer types (`use_extra_bufts = False`): on a CPU with AMX
(Sapphire Rapids and later) llama.cpp moves q8_0/q4_0 weights into its AMX buffer and its AMX matrix multiply
crashed the process (SIGSEGV in ggml_backend_amx_mul_mat, llama-cpp-python 0.3.36 built natively; llama.cpp
issue 20824), on the studio's exports and on any other quantized GGUF alike. The plain CPU kernels compute the
same numbers; only the repacked fast paths are given up, which the checks and the float serving path never
needed.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from studio.core.errors import StudioError

_QUIET = None  # llama.cpp's log callback, kept alive for as long as the library may call it


def library() -> Any:
    """The llama_cpp module, initialised and quiet (llama.cpp logs every load to stderr; the studio's log has
    what matters). ImportError when llama-cpp-python is not installed."""
    global _QUIET
    import llama_cpp as lc

    if _QUIET is None:
        _QUIET = lc.llama_log_callback(lambda level, text, data: None)
        lc.llama_log_set(_QUIET, ctypes.c_void_p(0))
        lc.llama_backend_init()
    return lc


class LlamaCppModel:
    """One GGUF loaded by llama.cpp with one context of `n_seq` sequences of `n_ctx` positions each."""

    def __init__(self, path: str, n_ctx: int, *, n_seq: int = 1, n_batch: int | None = None, threads: int = 1):
        lc = self._lc = library()
        self._model = self._ctx = self._batch = None
        try:
            mp = lc.llama_model_default_params()
            mp.use_extra_bufts = False  # see the module's docstring
            self._model = lc.llama_model_load_from_file(str(path).encode(), mp)
            if not self._model:
                raise StudioError("llama.cpp could not load the model.")
            self.vocab = lc.llama_model_get_vocab(self._model)
            self.vocab_size = int(lc.llama_vocab_n_tokens(self.vocab))
            cp = lc.llama_context_default_params()
            cp.n_seq_max = n_seq
            cp.n_ctx = n_ctx * n_seq
            cp.n_batch = cp.n_ubatch = n_batch or max(n_ctx, n_seq)
            cp.n_threads = cp.n_threads_batch = threads
            # plain attention, as llama-cpp-python's Llama has by default; llama.cpp's "auto" picks its flash
            # kernel, which moved the Gemma check's largest logit difference from under 1e-3 to 1.1e-3
            cp.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_DISABLED
            self._ctx = lc.llama_init_from_model(self._model, cp)
            if not self._ctx:
                raise StudioError("llama.cpp could not make a context for the model.")
            self.n_batch = int(cp.n_batch)
            self._batch = lc.llama_batch_init(self.n_batch, 0, 1)
            self.memory = lc.llama_get_memory(self._ctx)
        except BaseException:
            self.close()
            raise

    def decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """items: (token, position, sequence, wants logits), at most n_batch of them."""
        b = self._batch
        for i, (token, pos, seq, logits) in enumerate(items):
            b.token[i] = token
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(items)
        code = self._lc.llama_decode(self._ctx, b)
        if code != 0:
            raise RuntimeError(f"llama.cpp's decode failed (code {code})")

    def logits(self, i: int) -> np.ndarray:
        """The logits of the i-th item of the last decode (one that asked for them), copied."""
        ptr = self._lc.llama_get_logits_ith(self._ctx, i)
        return np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self.vocab_size,)).copy()

    def forget(self, seq: int) -> None:
        self._lc.llama_memory_seq_rm(self.memory, seq, -1, -1)

    def clear(self) -> None:
        self._lc.llama_memory_clear(self.memory, True)

    def eval_all(self, ids: list[int]) -> np.ndarray:
        """Logits at every position of `ids` (a fresh sequence 0): (len(ids), vocab)."""
        self.clear()
        self.decode([(t, p, 0, True) for p, t in enumerate(ids)])
        return np.stack([self.logits(i) for i in range(len(ids))])

    def greedy(self, ids: list[int], n: int) -> list[int]:
        """`n` tokens continuing `ids`, each the argmax of llama.cpp's logits (no stop token: as the studio's
        generation without stop ids)."""
        self.clear()
        self.decode([(t, p, 0, p == len(ids) - 1) for p, t in enumerate(ids)])
        out: list[int] = []
        last = len(ids) - 1
        while len(out) < n:
            token = int(np.argmax(self.logits(0 if out else last)))
            out.append(token)
            if len(out) < n:
                self.decode([(token, len(ids) + len(out) - 1, 0, True)])
        return out

    def tokenize(self, text: str) -> list[int]:
        """llama.cpp's tokenizer on `text` (from the GGUF's vocabulary), no BOS, special tokens as text."""
        data = text.encode("utf-8")
        buf = (self._lc.llama_token * (len(data) + 8))()
        n = self._lc.llama_tokenize(self.vocab, data, len(data), buf, len(buf), False, False)
        if n < 0:
            raise RuntimeError("llama.cpp's tokenizer needs a larger buffer")
        return list(buf[:n])

    def close(self) -> None:
        lc = self._lc
        if self._batch is not None:
            lc.llama_batch_free(self._batch)
            self._batch = None
        if self._ctx:
            lc.llama_free(self._ctx)
            self._ctx = None
        if self._model:
            lc.llama_model_free(self._model)
            self._model = None

    def __enter__(self) -> LlamaCppModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
