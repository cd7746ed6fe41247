"""A batch runner over llama.cpp (`studio serve --backend llama.cpp`): the model written as GGUF into a memfd
(anonymous memory: the plaintext weights never touch the disk, as with the torch runner), loaded by llama.cpp
from /proc/self/fd/N, and decoded with llama.cpp's own batches, one sequence per row. Any float model the GGUF
export writes is served so (the native GPT and the Llama, Qwen, Mistral, Phi-3, Gemma families).

llama.cpp's compiled decode step is faster than torch's eager one on small models on a CPU (1.6-1.8x here)
(docs/benchmarks.md, "Serving"); its logits agree with the studio's within 1e-3, so greedy text is the
same in practice but not bit for bit (the torch runner is: it stays the default).
"""

from __future__ import annotations

import os
from typing import Any

import torch

from studio.core.errors import StudioError, ValidationError

ROW_CONTEXT = 4096  # positions a row may reach (prompt + completion); the server refuses more


def available() -> bool:
    from studio.core.serving.backends import llama_cpp_available

    return llama_cpp_available()


class LlamaCppRunner:
    def __init__(self, model: Any, tokenizer: Any, max_rows: int, threads: int | None = None):
        try:
            import llama_cpp  # noqa: F401
        except ImportError as error:
            raise StudioError("The llama.cpp back-end needs llama-cpp-python, which a source install has (make setup) "
                              "and the packaged app does not; use --backend torch.") from error
        from studio.core.exports.gguf_arch import plan_for
        from studio.core.exports.gguf_file import write_gguf
        from studio.core.exports.llama_cpp_lib import LlamaCppModel
        from studio.core.models.family import family_of

        if any(name.endswith(".qweight") for name in model.state_dict()):
            raise ValidationError("the llama.cpp back-end serves float models only (this one is quantized by the "
                                  "studio); use --backend torch")
        try:
            plan_for(model)  # the GGUF export's own refusals (a pruned GPT, an unsupported family), with the reason
        except ValidationError as error:
            raise ValidationError(f"{error} Use --backend torch.") from error
        family = family_of(model)
        self.vocab_size = family.vocab_size(model)
        # llama.cpp reserves each row's KV cache up front (the torch runners grow theirs): a Hugging Face
        # model's 128K positions x 8 rows would take tens of GB, so a row holds at most ROW_CONTEXT
        self.context_length = min(family.context_length(model), ROW_CONTEXT)
        self.max_rows = int(max_rows)
        self._fd = os.memfd_create("studio-serve.gguf", os.MFD_CLOEXEC)
        self._llm = None
        try:
            path = f"/proc/self/fd/{self._fd}"
            write_gguf(model, tokenizer, path)
            self._llm = LlamaCppModel(path, self.context_length, n_seq=self.max_rows,
                                      threads=threads or torch.get_num_threads())
            if self._llm.vocab_size != self.vocab_size:  # the GGUF vocabulary is padded to the embedding's rows
                raise StudioError(f"llama.cpp sees {self._llm.vocab_size} tokens, the model has {self.vocab_size}.")
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

    def add(self, prompt_ids: list[int]) -> tuple[int, torch.Tensor]:
        n = len(prompt_ids)
        if not 0 < n <= self.context_length:
            raise ValidationError(f"The prompt has {n} tokens; this model takes 1 to {self.context_length}.")
        if not self._free:
            raise RuntimeError("no free row in the KV cache")
        seq = self._free.pop()
        try:
            self._llm.decode([(t, p, seq, p == n - 1) for p, t in enumerate(prompt_ids)])
        except BaseException:
            self._llm.forget(seq)
            self._free.append(seq)
            raise
        self._seqs.append(seq)
        self.lengths.append(n)
        return self.rows - 1, self._llm_logits(n - 1)

    def step(self, tokens: list[int]) -> torch.Tensor:
        if len(tokens) != self.rows:
            raise ValueError(f"step got {len(tokens)} tokens for {self.rows} rows")
        if max(self.lengths) >= self.context_length:
            raise ValidationError("A request reached the end of the model's context.")
        self._llm.decode([(t, self.lengths[r], self._seqs[r], True) for r, t in enumerate(tokens)])
        out = torch.stack([self._llm_logits(i) for i in range(len(tokens))])
        for r in range(len(tokens)):
            self.lengths[r] += 1
        return out

    def remove(self, row: int) -> int:
        seq = self._seqs[row]
        self._llm.forget(seq)
        self._free.append(seq)
        last = self.rows - 1
        if row != last:  # no copy: the last row keeps its sequence, under the freed row's index
            self._seqs[row], self.lengths[row] = self._seqs[last], self.lengths[last]
        self._seqs.pop()
        self.lengths.pop()
        return last

    def reset(self) -> None:
        self._llm.clear()
        self._seqs.clear()
        self.lengths.clear()
        self._free = list(range(self.max_rows - 1, -1, -1))

    def _llm_logits(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self._llm.logits(i))

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
