"""The one door into the core. The GUI and the CLI call these services; each checks access, does the
work and writes the audit record. They return plain frozen dataclasses, never ORM rows or tensors."""

from studio.core.services.studio import Studio

__all__ = ["Studio"]
