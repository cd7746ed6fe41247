"""What the studio runs on: versions and the compute device. Reads versions from package metadata so
that neither Qt nor torch is imported just to print a version; only `torch_info()` imports torch."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import platform
import sys
from dataclasses import dataclass


def package_version(dist: str, module: str | None = None) -> str | None:
    """The installed version of a distribution; for a frozen build, which may carry no package metadata,
    the module's own __version__ (read without importing heavy submodules)."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        pass
    name = module or dist
    if importlib.util.find_spec(name) is None:
        return None
    try:
        return str(getattr(importlib.import_module(name), "__version__", "unknown"))
    except ImportError:
        return None


def qt_version() -> str | None:
    return package_version("PySide6-Essentials", "PySide6")


@dataclass(frozen=True)
class TorchInfo:
    version: str
    device: str  # cuda, mps or cpu
    device_name: str
    cuda: str | None
    threads: int
    bf16: bool


def best_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def torch_info() -> TorchInfo:
    import torch

    device = best_device()
    if device == "cuda":
        name = torch.cuda.get_device_name(0)
        bf16 = torch.cuda.is_bf16_supported()
    elif device == "mps":
        name, bf16 = "Apple GPU (MPS)", False
    else:
        name, bf16 = platform.processor() or platform.machine(), False
    return TorchInfo(
        version=torch.__version__,
        device=device,
        device_name=name,
        cuda=torch.version.cuda,
        threads=torch.get_num_threads(),
        bf16=bf16,
    )


def python_version() -> str:
    return platform.python_version()


def module_available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def platform_summary() -> str:
    return f"{platform.system()} {platform.release()} {platform.machine()}; Python {python_version()} ({sys.executable})"
