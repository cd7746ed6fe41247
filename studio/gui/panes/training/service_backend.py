"""The Training pane's backend over the studio's services: `studio.runs` (RunService: runs, metrics, control,
checkpoints, sampling), `studio.datasets`, `studio.vault` and `studio.audit`. Everything here is called off the
GUI thread (Calls, the metrics feed, the generation thread)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from studio.core.errors import StudioError, ValidationError
from studio.gui.panes.training.backend import (
    DatasetChoice,
    DeleteSummary,
    GenerationSource,
    ModelChoice,
    RunSpec,
    Sample,
)
from studio.gui.panes.training.plots.charts import METRICS

log = logging.getLogger(__name__)


def service_backend(studio: Any) -> ServiceBackend | None:
    """The adapter, or None in a build without the run service."""
    if getattr(studio, "runs", None) is None:
        return None
    return ServiceBackend(studio)


def lora_settings(options: dict[str, Any]) -> dict[str, Any]:
    """The RunSettings of LoRA from the form's options (none for a full fine-tune)."""
    if not options.get("lora"):
        return {}
    return {"lora": True, "lora_rank": int(options.get("lora_rank", 8)),
            "lora_alpha": float(options.get("lora_alpha", 16.0)),
            "lora_dropout": float(options.get("lora_dropout", 0.05)),
            "lora_targets": tuple(options.get("lora_targets") or ())}


def _split_tokens(info: Any, name: str) -> int:
    for split in getattr(info.stats, "splits", ()):
        if split.name == name:
            return int(split.tokens)
    return 0


