import pytest

from studio.core import operations as ops
from studio.core.actor import ROLES, Actor
from studio.core.services.base import Service


def test_catalogue_is_consistent():
    assert ops.OPERATIONS
    for spec in ops.OPERATIONS.values():
        assert set(spec.roles) <= set(ROLES)
        assert spec.grant in (None, "use", "export", "manage")


def test_unknown_operation_is_a_programming_error(studio, admin):
    service = Service(studio)
    with pytest.raises(ValueError):
        with service.operation(admin, "no.such.op"):
            pass


def test_a_plain_actor_that_is_not_a_logged_in_user_is_refused(studio, admin):
    from studio.core.errors import AccessDenied

    service = Service(studio)
    with pytest.raises(AccessDenied):
        with service.operation(Actor(999, "ghost", "admin"), ops.USER_LIST):
            pass
