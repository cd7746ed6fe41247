"""What a server is started with and what it reports, as plain data (imported by the CLI's argument parser,
so nothing heavy here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

DEFAULT_RATE_PER_MIN = 600  # an API key's requests a minute unless its creator says otherwise
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0: any free port
    max_batch: int = 8  # requests advanced together by one forward pass
    max_queue: int = 32  # requests waiting for a row; more are answered 503
    max_body_bytes: int = 1_000_000
    record_text: bool | None = None  # None: the administrator's setting (serving.record_text)
    max_connections: int = 256  # uvicorn answers 503 past this many open connections
    backend: str = "torch"  # or "llama.cpp" (any GGUF-exportable model: GGUF in memory, llama.cpp's decode step)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the Serving pane's table shows it."""

    at: float  # time.time() when it ended
    request_id: str
    user: str
    key: str
    model: str
    endpoint: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    ttft_ms: float | None
    outcome: str  # stop, length, cancelled, error, bad key, denied, rate limited, busy, ...
    status: int


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
