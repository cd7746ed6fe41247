"""The HTTP API (FastAPI): /v1/models, /v1/chat/completions, /v1/completions, in OpenAI's shapes.

Each request, in order: the key (401 when absent or unknown), the body (413 over the limit, 400 for bad
JSON or fields), the model (404), the key's rate (429), the prompt against the context (400), then the
policy's decision for the key's user on the model, recorded in the same transaction (401 for a revoked or
expired key, 403 without the grant or for a disabled user), the engine's queue (503 when full), the tokens,
and the `serve.response` entry before the last byte. Every refusal is recorded too. The handler never
raises into the server: whatever goes wrong is answered, and the next request is served.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from studio.core import operations as ops
from studio.core.errors import AuditWriteError, StudioError
from studio.core.security import apikeys
from studio.core.services.keys import KeyRejected
from studio.core.serving.auditor import refusal_status
from studio.core.serving.engine import Job, QueueFull
from studio.core.serving.protocol import ApiError, ChatRequest, CompletionRequest, parse
from studio.core.serving.textstream import TextStream

if TYPE_CHECKING:
    from studio.core.serving.served import ServedModel
    from studio.core.serving.server import Server

log = logging.getLogger(__name__)

_DRAIN_LIMIT = 64 * 1024 * 1024  # past this a too-large body is not even read to its end


def _error_response(error: ApiError) -> JSONResponse:
    headers = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, int(error.retry_after_s + 0.999)))
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


class _Inbox:
    """What the engine's thread hands one request: items pushed from any thread, taken all at once on the
    event loop. The loop is woken once per batch of items, not once per token (each wake-up is a write to
    the loop's self-pipe; with 8 streams and a busy loop those were most of the serving overhead)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._items: list[Any] = []
        self._lock = threading.Lock()
        self._ready = asyncio.Event()

    def push(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)
            if len(self._items) > 1:
                return  # a wake-up is already on its way
        self._loop.call_soon_threadsafe(self._ready.set)

    async def get_all(self) -> list[Any]:
        while True:
            with self._lock:
                items, self._items = self._items, []
                if items:
                    self._ready.clear()
                    return items
            await self._ready.wait()
            self._ready.clear()


class _Call:
    """One request as it goes through the checks: what is known of it so far, for its audit entry."""

    def __init__(self, endpoint: str, client: str):
        self.started = time.perf_counter()
        self.request_id = uuid.uuid4().hex[:24]
        self.endpoint = endpoint
        self.client = client
        self.actor: Any = None
        self.key_prefix = ""
        self.served: ServedModel | None = None
        self.requested_model = ""
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.ttft_ms: float | None = None
        self.stream = False
        self.prompt_text: str | None = None
        self.completion_text: list[str] = []
        self.recorded = False  # the request's refusal is in the log already

    def details(self, **extra: Any) -> dict[str, Any]:
        d: dict[str, Any] = {"request_id": self.request_id, "endpoint": self.endpoint, "client": self.client}
        if self.actor is not None:
            d["key_id"] = self.actor.key_id
        if self.key_prefix:
            d["key"] = self.key_prefix
        if self.served is not None:
            d.update(model=self.served.name, version=self.served.version)
        elif self.requested_model:
            d["model"] = self.requested_model[:200]
        d.update(extra)
        return d

    @property
    def latency_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0


class Api:
    def __init__(self, server: Server):
        self.server = server
        self.options = server.options

    # -- the checks ----------------------------------------------------------------------------------------
    def _authenticate(self, call: _Call, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "You didn't provide an API key. Send it as 'Authorization: Bearer msk_...' "
                                "(make one with `studio keys create`).", "missing_api_key")
        token = token.strip()
        call.key_prefix = apikeys.display_prefix(token)
        try:
            call.actor = self.server.authenticate(token)
        except KeyRejected as error:
            call.key_prefix = f"{call.key_prefix} (sha256 {apikeys.fingerprint(token)})"
            raise ApiError(401, str(error), error.code) from None

    async def _body(self, call: _Call, request: Request) -> Any:
        limit = self.options.max_body_bytes
        declared = request.headers.get("content-length")
        too_big = declared is not None and declared.isdigit() and int(declared) > limit
        data, total = bytearray(), 0
        async for chunk in request.stream():  # read to the end (up to a bound) so the 413 reaches the client
            total += len(chunk)
            if not too_big:
                data += chunk
                if total > limit:
                    too_big, data = True, bytearray()
            if too_big and total > _DRAIN_LIMIT:
                break
        if too_big:
            raise ApiError(413, f"The request body is larger than this server accepts ({limit} bytes).",
                           "request_too_large")
        try:
            return json.loads(bytes(data))
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, f"We could not parse the JSON body of your request ({error}).",
                           "invalid_json") from None

    def _model(self, call: _Call, name: str) -> ServedModel:
        call.requested_model = name
        served = self.server.find_model(name)
        if served is None:
            raise ApiError(404, f"The model '{name}' does not exist on this server (see /v1/models).",
                           "model_not_found", "model")
        call.served = served
        return served

    def _rate(self, call: _Call) -> None:
        wait = self.server.limiter.take(call.actor.key_id, call.actor.rate_per_min)
        if wait > 0:
            raise ApiError(429, f"Rate limit reached for this API key ({call.actor.rate_per_min} requests a "
                                f"minute); try again in {wait:.1f} s.", "rate_limit_exceeded",
                           retry_after_s=wait)

    def _fit(self, call: _Call, served: ServedModel, ids: list[int], asked: int | None) -> int:
        context = served.context_length
        call.prompt_tokens = len(ids)
        room = context - len(ids)
        if asked is None:
            asked = room
        if room < 1 or asked > room:
            raise ApiError(400, f"This model's maximum context length is {context} tokens. However, you requested "
                                f"{len(ids) + asked} tokens ({len(ids)} in the prompt, {asked} for the completion). "
                                "Shorten the prompt or lower max_tokens.", "context_length_exceeded",
                           "max_tokens" if room >= 1 else "messages")
        return asked

    async def _admit(self, call: _Call) -> None:
        served = call.served
        assert served is not None and call.actor is not None
        details = call.details(tokens_in=call.prompt_tokens, stream=call.stream)
        if call.prompt_text is not None:
            details["prompt_text"] = call.prompt_text
        try:
            decision = await asyncio.wrap_future(self.server.auditor.admit(call.actor, str(served.model_id), details))
        except AuditWriteError as error:
            raise ApiError(503, f"{error} Try again later.", "audit_unavailable") from None
        if not decision.allowed:
            call.recorded = True
            raise ApiError(refusal_status(decision), f"{call.actor.user_name} may not use {served.id}: "
                                                     f"{decision.reason}.",
                           "api_key_" + decision.code if decision.code else "permission_denied")

    async def _record_refusal(self, call: _Call, error: ApiError) -> None:
        if call.recorded:
            self.server.note(call, outcome_label(error.status), error.status)
            return
        outcome = "denied" if error.status in (401, 403, 429) else "failed"
        details = call.details(status=error.status, error=error.code, message=error.message[:300])
        actor = call.actor
        try:
            await asyncio.wrap_future(self.server.auditor.record(
                ops.SERVE_REQUEST, actor.user_id if actor else None, actor.user_name if actor else "(unknown key)",
                str(call.served.model_id) if call.served else None, outcome, details))
        except AuditWriteError:
            log.error("a refused request could not be recorded in the audit log")
        self.server.note(call, outcome_label(error.status), error.status)

    async def _record_response(self, call: _Call, finish: str, status: int = 200, error: str | None = None) -> None:
        await asyncio.wrap_future(self._queue_response(call, finish, status, error))

    def _queue_response(self, call: _Call, finish: str, status: int = 200, error: str | None = None):
        served = call.served
        assert served is not None and call.actor is not None
        details = call.details(tokens_in=call.prompt_tokens, tokens_out=call.completion_tokens,
                               latency_ms=round(call.latency_ms, 1), finish=finish, status=status)
        if call.ttft_ms is not None:
            details["ttft_ms"] = round(call.ttft_ms, 1)
        if error:
            details["error"] = error
        if call.prompt_text is not None:
            details["completion_text"] = "".join(call.completion_text)
        return self.server.auditor.record(ops.SERVE_RESPONSE, call.actor.user_id, call.actor.user_name,
                                          str(served.model_id), "allowed" if status == 200 else "failed", details)

    # -- the endpoints -------------------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        call = _Call("models", _client(request))
        try:
            self._authenticate(call, request)
            visible, refusal = self.server.visible_models(call.actor)
            if refusal is not None:
                raise ApiError(refusal_status(refusal), f"This API key may not act: {refusal.reason}.",
                               "api_key_" + refusal.code if refusal.code else "permission_denied")
            try:
                await asyncio.wrap_future(self.server.auditor.record(
                    ops.SERVE_REQUEST, call.actor.user_id, call.actor.user_name, None, "allowed",
                    call.details(listed=[m.id for m in visible])))
            except AuditWriteError as error:
                raise ApiError(503, f"{error} Try again later.", "audit_unavailable") from None
            call.recorded = True
            self.server.note(call, "ok", 200)
            return JSONResponse({"object": "list", "data": [
                {"id": m.id, "object": "model", "created": m.created, "owned_by": "model-studio"} for m in visible]})
        except ApiError as error:
            await self._record_refusal(call, error)
            return _error_response(error)

    async def generate(self, request: Request, chat: bool) -> Response:
        call = _Call("chat.completions" if chat else "completions", _client(request))
        try:
            self._authenticate(call, request)
            data = await self._body(call, request)
            body = parse(ChatRequest if chat else CompletionRequest, data)
            call.stream = body.stream
            served = self._model(call, body.model)
            self._rate(call)
            if chat:
                if not served.template.available:
                    raise ApiError(400, f"{served.id} has no chat template; use /v1/completions with a prompt.",
                                   "no_chat_template", "messages")
                try:
                    text = served.template.render([m.model_dump() for m in body.messages])
                except StudioError as error:
                    raise ApiError(400, str(error), "invalid_messages", "messages") from None
                ids = served.template.encode(text)
            else:
                text = body.text
                ids = served.encode(text)
            stops = tuple(served.template.stop) + body.stops
            if self.server.record_text:
                call.prompt_text = text
            max_tokens = self._fit(call, served, ids, body.token_limit)
            await self._admit(call)
        except ApiError as error:
            await self._record_refusal(call, error)
            return _error_response(error)
        except Exception as error:  # a bug must not take the server down; the request is answered and recorded
            log.exception("request %s failed before generation", call.request_id)
            failure = ApiError(500, f"The server failed on this request ({type(error).__name__}).", "server_error")
            await self._record_refusal(call, failure)
            return _error_response(failure)
        job, events = self._job(served, ids, max_tokens, body)
        try:
            served.engine.submit(job)
        except QueueFull as error:
            await self._end_quietly(call, "overloaded", 503, str(error))
            return _error_response(ApiError(503, f"The server is busy ({error}); try again shortly.",
                                            "server_overloaded", retry_after_s=1.0))
        stream = TextStream(served.tokenizer, stops)
        if body.stream:
            return StreamingResponse(self._sse(call, chat, body, job, events, stream),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        return await self._whole(call, chat, job, events, stream)

    def _job(self, served: ServedModel, ids: list[int], max_tokens: int, body: Any) -> tuple[Job, _Inbox]:
        inbox = _Inbox(asyncio.get_running_loop())
        job = Job(ids, max_tokens, lambda token: inbox.push(("token", token, None)),
                  lambda reason, error: inbox.push(("end", reason, error)), temperature=body.temperature,
                  top_p=body.top_p if body.top_p < 1.0 else None, top_k=body.top_k, seed=body.seed,
                  stop_ids=served.stop_ids)
        return job, inbox

    async def _pieces(self, call: _Call, job: Job, events: _Inbox, stream: TextStream,
                      stop_ids: frozenset[int]) -> AsyncIterator[tuple[str, str | None]]:
        """(text, None) pieces, then ("", finish_reason) once: "stop", "length" or "error:<message>". Tokens
        that arrived together (the client or the loop fell behind the engine) make one piece."""
        while True:
            text: list[str] = []
            end: tuple[str, BaseException | None] | None = None
            for kind, value, error in await events.get_all():
                if kind == "end":
                    end = (value, error)
                    break
                call.completion_tokens += 1
                if value in stop_ids:
                    continue
                text.append(stream.feed(value))
                if stream.stopped:
                    job.cancel()
                    end = ("stopped", None)
                    break
            piece = "".join(text)
            if piece:
                if call.ttft_ms is None:
                    call.ttft_ms = call.latency_ms
                call.completion_text.append(piece)
                yield piece, None
            if end is None:
                continue
            reason, error = end
            if reason == "error":
                yield "", f"error:{type(error).__name__}: {error}"
                return
            rest = stream.finish() if reason != "stopped" else ""
            if rest:
                call.completion_text.append(rest)
                yield rest, None
            yield "", "length" if reason == "length" else "stop"
            return

    async def _whole(self, call: _Call, chat: bool, job: Job, events: _Inbox, stream: TextStream) -> Response:
        served = call.served
        assert served is not None
        parts: list[str] = []
        finish = "stop"
        async for piece, end in self._pieces(call, job, events, stream, served.stop_ids):
            if end is None:
                parts.append(piece)
            else:
                finish = end
        if finish.startswith("error:"):
            await self._end_quietly(call, "error", 500, finish[6:])
            return _error_response(ApiError(500, f"Generation failed: {finish[6:]}", "server_error"))
        try:
            await self._record_response(call, finish)
        except AuditWriteError as error:
            self.server.note(call, "audit failed", 503)
            return _error_response(ApiError(503, f"{error} The answer was withheld.", "audit_unavailable"))
        self.server.note(call, finish, 200)
        text = "".join(parts)
        usage = self._usage(call)
        if chat:
            return JSONResponse({"id": f"chatcmpl-{call.request_id}", "object": "chat.completion",
                                 "created": int(time.time()), "model": served.id,
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                              "logprobs": None, "finish_reason": finish}], "usage": usage})
        return JSONResponse({"id": f"cmpl-{call.request_id}", "object": "text_completion", "created": int(time.time()),
                             "model": served.id, "choices": [{"index": 0, "text": text, "logprobs": None,
                                                              "finish_reason": finish}], "usage": usage})

    async def _sse(self, call: _Call, chat: bool, body: Any, job: Job, events: _Inbox,
                   stream: TextStream) -> AsyncIterator[bytes]:
        served = call.served
        assert served is not None
        created = int(time.time())
        ident = f"{'chatcmpl' if chat else 'cmpl'}-{call.request_id}"

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            obj = {"id": ident, "object": "chat.completion.chunk" if chat else "text_completion",
                   "created": created, "model": served.id, "choices": choices, **extra}
            return b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n"

        def choice(text: str | None, finish: str | None, first: bool = False) -> dict[str, Any]:
            if chat:
                delta: dict[str, Any] = {"role": "assistant", "content": ""} if first else (
                    {"content": text} if text else {})
                return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}

        ended = False
        try:
            if chat:
                yield event([choice(None, None, first=True)])
            async for piece, end in self._pieces(call, job, events, stream, served.stop_ids):
                if end is None:
                    yield event([choice(piece, None)])
                    continue
                ended = True
                if end.startswith("error:"):
                    await self._end_quietly(call, "error", 500, end[6:])
                    yield b"data: " + json.dumps(ApiError(500, f"Generation failed: {end[6:]}",
                                                          "server_error").body()).encode() + b"\n\n"
                    return
                try:
                    await self._record_response(call, end)
                except AuditWriteError as error:
                    self.server.note(call, "audit failed", 503)
                    yield b"data: " + json.dumps(ApiError(503, f"{error} The end of the answer was withheld.",
                                                          "audit_unavailable").body()).encode() + b"\n\n"
                    return
                self.server.note(call, end, 200)
                yield event([choice(None, end)])
                if body.include_usage:
                    yield event([], usage=self._usage(call))
                yield b"data: [DONE]\n\n"
        finally:
            if not ended:  # the client went away (or the server stops): stop generating, and say so in the log
                job.cancel()
                # Not awaited: a cancelled task cannot wait here (anyio cancels every later await too); the
                # entry is queued all the same and written with the next commit.
                self._queue_response(call, "cancelled", 499, "the client closed the connection")
                self.server.note(call, "cancelled", 499)

    async def _end_quietly(self, call: _Call, finish: str, status: int, error: str) -> None:
        try:
            await self._record_response(call, finish, status, error)
        except AuditWriteError:
            log.error("the end of request %s could not be recorded in the audit log", call.request_id)
        self.server.note(call, finish, status)

    @staticmethod
    def _usage(call: _Call) -> dict[str, int]:
        return {"prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
                "total_tokens": call.prompt_tokens + call.completion_tokens}


def outcome_label(status: int) -> str:
    return {400: "bad request", 401: "bad key", 403: "denied", 404: "no such model", 413: "too large",
            429: "rate limited", 503: "busy"}.get(status, f"error {status}")


def _client(request: Request) -> str:
    client = request.client
    return f"{client.host}:{client.port}" if client else "?"


def create_app(server: Server) -> FastAPI:
    api = Api(server)
    app = FastAPI(title="Model Studio", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/v1/models")
    async def list_models(request: Request) -> Response:
        return await api.models(request)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await api.generate(request, chat=True)

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await api.generate(request, chat=False)

    @app.get("/health")
    async def health() -> Response:
        return JSONResponse({"status": "ok"})

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        return _error_response(ApiError(404, f"Unknown path {request.url.path}: this server offers /v1/models, "
                                             "/v1/chat/completions and /v1/completions.", "unknown_url"))

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc: Exception) -> Response:
        return JSONResponse(ApiError(405, f"{request.method} is not allowed on {request.url.path}.",
                                     "method_not_allowed").body(), status_code=405)

    return app
