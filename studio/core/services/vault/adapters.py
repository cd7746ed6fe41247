"""LoRA adapter versions: merged into their base as a full version (`studio vault merge`, and the GUI).

A LoRA run's versions hold the adapter alone (model.safetensors with peft's names, adapter_config.json naming
the base model and version; studio.core.models.lora). `merge` decrypts the adapter and its base (two audited
reads), folds W += scale * B @ A into every adapted layer, and stores the result as a new model whose
version is an ordinary full version of the base's family (kind "merged", recorded as model.merge, lineage to
both versions), with the base's tokenizer, chat template and generation config: it exports, compresses,
chats and fine-tunes like any other version.
"""

from __future__ import annotations

from typing import Any

from studio.core import operations as ops
from studio.core.errors import ValidationError
from studio.core.services.vault.base import VaultBase
from studio.core.stores.vault import LineageEdge, VersionInfo
from studio.core.tasks import TaskState


class AdaptersMixin(VaultBase):
    def merge_adapter(self, actor: Any, adapter: int | str, version: int | None = None, *, name: str | None = None,
                      state: TaskState | None = None) -> VersionInfo:
        """Merge the LoRA adapter version (`adapter`: model id or name, `version`: its number, the latest by
        default) into its base and store the result as a new model `name` (default "<adapter model>
        merged"). Returns the new version."""
        from studio.core.models.family import family_of
        from studio.core.models.lora import ADAPTER_FILE
        from studio.core.models.tokenizer import HF_TOKENIZER_FILES
        from studio.core.services.runs.sampling import RUN_ROLES, load_adapted
        from studio.core.vault.importers import TOKENIZER_FILES, json_artifact

        self.check(actor, ops.MODEL_MERGE)
        if state is not None:
            state.report(-1.0, "Decrypting the adapter and its base")
        loaded = self.load(actor, adapter, version, roles=RUN_ROLES)
        if ADAPTER_FILE not in loaded.files:
            raise ValidationError(f"{loaded.version.model_name}:{loaded.version.number} is not a LoRA adapter; "
                                  "only adapters are merged.", field="model")
        model, _, base = load_adapted(self, actor, loaded, merge=True)
        base_ref = _base_of(loaded)
        family = family_of(model)
        tensors = {k: v.contiguous() for k, v in family.tensors(model).items()}
        config = family.config(model)
        carried = TOKENIZER_FILES | HF_TOKENIZER_FILES
        extra = [json_artifact(n, "config" if n == "generation_config.json" else "tokenizer", data)
                 for n, data in base.files.items() if n in carried]
        label = f"{loaded.version.model_name}:{loaded.version.number}"
        lineage = [LineageEdge("source_version", str(loaded.version.id), label),
                   LineageEdge("source_version", str(base.version.id),
                               f"{base.version.model_name}:{base.version.number}")]
        if state is not None:
            state.report(0.5, "Encrypting the merged model")
        return self.add_version(
            actor, None, tensors, name=name or f"{loaded.version.model_name} merged", config=config, extra=extra,
            kind="merged", architecture=base.version.architecture, lineage=lineage,
            notes=f"LoRA adapter {label} merged into its base {base.version.model_name}:{base.version.number}",
            metadata={"merged_from": {"adapter": label, "base": base_ref}}, state=state)


def _base_of(loaded: Any) -> dict[str, Any]:
    from studio.core.models.lora import ADAPTER_FILE, read_adapter_document

    doc = read_adapter_document(loaded.files[ADAPTER_FILE])
    return dict(doc["base"])
