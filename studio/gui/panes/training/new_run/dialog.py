"""The New-run dialog: the basic settings, presets, an advanced section with every engine setting, checks as
the user types (the reason next to the field), the estimate of parameters, memory and time per step, and Start.
Also opened pre-filled: clone the settings of a past run, or fine-tune from a checkpoint or a model version."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.models.config import PRESETS, GPTConfig, parameter_count
from studio.core.units import human_size
from studio.gui.i18n import core_text, error_text
from studio.gui.panes.training.backend import DatasetChoice, ModelChoice, RunSpec
from studio.gui.panes.training.new_run.fields import (
    FIELD,
    FINE_TUNE_KEYS,
    LORA_KEYS,
    MODEL_KEYS,
    PRESET_NAMES,
)
from studio.gui.panes.training.new_run.finetune import FineTuneBox
from studio.gui.panes.training.new_run.form import FieldRows, section_box
from studio.gui.panes.training.new_run.validation import ERROR, Issue, blocking, check, parse_targets
from studio.gui.panes.training.plots.charts import fmt_count
from studio.gui.units import fmt_duration, fmt_step_time

ESTIMATE_DELAY_MS = 600


def tr(text: str) -> str:
    return QCoreApplication.translate("NewRun", text)


def fmt_bytes(n: float | None) -> str:
    """Decimal units, as everywhere in the studio (studio.core.units)."""
    return "?" if n is None else human_size(n)


def source_label(m: ModelChoice) -> str:
    """A "Start from" entry: the version, and for a run's checkpoint its step and loss."""
    text = QCoreApplication.translate("NewRun", "Fine-tune {name} v{version}").format(name=m.name, version=m.version)
    if m.kind == "checkpoint" and m.step is not None:
        which = (QCoreApplication.translate("NewRun", "best") if m.slot == "best"
                 else QCoreApplication.translate("NewRun", "latest"))
        text += " · " + QCoreApplication.translate("NewRun", "checkpoint of step {step} ({which})").format(
            step=f"{m.step:,}", which=which)
        if m.val_loss is not None:
            text += " · " + QCoreApplication.translate("NewRun", "val loss {loss:.4f}").format(loss=m.val_loss)
    if m.dtype and m.dtype != "float32":
        text += f" · {m.dtype}"
    return text


