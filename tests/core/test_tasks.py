import pytest

from studio.core.errors import Cancelled
from studio.core.tasks import TaskState


def test_progress_is_reported_with_an_eta():
    seen = []
    state = TaskState(on_progress=seen.append, min_interval_s=0)
    state.report(0.5, "half")
    assert seen[-1].fraction == 0.5 and seen[-1].message == "half"
    assert seen[-1].eta_s is not None and seen[-1].eta_s >= 0


def test_progress_is_rate_limited_but_completion_always_arrives():
    seen = []
    state = TaskState(on_progress=seen.append, min_interval_s=60)
    for i in range(100):
        state.report(i / 100)
    state.report(1.0)
    assert len(seen) == 2 and seen[-1].fraction == 1.0


def test_cancel_raises_at_the_next_check():
    state = TaskState()
    state.check()
    state.cancel()
    with pytest.raises(Cancelled):
        state.report(0.1)
