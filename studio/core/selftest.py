"""`studio self-test`: an end-to-end check of an installation, in a temporary data folder.

Each step is a function of the shared SelfTest context returning a short detail text; one failing step
marks the steps after it as skipped (they build on it). The installed app runs this (`studio self-test`,
Help -> Self-test), so it exercises the real paths: its own executable as a worker process, its resources.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.procs import studio_command
from studio.core.resources import resources_dir


@dataclass(frozen=True)
class StepResult:
    name: str
    status: str  # ok, failed, skipped
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class SelfTest:
    data_dir: Path
    state: dict[str, Any] = field(default_factory=dict)  # what one step leaves for the next


def _resources(t: SelfTest) -> str:
    needed = ["icons/studio.svg", "i18n/zh_CN/gui.ts"]
    missing = [p for p in needed if not (resources_dir() / p).exists()]
    if missing:
        raise RuntimeError(f"missing resources in {resources_dir()}: {', '.join(missing)}")
    return str(resources_dir())


def _open_data_folder(t: SelfTest) -> str:
    from studio.core.services import Studio

    studio = Studio.open(t.data_dir)
    t.state["studio"] = studio
    current, head = studio.system.schema()
    return f"{t.data_dir} (schema {current})"


def _child_process(t: SelfTest) -> str:
    """The installation can start itself as a child process (how training workers start)."""
    out = subprocess.run(
        studio_command("doctor", "--json", "--data-dir", str(t.data_dir)), capture_output=True, text=True, timeout=300
    )
    report = json.loads(out.stdout or "{}")
    if out.returncode != 0 or not report.get("ok"):
        bad = [f"{c['name']}: {c['value']}" for c in report.get("checks", []) if not c["ok"]]
        raise RuntimeError("child process doctor failed: " + ("; ".join(bad) or out.stderr.strip()[-300:]))
    device = next((c["value"] for c in report["checks"] if c["name"] == "device"), "?")
    return f"child process ok; {device}"


STEPS: list[tuple[str, Callable[[SelfTest], str]]] = [
    ("resources", _resources),
    ("data folder and database", _open_data_folder),
    ("worker process", _child_process),
]


def run_self_test(on_result: Callable[[StepResult], None] | None = None, state=None) -> list[StepResult]:
    results: list[StepResult] = []
    with tempfile.TemporaryDirectory(prefix="studio-selftest-") as tmp:
        t = SelfTest(Path(tmp) / "data")
        failed = False
        try:
            for name, fn in STEPS:
                if state is not None:
                    state.check()
                start = time.perf_counter()
                if failed:
                    result = StepResult(name, "skipped", "an earlier step failed", 0.0)
                else:
                    try:
                        result = StepResult(name, "ok", fn(t), time.perf_counter() - start)
                    except Exception as error:  # noqa: BLE001 - every failure is reported, not raised
                        failed = True
                        detail = f"{type(error).__name__}: {error}"
                        result = StepResult(name, "failed", detail, time.perf_counter() - start)
                        t.state.setdefault("tracebacks", []).append(traceback.format_exc())
                results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            studio = t.state.get("studio")
            if studio is not None:
                studio.close()
    return results
