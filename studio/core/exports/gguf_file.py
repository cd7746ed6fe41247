"""GGUF for llama.cpp, Ollama and LM Studio, written with the `gguf` package that llama.cpp publishes.

    studio export stories out.gguf --format gguf --quant q8_0     -> out.gguf + out.Modelfile (Ollama)

The network comes from gguf_arch.py (architecture, hyperparameters, tensor names), the tokenizer from
gguf_vocab.py (so that llama.cpp gives the studio's ids), and the chat template goes into
`tokenizer.chat_template` as the version has it. Quantization: f32, f16, bf16, and the block formats the
`gguf` package can quantize itself (q8_0, q4_0, q4_1, q5_0, q5_1; its K-quants only dequantize, so they are
not offered). Norms, biases and other 1-D tensors stay f32, as llama.cpp's converter keeps them; a matrix whose
rows do not split into 32-value blocks is written f16 and the export says so.

A quantized studio version (int8 per row, int4 per group) is dequantized and then written in the chosen type
(by default q8_0 for int8 and q4_0 for int4, the nearest sizes): the integer codes are not copied, because
GGUF's blocks have their own scales (an f16 scale per 32 values), so a copy would not be exact either.

`write_gguf(model, tokenizer, path)` is also what the llama.cpp serving back-end uses on a memfd path, so a
file for llama.cpp need never touch the disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.core.errors import ValidationError
from studio.core.exports.base import ExportFormat, ExportOptions, ExportResult, ExportSource, Progress

QUANTS = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1")
MODELFILE_SUFFIX = ".Modelfile"


def _types(quant: str) -> tuple[Any, Any]:
    import gguf

    q = gguf.GGMLQuantizationType
    f = gguf.LlamaFileType
    return {"f32": (q.F32, f.ALL_F32), "f16": (q.F16, f.MOSTLY_F16), "bf16": (q.BF16, f.MOSTLY_BF16),
            "q8_0": (q.Q8_0, f.MOSTLY_Q8_0), "q4_0": (q.Q4_0, f.MOSTLY_Q4_0), "q4_1": (q.Q4_1, f.MOSTLY_Q4_1),
            "q5_0": (q.Q5_0, f.MOSTLY_Q5_0), "q5_1": (q.Q5_1, f.MOSTLY_Q5_1)}[quant]


def _encode(tensor: Any, qtype: Any, name: str, fallbacks: list[str]) -> tuple[Any, Any]:
    """(numpy data, raw GGML type) of one tensor in the chosen type (1-D tensors stay f32)."""
    import gguf
    import numpy as np

    data = tensor.detach().to("cpu").float().numpy()
    q = gguf.GGMLQuantizationType
    if data.ndim < 2 or qtype == q.F32:
        return np.ascontiguousarray(data, dtype=np.float32), q.F32
    if qtype == q.F16:
        return data.astype(np.float16), q.F16
    block, _ = gguf.GGML_QUANT_SIZES[qtype]
    if data.shape[-1] % block:
        fallbacks.append(name)
        return data.astype(np.float16), q.F16
    return gguf.quants.quantize(data, qtype), qtype


def write_gguf(model: Any, tokenizer: Any, path: str | Path, *, quant: str = "f32", name: str = "model",
               chat_template: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Write `model` (native GPT or a transformers family model) with its tokenizer (a ModelTokenizer or a
    studio datasets Tokenizer) as GGUF at `path`; returns {"arch", "tensors", "notes"}."""
    import gguf

    from studio.core.exports.gguf_arch import plan_for
    from studio.core.exports.gguf_vocab import vocab_for, write_vocab

    if quant not in QUANTS:
        raise ValidationError(f"GGUF quantization {quant!r} is not one the studio writes; choose "
                              f"{', '.join(QUANTS)}.", field="quant")
    plan = plan_for(model)
    vocab = vocab_for(tokenizer, plan.vocab_size)
    qtype, ftype = _types(quant)
    w = gguf.GGUFWriter(str(path), plan.arch)
    try:
        w.add_name(name)
        for key, value in plan.hparams.items():
            getattr(w, f"add_{key}")(value)
        w.add_file_type(ftype)
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
        template = chat_template if chat_template is not None else getattr(tokenizer, "chat_template", None)
        write_vocab(w, vocab, template)
        fallbacks: list[str] = []
        for i, (gguf_name, tensor) in enumerate(plan.tensors):
            data, raw = _encode(tensor, qtype if gguf_name != "rope_freqs.weight" else gguf.GGMLQuantizationType.F32,
                                gguf_name, fallbacks)
            w.add_tensor(gguf_name, data, raw_dtype=raw)
            if progress:
                progress(0.9 * (i + 1) / len(plan.tensors))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
    finally:
        w.close()
    notes = list(plan.notes) + list(vocab.notes)
    if fallbacks:
        notes.append(f"{len(fallbacks)} matrices whose rows do not split into {quant} blocks were written as f16 "
                     f"({', '.join(fallbacks[:3])}{' ...' if len(fallbacks) > 3 else ''}).")
    return {"arch": plan.arch, "tensors": [n for n, _ in plan.tensors], "notes": notes}


# --- Ollama ------------------------------------------------------------------------------------------------------

