"""Export formats beyond the studio's own (compression/export.py writes safetensors and the Hugging Face
GPT-2 folder). One module per format, each a writer over a loaded model and its tokenizer:

    write_<format>(model, tokenizer, out_path, **options) -> what it wrote

plus its check with the runtime that reads it. `gguf_gpt.py` writes the native GPT as llama.cpp's gpt2
architecture (written for the serving benchmark's llama.cpp anchor; the GGUF export of issue 17 extends
this module with more quantizations, the families and the CLI/GUI export, rather than starting another).
"""
