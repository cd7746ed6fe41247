"""The words of a compression recipe's short label ("prune 50% + int8", kernel "float") in the interface
language: the Compression pane's report and charts show them, and so do the Vault and Serving wherever a version
made by compression is named (version_text). Shared here so that no pane imports another's internals."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _words() -> dict[str, str]:
    # each call spelled out: pyside6-lupdate reads only literal QCoreApplication.translate calls
    return {"original": QCoreApplication.translate("CompressionReport", "original"),
            "float": QCoreApplication.translate("CompressionReport", "float"),
            "prune": QCoreApplication.translate("CompressionReport", "prune"),
            "structured": QCoreApplication.translate("CompressionReport", "structured"),
            "global": QCoreApplication.translate("CompressionReport", "global"),
            "recover": QCoreApplication.translate("CompressionReport", "recover"),
            "magnitude": QCoreApplication.translate("CompressionReport", "magnitude"),
            "act-order": QCoreApplication.translate("CompressionReport", "act-order")}


def shown_label(label: str) -> str:
    """A variant's label or kernel in the interface language. The core writes them in a short notation,
    stored so in every language ("original", "prune 50% + int8", "int4-g32", kernel "float" or "dynamic x9");
    its words are translated here, where they are shown; numbers, formats and method names (int8, gptq,
    wanda) stay as they are."""
    words = _words()
    return " ".join(words.get(token, token) for token in label.split(" "))