class ServiceBackend:
    supports_checkpoint_delete = False  # the run service keeps checkpoints in rolling slots; no single delete

    def __init__(self, studio: Any):
        self.studio = studio
        self.service = studio.runs

    # -- runs -------------------------------------------------------------------------------------------
    def runs(self, actor) -> list[Any]:
        return self.service.list(actor)

    def run(self, actor, run_id: int) -> Any:
        return self.service.get(actor, run_id)

    def metrics(self, actor, run_id: int, since: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """New points per metric. Metrics that hold the same last step are read in one query."""
        by_after: dict[int, list[str]] = {}
        for metric in METRICS:
            by_after.setdefault(since.get(metric, -1), []).append(metric)
        out = {}
        for after, names in by_after.items():
            curves = self.service.metrics(actor, run_id, names, after_step=None if after < 0 else after)
            for name, curve in curves.items():
                if len(curve):
                    out[name] = (curve.steps, curve.values)
        return out

    def datasets(self, actor) -> list[DatasetChoice]:
        service = getattr(self.studio, "datasets", None)
        if service is None:
            return []
        return [DatasetChoice(d.id, d.name, d.vocab_size, _split_tokens(d, "train") or d.tokens,
                              _split_tokens(d, "val"), getattr(d, "kind", "text")) for d in service.list(actor)]

    def models(self, actor) -> list[ModelChoice]:
        if getattr(self.studio, "vault", None) is None:
            return []
        return [ModelChoice(f.model_id, f.model_name, f.version, {}, f.kind, f.step, f.val_loss, f.slot, f.dtype)
                for f in self.service.fine_tune_sources(actor)]

    def settings(self, actor, spec: RunSpec) -> Any:
        from studio.core.services.runs import RunSettings

        source = None
        if spec.source is not None:
            model_id, version = spec.source
            source = f"{model_id}:{version}" if version is not None else str(model_id)
        elif spec.from_checkpoint is not None:
            source = self._checkpoint_source(actor, spec.from_checkpoint)
        options = dict(spec.options)
        # Fine-tuning keeps the source's shape: of the model's settings only dropout may change, and only on the
        # studio's GPT; the form's 0 means "as the model is" (a Hugging Face family refuses any override).
        model = ({k: v for k, v in spec.model.items() if k == "dropout" and v} if source else dict(spec.model))
        return RunSettings(
            dataset=spec.dataset_id, name=spec.name or None, preset=None, model=model,
            train=dict(spec.train), source=source, resize_vocab=bool(source and options.get("resize_vocab")),
            checkpoint_every=int(options.get("checkpoint_every", 500)),
            keep_last=int(options.get("keep_last", 2)), keep_best=bool(options.get("keep_best", True)),
            nproc=int(options.get("nproc", 1)), tags=tuple(spec.tags), group=spec.group,
            fsdp=bool(options.get("fsdp")), **lora_settings(options) if source else {},
        )

    def _checkpoint_source(self, actor, which: tuple[int, int]) -> str:
        """A run's checkpoint as a fine-tuning source: it is a version of the run's checkpoint model."""
        run_id, checkpoint_id = which
        checkpoint = next((c for c in self.service.checkpoints(actor, run_id) if c.id == checkpoint_id), None)
        if checkpoint is None or "model_id" not in checkpoint.ref:
            raise ValidationError("This checkpoint cannot be fine-tuned from.", field="start_from")
        if checkpoint.state != "kept":
            raise ValidationError("This checkpoint is still being written; fine-tune from it once its run has ended.",
                                  field="start_from")
        return f"{checkpoint.ref['model_id']}:{checkpoint.ref['version']}"

    def estimate(self, actor, spec: RunSpec, vocab_size: int) -> Any:
        plan = self.service.plan(actor, self.settings(actor, spec), estimate="auto")
        est = plan.estimate
        # the fields as they are: asdict would turn time_message (a core Message) into a plain dict
        values = {f.name: getattr(est, f.name) for f in fields(est)} if est is not None else {}
        targets = None
        if spec.source is not None or spec.from_checkpoint is not None:
            from studio.core.models.lora import target_choices

            targets = target_choices(plan.model_config.to_dict())  # the family's defaults, for the form
        return SimpleNamespace(**values, fits=None if est is None else est.fits, notes=tuple(plan.notes),
                               parameters_planned=plan.parameters, model_config=plan.model_config.to_dict(),
                               run_time=plan.run_time_s, lora_targets=targets)

    def start(self, actor, spec: RunSpec) -> Any:
        return self.service.start(actor, self.settings(actor, spec))

    def control(self, actor, run_id: int, action: str) -> Any:
        if action not in ("pause", "resume", "stop", "kill"):
            raise ValueError(action)
        return getattr(self.service, action)(actor, run_id)

    def resume_from(self, actor, run_id: int, checkpoint_id: int | None, max_steps: int | None = None) -> Any:
        return self.service.resume(actor, run_id, checkpoint=checkpoint_id, max_steps=max_steps)

    def delete_summary(self, actor, run_id: int) -> DeleteSummary:
        run = self.service.get(actor, run_id)
        points = sum(len(c) for c in self.service.metrics(actor, run_id).values())
        checkpoints = [c for c in self.service.checkpoints(actor, run_id, usable_only=False)
                       if c.state in ("written", "kept")]
        path = self.service.log_path(actor, run_id)
        return DeleteSummary(run.name, points, len(checkpoints), sum(c.size_bytes for c in checkpoints),
                             path.stat().st_size if path.exists() else 0)

    def delete(self, actor, run_id: int) -> None:
        self.service.delete(actor, run_id)

    def set_tags(self, actor, run_id: int, tags: tuple[str, ...]) -> Any:
        return self.service.update(actor, run_id, tags=tags)

    def set_group(self, actor, run_id: int, group: str) -> Any:
        return self.service.update(actor, run_id, group=group)

    # -- details ----------------------------------------------------------------------------------------
    def log(self, actor, run_id: int, offset: int) -> tuple[str, int]:
        return self.service.read_log(actor, run_id, offset)

    def log_tail(self, actor, run_id: int) -> list[str]:
        return self.service.log_tail(actor, run_id)

    def checkpoints(self, actor, run_id: int) -> list[Any]:
        return self.service.checkpoints(actor, run_id)

    def delete_checkpoint(self, actor, run_id: int, checkpoint_id: int) -> None:
        raise StudioError("Single checkpoints cannot be deleted; deleting the run deletes them all.")

    def export_checkpoint(self, actor, run_id: int, checkpoint_id: int, folder: str) -> Path:
        """The checkpoint's weights as a plaintext safetensors file (needs the export grant; audited)."""
        checkpoint = next((c for c in self.service.checkpoints(actor, run_id) if c.id == checkpoint_id), None)
        if checkpoint is None or "model_id" not in checkpoint.ref:
            raise StudioError("This checkpoint is gone (a newer one replaced it); choose another.")
        if checkpoint.state != "kept":
            raise StudioError("This checkpoint is still being written; export it once its run has ended.")
        run = self.service.get(actor, run_id)
        out = Path(folder) / f"{run.name}-step{checkpoint.step}.safetensors"
        return self.studio.vault.export(actor, int(checkpoint.ref["model_id"]), out,
                                        version=int(checkpoint.ref["version"]))

    def audit(self, actor, run_id: int) -> list[Any]:
        from studio.core.stores.audit import AuditFilter

        return self.studio.audit.page(actor, AuditFilter(obj_type="run", obj_id=str(run_id)), limit=500)

    # -- generation -------------------------------------------------------------------------------------
    @staticmethod
    def _sampling(settings: dict[str, Any]) -> Any:
        from studio.core.models.generate import SamplingConfig

        return SamplingConfig(max_new_tokens=int(settings["max_new_tokens"]), temperature=float(settings["temperature"]),
                              top_k=settings.get("top_k"), top_p=settings.get("top_p"),
                              greedy=bool(settings.get("greedy")), seed=settings.get("seed")).validate()

    @staticmethod
    def _ref(source: GenerationSource) -> tuple[str, int | None]:
        if source.checkpoint_id is not None:
            return f"run:{source.run_id}", source.checkpoint_id
        return f"model:{source.model_id}" + (f":{source.version}" if source.version is not None else ""), None

    def generate(self, actor, source: GenerationSource, prompt: str, settings: dict[str, Any],
                 should_stop: Callable[[], bool], stats: Any = None) -> Iterator[str]:
        config = self._sampling(settings)
        if source.checkpoint_id is not None:
            pieces = self.service.sample(actor, f"run:{source.run_id}", prompt, config,
                                         checkpoint=source.checkpoint_id, should_stop=should_stop, stats=stats)
        else:
            ref = f"model:{source.model_id}" + (f":{source.version}" if source.version is not None else "")
            pieces = self.service.sample(actor, ref, prompt, config, should_stop=should_stop, stats=stats)
        yield from pieces

    def chat(self, actor, source: GenerationSource, messages: list[dict[str, str]], settings: dict[str, Any],
             should_stop: Callable[[], bool], stats: Any = None,
             on_prompt: Callable[[str, int], None] | None = None) -> Iterator[str]:
        """The model's reply to `messages` (the chat mode), rendered with its chat template. The model stays
        loaded between turns (one conversation's source at a time: decrypting a big model for each turn would
        keep the user waiting); `on_prompt(text, dropped)` hears what the model reads, and how many of the
        oldest turns were left out to fit its context."""
        from studio.core.services.runs.chat import prompt_ids
        from studio.core.services.runs.sampling import stream_ids

        config = self._sampling(settings)
        loaded = self._chat_model(actor, source)
        if not loaded.tokenizer.has_chat_template:
            raise ValidationError(f"{loaded.label} has no chat template (its tokenizer_config.json names none), so "
                                  "it cannot chat: use the Raw mode to continue a prompt instead.", field="messages")
        ids, dropped = prompt_ids(loaded, messages, config.max_new_tokens)
        if on_prompt is not None:
            first = 1 if messages and messages[0]["role"] == "system" else 0
            kept = list(messages[:first]) + list(messages[first + dropped:])
            on_prompt(loaded.tokenizer.render_chat(kept, add_generation_prompt=True), dropped)
        yield from stream_ids(loaded.model, loaded.tokenizer, ids, config, should_stop, stats)

    def _chat_model(self, actor, source: GenerationSource) -> Any:
        key = (getattr(actor, "user_id", id(actor)), source.key)
        cached = getattr(self, "_chat_loaded", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        self._chat_loaded = None  # the previous one goes before the next is decrypted: one in memory
        ref, checkpoint = self._ref(source)
        loaded = self.service.load_model(actor, ref, checkpoint=checkpoint)
        self._chat_loaded = (key, loaded)
        return loaded

    def samples(self, actor, run_id: int) -> list[Sample]:
        return [Sample.from_dict(d) for d in self.service.samples(actor, run_id)]

    def keep_sample(self, actor, run_id: int, sample: Sample) -> None:
        self.service.keep_sample(actor, run_id, asdict(sample))
