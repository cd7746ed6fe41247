"""Shared test set-up. Qt runs offscreen; every test gets its own data folder; with STUDIO_BLOCK_QT=1
(the Makefile's core run) Qt cannot be imported at all, proving the core does not need it."""

from __future__ import annotations

import importlib.abc
import os
import signal
import sys

import pytest

pytest_plugins = ["tests.run_fixtures"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One compute thread for torch (and the worker processes the tests start, which inherit this). The tests' models
# are tiny: a second OpenMP thread buys nothing, and on a loaded machine every parallel region waits for a
# descheduled thread (a 2-layer width-32 forward measured 20-45x slower in CPU time with 2 threads under load
# 8 than with 1). Set before torch is imported, which reads it once.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if "torch" in sys.modules:  # imported by a plugin before this file: too late for the variable
    sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
os.environ.pop("STUDIO_DATA_DIR", None)
# A suite started as a background job of a non-interactive shell (`make test &`, nohup) inherits SIGINT ignored,
# and so would every `studio train` / `studio serve` the e2e tests start and then stop with Ctrl-C's SIGINT
# (an ignored signal stays ignored across exec). The tests play a user at a terminal: give SIGINT its default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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


# Password hashing at production cost (Argon2id t=3, p=4, 64 MiB: 0.2-0.4 s a hash) would make the suite far
# too slow; every test runs with a tiny cost instead. tests/core/test_passwords.py checks the production
# parameters themselves.
TEST_ARGON2 = (1, 1, 64)  # time cost, lanes, memory KiB
TEST_PASSWORD = "Quartz-Falcon-7319"


@pytest.fixture(autouse=True)
def _cheap_password_hashing():
    from studio.core.security import passwords

    previous = passwords.active_params()
    passwords.set_active_params(passwords.Argon2Params(*TEST_ARGON2))
    yield
    passwords.set_active_params(previous)


# Actors for service tests: real users, created by a first administrator ("root") and logged in, so each is a
# UserSession holding its keys. `make_user(role, name=None)`; every user's password is TEST_PASSWORD.
@pytest.fixture
def make_user(studio):
    counter = iter(range(1, 10_000))
    state: dict = {}

    def root():
        if "root" not in state:
            state["root"] = studio.accounts.create_first_admin("root", TEST_PASSWORD)
        return state["root"]

    def make(role: str = "trainer", name: str | None = None):
        creator = root()
        if name == "root":
            return creator
        name = name or f"{role}{next(counter)}"
        studio.accounts.create_user(creator, name, role, TEST_PASSWORD)
        return studio.accounts.login(name, TEST_PASSWORD)

    make.root = root
    make.password = TEST_PASSWORD
    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin", "admin")
