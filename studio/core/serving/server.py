"""The server: uvicorn on its own thread over the FastAPI app, the served models' engines, the auditor, and
what the Serving pane shows (the requests as they end, tokens per second).

Built by `studio.serving.start(...)` (services/serving.py), which decrypts the models and checks that the
user may serve them. `Server.stop()` stops accepting, lets the live requests end, and writes what the
auditor still holds.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.core import operations as ops
from studio.core.security import policy
from studio.core.security.apikeys import ApiKeyActor, KeyAuthority
from studio.core.security.policy import Decision
from studio.core.security.session import AuditKeys
from studio.core.serving.auditor import RequestAuditor
from studio.core.serving.options import DEFAULT_PORT, RequestRecord, ServeOptions, is_loopback  # noqa: F401
from studio.core.serving.ratelimit import RateLimiter

if TYPE_CHECKING:
    import uvicorn

    from studio.core.serving.served import ServedModel

log = logging.getLogger(__name__)

class Server:
    def __init__(self, studio: Any, models: list[ServedModel], options: ServeOptions, authority: KeyAuthority,
                 audit_keys: AuditKeys | None, record_text: bool = False):
        self.studio = studio
        self.models = models
        self.options = options
        self.record_text = record_text
        self.limiter = RateLimiter()
        self.auditor = RequestAuditor(studio, audit_keys)
        self._authority = authority
        self._by_name: dict[str, ServedModel] = {m.id: m for m in models}
        for name in {m.name for m in models}:
            same = [m for m in models if m.name == name]
            if len(same) == 1:  # "NAME" alone means the one version served
                self._by_name.setdefault(name, same[0])
        self.records: deque[RequestRecord] = deque(maxlen=2000)
        self._listeners: list[Callable[[RequestRecord], None]] = []
        self._lock = threading.Lock()
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.started_at = 0.0
        self.host, self.port = options.host, options.port
        self.failed: BaseException | None = None

    # -- what the API handlers call ------------------------------------------------------------------------
    def authenticate(self, token: str) -> ApiKeyActor:
        return self.studio.keys.authenticate(self._authority, token)

    def find_model(self, name: str) -> ServedModel | None:
        return self._by_name.get(name.strip())

    def visible_models(self, actor: ApiKeyActor) -> tuple[list[ServedModel], Decision | None]:
        """The served models this key's user may use now, or the refusal of the key itself."""
        out = []
        with self.studio.db.session() as s:
            for m in self.models:
                decision = policy.decide(s, actor, ops.SERVE_REQUEST, "model", str(m.model_id))
                if decision.code in policy.KEY_REFUSALS or (not decision.allowed and "disabled" in decision.reason):
                    return [], decision
                if decision.allowed:
                    out.append(m)
        return out, None

    def note(self, call: Any, outcome: str, status: int) -> None:
        record = RequestRecord(time.time(), call.request_id, call.actor.user_name if call.actor else "(unknown key)",
                               call.key_prefix, call.served.id if call.served else call.requested_model,
                               call.endpoint, call.prompt_tokens, call.completion_tokens, call.latency_ms, call.ttft_ms,
                               outcome, status)
        with self._lock:
            self.records.append(record)
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(record)
            except Exception:
                log.exception("a request listener failed")

    # -- for the Serving pane and the CLI ------------------------------------------------------------------
    def add_listener(self, fn: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def recent(self, since: float = 0.0) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.records if r.at > since]

    def tokens_generated(self) -> int:
        return sum(m.engine.stats.tokens for m in self.models)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- life --------------------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> None:
        """Bind (errors such as a port in use come from here, before anything runs), then serve on a thread."""
        import uvicorn

        from studio.core.serving.app import create_app

        family = socket.AF_INET6 if ":" in self.options.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.options.host, self.options.port))
        except OSError:
            sock.close()
            raise
        sock.listen(256)
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        config = uvicorn.Config(create_app(self), log_level="warning", access_log=False, lifespan="off",
                                limit_concurrency=self.options.max_connections, timeout_graceful_shutdown=10,
                                server_header=False)
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="studio-serve-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._uvicorn.started:
            self.stop()
            raise RuntimeError(f"the HTTP server did not start: {self.failed or 'timed out'}")
        self.started_at = time.time()

    def _run(self) -> None:
        assert self._uvicorn is not None and self._socket is not None
        try:
            self._uvicorn.run(sockets=[self._socket])
        except BaseException as error:  # reported by start() / shown by the pane
            self.failed = error
            log.exception("the HTTP server stopped with an error")

    def stop(self, timeout: float = 15.0) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        for m in self.models:
            m.engine.close()
        self.auditor.close()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def wait(self) -> None:
        """Block until the server stops (the CLI: Ctrl+C)."""
        while self.running:
            time.sleep(0.2)
