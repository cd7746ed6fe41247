"""One module per model family, each defining FAMILY (see studio.core.models.family)."""
