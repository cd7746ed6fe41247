"""Export formats: how a vault version leaves the studio as files other programs run.

One module per format, each an `ExportFormat` (base.py) over the model-family interface, with its own check
with the runtime that reads it:

| format        | module               | what it writes                                   | checked with            |
|---------------|----------------------|--------------------------------------------------|-------------------------|
| safetensors   | safetensors_file.py  | one self-contained file (or shards, zstd)        | safetensors + families  |
| hf            | hf_folder.py         | a Hugging Face folder (the family's export_hf)   | transformers            |
| gguf          | gguf_file.py         | a GGUF file for llama.cpp / Ollama / LM Studio   | gguf's reader, llama.cpp|
| onnx          | onnx_folder.py       | model.onnx (+ KV-cache decoder) and tokenizer    | ONNX Runtime            |

`studio.exports` (services/exports.py) is the one door: access (the export grant), the audited operation,
the staged output that appears only once the entry committed, and the optional OMS signature (signing.py).
A new format is a module listed in base.FORMAT_MODULES; nothing else changes.
"""
