"""A version's facts (studio.core.vault.facts) in words, in the shown language: family, context length,
tokenizer, chat template, and what an adapter adapts."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from studio.core.vault.facts import VersionFacts

UNKNOWN = "—"


def family_short(f: VersionFacts) -> str:
    """For the models table: "llama", "gpt", "LoRA r8 on llama:1"."""
    if f.adapter:
        rank = f" r{f.lora_rank}" if f.lora_rank else ""
        return QCoreApplication.translate("VaultFacts", "LoRA{rank} on {base}").format(
            rank=rank, base=f.base_label or UNKNOWN)
    return f.model_type or f.family or UNKNOWN


def family_long(f: VersionFacts) -> str:
    """For the details: "llama (Hugging Face transformers)"."""
    if f.adapter:
        return QCoreApplication.translate("VaultFacts", "LoRA adapter (rank {rank}) of {base}").format(
            rank=f.lora_rank or "?", base=f.base_label or UNKNOWN)
    if f.model_type and f.family:
        return f"{f.model_type} ({f.family})"
    return f.model_type or f.family or UNKNOWN


def context_text(f: VersionFacts) -> str:
    if f.context_length is None:
        return UNKNOWN
    return QCoreApplication.translate("VaultFacts", "{n} tokens").format(n=f"{f.context_length:,}")


def tokenizer_text(f: VersionFacts) -> str:
    if f.tokenizer is None:
        return UNKNOWN
    names = {"huggingface": QCoreApplication.translate("VaultFacts", "Hugging Face tokenizer (tokenizer.json)"), "byte": QCoreApplication.translate("VaultFacts", "the studio's byte tokenizer"),
             "char": QCoreApplication.translate("VaultFacts", "the studio's character tokenizer"), "bpe": QCoreApplication.translate("VaultFacts", "the studio's BPE tokenizer"),
             "stored": QCoreApplication.translate("VaultFacts", "stored with the version (tokenizer.json)"),
             "": QCoreApplication.translate("VaultFacts", "none stored (it cannot read or write text until one is)")}
    return names.get(f.tokenizer, f.tokenizer)


def chat_text(f: VersionFacts) -> str:
    if f.chat_template is None:
        return QCoreApplication.translate("VaultFacts", "not known until the model is loaded")
    return QCoreApplication.translate("VaultFacts", "yes: it can chat") if f.chat_template else QCoreApplication.translate("VaultFacts", "no: generate from a raw prompt")
