import math

import pytest

from studio.core.errors import ValidationError
from studio.core.training.config import TrainConfig, lr_at


def test_warmup_then_each_schedule():
    base = dict(lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=110)
    for schedule in ("cosine", "linear", "constant"):
        cfg = TrainConfig(schedule=schedule, **base)
        warm = [lr_at(s, cfg) for s in range(10)]
        assert warm == sorted(warm) and warm[0] > 0 and warm[-1] < 1.0
        assert lr_at(10, cfg) == pytest.approx(1.0)
    cos, lin = TrainConfig(schedule="cosine", **base), TrainConfig(schedule="linear", **base)
    assert lr_at(60, cos) == pytest.approx(0.55) and lr_at(60, lin) == pytest.approx(0.55)
    assert lr_at(35, cos) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 4)))
    assert lr_at(35, lin) == pytest.approx(1.0 - 0.9 * 0.25)
    assert lr_at(110, cos) == pytest.approx(0.1) and lr_at(500, lin) == pytest.approx(0.1)
    assert lr_at(500, TrainConfig(schedule="constant", **base)) == 1.0
    assert TrainConfig(lr=0.5).final_lr == pytest.approx(0.05)


@pytest.mark.parametrize("bad", [dict(lr=0), dict(optimizer="lion"), dict(schedule="step"), dict(max_steps=0),
                                 dict(min_lr=2.0), dict(grad_clip=-1), dict(precision="fp8"), dict(beta2=1.0)])
def test_bad_settings_are_refused_with_the_field(bad):
    with pytest.raises(ValidationError) as info:
        TrainConfig(**bad).validate()
    assert info.value.field is not None


def test_round_trip_and_unknown_settings():
    cfg = TrainConfig(optimizer="sgd", lr=0.1)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValidationError, match="Unknown training settings: bogus"):
        TrainConfig.from_dict({"bogus": 1})
