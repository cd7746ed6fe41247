import pytest

from studio.core import operations as ops
from studio.core.actor import ROLES, Actor
from studio.core.services.base import Service


def test_catalogue_is_consistent():
    assert ops.OPERATIONS
    for spec in ops.OPERATIONS.values():
        assert set(spec.roles) <= set(ROLES)
        assert spec.grant in (None, "use", "export", "manage")


def test_unknown_operation_is_a_programming_error(studio):
    service = Service(studio)
    with pytest.raises(ValueError):
        with service.operation(Actor(1, "a", "admin"), "no.such.op"):
            pass