class NewRunDialog(QDialog):
    """`submit(spec, done, failed)` starts the run (the pane runs it off the GUI thread); `estimate(spec, vocab,
    done)` asks for the estimate the same way. The dialog closes when the run has started."""

    def __init__(self, datasets: list[DatasetChoice], models: list[ModelChoice], taken_names: set[str],
                 submit: Callable, estimate: Callable, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New training run"))
        self.setObjectName("newRunDialog")
        self._taken = {n.lower() for n in taken_names}
        self._submit, self._estimate = submit, estimate
        self._fixed_model: dict[str, Any] | None = None
        self._from_checkpoint: tuple[int, int] | None = None  # (run id, checkpoint id) not among the sources
        self._checkpoint_choice: ModelChoice | None = None  # its entry in "Start from"
        self._service_issues: dict[str, Issue] = {}  # what the run service said of the settings as they are
        self._estimate_seq = 0
        self.issues: dict = {}

        self.name = QLineEdit()
        self.name.setObjectName("field_name")
        self.dataset = QComboBox()
        self.dataset.setObjectName("field_dataset")
        for d in datasets:
            self.dataset.addItem(self.tr("{name} ({tokens} tokens)").format(name=d.name, tokens=fmt_count(d.train_tokens)), d)
        self.start_from = QComboBox()
        self.start_from.setObjectName("field_start_from")
        self.start_from.addItem(self.tr("Random weights (train from scratch)"), None)
        for m in models:
            self.start_from.addItem(source_label(m), m)
        self.preset = QComboBox()
        self.preset.setObjectName("field_preset")
        for name in PRESET_NAMES:
            self.preset.addItem(name if name != "custom" else self.tr("custom"), name)
        self.basic = FieldRows("basic", before=(
            ("name", self.tr("Name"), self.name), ("dataset", self.tr("Dataset"), self.dataset),
            ("start_from", self.tr("Start from"), self.start_from), ("preset", self.tr("Model preset"), self.preset),
        ))
        self.sections = {s: FieldRows(s) for s in ("model", "training", "run")}
        self.finetune = FineTuneBox()  # shown while Start from names a vault model
        self.rows = [self.basic, self.finetune.rows, *self.sections.values()]

        self.advanced_button = QToolButton()
        self.advanced_button.setText(self.tr("Advanced settings"))
        self.advanced_button.setCheckable(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced = QWidget()
        advanced_layout = QVBoxLayout(self.advanced)
        advanced_layout.setContentsMargins(0, 0, 0, 0)
        for section, rows in self.sections.items():
            advanced_layout.addWidget(section_box(section, rows))
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.advanced)
        self.scroll.setVisible(False)
        self.advanced_button.toggled.connect(self._toggle_advanced)

        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("estimate")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setTextFormat(Qt.TextFormat.RichText)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: #d64545;")
        self.banner.hide()
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("startButton")
        self.cancel_button = self.buttons.addButton(self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.basic)
        layout.addWidget(self.finetune)
        layout.addWidget(self.advanced_button)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ESTIMATE_DELAY_MS)
        self._timer.timeout.connect(self._ask_estimate)
        for rows in self.rows:
            rows.sig_changed.connect(self._changed)
        self.finetune.method.currentIndexChanged.connect(self._changed)
        self.name.textChanged.connect(self.revalidate)
        self.dataset.currentIndexChanged.connect(self._dataset_changed)
        self.start_from.currentIndexChanged.connect(self._source_changed)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self._applying = False
        self.fix_model(None)
        self._preset_changed()
        self._dataset_changed()
        self.resize(760, 560)

    # -- reading ------------------------------------------------------------------------------------------
    def value_of(self, key: str) -> Any:
        errors: dict[str, str] = {}
        for rows in self.rows:
            if key in rows.editors:
                return rows.values(errors).get(key)
        return None

    def set_value(self, key: str, value: Any) -> None:
        for rows in self.rows:
            rows.set_value(key, value)

    def editor(self, key: str) -> QWidget:
        for rows in self.rows:
            if key in rows.editors:
                return rows.editors[key]
        raise KeyError(key)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        errors: dict[str, str] = {}
        values: dict[str, Any] = {"name": self.name.text()}
        for rows in self.rows:
            values.update(rows.values(errors))
        values["lora"] = self.finetune.lora and isinstance(self.start_from.currentData(), ModelChoice)
        return values, errors

    @property
    def chosen_dataset(self) -> DatasetChoice | None:
        return self.dataset.currentData()

    def spec(self) -> RunSpec:
        values, _ = self.values()
        model = {k: values[k] for k in MODEL_KEYS if k in values}
        model["n_inner"] = model.get("n_inner") or None
        train = {k: v for k, v in values.items() if FIELD.get(k) is not None and FIELD[k].target == "train"}
        train["seq_len"] = train.get("seq_len") or None
        options = {k: v for k, v in values.items() if FIELD.get(k) is not None and FIELD[k].target == "options"}
        tags = tuple(t.strip() for t in str(values.get("tags", "")).split(",") if t.strip())
        source = self.start_from.currentData()
        dataset = self.chosen_dataset
        from_checkpoint = self._from_checkpoint if source is self._checkpoint_choice and source is not None else None
        if not isinstance(source, ModelChoice):
            options.pop("resize_vocab", None)
        if values["lora"]:
            options["lora"] = True
            options["lora_targets"] = parse_targets(str(options.get("lora_targets", "")))
        else:
            for key in LORA_KEYS:
                options.pop(key, None)
        return RunSpec(
            name=values["name"].strip(), dataset_id=dataset.id if dataset else 0, model=model, train=train,
            options=options, tags=tags, group=str(values.get("group", "")).strip(),
            source=(source.id, source.version) if isinstance(source, ModelChoice) and from_checkpoint is None else None,
            from_checkpoint=from_checkpoint,
        )

    # -- checking -----------------------------------------------------------------------------------------
    def _changed(self) -> None:
        if self._applying:
            return
        self._sync_preset()
        self.revalidate()

    def revalidate(self) -> dict:
        """Check the form as it is now (a change forgets what the service said of the settings before it);
        then ask for a new estimate, which brings the service's own checks."""
        self._service_issues = {}
        self._show_issues()
        values, _ = self.values()
        self._show_parameters(values)
        if not blocking(self.issues):
            self._timer.start()
        return self.issues

    def _show_issues(self) -> None:
        values, parse_errors = self.values()
        taken = values["name"].strip().lower() in self._taken
        self.issues = check(values, self.chosen_dataset, name_taken=taken, parse_errors=parse_errors)
        for key, issue in self._service_issues.items():
            self.issues.setdefault(key, issue)
        for rows in self.rows:
            rows.show_issues(self.issues)
        if any(k in self.issues for rows in self.sections.values() for k in rows.editors):
            self.advanced_button.setChecked(True)  # never hide the field that holds the problem
        self.start_button.setEnabled(not blocking(self.issues))

    def _service_said(self, exc: BaseException) -> bool:
        """Show the service's refusal at the field it names (once: not also in the estimate or the banner);
        returns False when it names no field of the form."""
        key = getattr(exc, "field", None)
        key = key if any(key in rows.editors for rows in self.rows) else None
        if key is None:
            return False
        self._service_issues[key] = Issue(ERROR, error_text(exc))
        self._show_issues()
        return True

    def _show_parameters(self, values: dict[str, Any], extra: str = "") -> None:
        """Parameters at once from the shape (the plan's count when it has one: a fine-tuned model's shape
        comes from its weights), then whatever the estimate adds."""
        params: int | None = values.get("_parameters")
        if params is None and self._fixed_model != {}:
            params = self._local_parameters(values)
        text = self.tr("Parameters: <b>{n}</b>").format(n=fmt_count(params) if params is not None else "?")
        self.estimate_label.setText(text + (f"<br>{extra}" if extra else ""))

    def _local_parameters(self, values: dict[str, Any]) -> int | None:
        dataset = self.chosen_dataset
        try:
            model = {k: values[k] for k in MODEL_KEYS}
            model["n_inner"] = model.get("n_inner") or None
            return parameter_count(GPTConfig(vocab_size=dataset.vocab_size if dataset else 256, **model))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    def _ask_estimate(self) -> None:
        if blocking(self.issues) or self.chosen_dataset is None:
            return
        self._estimate_seq += 1
        seq = self._estimate_seq
        values, _ = self.values()
        self._show_parameters(values, self.tr("Estimating memory and time per step…"))
        self._estimate(self.spec(), self.chosen_dataset.vocab_size,
                       lambda est: self._estimated(seq, est), lambda exc: self._estimate_failed(seq, exc))

    def _estimated(self, seq: int, est: Any) -> None:
        if seq != self._estimate_seq:
            return
        values, _ = self.values()
        memory = self.tr("Memory: <b>{total}</b> (weights {w}, gradients {g}, optimizer {o}, activations {a})").format(
            total=fmt_bytes(est.total_bytes), w=fmt_bytes(est.weights_bytes), g=fmt_bytes(est.gradients_bytes),
            o=fmt_bytes(est.optimizer_bytes), a=fmt_bytes(est.activations_bytes))
        if est.device_memory_bytes:
            memory += " " + self.tr("of {have} on {device}").format(have=fmt_bytes(est.device_memory_bytes),
                                                                   device=est.device)
        text = memory + "<br>" + self._timing(est, values)
        lora = self._lora_line(est)
        if lora:
            text = memory + "<br>" + lora + "<br>" + self._timing(est, values)
        planned = getattr(est, "parameters_planned", None)
        if planned:
            values = dict(values, _parameters=planned)
        shape = getattr(est, "model_config", None)
        if self._fixed_model is not None and shape:  # fine-tuning: the source's real shape, in the greyed fields
            self._show_fixed_shape(shape)
        for note in getattr(est, "notes", ()):
            text += "<br><span style='color:#c88a12'>" + html.escape(note) + "</span>"
        if est.fits is False:
            text += "<br><span style='color:#d64545'>" + self.tr(
                "This does not fit in the device's memory: lower the batch size or the model size.") + "</span>"
        targets = getattr(est, "lora_targets", None)
        if targets:
            self.finetune.set_targets(*targets)
        self._show_parameters(values, text)

    def _lora_line(self, est: Any) -> str:
        """What LoRA and FSDP change: the trained share, the frozen base, memory per device."""
        parts = []
        trainable = getattr(est, "trainable_parameters", 0) or 0
        if trainable and trainable < est.parameters:
            parts.append(self.tr("Trains <b>{t}</b> adapter parameters ({share} of the model); the base stays "
                                 "frozen: no gradients or optimizer state for its weights.").format(
                t=fmt_count(trainable), share=f"{100 * trainable / max(est.parameters, 1):.2g}%"))
        shards = getattr(est, "shards", 1) or 1
        if shards > 1:
            parts.append(self.tr("Memory per device, with the model sharded over {n} processes.").format(n=shards))
        return "<br>".join(parts)

    def _timing(self, est: Any, values: dict[str, Any]) -> str:
        """Time per step with how sure it is (the measured steps' range, or the FLOPs method's rough one),
        and the whole run's time, evaluations included."""
        low = getattr(est, "step_time_low_s", 0) or est.step_time_s
        high = getattr(est, "step_time_high_s", 0) or est.step_time_s
        step = self.tr("Time per step: <b>{t}</b>").format(t=fmt_step_time(est.step_time_s))
        if high > low * 1.05:
            step += " " + self.tr("({low} to {high})").format(low=fmt_step_time(low), high=fmt_step_time(high))
        total = getattr(est, "run_time", None)
        if total is None:
            steps = values.get("max_steps") or 0
            total = (est.step_time_s * steps, low * steps, high * steps)
        run = self.tr("the run: about <b>{t}</b>").format(t=fmt_duration(total[0]))
        if total[2] > total[1] * 1.05:
            run += " " + self.tr("({low} to {high})").format(low=fmt_duration(total[1]), high=fmt_duration(total[2]))
        how = "<br><span style='color:#8a8a8a'>" + html.escape(core_text(getattr(est, "time_message", None) or est.time_method)) + "</span>"
        return f"{step}; {run}{how}"

    def _estimate_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._estimate_seq:
            return
        values, _ = self.values()
        if self._service_said(exc):
            self._show_parameters(values)
        else:
            self._show_parameters(values, self.tr("No estimate: {error}").format(error=error_text(exc)))

    # -- presets, datasets, sources ----------------------------------------------------------------------
    def _preset_changed(self) -> None:
        name = self.preset.currentData()
        if name in PRESETS and self._fixed_model is None:
            self._applying = True
            for key, value in PRESETS[name].items():
                self.set_value(key, value)
            self._applying = False
        self.revalidate()

    def _sync_preset(self) -> None:
        """A model setting edited away from the preset makes the preset "custom"."""
        values, _ = self.values()
        match = next((n for n, p in PRESETS.items() if all(values.get(k) == v for k, v in p.items())), "custom")
        if match != self.preset.currentData():
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(self.preset.findData(match))
            self.preset.blockSignals(False)

    def _dataset_changed(self) -> None:
        dataset = self.chosen_dataset
        if dataset is not None and (not self.name.text() or self.name.property("auto")):
            self.name.setText(self._unique(f"{dataset.name}-{self.preset.currentData()}"))
            self.name.setProperty("auto", True)
        self.revalidate()

    def _unique(self, base: str) -> str:
        base = "".join(c if c.isalnum() or c in "._- " else "-" for c in base).strip("-. ") or "run"
        name, n = base, 2
        while name.lower() in self._taken:
            name, n = f"{base}-{n}", n + 1
        return name

    def _source_changed(self) -> None:
        source = self.start_from.currentData()
        if isinstance(source, ModelChoice):
            self.fix_model(source.config, self.tr("The model's shape comes from {name} v{version}.")
                           .format(name=source.name, version=source.version))
        else:
            self.fix_model(None)
        self.revalidate()

    def fix_model(self, config: dict[str, Any] | None, why: str = "") -> None:
        """Fine-tuning: the architecture is the source's; its fields show it, greyed out (dropout stays a
        choice, and resizing the vocabulary becomes one)."""
        self._fixed_model = config
        self.finetune.setVisible(config is not None)  # Full or LoRA: only a vault model is fine-tuned
        for key in (*MODEL_KEYS, "preset"):
            if key in FINE_TUNE_KEYS:
                continue
            editor = self.editor(key) if key != "preset" else self.preset
            editor.setEnabled(config is None)
            editor.setToolTip(why if config is not None else "")
        resize = self.editor("resize_vocab")
        resize.setEnabled(config is not None)
        if config is None:
            self.set_value("resize_vocab", False)
        if config:
            self._show_fixed_shape(config)
        self._sync_preset()

    def _show_fixed_shape(self, config: dict[str, Any]) -> None:
        was, self._applying = self._applying, True
        for key in MODEL_KEYS:
            if key in config and key not in FINE_TUNE_KEYS:
                self.set_value(key, config[key] if key != "n_inner" else (config[key] or 0))
        self._applying = was
        self._sync_preset()

    # -- pre-filling --------------------------------------------------------------------------------------
    def load_settings(self, run: Any, *, checkpoint: Any = None) -> None:
        """Fill the form with every setting of a past run (clone), or for fine-tuning from one of its
        checkpoints. The run's own settings (`options["settings"]`, what its start was given) come first; the
        resolved model and training configurations fill in what they left to defaults."""
        settings = dict(run.options.get("settings") or {})
        policy = run.options.get("checkpoints") or {}
        options = {"checkpoint_every": settings.get("checkpoint_every", policy.get("every")),
                   "keep_last": settings.get("keep_last", policy.get("keep_last")),
                   "keep_best": settings.get("keep_best", policy.get("keep_best")),
                   "nproc": settings.get("nproc", run.options.get("nproc")),
                   "resize_vocab": settings.get("resize_vocab"), "fsdp": settings.get("fsdp"),
                   **{k: settings.get(k) for k in LORA_KEYS}}
        if isinstance(options.get("lora_targets"), list | tuple):
            options["lora_targets"] = ", ".join(options["lora_targets"])
        self.finetune.set_lora(bool(settings.get("lora")))
        self._applying = True
        index = next((i for i in range(self.dataset.count()) if self.dataset.itemData(i).id == run.dataset_id), -1)
        if index >= 0:
            self.dataset.setCurrentIndex(index)
        if checkpoint is not None:
            self._choose_source(self._checkpoint_source(run, checkpoint))
        elif run.source_model_id is not None and run.source_version is not None:
            self._choose_source(ModelChoice(run.source_model_id, run.source_name.rpartition(":")[0] or
                                            run.source_name, run.source_version, {}))
        for key, value in {**run.model_config, **run.train_config, **options}.items():
            field = FIELD.get(key)
            if field is None or (value is None and field.kind not in ("int", "optfloat")):
                continue  # not a setting of the form, or one an older run did not record
            self.set_value(key, 0 if value is None and field.kind == "int" else value)
        self.set_value("tags", ", ".join(run.tags))
        self.set_value("group", run.group)
        self._applying = False
        self._sync_preset()
        if checkpoint is not None:
            self.name.setText(self._unique(f"{run.name}-finetune"))
            self.setWindowTitle(self.tr("Fine-tune from a checkpoint of {name}").format(name=run.name))
        else:
            self.name.setText(self._unique(f"{run.name}-copy"))
            self.setWindowTitle(self.tr("New run with the settings of {name}").format(name=run.name))
        self.name.setProperty("auto", False)
        self.revalidate()

    def _checkpoint_source(self, run: Any, checkpoint: Any) -> ModelChoice:
        """The "Start from" entry of a run's checkpoint: the listed vault version it is, or an entry of its own
        (a checkpoint still being written is not listed; the service says so when the run starts)."""
        ref = getattr(checkpoint, "ref", None) or {}
        model_id, version = ref.get("model_id"), ref.get("version")
        for i in range(self.start_from.count()):
            m = self.start_from.itemData(i)
            if isinstance(m, ModelChoice) and model_id is not None and m.same_version(int(model_id), int(version)):
                return m
        choice = ModelChoice(int(model_id or 0), f"{run.name} (run {run.id})", int(version or 0), dict(run.model_config),
                             "checkpoint", checkpoint.step, checkpoint.val_loss, checkpoint.slot)
        self._from_checkpoint, self._checkpoint_choice = (run.id, checkpoint.id), choice
        return choice

    def _choose_source(self, choice: ModelChoice) -> None:
        index = next((i for i in range(self.start_from.count()) if self.start_from.itemData(i) is choice), -1)
        if index < 0:
            index = next((i for i in range(self.start_from.count()) if isinstance(self.start_from.itemData(i), ModelChoice)
                          and self.start_from.itemData(i).same_version(choice.id, choice.version)), -1)
        if index < 0:
            self.start_from.addItem(source_label(choice), choice)
            index = self.start_from.count() - 1
        self.start_from.blockSignals(True)
        self.start_from.setCurrentIndex(index)
        self.start_from.blockSignals(False)
        self._source_changed()

    # -- starting -----------------------------------------------------------------------------------------
    def _toggle_advanced(self, on: bool) -> None:
        self.scroll.setVisible(on)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def start(self) -> None:
        if blocking(self.revalidate()):
            return
        self.start_button.setEnabled(False)
        self.banner.hide()
        self._submit(self.spec(), self._started, self._failed)

    def _started(self, run: Any) -> None:
        self.started_run = run
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.start_button.setEnabled(True)
        if self._service_said(exc):  # said next to its field: once is enough
            self.banner.setText(self.tr("The run did not start: see the message next to the setting."))
        else:
            self.banner.setText(self.tr("The run did not start: {error}").format(error=error_text(exc)))
        self.banner.show()
