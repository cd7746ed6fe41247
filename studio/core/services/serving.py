"""Serving: `studio.serving.start(actor, ["MODEL[:VERSION]", ...], ServeOptions(...)) -> Server`.

The user who starts a server unlocks the models: their session opens each model's key (the vault's
audited model.read) and the server holds the decrypted weights in memory for as long as it runs. Requests
do not act as that user: each one is authorised afresh as its API key's user (role, status, grant on the
model; `security/policy.py`), so a requester without a grant is refused although the server holds the key
(docs/threat-model.md, "Serving").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from studio.core import operations as ops
from studio.core.errors import StudioError, ValidationError
from studio.core.security.session import audit_keys_of
from studio.core.services.base import Service
from studio.core.services.keys import authority_of

log = logging.getLogger(__name__)


class ServingService(Service):
    def start(self, actor: Any, refs: Sequence[str], options: Any = None, *, device: str = "cpu") -> Any:
        """Decrypt the models, start the engines and the HTTP server, and record `serve.start` for each
        model. Raises before anything listens if the user may not serve a model or the port is taken."""
        from studio.core.serving.chat import ChatTemplate
        from studio.core.serving.engine import Engine
        from studio.core.serving.loading import load_for_serving
        from studio.core.serving.options import ServeOptions, is_loopback
        from studio.core.serving.runner import runner_for
        from studio.core.serving.served import ServedModel
        from studio.core.serving.server import Server

        options = options or ServeOptions()
        if not refs:
            raise ValidationError("Name at least one model to serve (MODEL or MODEL:VERSION).", field="models")
        authority = authority_of(actor)
        record_text = bool(options.record_text)
        if record_text:
            self.check(actor, ops.SERVE_RECORD_TEXT)
        served: list[Any] = []
        server = None
        try:
            for ref in refs:
                from studio.core.services.runs.sources import parse_ref

                self.check(actor, ops.SERVE_START, "model", self.studio.vault.model_id(parse_ref(ref)[0], actor))
                refusal = self.backend_refusal(actor, ref, options.backend)
                if refusal is not None:  # before anything is decrypted
                    raise StudioError(refusal)
                loaded = load_for_serving(self.studio.vault, actor, ref, device)
                ident = f"{loaded.name}:{loaded.version}"
                if any(m.id == ident for m in served):
                    raise ValidationError(f"{ident} is named twice.", field="models")
                try:
                    runner = runner_for(loaded.model, options.max_batch, options.backend, loaded.tokenizer)
                except ValidationError as error:
                    raise StudioError(f"{loaded.name}:{loaded.version} cannot run on {options.backend}: {error}") from None
                engine = Engine(runner, max_batch=options.max_batch, max_queue=options.max_queue, name=ident)
                served.append(ServedModel(ident, loaded.name, loaded.model_id, loaded.version, loaded.label,
                                          loaded.tokenizer, ChatTemplate(loaded.tokenizer), engine,
                                          runner.context_length, frozenset(loaded.tokenizer.stop_ids)))
            server = Server(self.studio, served, replace(options, record_text=record_text), authority,
                            audit_keys_of(actor), record_text=record_text)
            server.start()
            for m in served:
                with self.operation(actor, ops.SERVE_START, "model", m.model_id) as op:
                    op.details.update(version=m.version, host=server.host, port=server.port,
                                      loopback=is_loopback(str(server.host)), record_text=record_text,
                                      max_batch=options.max_batch, max_queue=options.max_queue,
                                      backend=options.backend)
        except OSError as error:
            self._abandon(server, served)
            raise StudioError(f"Could not listen on {options.host}:{options.port}: {error.strerror or error}. "
                              "Choose another --port (or 0 for any free one).") from error
        except BaseException:
            self._abandon(server, served)
            raise
        server.operator_name = actor.user_name
        return server

    def backend_refusal(self, actor: Any, ref: str | None, backend: str) -> Any:
        """Why `backend` cannot serve the version `ref` names (MODEL or MODEL:VERSION; None: whether the
        back-end is installed at all), or None when it can (a core Message): from the version's metadata, nothing decrypted
        and nothing recorded (a look, like the Vault's list). `start` refuses with it; the Serving pane
        disables the back-end with it."""
        from studio.core.serving.backends import backend_refusal

        if ref is None or backend_refusal(backend) is not None:
            return backend_refusal(backend)
        from studio.core.services.runs.sources import parse_ref

        model, number = parse_ref(ref)
        versions = [v for v in self.studio.vault.versions(actor, model) if v.state == "ready"]
        version = next((v for v in versions if v.number == number), None) if number is not None else (
            versions[-1] if versions else None)
        return backend_refusal(backend, version) if version is not None else None

    @staticmethod
    def _abandon(server: Any, served: list[Any]) -> None:
        if server is not None:
            server.stop()
        else:
            for m in served:
                m.engine.close()

    def stop(self, actor: Any, server: Any) -> None:
        """Stop the server and record it (with what it served) under the user who stops it."""
        server.stop()
        details = {"models": [m.id for m in server.models], "requests": server.auditor.stats.entries,
                   "tokens": server.tokens_generated(), "port": server.port}
        try:
            self._record(actor, ops.SERVE_STOP, None, None, "allowed", details)
        except StudioError as error:
            log.error("the end of the server could not be recorded: %s", error)
