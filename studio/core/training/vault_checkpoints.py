"""Checkpoints kept encrypted in the vault.

Each run gets a vault model of its own ("<run name> (run <id>)", kind checkpoint versions, lineage to the
run and its dataset); each checkpoint slot is one version of it, reserved (pending, invisible) when a worker
is launched. The parent reserves with the user's unlocked session: the vault makes each file's data key and
wraps it for the model's recipients; the tickets (with the keys) go to the worker in its launch message,
over the pipe. The worker writes a slot's files with `vault.worker.save_tensors/save_bytes`: each write
replaces the file atomically, under a fresh random salt and nonce prefix, so rewriting a rolling slot never
reuses a key stream. A version of a slot:

    model.safetensors            weights      the model's tensors (loadable as a model on its own)
    training-state.safetensors   optimizer    optimizer state ("optim/...") and torch RNG states ("rng/...")
    training-state.json          state        the rest of the training state (studio.core.training.state)
    config.json                  config       the GPTConfig
    tokenizer.json               tokenizer    the dataset's tokenizer (when it has one)
    adapter_config.json          config       a LoRA run's: the adapter's settings and its base version

A LoRA run's model.safetensors holds the adapter alone (peft's names): its versions are small adapter
versions, loaded on their base (studio.core.models.lora, services/runs/adapters.py) and merged into a full
version with `studio vault merge`.

Every file carries the step it belongs to; a read checks they agree (a slot whose write failed half-way is
marked empty by the worker anyway). When the worker has ended, `settle` commits the slots that hold a
checkpoint (they become ordinary versions: load, export, compress, sample) and abandons the empty ones.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from studio.core.errors import IntegrityError, NotFoundError, StudioError
from studio.core.messages import msg
from studio.core.stores.runs import PAUSED, CheckpointInfo, RunInfo, RunStore
from studio.core.training.checkpoints import Reservation, register_store

NAME = "vault"
FILES = (("model.safetensors", "weights"), ("training-state.safetensors", "optimizer"),
         ("training-state.json", "state"), ("config.json", "config"), ("tokenizer.json", "tokenizer"))


_STATE_FILES = {"model.safetensors", "training-state.safetensors", "training-state.json"}
ADAPTER_FILE = ("adapter_config.json", "config")


def model_name(run: RunInfo) -> str:
    return f"{run.name} (run {run.id})"


class VaultSink:
    def write(self, secret: dict[str, Any], state: Any, files: dict[str, bytes]) -> int:
        from studio.core.training.state import FORMAT, VERSION
        from studio.core.vault import worker

        tickets = {}
        for raw in secret["tickets"]:
            t = worker.ArtifactTicket.from_bytes(base64.b64decode(raw))
            tickets[t.name] = t
        step = str(state.meta["step"])
        stamp = {"studio.step": step}
        total = worker.save_tensors(tickets["model.safetensors"], state.section("model"), stamp)
        rest = {k: v for k, v in state.tensors.items() if not k.startswith("model/")}
        total += worker.save_tensors(tickets["training-state.safetensors"], rest, stamp)
        meta = dict(state.meta, format=FORMAT, version=VERSION)
        total += worker.save_bytes(tickets["training-state.json"], json.dumps(meta, allow_nan=False).encode())
        for name, data in files.items():
            if name in tickets and name not in _STATE_FILES:
                total += worker.save_bytes(tickets[name], data)
        return total


class VaultCheckpoints:
    name = NAME

    def _vault(self, studio: Any) -> Any:
        vault = getattr(studio, "vault", None)
        if vault is None:
            raise StudioError("This installation has no model vault to keep checkpoints in.")
        return vault

    def reserve(self, studio: Any, actor: Any, run: RunInfo, slots: Sequence[str]) -> list[Reservation]:
        from studio.core.stores.vault import LineageEdge

        vault = self._vault(studio)
        files = [f for f in FILES if f[0] != "tokenizer.json" or run.options.get("has_tokenizer")]
        if run.options.get("lora"):
            files.append(ADAPTER_FILE)
        lineage = [LineageEdge("run", str(run.id), run.name)]
        if run.dataset_id is not None:
            lineage.append(LineageEdge("dataset", str(run.dataset_id), run.dataset_name))
        model = run.checkpoint_model_id
        if model is not None and vault.owner_id(actor, model) != run.owner_id:
            # the run's row names someone else's model (runs.checkpoint_model_id is not an access row the
            # studio can authenticate: the worker's side writes it): never send checkpoints there
            raise IntegrityError(f"The run {run.name!r} names model {model} for its checkpoints, which its owner "
                                 "does not own: the run's row was altered outside the studio. No checkpoint was "
                                 "written there; start a new run.")
        out = []
        for slot in slots:
            pending = vault.reserve_version(
                actor, model, files, name=None if model is not None else model_name(run), kind="checkpoint",
                lineage=lineage, notes=f"checkpoint slot {slot} of run {run.name}",
                metadata={"run": run.id, "slot": slot, "attempt": run.attempt + 1, **adapter_metadata(run),
                          **model_metadata(run)},
                architecture=checkpoint_architecture(run), parameter_count=run.parameters)
            if model is None:
                model = pending.model_id
                RunStore(studio.db).update(run.id, checkpoint_model_id=model)
            tickets = [base64.b64encode(t.to_bytes()).decode() for t in pending.tickets]
            out.append(Reservation(slot, {"model_id": pending.model_id, "version_id": pending.version_id,
                                          "version": pending.number}, {"tickets": tickets}))
        return out

    def sink(self, studio: Any) -> VaultSink:
        return VaultSink()

    def read(self, studio: Any, actor: Any, run: RunInfo, checkpoint: CheckpointInfo) -> Any:
        from studio.core.training.state import TrainingState

        pending = self._check_readable(run, checkpoint)
        ref = checkpoint.ref
        loaded = self._vault(studio).load(actor, int(ref["model_id"]), int(ref["version"]), pending=pending)
        raw = loaded.files.get("training-state.json")
        if raw is None or loaded.optimizer is None:
            raise StudioError(f"Version {ref['version']} of the run's checkpoints is incomplete.")
        meta = json.loads(raw)
        tensors = {f"model/{k}": v for k, v in loaded.tensors.items()}
        tensors.update(loaded.optimizer)
        if int(meta.get("step", -1)) != checkpoint.step:
            raise StudioError(f"The checkpoint of step {checkpoint.step} is damaged (its files disagree); resume "
                              "from another one.")
        return TrainingState(meta, tensors)

    def tokenizer(self, studio: Any, actor: Any, run: RunInfo, checkpoint: CheckpointInfo) -> str | None:
        pending = self._check_readable(run, checkpoint)
        ref = checkpoint.ref
        return self._vault(studio).load(actor, int(ref["model_id"]), int(ref["version"]), roles={"tokenizer"},
                                        pending=pending).tokenizer

    @staticmethod
    def _check_readable(run: RunInfo, checkpoint: CheckpointInfo) -> bool:
        """Whether the checkpoint is read as a pending version: a kept one is an ordinary version; a written
        slot of a paused run can be read too (the paused worker writes nothing: it wrote this one as it
        paused); a slot of a running worker may be rewritten under the reader."""
        if checkpoint.state == "kept":
            return False
        if checkpoint.state == "written" and run.status == PAUSED:
            return True
        raise StudioError(msg("The checkpoint of step {step} is still being written by the run's worker; pause or "
                              "stop the run, or wait for it to end, then try again.", step=checkpoint.step))

    def settle(self, studio: Any, actor: Any, run: RunInfo, checkpoints: Sequence[CheckpointInfo]) -> None:
        """Commit the slots that hold a checkpoint, abandon the others. Only once no worker of the run is
        alive (its worker at its end, or the service for a run found dead); `actor` is usually SYSTEM (the
        vault accepts it for commit and abandon, which read no key)."""
        vault = self._vault(studio)
        store = RunStore(studio.db)
        arch = checkpoint_architecture(run)
        for c in checkpoints:
            version_id = c.ref.get("version_id")
            if version_id is None or c.ref.get("settled"):
                continue
            if c.state == "written":
                try:
                    vault.commit_version(actor, int(version_id), architecture=arch, parameter_count=run.parameters,
                                         dtype="float32", metadata={"step": c.step, "val_loss": c.val_loss,
                                                                    "train_loss": c.train_loss, "slot": c.slot})
                    kept = True
                except NotFoundError:  # committed by a worker that died before it recorded so, or gone
                    kept = vault.version_state(int(version_id)) == "ready"
                store.set_checkpoint_state(c.id, "kept" if kept else "dropped",
                                           ref=json.dumps(dict(c.ref, settled=True)))
            elif c.state in ("empty", "dropped"):
                try:
                    if vault.abandon_version(actor, int(version_id)):
                        # the run's model held nothing else (it died before its first checkpoint): the vault
                        # removed it, and a resume makes a new one
                        store.update(run.id, checkpoint_model_id=None)
                except NotFoundError:
                    pass  # committed before it was superseded by a resume from an earlier step: it stays
                store.set_checkpoint_state(c.id, "dropped", ref=json.dumps(dict(c.ref, settled=True)))
        self._retain(vault, store, actor, run)

    @staticmethod
    def _retain(vault: Any, store: RunStore, actor: Any, run: RunInfo) -> None:
        """Over every attempt of the run: keep the policy's last K and the best, drop the other kept ones."""
        from studio.core.training.checkpoints import CheckpointPolicy, retained

        everything = store.checkpoints(run.id)
        keep = retained(CheckpointPolicy.from_dict(run.options.get("checkpoints", {})), everything)
        for c in everything:
            if c.state != "kept" or c.id in keep or c.ref.get("version_id") is None:
                continue
            try:
                vault.retire_checkpoint(actor, int(c.ref["version_id"]))
            except NotFoundError:
                pass  # gone from the vault already
            store.set_checkpoint_state(c.id, "dropped")

    def delete(self, studio: Any, actor: Any, run: RunInfo) -> None:
        if run.checkpoint_model_id is None:
            return
        try:
            self._vault(studio).delete(actor, run.checkpoint_model_id)
        except NotFoundError:
            pass  # deleted in the vault already


