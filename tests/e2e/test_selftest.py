import json

from tests.e2e.test_cli import studio


def test_self_test_passes_and_prints_one_line_per_step(tmp_path):
    from studio.core.selftest import STEPS

    result = studio("self-test", data_dir=tmp_path / "unused")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.split()[:1] in (["ok"], ["FAILED"], ["skipped"])]
    assert len(lines) == len(STEPS)
    assert all(ln.startswith("ok") for ln in lines)
    assert result.stdout.strip().endswith("self-test passed")


def test_self_test_reports_a_failing_step_and_skips_the_rest(monkeypatch):
    from studio.core import selftest

    def broken(t):
        raise RuntimeError("no disk")

    monkeypatch.setattr(selftest, "STEPS", [("first", broken), ("second", lambda t: "never")])
    results = selftest.run_self_test()
    assert [(r.name, r.status) for r in results] == [("first", "failed"), ("second", "skipped")]
    assert "no disk" in results[0].detail


def test_self_test_json():
    result = studio("self-test", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["ok"] is True
