"""Datasets: the service (`studio.datasets`), and the keys of datasets encrypted at rest."""

from studio.core.services.datasets.service import DatasetService, DependentsFinder

__all__ = ["DatasetService", "DependentsFinder"]
