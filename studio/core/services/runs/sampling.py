"""Text from a model: a run's checkpoint or a vault model version, streamed as it is made.

    for piece in studio.runs.sample(actor, "run:tiny-sample-1", "Once upon a time", SamplingConfig(...)):
        print(piece, end="", flush=True)

The weights are decrypted into memory only (the checkpoint store or the vault) and run by the version's
model family (studio.core.models.family); the tokenizer is the run's dataset's (for a run) or the version's
own files (tokenizer.json, tokenizer_config.json, generation_config.json: stop ids and stop strings). Pieces are decoded from the whole text so far, so a
character that spans several tokens (byte-level tokenizers) comes out whole, never as a broken half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.core.errors import NotFoundError, StudioError, ValidationError
from studio.core.services.runs import samples_store
from studio.core.stores.runs import RunInfo

if TYPE_CHECKING:
    from studio.core.models.generate import SamplingConfig

# What running a version needs from the vault (not its optimizer state or training state).
RUN_ROLES = frozenset({"weights", "index", "config", "tokenizer"})


class TextTokenizer:
    """What sampling needs of a tokenizer (models.tokenizer.ModelTokenizer has it all; a plain datasets
    Tokenizer works too: its eos_id is then the only stop)."""

    vocab_size: int
    eos_id: int

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


def tokenizer_from_json(text: str | None, model: Any = None) -> Any:
    """The ModelTokenizer of a checkpoint or version that keeps only a tokenizer.json (with the family's
    default chat template when `model` is given)."""
    if not text:
        raise StudioError("This model has no tokenizer (tokenizer.json); the studio cannot turn text into tokens.")
    from studio.core.models.tokenizer import model_tokenizer

    if model is not None:
        from studio.core.models.family import family_of

        return family_of(model).tokenizer({"tokenizer.json": text})
    return model_tokenizer({"tokenizer.json": text})


@dataclass(frozen=True)
class Loaded:
    """A model ready to sample from, and where it came from."""

    model: Any  # an nn.Module of any family (studio.core.models.family)
    tokenizer: Any  # a ModelTokenizer
    label: str  # "run tiny-sample-1, checkpoint of step 2000 (best)" or "model shakespeare:3"

    @property
    def family(self) -> Any:
        from studio.core.models.family import family_of

        return family_of(self.model)


@dataclass
class StreamStats:
    """How a generation goes, updated as each token comes (read it from another thread: plain numbers)."""

    prompt_tokens: int = 0
    tokens: int = 0  # generated so far
    first_token_s: float | None = None  # from the start of the generation to the first token
    elapsed_s: float = 0.0  # from the start to the latest token

    @property
    def tokens_per_s(self) -> float | None:
        """The generation speed after the first token (which also pays for reading the prompt)."""
        if self.tokens < 2 or self.first_token_s is None or self.elapsed_s <= self.first_token_s:
            return None
        return (self.tokens - 1) / (self.elapsed_s - self.first_token_s)


def _stops(tokenizer: Any, config: SamplingConfig) -> tuple[tuple[int, ...], tuple[str, ...]]:
    ids = tuple(getattr(tokenizer, "stop_ids", ()) or ())
    eos = getattr(tokenizer, "eos_id", None)
    if not ids and eos is not None:
        ids = (eos,)
    strings = tuple(getattr(tokenizer, "stop_strings", ()) or ()) + tuple(config.stop_strings)
    return tuple(dict.fromkeys(tuple(config.stop_ids) + ids)), tuple(dict.fromkeys(s for s in strings if s))


def stream_text(model: Any, tokenizer: Any, prompt: str, config: SamplingConfig,
                should_stop: Callable[[], bool] | None = None, stats: StreamStats | None = None) -> Iterator[str]:
    """Pieces of text as the model makes them; ends at the tokenizer's end-of-text token (or a stop
    string) or after max_new_tokens. An empty prompt starts a new document (from BOS where the model has
    one). The prompt is encoded as the model's tokenizer does (with BOS where it adds one). `stats` (if
    given) counts the tokens and times as they come."""
    ids = tokenizer.encode(prompt) if prompt else []
    if not ids:
        start = getattr(tokenizer, "start_id", getattr(tokenizer, "eos_id", None))
        if start is None:
            raise ValidationError("Give a prompt: this tokenizer has no token to start a new text from.",
                                  field="prompt")
        ids = [start]
    return stream_ids(model, tokenizer, ids, config, should_stop, stats)


def stream_ids(model: Any, tokenizer: Any, ids: list[int], config: SamplingConfig,
               should_stop: Callable[[], bool] | None = None, stats: StreamStats | None = None) -> Iterator[str]:
    """Pieces of the text that continues `ids` (stop ids and stop strings end it; neither is shown)."""
    import time
    from dataclasses import replace

    from studio.core.models.family import family_of
    from studio.core.models.generate import generate

    if max(ids) >= family_of(model).vocab_size(model):
        raise ValidationError("The prompt has tokens outside the model's vocabulary: the tokenizer does not "
                              "belong to this model.", field="prompt")
    stop_ids, stop_strings = _stops(tokenizer, config)
    out: list[int] = []
    shown = ""
    stats = stats if stats is not None else StreamStats()
    stats.prompt_tokens = len(ids)
    start = time.perf_counter()
    for token in generate(model, ids, replace(config, stop_ids=stop_ids), should_stop=should_stop):
        stats.elapsed_s = time.perf_counter() - start
        if stats.first_token_s is None:
            stats.first_token_s = stats.elapsed_s
        if token in stop_ids:
            break
        stats.tokens += 1
        out.append(int(token))
        text = tokenizer.decode(out)
        if text.endswith("\ufffd"):  # a character still incomplete (byte-level tokens)
            continue
        cut = _first_stop(text, stop_strings, len(shown))
        if cut is not None:
            if cut > len(shown):
                yield text[len(shown):cut]
            return
        ready = len(text) - _held_back(text, stop_strings)  # a tail that may be the start of a stop string
        piece, shown = text[len(shown):ready], text[:ready] if ready > len(shown) else shown
        if piece:
            yield piece
    if not stop_strings:
        return
    text = tokenizer.decode(out)
    if len(text) > len(shown) and not text.endswith("\ufffd"):
        yield text[len(shown):]


def _first_stop(text: str, stops: tuple[str, ...], since: int) -> int | None:
    """Where the first stop string starts (searching from a little before `since`), or None."""
    found = [i for s in stops if (i := text.find(s, max(0, since - len(s) + 1))) >= 0]
    return min(found) if found else None


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many characters at the end of `text` could begin a stop string (kept until the next token)."""
    best = 0
    for s in stops:
        for n in range(min(len(s) - 1, len(text)), best, -1):
            if s.startswith(text[-n:]):
                best = n
                break
    return best


