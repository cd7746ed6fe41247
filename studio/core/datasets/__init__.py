"""Datasets: import (sources, cleaning), tokenizers, splits, token arrays on disk, statistics.

The service over this package is studio.core.services.datasets.DatasetService; training reads token
arrays through `DatasetService.open_arrays` (see docs/architecture.md, "Datasets contract")."""
