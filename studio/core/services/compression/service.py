"""The compression service: compress a model version into a new version, evaluate versions, export them.

    outcome = studio.compression.compress(actor, "stories", Recipe(sparsity=0.3, quant="int8"),
                                          dataset="sample", split="val", state=state)
    outcome.version        # the new version in the vault (lineage: source version + recipe)
    outcome.results        # EvalResult of the original and of the result, measured alike

Order of every operation (operations never nest; see docs/architecture.md): the recipe is validated, the
actor's right is checked, the source is loaded (the vault records the read), everything else is checked
(architecture, data, group sizes), the work runs with no database transaction open, the result is stored (the
vault records the new version), and last the report row and this service's audit entry commit together.
A failure or a cancel before the store leaves nothing behind.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from studio.core import operations as ops
from studio.core.compression.recipe import Recipe
from studio.core.errors import AccessDenied, NotFoundError, ValidationError
from studio.core.fsutil import staged_output
from studio.core.services.base import Service
from studio.core.services.compression.sources import (
    DatasetProvider,
    DatasetsProvider,
    EvalData,
    ModelRepository,
    SourceModel,
    StoredVersion,
    Unavailable,
    VaultModels,
    codec_from_json,
    model_spec,
)
from studio.core.stores.compression import CompressionReport, CompressionStore
from studio.core.tasks import TaskState

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("safetensors", "hf")


@dataclass(frozen=True)
class CompressionOutcome:
    report: CompressionReport
    version: StoredVersion
    results: tuple[Any, ...]  # EvalResult: the original, then the result
    warnings: tuple[str, ...] = ()  # about the calibration data (too small, another tokenizer, evaluated split)


class Span:
    """A TaskState seen through a sub-range [lo, hi] of the whole task's progress."""

    def __init__(self, state: TaskState, lo: float, hi: float):
        self.state, self.lo, self.hi = state, lo, hi

    def report(self, fraction: float, message: str = "", force: bool = False) -> None:
        f = self.lo if fraction < 0 else self.lo + (self.hi - self.lo) * min(1.0, fraction)
        self.state.report(f, message, force)

    def check(self) -> None:
        self.state.check()

    @property
    def cancelled(self) -> bool:
        return self.state.cancelled


def parse_model_ref(text: str) -> tuple[str, int | None]:
    """'name' -> (name, None); 'name:3' -> (name, 3) (a name may itself contain ':')."""
    name, sep, tail = text.rpartition(":")
    if sep and name and tail.isdigit():
        return name, int(tail)
    return text, None