def load_adapted(vault: Any, actor: Any, adapter: Any, device: str = "cpu", *,
                 merge: bool = False) -> tuple[Any, Any, Any]:
    """(model, tokenizer, the loaded base version) of a LoRA adapter version (a loaded vault version with adapter_config.json): its
    base version is loaded (an audited read of its own), built, and the adapter applied or merged. The
    tokenizer is the base's (the adapter version keeps the run's dataset tokenizer, the same one)."""
    from studio.core.models.family import family_for_config
    from studio.core.models.lora import ADAPTER_FILE, build_adapted, read_adapter_document

    doc = read_adapter_document(adapter.files[ADAPTER_FILE])
    ref = doc["base"]
    if ref.get("model_id") is None or ref.get("version") is None:
        raise ValidationError("This LoRA adapter does not say which base model it belongs to.")
    try:
        base = vault.load(actor, int(ref["model_id"]), int(ref["version"]), roles=RUN_ROLES)
    except NotFoundError:
        raise NotFoundError(f"The base model of this LoRA adapter ({ref.get('label') or ref['model_id']}, version "
                            f"{ref['version']}) is no longer in the vault; the adapter cannot run without it.") from None
    family = family_for_config(base.config)
    tokenizer = family.tokenizer(base.files, base.config)
    from studio.core.services.runs.sources import model_config_of, studio_tensors

    config, is_hf = model_config_of(base.config)
    tensors = studio_tensors(base.tensors, config, is_hf)
    model = build_adapted(config.to_dict(), tensors, doc, adapter.tensors, device=device, merge=merge)
    return model, tokenizer, base