def adapter_metadata(run: RunInfo) -> dict[str, Any]:
    """What a LoRA run's versions say about themselves (the Vault lists them under their base)."""
    lora = run.options.get("lora")
    if not lora:
        return {}
    return {"lora": lora, "base": {"model_id": run.source_model_id, "version": run.source_version,
                                   "label": run.source_name}}


def model_metadata(run: RunInfo) -> dict[str, Any]:
    """What the Vault lists of a checkpoint without decrypting it (studio.core.vault.facts): the family, the
    model type and the context length of the run's model."""
    from studio.core.errors import ValidationError
    from studio.core.models.family import describe

    try:
        spec = describe(run.model_config)
    except ValidationError:
        return {}
    return {"model": {"family": spec.family, "model_type": spec.model_type, "architecture": spec.architecture,
                      "context_length": spec.context_length}}


def checkpoint_architecture(run: RunInfo) -> str:
    """"GPT 2L/16d", "LlamaForCausalLM", with "+ LoRA r8" for an adapter."""
    from studio.core.errors import ValidationError
    from studio.core.models.family import describe

    try:
        arch = describe(run.model_config).architecture
    except ValidationError:
        arch = ""
    lora = run.options.get("lora")
    return f"{arch} + LoRA r{lora.get('rank')}" if lora else arch


register_store(NAME, VaultCheckpoints)