class CompressionService(Service):
    def __init__(self, studio: Any, models: ModelRepository | None = None, datasets: DatasetProvider | None = None):
        super().__init__(studio)
        self._models = models
        self._datasets = datasets
        self.store = CompressionStore()

    # The vault and the datasets service are looked up at first use, so that this service can be built
    # before them in Studio.__init__ and works in builds that lack one of them (a clear message then).
    @property
    def models(self) -> ModelRepository:
        if self._models is None:
            vault = getattr(self.studio, "vault", None)
            self._models = VaultModels(vault) if vault is not None else Unavailable("The model vault")  # type: ignore[assignment]
        return self._models  # type: ignore[return-value]

    @property
    def datasets(self) -> DatasetProvider:
        if self._datasets is None:
            service = getattr(self.studio, "datasets", None)
            self._datasets = DatasetsProvider(service) if service is not None else Unavailable("The datasets service")  # type: ignore[assignment]
        return self._datasets  # type: ignore[return-value]

    def _require(self, actor: Any, action: str, model_id: int) -> None:
        """The policy's decision before any work (a denial is recorded by the door); success is recorded
        by the operation that closes the work."""
        self.check(actor, action, "model", model_id)

    # --- compress -------------------------------------------------------------------------------------------

    def compress(self, actor: Any, model: int | str, recipe: Recipe, *, version: int | None = None,
                 dataset: int | str | None = None, split: str = "val", name: str | None = None,
                 evaluate: bool = True, prompts: Sequence[str] = (), settings: Any = None,
                 device: str = "cpu", on_result: Callable[[Any], None] | None = None,
                 state: TaskState | None = None) -> CompressionOutcome:
        """`on_result(EvalResult)` hears each measurement as soon as it is made (on the calling thread),
        so a pane can fill its table while the work goes on."""
        from studio.core.compression.evaluate import EvalSettings
        from studio.core.compression.pipeline import check, compress

        state = state or TaskState()
        recipe.validate()
        if split not in ("train", "val", "test"):
            raise ValidationError(f"Unknown split {split!r}; choose train, val or test.", field="split")
        if recipe.recover_steps and dataset is None:
            raise ValidationError("A recovery fine-tune needs a dataset: choose one, or set the recovery steps to 0.",
                                  field="dataset")
        if recipe.needs_calibration and recipe.calib_dataset is None and dataset is None:
            raise ValidationError(f"{recipe.label()} learns from calibration data: choose a dataset (or a calibration "
                                  "dataset).", field="calibration")
        model_id = self.models.resolve(actor, model)
        self._require(actor, ops.COMPRESS_RUN, model_id)
        self._check_store(actor, model_id, name)
        data = self._open_data(actor, dataset)
        calib_data = None
        if recipe.needs_calibration:
            same = recipe.calib_dataset is None or (data is not None and recipe.calib_dataset in (data.name, dataset))
            calib_data = data if same else self._open_data(actor, recipe.calib_dataset)
        state.report(0.0, "Loading the model", force=True)
        if version is None:
            version = self.default_source_version(actor, model_id)
        source = self.models.load(actor, model_id, version, Span(state, 0.0, 0.08))
        recovery = data.split("train") if (data is not None and recipe.recover_steps) else None
        eval_split = self._eval_split(source, data, split) if evaluate else None
        calibration = None
        if calib_data is not None:
            calibration = self._calibration(source, recipe, calib_data, data if eval_split is not None else None, split)
        check(source.config, source.tensors, recipe, recovery, calibration)  # everything that can fail, before work

        result = compress(source.config, source.tensors, recipe, recovery_data=recovery, calibration=calibration,
                          state=Span(state, 0.08, 0.5), device=device)  # type: ignore[arg-type]
        results: list[Any] = []
        if evaluate:
            settings = settings or EvalSettings()
            codec = self._codec(source, data)
            prompts = list(prompts) or self._default_prompts(codec, eval_split)
            results = self._measure_pair(source, result, recipe.label(), eval_split, codec, prompts, settings,
                                         Span(state, 0.5, 0.92))
            if on_result is not None:
                for r in results:
                    on_result(r)
        state.report(0.92, "Storing the new version", force=True)
        stored = self.models.add_version(actor, source, tensors=result.tensors, config=result.config,
                                         description=result.description, name=name, state=Span(state, 0.92, 0.99))
        if results:
            results[1] = _with_version(results[1], stored.version)
        with self.operation(actor, ops.COMPRESS_RUN, "model", source.model_id, recipe=recipe.label(),
                            source_version=source.version) as op:
            report = self.store.add(
                op.session, kind="compress", model_id=source.model_id, model_name=source.model_name,
                source_version=source.version, label=recipe.label(), recipe=recipe.to_dict(),
                results=[_clean(r.to_dict()) for r in results],
                log=list(result.log) + [f"Warning: {w}" for w in (calibration.warnings if calibration else ())],
                created_by=getattr(actor, "user_id", None), created_by_name=getattr(actor, "user_name", ""),
                dataset=data.name if data else None, split=split if eval_split is not None else None,
                result_model_id=stored.model_id, result_model_name=stored.model_name, result_version=stored.version)
            op.details.update(result_model=stored.model_name, result_version=stored.version, report=report.id)
        state.report(1.0, "Done", force=True)
        log.info("compressed model %s v%d with %s into %s v%d", source.model_name, source.version, recipe.label(),
                 stored.model_name, stored.version)
        return CompressionOutcome(report, stored, tuple(results), calibration.warnings if calibration else ())

    def default_source_version(self, actor: Any, model: int | str) -> int | None:
        """The version a compression starts from when none is named: the newest uncompressed one (a compressed
        version cannot be compressed again), else the newest."""
        versions = self.models.versions(actor, model)
        floats = [v.number for v in versions if not v.compressed]
        return max(floats) if floats else (max(v.number for v in versions) if versions else None)

    def _check_store(self, actor: Any, model_id: int, name: str | None) -> None:
        """Will the vault take the result? Asked before the work, not after it."""
        target: int | None = model_id
        if name:
            try:
                target = self.models.resolve(actor, name)
            except NotFoundError:
                target = None  # a new model of the actor's own
        try:
            self.check(actor, ops.MODEL_COMPRESS, "model" if target is not None else None, target)
        except AccessDenied as exc:
            hint = (" Give the result a new name to store it as a model of your own." if target is not None else "")
            raise AccessDenied(f"{exc}{hint}", exc.action, exc.obj_type, exc.obj_id, exc.reason) from exc

    # --- evaluate -------------------------------------------------------------------------------------------

    def evaluate(self, actor: Any, model: int | str, *, version: int | None = None, dataset: int | str | None,
                 split: str = "val", prompts: Sequence[str] = (), settings: Any = None,
                 state: TaskState | None = None) -> CompressionReport:
        """Measure one version (perplexity on the split, size, speed, samples) and keep the report."""
        from studio.core.compression.evaluate import EvalSettings

        state = state or TaskState()
        if split not in ("train", "val", "test"):
            raise ValidationError(f"Unknown split {split!r}; choose train, val or test.", field="split")
        model_id = self.models.resolve(actor, model)
        self._require(actor, ops.MODEL_EVALUATE, model_id)
        data = self._open_data(actor, dataset)
        source = self.models.load(actor, model_id, version, Span(state, 0.0, 0.1))
        eval_split = self._eval_split(source, data, split)
        codec = self._codec(source, data)
        label = source.description["label"] if source.description else "original"
        settings = settings or EvalSettings()
        result, model = self._measure(label, source.config, source.tensors, source.description, eval_split, codec,
                                      list(prompts) or self._default_prompts(codec, eval_split), settings,
                                      Span(state, 0.1, 0.8), source.version)
        result = self._timed([model], [result], codec, settings, Span(state, 0.8, 0.98))[0]
        with self.operation(actor, ops.MODEL_EVALUATE, "model", source.model_id, version=source.version,
                            dataset=data.name if data else None, split=split) as op:
            report = self.store.add(
                op.session, kind="eval", model_id=source.model_id, model_name=source.model_name,
                source_version=source.version, label=label, recipe=(source.description or {}).get("recipe", {}),
                results=[_clean(result.to_dict())], log=[], created_by=getattr(actor, "user_id", None),
                created_by_name=getattr(actor, "user_name", ""), dataset=data.name if data else None,
                split=split if eval_split is not None else None)
            op.details.update(report=report.id, perplexity=result.perplexity)
        state.report(1.0, "Done", force=True)
        return report

    # --- what there is to choose from (for the pane) -------------------------------------------------------

    def list_models(self, actor: Any) -> list[Any]:
        return self.models.list_models(actor)

    def versions(self, actor: Any, model: int | str) -> list[Any]:
        return self.models.versions(actor, model)

    def list_datasets(self, actor: Any) -> list[tuple[int, str]]:
        return self.datasets.list(actor)

    def reports(self, actor: Any, model: int | str) -> list[CompressionReport]:
        """Earlier compression and evaluation reports of a model (made from it or into it), newest first."""
        model_id = self.models.resolve(actor, model)
        self._require(actor, ops.MODEL_READ, model_id)
        with self.studio.db.session() as s:
            return self.store.for_model(s, model_id)

    # --- export ---------------------------------------------------------------------------------------------

    def export(self, actor: Any, model: int | str, out: str | Path, *, version: int | None = None,
               format: str = "safetensors", shard_size: str | int | None = None, zstd: bool = False,
               state: TaskState | None = None) -> Any:
        """Write a version in plaintext (needs the export grant; recorded): safetensors as one file or shards
        with an index, optionally zstd; or a Hugging Face folder that transformers loads (every model family;
        a native GPT as GPT-2, float and unpruned in shape)."""
        from studio.core.compression import export as exporter

        state = state or TaskState()
        if format not in EXPORT_FORMATS:
            raise ValidationError(f"Export format must be one of {', '.join(EXPORT_FORMATS)}.", field="format")
        if format == "hf" and (shard_size is not None or zstd):
            raise ValidationError("Sharding and zstd apply to the safetensors format only.", field="format")
        shard_bytes = exporter.parse_size(shard_size) if shard_size is not None else None
        target = Path(out).expanduser().resolve()
        if target.exists() or (zstd and shard_bytes is None and Path(str(target) + ".zst").exists()):
            raise ValidationError(f"{target} already exists; choose a new path.", field="out")
        model_id = self.models.resolve(actor, model)
        self._require(actor, ops.MODEL_EXPORT, model_id)
        if format == "hf":  # any model family: the stored version, written by its family
            source = self.models.load_stored(actor, model_id, version, Span(state, 0.0, 0.3))
        else:
            source = self.models.load(actor, model_id, version, Span(state, 0.0, 0.3))
        state.report(0.3, "Writing", force=True)
        with staged_output(target, journal=self.studio.paths.staging) as staged:  # visible only once the entry committed
            with self.operation(actor, ops.MODEL_EXPORT, "model", source.model_id, version=source.version,
                                format=format, path=str(target)) as op:
                if format == "hf":
                    result = exporter.export_hf_folder(staged.path, source.config or {}, source.tensors,
                                                       files=source.files)
                else:
                    description = dict(source.description or {})
                    description.setdefault("format", "studio.compressed")
                    description.setdefault("version", 1)
                    description["config"] = source.config
                    description["source"] = {"model": source.model_name, "version": source.version}
                    result = exporter.export_safetensors(
                        staged.path, source.tensors, description, shard_size=shard_bytes, zstd=zstd,
                        progress=lambda f: state.report(0.3 + 0.7 * f, "Writing"))
                op.details.update(files=len(result.files), bytes=result.bytes)
            staged.publish()
        result = replace(result, path=staged.final(result.path))
        state.report(1.0, "Exported", force=True)
        return result

    # --- helpers --------------------------------------------------------------------------------------------

    def _open_data(self, actor: Any, dataset: int | str | None) -> EvalData | None:
        return None if dataset is None else self.datasets.open(actor, dataset)

    @staticmethod
    def _eval_split(source: SourceModel, data: EvalData | None, split: str):
        if data is None:
            return None
        vocab = model_spec(source.config).vocab_size
        if data.vocab_size > vocab:
            raise ValidationError(
                f"The dataset {data.name!r} uses a vocabulary of {data.vocab_size} tokens but the model has "
                f"{vocab}: it was tokenized with a different tokenizer.", field="dataset")
        tokens = data.split(split)
        top = tokens.max_token()
        if top >= vocab:
            raise ValidationError(f"The {split} split contains token id {top}, outside the model's vocabulary of "
                                  f"{vocab}.", field="dataset")
        return tokens

    @staticmethod
    def _codec(source: SourceModel, data: EvalData | None):
        codec = codec_from_json(source.tokenizer_json)
        return codec if codec is not None else (data.codec if data is not None else None)

    @staticmethod
    def _default_prompts(codec: Any, split: Any, count: int = 3, length: int = 12) -> list[str]:
        """Prompts cut from the evaluation split (the same for every variant), when none are given."""
        if codec is None or split is None or len(split) < count * length * 4:
            return []
        import numpy as np

        starts = np.linspace(0, len(split) - length - 1, num=count + 2).astype(int)[1:-1]
        prompts = []
        for s in starts:
            text = codec.decode([int(t) for t in split.tokens[s:s + length]]).strip()
            if text:
                prompts.append(text)
        return prompts

    def _calibration(self, source: SourceModel, recipe: Recipe, calib: EvalData, evaluated: EvalData | None,
                     eval_split: str) -> Any:
        """The calibration windows and what to warn about: too small, another tokenizer, the evaluated split."""
        from studio.core.compression.calibration import CalibrationSet, calibration_windows, size_warnings

        tokens = calib.split(recipe.calib_split)
        spec = model_spec(source.config)
        seq_len = min(recipe.calib_length(spec.context_length), spec.context_length)
        top = tokens.max_token()
        if top >= spec.vocab_size:
            raise ValidationError(
                f"The calibration dataset {calib.name!r} contains token id {top}, but the model's vocabulary has "
                f"{spec.vocab_size} ids: it was tokenized with a different tokenizer.", field="calibration")
        warnings = size_warnings(len(tokens), recipe.calib_samples, seq_len)
        if source.tokenizer_json and calib.tokenizer_json and not same_tokenizer(source.tokenizer_json,
                                                                                calib.tokenizer_json):
            warnings.append(f"The calibration dataset {calib.name!r} was tokenized with another tokenizer than the "
                            "model's: its ids fit the vocabulary but may mean other text. Calibrate on a dataset "
                            "tokenized with the model's tokenizer.")
        if evaluated is not None and evaluated.name == calib.name and eval_split == recipe.calib_split:
            warnings.append(f"The calibration data is the evaluated split ({calib.name}/{eval_split}): calibrated "
                            "methods fit it, so the report flatters them. Calibrate on the train split.")
        windows = calibration_windows(tokens, recipe.calib_samples, seq_len)
        return CalibrationSet(windows, calib.name, recipe.calib_split, tuple(warnings))

    def _measure(self, label: str, config: Any, tensors: dict, description: dict | None, split: Any, codec: Any,
                 prompts: Sequence[str], settings: Any, span: Span, version: int | None,
                 reference: Any = None) -> tuple[Any, Any]:
        """(EvalResult without timings, the loaded model)."""
        from studio.core.compression.evaluate import evaluate
        from studio.core.compression.load import load_model

        span.report(0.0, f"Measuring {label}", force=True)
        kernel = (description or {}).get("kernel", "auto")
        model = load_model(config, tensors, kernel=kernel)
        steps = iter(range(1, 10))
        result = evaluate(label, model, tensors, description, split=split, codec=codec, prompts=prompts,
                          settings=settings, check=span.check, version=version, reference=reference, speed=False,
                          on_step=lambda what: span.report(next(steps) / 5, f"Measuring {label}: {what}"))
        return result, model

    def _measure_pair(self, source: SourceModel, result: Any, label: str, split: Any, codec: Any,
                      prompts: Sequence[str], settings: Any, span: Span) -> list[Any]:
        """The original and the result measured alike; the result's KL and top-1 against the original, and
        both timed together (paired rounds), so the speed ratio is of this run alone."""
        original, base_model = self._measure("original", source.config, source.tensors, source.description, split,
                                             codec, prompts, settings, Span(span, 0.0, 0.3), source.version)
        variant, model = self._measure(label, result.config, result.tensors, result.description, split, codec,
                                       prompts, settings, Span(span, 0.3, 0.6), None, reference=base_model)
        return self._timed([base_model, model], [original, variant], codec, settings, Span(span, 0.6, 1.0))

    def _timed(self, models: list, results: list, codec: Any, settings: Any, span: Span) -> list[Any]:
        from studio.core.compression.evaluate import kernel_text, paired_speed, prompt_ids
        from studio.core.compression.runtime import used_kernels

        span.report(0.0, "Timing" if len(models) == 1 else "Timing the original and the result together", force=True)
        prompt = prompt_ids(codec, [], 1)[0]
        speeds = paired_speed(models, prompt, settings, check=span.check)
        out = []
        for r, sp, model in zip(results, speeds, models, strict=True):
            timing = {"repeats": max(1, settings.speed_repeats), **(sp.vs_baseline or {})}
            out.append(replace(r, tokens_per_s_b1=sp.tokens_per_s_b1, tokens_per_s_b8=sp.tokens_per_s_b8,
                               ms_per_token=sp.ms_per_token, speed=timing, kernel=kernel_text(used_kernels(model))))
        return out


def same_tokenizer(a: str, b: str) -> bool:
    """Whether two tokenizer JSONs describe the same tokenizer (key order and spacing aside)."""
    import json

    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return a == b


def _with_version(result: Any, version: int) -> Any:
    from dataclasses import replace

    return replace(result, version=version)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe: non-finite floats become None."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


