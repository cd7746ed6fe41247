"""The OpenAI-compatible server: one more face over the services (docs/architecture.md, "Serving").

- `runner.py`: what the batching engine needs of a model (a batched forward step over a KV cache with one
  row per live request); `gpt_runner.py` implements it for the native GPT.
- `engine.py`: step-level continuous batching over a runner: a bounded queue, one thread, every live request
  advanced by one token per shared forward pass.
- `textstream.py`: tokens to text as they come (whole characters only) and stop strings.
- `chat.py`: a model's chat template.
- `auditor.py`: every request's audit entries, written in group commits that the response waits for.
- `app.py` (FastAPI), `server.py` (uvicorn on a thread), `ratelimit.py`, `protocol.py` (OpenAI shapes).

Only `app.py`, `server.py` and `protocol.py` import FastAPI; the rest is plain Python and torch.
"""
