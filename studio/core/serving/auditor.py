"""Every served request in the audit log, in group commits, and nothing sent before its entry is durable.

A request leaves two entries: `serve.request` when it is admitted (the policy's decision and the entry are
made in the same transaction, so an allowed request is on disk before its first token is computed) and
`serve.response` when it ends (tokens, latency, outcome), committed before the last byte of the answer
(the final SSE event, or the whole JSON body) is sent. A refused request leaves one `serve.request` entry
(denied or failed). If an entry cannot be written, the request is refused (503): the log fails closed.

Crash semantics: an entry is only reported written after its transaction committed with synchronous=FULL.
A crash loses no entry of a request that got an answer; a request cut off by a crash has its
`serve.request` entry and no `serve.response`, which is what happened.

Throughput: one writer thread takes every entry waiting when it starts a transaction and commits them
together (one fsync for many requests), so concurrent requests share commits instead of queueing for
SQLite's single writer. Entries are sealed (MACed) with the audit keys of the user who started the server.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from studio.core import operations as ops
from studio.core.errors import AuditWriteError, StudioError
from studio.core.security import policy
from studio.core.security.policy import Decision
from studio.core.security.session import AuditKeys

log = logging.getLogger(__name__)


@dataclass
class _Item:
    action: str
    actor: Any  # an ApiKeyActor to decide for, or None for a plain record
    actor_id: int | None
    actor_name: str
    obj_id: str | None
    outcome: str
    details: dict[str, Any]
    future: Future = field(default_factory=Future)


@dataclass
class AuditorStats:
    entries: int = 0
    commits: int = 0
    failures: int = 0
    largest_batch: int = 0
    commit_s: float = 0.0


class RequestAuditor:
    def __init__(self, studio: Any, keys: AuditKeys | None, *, max_batch: int = 512):
        self._studio = studio
        self._keys = keys
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self.stats = AuditorStats()
        self._thread = threading.Thread(target=self._loop, name="studio-serve-audit", daemon=True)
        self._closed = False
        self._thread.start()

    # -- callers (any thread) ------------------------------------------------------------------------------
    def admit(self, actor: Any, obj_id: str, details: dict[str, Any]) -> Future:
        """Decide `serve.request` on the model for the key's user and record the decision. The future's
        result is the policy's Decision once its entry is durable; AuditWriteError if it could not be."""
        return self._put(_Item(ops.SERVE_REQUEST, actor, actor.user_id, actor.user_name, obj_id, "", details))

    def record(self, action: str, actor_id: int | None, actor_name: str, obj_id: str | None, outcome: str,
               details: dict[str, Any]) -> Future:
        """Append one entry; the future's result is its sequence number once it is durable."""
        return self._put(_Item(action, None, actor_id, actor_name, obj_id, outcome, details))

    def _put(self, item: _Item) -> Future:
        if self._closed:
            item.future.set_exception(AuditWriteError("The server is stopping; the request was not recorded."))
            return item.future
        self._queue.put(item)
        return item.future

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                stop = True
                batch: list[_Item] = []
            else:
                batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    continue
                batch.append(item)
            if batch:
                self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        store = self._studio.audit_store
        results: list[Any] = []
        started = time.perf_counter()
        try:
            with self._studio.db.session(durable=True) as session:
                head = None
                for item in batch:
                    outcome, details, result = item.outcome, item.details, None
                    if item.actor is not None:
                        decision = policy.decide(session, item.actor, item.action, "model", item.obj_id)
                        outcome = "allowed" if decision.allowed else "denied"
                        if not decision.allowed:
                            details = {**details, "reason": decision.reason}
                        result = decision
                    seq, sealed = store.append(session, actor_id=item.actor_id, actor_name=item.actor_name,
                                               action=item.action, obj_type="model" if item.obj_id else None,
                                               obj_id=item.obj_id, outcome=outcome, details=details, keys=self._keys)
                    head = sealed or head
                    results.append(result if result is not None else seq)
        except (StudioError, Exception) as error:
            self.stats.failures += 1
            log.error("served requests could not be recorded in the audit log: %s", error)
            failure = error if isinstance(error, AuditWriteError) else AuditWriteError(
                f"The audit log could not be written ({error}), so the request was refused.")
            for item in batch:
                item.future.set_exception(failure)
            return
        if self._keys is not None:
            store.advance_anchor(self._keys, head)
        self.stats.entries += len(batch)
        self.stats.commits += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        self.stats.commit_s += time.perf_counter() - started
        for item, result in zip(batch, results, strict=True):
            item.future.set_result(result)


def refusal_status(decision: Decision) -> int:
    """401 when the key itself may not act (unknown, tampered, revoked, expired, voided), else 403."""
    return 401 if decision.code in policy.KEY_REFUSALS else 403
