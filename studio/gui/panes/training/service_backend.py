"""The Training pane's backend over the studio's run service (studio.core.services: `studio.runs`)."""

from __future__ import annotations

from typing import Any


def service_backend(studio: Any):
    """The adapter, or None while this build has no run service."""
    if getattr(studio, "runs", None) is None:
        return None
    raise NotImplementedError("connect the run service")  # replaced when the engine's run service is merged
