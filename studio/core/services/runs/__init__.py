"""Training runs: the run service (start, watch, control, delete, sample) and its settings."""

from studio.core.services.runs.service import RunService
from studio.core.services.runs.settings import RunPlan, RunSettings

__all__ = ["RunPlan", "RunService", "RunSettings"]
