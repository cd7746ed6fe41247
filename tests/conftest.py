"""Shared test set-up. Qt runs offscreen; every test gets its own data folder; with STUDIO_BLOCK_QT=1
(the Makefile's core run) Qt cannot be imported at all, proving the core does not need it."""

from __future__ import annotations

import importlib.abc
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("STUDIO_DATA_DIR", None)

_BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")


class _QtBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in _BLOCKED:
            raise ImportError(f"{fullname} is blocked: core tests run without Qt")
        return None


if os.environ.get("STUDIO_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _QtBlocker())


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def studio(data_dir):
    from studio.core.services import Studio

    s = Studio.open(data_dir)
    yield s
    s.close()


# Actors for service tests. FOUNDATION STATE: plain Actors; the accounts issue replaces these fixtures with
# real logged-in sessions of created users (same names and call shapes), so tests written against them
# keep working.
@pytest.fixture
def make_user(studio):
    from studio.core.actor import Actor

    counter = iter(range(1, 10_000))

    def make(role: str = "trainer", name: str | None = None):
        n = next(counter)
        return Actor(n, name or f"{role}{n}", role)

    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin", "admin")
