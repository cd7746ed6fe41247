"""A batch runner over llama.cpp (`studio serve --backend llama.cpp`): the native GPT written as GGUF into a
memfd (anonymous memory: the plaintext weights never touch the disk, as with the torch runner), loaded by
llama.cpp from /proc/self/fd/N, and decoded with llama.cpp's own batches, one sequence per row.

llama.cpp's compiled decode step is several times faster than torch's eager one on small models on a CPU
(docs/benchmarks.md, "Serving"); its logits agree with the studio's to about 1e-4, so greedy text is the
same in practice but not bit for bit (the torch runner is: it stays the default).
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

import numpy as np
import torch

from studio.core.errors import StudioError, ValidationError

_QUIET = None  # llama.cpp's log callback, kept alive for as long as the library may call it


def _quiet(lc: Any) -> None:
    """llama.cpp logs every load to stderr; the studio's log has what matters."""
    global _QUIET
    if _QUIET is None:
        _QUIET = lc.llama_log_callback(lambda level, text, data: None)
        lc.llama_log_set(_QUIET, ctypes.c_void_p(0))


def available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return hasattr(os, "memfd_create")


class LlamaCppRunner:
    def __init__(self, model: Any, tokenizer: Any, max_rows: int, threads: int | None = None):
        try:
            import llama_cpp as lc
        except ImportError as error:
            raise StudioError("The llama.cpp back-end needs llama-cpp-python, which a source install has (make setup) "
                              "and the packaged app does not; use --backend torch.") from error
        from studio.core.exports.gguf_file import write_gguf
        from studio.core.models.gpt import GPT

        if not isinstance(model, GPT) or any(name.endswith(".qweight") for name in model.state_dict()):
            raise ValidationError("the llama.cpp back-end serves float native GPT models only; use --backend torch")
        self._lc = lc
        cfg = model.config
        self.vocab_size = cfg.vocab_size
        self.context_length = cfg.block_size
        self.max_rows = int(max_rows)
        self._fd = os.memfd_create("studio-serve.gguf", os.MFD_CLOEXEC)
        self._model = self._ctx = self._batch_ptr = None
        try:
            path = f"/proc/self/fd/{self._fd}"
            write_gguf(model, tokenizer, path)
            _quiet(lc)
            lc.llama_backend_init()
            mp = lc.llama_model_default_params()
            self._model = lc.llama_model_load_from_file(path.encode(), mp)
            if not self._model:
                raise StudioError("llama.cpp could not load the model.")
            cp = lc.llama_context_default_params()
            cp.n_seq_max = self.max_rows
            cp.n_ctx = cfg.block_size * self.max_rows
            cp.n_batch = cp.n_ubatch = max(cfg.block_size, self.max_rows)
            n = threads or torch.get_num_threads()
            cp.n_threads = cp.n_threads_batch = n
            self._ctx = lc.llama_init_from_model(self._model, cp)
            if not self._ctx:
                raise StudioError("llama.cpp could not make a context for the model.")
            self._batch = lc.llama_batch_init(cp.n_batch, 0, 1)
            self._mem = lc.llama_get_memory(self._ctx)
        except BaseException:
            self.close()
            raise
        self._seqs: list[int] = []  # row -> llama.cpp sequence id
        self.lengths: list[int] = []
        self._free = list(range(self.max_rows - 1, -1, -1))

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def length(self, row: int) -> int:
        return self.lengths[row]

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        """items: (token, position, sequence, wants logits)."""
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

    def _logits(self, i: int) -> torch.Tensor:
        ptr = self._lc.llama_get_logits_ith(self._ctx, i)
        array = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self.vocab_size,))
        return torch.from_numpy(array.copy())

    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]:
        n = len(prompt_ids)
        if not 0 < n <= self.context_length:
            raise ValidationError(f"The prompt has {n} tokens; this model takes 1 to {self.context_length}.")
        if not self._free:
            raise RuntimeError("no free row in the KV cache")
        seq = self._free.pop()
        try:
            self._decode([(t, p, seq, p == n - 1) for p, t in enumerate(prompt_ids)])
        except BaseException:
            self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
            self._free.append(seq)
            raise
        self._seqs.append(seq)
        self.lengths.append(n)
        return self.rows - 1, self._logits(n - 1)

    def step(self, tokens: list[int]) -> torch.Tensor:
        if len(tokens) != self.rows:
            raise ValueError(f"step got {len(tokens)} tokens for {self.rows} rows")
        if max(self.lengths) >= self.context_length:
            raise ValidationError("A request reached the end of the model's context.")
        self._decode([(t, self.lengths[r], self._seqs[r], True) for r, t in enumerate(tokens)])
        out = torch.stack([self._logits(i) for i in range(len(tokens))])
        for r in range(len(tokens)):
            self.lengths[r] += 1
        return out

    def remove(self, row: int) -> int:
        seq = self._seqs[row]
        self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
        self._free.append(seq)
        last = self.rows - 1
        if row != last:  # no copy: the last row keeps its sequence, under the freed row's index
            self._seqs[row], self.lengths[row] = self._seqs[last], self.lengths[last]
        self._seqs.pop()
        self.lengths.pop()
        return last

    def reset(self) -> None:
        self._lc.llama_memory_clear(self._mem, True)
        self._seqs.clear()
        self.lengths.clear()
        self._free = list(range(self.max_rows - 1, -1, -1))

    def close(self) -> None:
        lc = self._lc
        if getattr(self, "_batch", None) is not None:
            lc.llama_batch_free(self._batch)
            self._batch = None
        if self._ctx:
            lc.llama_free(self._ctx)
            self._ctx = None
        if self._model:
            lc.llama_model_free(self._model)
            self._model = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