class SamplingMixin:
    """`studio.runs.sample(...)` and `studio.runs.load_model(...)` (RunService)."""

    studio: Any

    def resolve_source(self, actor: Any, source: str | int) -> tuple[str, Any]:
        """"run:X" or "model:X[:V]" explicitly; otherwise a run of that name or id the actor can see, else a
        vault model."""
        text = str(source).strip()
        kind, sep, rest = text.partition(":")
        if sep and kind in ("run", "model"):
            return kind, rest
        try:
            return "run", self.resolve(actor, text)  # type: ignore[attr-defined]
        except NotFoundError:
            return "model", text

    def load_model(self, actor: Any, source: str | int, *, checkpoint: int | str | None = None,
                   device: str = "cpu") -> Loaded:
        """The weights and tokenizer of a run's checkpoint ("best" by default when there is one, "latest",
        or a checkpoint id) or of a vault model ("MODEL" or "MODEL:VERSION"), in memory."""
        kind, ref = self.resolve_source(actor, source)
        if kind == "run":
            return self._load_run(actor, ref, checkpoint, device)
        if checkpoint is not None:
            raise ValidationError("A checkpoint is chosen for runs only; for a model give MODEL:VERSION.",
                                  field="checkpoint")
        return self._load_version(actor, ref, device)

    def _load_run(self, actor: Any, ref: Any, checkpoint: int | str | None, device: str) -> Loaded:
        from studio.core.training.checkpoints import store_named
        from studio.core.training.trainer import model_from_state

        run: RunInfo = self.get(actor, ref)  # type: ignore[attr-defined]  (checks RUN_READ)
        store = store_named(run.options.get("checkpoint_store", "vault"))
        if not run.is_live:
            self._settle(run.id)  # type: ignore[attr-defined]
        usable = self.store.checkpoints(run.id, usable_only=True)  # type: ignore[attr-defined]
        if not usable:
            raise NotFoundError(f"Run {run.name!r} has no checkpoint yet.")
        if checkpoint in (None, "best"):
            best = [c for c in usable if c.is_best]
            chosen = min(best, key=lambda c: c.val_loss) if best else max(usable, key=lambda c: c.step or 0)
            if checkpoint == "best" and not best:
                raise NotFoundError(f"Run {run.name!r} has no best checkpoint (no validation split).")
        elif checkpoint == "latest":
            chosen = max(usable, key=lambda c: (c.step or 0, not c.is_best))
        else:
            chosen = next((c for c in usable if str(c.id) == str(checkpoint)), None)
            if chosen is None:
                raise NotFoundError(f"Run {run.name!r} has no usable checkpoint {checkpoint}.")
        state = store.read(self.studio, actor, run, chosen)
        base = None
        if state.meta.get("lora") is not None:  # an adapter checkpoint: built on the run's base version
            from studio.core.services.runs.sources import base_weights

            base = base_weights(self.studio, actor, run.source_model_id, run.source_version)
        model = model_from_state(state, device, base=base)
        del state, base
        label = f"run {run.name}, checkpoint of step {chosen.step}" + (" (best)" if chosen.is_best else "")
        text = store.tokenizer(self.studio, actor, run, chosen)
        tokenizer = self._source_tokenizer(actor, run, model, text) or tokenizer_from_json(text, model)
        return Loaded(model, tokenizer, label)

    def _source_tokenizer(self, actor: Any, run: RunInfo, model: Any, text: str | None) -> Any:
        """A fine-tune's checkpoints keep only tokenizer.json; the version it started from also has the
        tokenizer_config.json (chat template, special tokens) and generation_config.json (end-of-turn ids)
        that chatting needs. Its files, when it is still there and has the checkpoint's tokenizer; else None."""
        vault = getattr(self.studio, "vault", None)
        if vault is None or run.source_model_id is None:
            return None
        try:
            source = vault.load(actor, run.source_model_id, run.source_version, roles={"config", "tokenizer"})
        except StudioError:
            return None  # deleted, or no longer the actor's to read: the checkpoint's own tokenizer.json serves
        raw = source.files.get("tokenizer.json")
        if raw is None or (text is not None and (raw.decode() if isinstance(raw, bytes) else raw) != text):
            return None  # another tokenizer (a resized vocabulary): the source's template does not belong to it
        from studio.core.models.family import family_of

        return family_of(model).tokenizer(source.files, source.config)

    def _load_version(self, actor: Any, ref: str, device: str) -> Loaded:
        from studio.core.models.family import family_for_config
        from studio.core.services.runs.sources import parse_ref

        vault = getattr(self.studio, "vault", None)
        if vault is None:
            raise StudioError("This installation has no model vault.")
        model_ref, version = parse_ref(ref)
        loaded = vault.load(actor, model_ref, version, roles=RUN_ROLES)
        label = f"model {loaded.version.model_name}:{loaded.version.number}"
        from studio.core.models.lora import ADAPTER_FILE

        if ADAPTER_FILE in loaded.files:
            model, tokenizer, _ = load_adapted(vault, actor, loaded, device)
            return Loaded(model, tokenizer, label)
        family = family_for_config(loaded.config)
        tokenizer = family.tokenizer(loaded.files, loaded.config)  # before the weights: a clear error first
        model = family.build(loaded.config, loaded.tensors, device=device)
        return Loaded(model, tokenizer, label)

    def sample(self, actor: Any, source: str | int, prompt: str, config: SamplingConfig, *,
               checkpoint: int | str | None = None, should_stop: Callable[[], bool] | None = None,
               device: str = "cpu", stats: StreamStats | None = None) -> Iterator[str]:
        """Load the model (see load_model: decrypting takes a while for big models, so call this off the GUI
        thread), then return the generator of text pieces (`stats` counts tokens and times as they come)."""
        loaded = self.load_model(actor, source, checkpoint=checkpoint, device=device)
        return stream_text(loaded.model, loaded.tokenizer, prompt, config.validate(), should_stop, stats)

    # --- samples kept with a run -------------------------------------------------------------------------

    def samples(self, actor: Any, run: int | str) -> list[dict[str, Any]]:
        """The samples the actor generated from the run's checkpoints and kept, oldest first. Each user sees
        their own only (a prompt may be private): the service reads nothing else, whatever the pane asks."""
        run_id = self._id(actor, run)  # type: ignore[attr-defined]
        info: RunInfo = self.get(actor, run_id)  # type: ignore[attr-defined]  (checks RUN_READ)
        return samples_store.read(self.studio.paths.run_dir(run_id), actor.user_id, legacy=info.owner_id == actor.user_id)

    def keep_sample(self, actor: Any, run: int | str, sample: dict[str, Any]) -> None:
        """Keep a generated sample with the run, as the actor's (the oldest go past samples_store.MAX_SAMPLES)."""
        run_id = self._id(actor, run)  # type: ignore[attr-defined]
        self.get(actor, run_id)  # type: ignore[attr-defined]  (checks RUN_READ)
        samples_store.append(self.studio.paths.run_dir(run_id), actor.user_id, sample)
