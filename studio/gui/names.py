"""How the GUI names objects: "shakespeare-gpt (model 2)", in the interface language."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def type_text(obj_type: str | None) -> str:
    return {"model": QCoreApplication.translate("Objects", "model"),
            "dataset": QCoreApplication.translate("Objects", "dataset"),
            "run": QCoreApplication.translate("Objects", "run"),
            "user": QCoreApplication.translate("Objects", "user")}.get(obj_type or "", obj_type or "")


def object_text(obj_type: str | None, obj_id: str | None, name: str | None) -> str:
    """The name beside the kind and id; the bare "model:2" when there is no name (a deleted object, an
    entry written before names were recorded)."""
    if not obj_id:
        return type_text(obj_type)
    if name:
        return QCoreApplication.translate("Objects", "{name} ({type} {id})").format(
            name=name, type=type_text(obj_type), id=obj_id)
    return f"{obj_type}:{obj_id}"