_STUDIO_GO = ('{{- range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}assistant: ')
_CHATML_GO = ('{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}'
              '<|im_start|>assistant\n')


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def modelfile(gguf_name: str, tokenizer: Any, context_length: int) -> str:
    """An Ollama Modelfile for the GGUF file beside it: the chat template in Ollama's Go template language where
    the studio knows its shape (the studio's own, ChatML), else left to Ollama, which reads the template in the
    GGUF; the stop strings and end tokens; the context length."""
    from studio.core.models.families.gpt import STUDIO_CHAT_TEMPLATE

    lines = [f"# Ollama: ollama create NAME -f {gguf_name.removesuffix('.gguf')}{MODELFILE_SUFFIX}",
             f"FROM ./{gguf_name}"]
    template = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
    if template == STUDIO_CHAT_TEMPLATE:
        lines.append(f'TEMPLATE """{_STUDIO_GO}"""')
    elif template and "<|im_start|>" in template:
        lines.append(f'TEMPLATE """{_CHATML_GO}"""')
    elif template:
        lines.append("# The chat template is in the GGUF file (tokenizer.chat_template); Ollama reads it there.")
    stops: list[str] = list(getattr(tokenizer, "stop_strings", ()) or ()) if tokenizer is not None else []
    for i in getattr(tokenizer, "stop_ids", ()) or ():
        text = tokenizer.decode([i], skip_special=False)
        if text and text not in stops:
            stops.append(text)
    lines += [f"PARAMETER stop {_quoted(s)}" for s in stops]
    lines.append(f"PARAMETER num_ctx {int(context_length)}")
    return "\n".join(lines) + "\n"


# --- the format ----------------------------------------------------------------------------------------------------


class GGUFFormat(ExportFormat):
    name = "gguf"
    label = "GGUF for llama.cpp, Ollama and LM Studio"
    suffix = ".gguf"
    quants = QUANTS

    def default_quant(self, source: ExportSource) -> str:
        desc = source.compression or {}
        bits = str((desc.get("recipe") or {}).get("quant", ""))
        if source.quantized:
            return "q4_0" if "4" in bits else "q8_0"
        return "f16"

    def check(self, source: ExportSource, options: ExportOptions) -> None:
        from studio.core.exports.gguf_arch import plan_for

        if source.tokenizer is None:
            raise ValidationError("This version has no tokenizer, and a GGUF file must carry one for llama.cpp to "
                                  "turn text into tokens.", field="format")
        plan_for(source.dequantized_model())  # refusals before the audited operation

    def write(self, source: ExportSource, out: Path, options: ExportOptions,
              progress: Progress | None = None) -> ExportResult:
        quant = options.quant or self.default_quant(source)
        model = source.dequantized_model()
        info = write_gguf(model, source.tokenizer, out, quant=quant, name=source.model_name, progress=progress)
        mf = out.with_name(out.name.removesuffix(".gguf") + MODELFILE_SUFFIX)
        mf.write_text(modelfile(out.name, source.tokenizer, source.family.context_length(model)), encoding="utf-8")
        size = out.stat().st_size + mf.stat().st_size
        return ExportResult(out, (out.name, mf.name), size, self.name, quant=quant, notes=tuple(info["notes"]))

    def verify(self, path: Path, source: ExportSource, options: ExportOptions) -> dict[str, Any]:
        """gguf's reader: the architecture, every tensor with its shape, the vocabulary; with `check`,
        llama.cpp (llama-cpp-python, when installed) runs the file and its logits are compared."""
        from studio.core.exports.gguf_arch import plan_for

        report = read_back(path, plan_for(source.dequantized_model()))
        if options.check:
            report["llama.cpp"] = llama_cpp_check(path, source, options.quant or self.default_quant(source))
        return report


def read_back(path: Path, plan: Any) -> dict[str, Any]:
    """The file through gguf's reader, against the plan it was written from."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    arch = reader.get_field("general.architecture")
    arch = arch.contents() if arch is not None else None
    if arch != plan.arch:
        raise ValidationError(f"The GGUF file says architecture {arch!r}, not {plan.arch!r}.")
    names = [t.name for t in reader.tensors]
    if names != [n for n, _ in plan.tensors]:
        raise ValidationError("The GGUF file's tensors are not the ones written.")
    for t, (_, tensor) in zip(reader.tensors, plan.tensors, strict=True):
        if tuple(int(d) for d in reversed(t.shape.tolist())) != tuple(tensor.shape):
            raise ValidationError(f"The GGUF tensor {t.name} has shape {tuple(t.shape)}, not {tuple(tensor.shape)}.")
    tokens = reader.get_field("tokenizer.ggml.tokens")
    return {"arch": arch, "tensors": len(names), "tokens": len(tokens.data) if tokens is not None else 0}


def llama_cpp_check(path: Path, source: ExportSource, quant: str) -> dict[str, Any]:
    """llama.cpp's logits on the probe against the studio's (f32 within 1e-3; f16/bf16 within 0.05; block
    quantizations: the same greedy token at most positions is all one can ask)."""
    from studio.core.exports.checks import compare_logits, probe_ids

    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"runtime": "llama.cpp", "skipped": "llama-cpp-python is not installed (make setup installs it)"}
    from studio.core.exports.llama_cpp_lib import LlamaCppModel

    ids = probe_ids(source)
    with LlamaCppModel(str(path), max(len(ids) + 8, 32), threads=1) as llm:
        theirs = llm.eval_all(ids)
    tolerance = {"f32": 1e-3, "f16": 5e-2, "bf16": 1e-1}.get(quant, float("inf"))
    return compare_logits(source, ids, theirs, "llama.cpp", tolerance)


FORMAT = GGUFFormat()
