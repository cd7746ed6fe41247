"""The compression service (studio.compression) and the seams it reads models and data through."""

from studio.core.services.compression.service import CompressionOutcome, CompressionService, parse_model_ref
from studio.core.services.compression.sources import (
    EvalData,
    ModelSummary,
    SourceModel,
    StoredVersion,
    VersionSummary,
)

__all__ = ["CompressionOutcome", "CompressionService", "EvalData", "ModelSummary", "SourceModel", "StoredVersion",
           "VersionSummary", "parse_model_ref"]
