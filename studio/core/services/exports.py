"""`studio.exports`: a vault version written in plaintext through one of the export formats (exports/), the
one door that `studio export`, the Vault pane's Export dialog and the compression service use.

    result = studio.exports.export(actor, "stories", "out.gguf", format="gguf", quant="q8_0", sign=True)

Order (operations never nest): the format and its options are checked, then the export grant (a denial is
recorded), then the signing key is made if the user has none yet (its own recorded operation), then the vault
decrypts the version (recorded as model.read), then the format refuses what it cannot hold, and only then,
inside one `model.export` operation, the files are written into a hidden staged folder, read back with the
format's runtime, signed, and published once the entry has committed (fsutil.staged_output): nothing appears
at the destination unless the audit log says so.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from studio.core import operations as ops
from studio.core.errors import Cancelled, ValidationError
from studio.core.exports.base import ExportResult, ExportSource, format_named
from studio.core.fsutil import staged_output
from studio.core.services.base import Service
from studio.core.tasks import TaskState

log = logging.getLogger(__name__)

ROLES = frozenset({"weights", "config", "tokenizer", "index"})


class _Span:
    def __init__(self, state: TaskState, lo: float, hi: float):
        self.state, self.lo, self.hi = state, lo, hi

    def report(self, fraction: float, message: str = "", force: bool = False) -> None:
        if fraction < 0:
            self.state.report(fraction, message, force=force)
        else:
            self.state.report(self.lo + (self.hi - self.lo) * min(fraction, 1.0), message, force=force)

    def check(self) -> None:
        self.state.check()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.state, name)


class ExportService(Service):
    def formats(self) -> list[tuple[str, str, bool, str, tuple[str, ...]]]:
        """(name, label, writes a folder, file suffix, quantizations) of every format, for the GUI."""
        from studio.core.exports.base import formats

        return [(f.name, f.label, f.is_folder, f.suffix, f.quants) for f in formats()]

    def export(self, actor: Any, model: int | str, out: str | Path, *, version: int | None = None,
               format: str = "safetensors", quant: str | None = None, shard_size: str | int | None = None,
               zstd: bool = False, kv_cache: bool = True, check: bool = False, sign: bool = False,
               state: TaskState | None = None) -> ExportResult:
        """Write a version at `out` in `format` (needs the export grant; recorded). `check` also runs the
        format's runtime on the files and compares its logits with the studio's; `sign` signs the export with
        the user's signing key (OpenSSF model signing)."""
        from studio.core.compression.export import parse_size

        state = state or TaskState()
        fmt = format_named(format)
        shard_bytes = parse_size(shard_size) if shard_size is not None else None
        options = fmt.options(quant=quant, shard_size=shard_bytes, zstd=zstd, kv_cache=kv_cache, check=check)
        target = Path(out).expanduser().resolve()
        if fmt.name == "safetensors" and zstd and shard_bytes is None and target.suffix != ".zst":
            target = target.with_name(target.name + ".zst")
        if target.exists():
            raise ValidationError(f"{target} already exists; choose a new path.", field="out")
        vault = self.studio.vault
        model_id = vault.model_id(model, actor)
        self.check(actor, ops.MODEL_EXPORT, "model", model_id)
        signer = self.studio.signing.key_for(actor) if sign else None
        source = self.load(actor, model_id, version, _Span(state, 0.0, 0.25))
        fmt.check(source, options)
        state.report(0.3, "Writing", force=True)
        with staged_output(target, journal=self.studio.paths.staging) as staged:
            with self.operation(actor, ops.MODEL_EXPORT, "model", model_id, version=source.version, format=fmt.name,
                                path=str(target), quant=options.quant) as op:
                result = fmt.write(source, staged.path, options, lambda f: state.report(0.3 + 0.5 * f, "Writing"))
                state.report(0.8, "Checking the export", force=True)
                report = fmt.verify(result.path, source, options)
                result = replace(result, check=report or None)
                if signer is not None:
                    state.report(0.9, "Signing", force=True)
                    result = self.studio.signing.sign_export(signer, fmt, result)
                op.details.update(files=len(result.files), bytes=result.bytes, quant=result.quant,
                                  signed=result.fingerprint)
                state.check()  # a cancel during the check or the signing: nothing is published
            staged.publish()
        result = replace(result, path=staged.final(result.path))
        with contextlib.suppress(Cancelled):  # published: a cancel now comes too late to undo it
            state.report(1.0, "Exported", force=True)
        log.info("exported model %s v%d as %s", source.model_name, source.version, fmt.name)
        return result

    def load(self, actor: Any, model: int | str, version: int | None, state: Any = None) -> ExportSource:
        """The version decrypted in memory as an ExportSource (the vault records the read)."""
        loaded = self.studio.vault.load(actor, model, version, roles=ROLES, state=state)
        info = loaded.version
        if loaded.config is None:
            raise ValidationError("This version has no config.json, so the studio cannot tell what network it is "
                                  "and cannot convert it; `studio vault export` writes its files as they are.",
                                  field="model")
        lineage = [{"kind": e.kind, "ref": str(e.ref), "label": e.label} for e in info.lineage]
        return ExportSource(info.model_name, info.number, dict(loaded.config), loaded.tensors, dict(loaded.files),
                            dict(info.metadata or {}), lineage, info.kind, info.architecture)
