import time
from datetime import timedelta

import pytest

from studio.core import operations as ops
from studio.core.errors import (
    AccessDenied,
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    IntegrityError,
    LoginThrottledError,
    SessionLockedError,
    ValidationError,
)
from studio.core.security import UserSession, keys, passwords, throttle
from studio.core.services import Studio
from studio.core.services.accounts import AccountService
from tests.conftest import TEST_PASSWORD

WRONG = "Wrong-Password-0000"


class Clock:
    def __init__(self):
        self.t = AccountService.now()

    def __call__(self):
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(AccountService, "now", staticmethod(c))
    return c


def test_fixtures_give_real_logged_in_sessions(studio, make_user, admin):
    alice = make_user("viewer", "alice")
    assert isinstance(alice, UserSession) and isinstance(admin, UserSession)
    assert (alice.role, alice.is_admin, admin.is_admin) == ("viewer", False, True)
    assert studio.accounts.public_key(alice.user_id) == alice.public_key == keys.public_bytes(alice.private_key())
    assert len(alice.public_key) == 32


def test_first_admin_only_once_and_login(studio):
    root = studio.accounts.create_first_admin("Root", TEST_PASSWORD)
    with pytest.raises(ConflictError):
        studio.accounts.create_first_admin("other", TEST_PASSWORD)
    again = studio.accounts.login("root", TEST_PASSWORD)  # names are case-insensitive
    assert again.user_id == root.user_id and again.user_name == "Root"


def test_lock_drops_the_keys(studio, make_user):
    alice = make_user("trainer", "alice")
    alice.lock()
    assert alice.locked
    with pytest.raises(SessionLockedError, match="locked"):
        alice.private_key()
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(make_user("trainer", "bob"))


def test_unknown_user_and_wrong_password_look_the_same(studio, make_user, monkeypatch):
    make_user("trainer", "alice")
    calls = []
    real = passwords.Argon2id.verify_phc_encoded

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(passwords.Argon2id, "verify_phc_encoded", counting)
    messages = []
    for name in ("alice", "mallory"):
        calls.clear()
        with pytest.raises(AuthenticationError) as info:
            studio.accounts.login(name, WRONG)
        messages.append(str(info.value))
        assert len(calls) == 1, "exactly one Argon2id check, whether or not the name exists"
    assert messages[0] == messages[1] == "Wrong user name or password, or the account is disabled."


def test_the_first_unknown_name_in_a_process_costs_one_argon2id_run_like_any_other(studio, make_user, monkeypatch):
    """Every Argon2id run counts (hashing included): a lazily made dummy hash once cost the first unknown
    name of a process two runs (173 ms against 315 ms at production cost)."""
    make_user("trainer", "alice")
    passwords.set_active_params(passwords.active_params())  # as in a fresh process: nothing made yet
    runs = []
    for method in ("derive", "derive_phc_encoded", "verify_phc_encoded"):
        real = getattr(passwords.Argon2id, method)
        monkeypatch.setattr(passwords.Argon2id, method,
                            lambda *a, _real=real, _m=method, **k: (runs.append(_m), _real(*a, **k))[1])
    for name in ("first-ghost", "alice", "second-ghost", "alice"):
        runs.clear()
        with pytest.raises(AuthenticationError) as info:
            studio.accounts.login(name, WRONG)
        assert runs == ["verify_phc_encoded"], (name, runs)
        assert str(info.value) == "Wrong user name or password, or the account is disabled."


def test_unknown_user_costs_the_same_time_as_a_wrong_password(studio, make_user):
    # A cost high enough to dominate the timing (tens of ms per check), low enough for a test.
    passwords.set_active_params(passwords.Argon2Params(time_cost=2, lanes=1, memory_kib=16 * 1024))
    make_user("trainer", "alice")
    times: dict[str, list[float]] = {"alice": [], "nobody-here": []}
    for _ in range(3):  # interleaved, so that load from elsewhere hits both alike; 3 failures stay unthrottled
        for name in times:
            start = time.perf_counter()
            with pytest.raises(AuthenticationError) as info:
                studio.accounts.login(name, WRONG)
            times[name].append(time.perf_counter() - start)
            assert type(info.value) is AuthenticationError
    known, unknown = min(times["alice"]), min(times["nobody-here"])
    assert 0.6 < unknown / known < 1.6, times


def test_failed_logins_slow_down_then_lock_and_survive_a_restart(data_dir, clock):
    with Studio.open(data_dir) as studio:
        studio.accounts.create_first_admin("root", TEST_PASSWORD)
        root = studio.accounts.login("root", TEST_PASSWORD)
        studio.accounts.create_user(root, "alice", "trainer", TEST_PASSWORD)
        waits = []
        for n in range(1, throttle.MAX_FAILURES + 1):
            with pytest.raises(AuthenticationError) as info:
                studio.accounts.login("alice", WRONG)
            assert type(info.value) is AuthenticationError, f"failure {n} must be judged, not throttled"
            assert studio.accounts.user("alice").failed_attempts == n
            delay = throttle.delay_after(n)
            waits.append(delay)
            if delay and n < throttle.MAX_FAILURES:
                # Too early: refused without even checking the password, the right one included.
                with pytest.raises(LoginThrottledError) as early:
                    studio.accounts.login("alice", TEST_PASSWORD)
                assert 0 < early.value.retry_after_s <= delay
                assert studio.accounts.user("alice").failed_attempts == n  # a throttled try is no failure
            clock.advance(delay + 0.01)
        assert waits[:2] == [0, 0] and all(b >= a for a, b in zip(waits, waits[1:], strict=False)) and waits[-1] > 8
        assert studio.accounts.user("alice").status == "locked"

    clock.advance(3600)
    with Studio.open(data_dir) as studio:  # a restart does not reset the counter
        with pytest.raises(AccountLockedError, match="administrator must unlock"):
            studio.accounts.login("alice", TEST_PASSWORD)
        root = studio.accounts.login("root", TEST_PASSWORD)
        studio.accounts.unlock(root, "alice")
        assert studio.accounts.login("alice", TEST_PASSWORD).user_name == "alice"
        entries = studio.audit.page(root, limit=100)
        denied = [e for e in entries if e.action == ops.AUTH_LOGIN and e.outcome == "denied"]
        assert len(denied) >= throttle.MAX_FAILURES + 1
        assert all(e.sealed for e in entries)  # failed logins were sealed at the next login


def test_unknown_names_are_throttled_too(studio, make_user, clock):
    make_user("trainer", "alice")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            studio.accounts.login("ghost", WRONG)
    with pytest.raises(LoginThrottledError):
        studio.accounts.login("ghost", WRONG)


def test_a_success_resets_the_counter(studio, make_user, clock):
    make_user("trainer", "alice")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            studio.accounts.login("alice", WRONG)
    clock.advance(10)
    studio.accounts.login("alice", TEST_PASSWORD)
    assert studio.accounts.user("alice").failed_attempts == 0


def test_a_disabled_account_answers_the_same_whether_the_password_is_right_or_not(studio, make_user, admin,
                                                                                 monkeypatch):
    make_user("viewer", "vera")
    studio.accounts.set_disabled(admin, "vera", True)
    runs = []
    real = passwords.Argon2id.verify_phc_encoded
    monkeypatch.setattr(passwords.Argon2id, "verify_phc_encoded", lambda *a, **k: (runs.append(1), real(*a, **k))[1])
    answers = []
    for password in (TEST_PASSWORD, WRONG, "Other-Wrong-4321"):
        runs.clear()
        with pytest.raises(AuthenticationError) as info:
            studio.accounts.login("vera", password)
        answers.append((type(info.value), str(info.value), len(runs)))
    assert answers[0] == answers[1] == answers[2] == (
        AuthenticationError, "Wrong user name or password, or the account is disabled.", 1)
    entries = [e for e in studio.audit_store.page(limit=3) if e.action == ops.AUTH_LOGIN]
    assert [e.details["reason"] for e in entries] == ["account disabled"] * 3  # the administrator sees why
    studio.accounts.set_disabled(admin, "vera", False)
    studio.accounts.unlock(admin, "vera")
    studio.accounts.login("vera", TEST_PASSWORD)


def test_a_throttled_login_never_says_wait_0_s(studio, make_user, clock):
    make_user("trainer", "alice")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            studio.accounts.login("alice", WRONG)
    clock.advance(throttle.delay_after(3) - 0.2)  # 0.2 s left
    with pytest.raises(LoginThrottledError) as info:
        studio.accounts.login("alice", TEST_PASSWORD)
    assert "wait 1 s before" in str(info.value) and 0 < info.value.retry_after_s <= 0.2 + 1e-6
    assert [throttle.describe_wait(w) for w in (0.0, 0.01, 1.0, 1.2, 59.5, 60, 61, 125)] == [
        "1 s", "1 s", "1 s", "2 s", "1 min", "1 min", "1 min 1 s", "2 min 5 s"]


def test_the_last_administrator_stays(studio, make_user):
    root = make_user.root()
    with pytest.raises(ConflictError):
        studio.accounts.set_disabled(root, "root", True)
    with pytest.raises(ConflictError, match="administrator must remain"):
        studio.accounts.set_role(root, "root", "trainer")


def test_changing_a_password_rewraps_the_key_only(studio, make_user):
    alice = make_user("trainer", "alice")
    sealed = keys.seal(alice.public_key, b"a model key", b"model:1")
    new = "Granite-Otter-5521"
    with pytest.raises(AuthenticationError):
        studio.accounts.change_password(alice, WRONG, new)
    with pytest.raises(ValidationError):
        studio.accounts.change_password(alice, TEST_PASSWORD, "short")
    studio.accounts.change_password(alice, TEST_PASSWORD, new)
    with pytest.raises(AuthenticationError):
        studio.accounts.login("alice", TEST_PASSWORD)
    again = studio.accounts.login("alice", new)
    assert again.public_key == alice.public_key and again.key_generation == alice.key_generation
    assert again.open_sealed(sealed, b"model:1") == b"a model key"  # everything sealed to her still opens


def test_an_admin_reset_gives_new_keys_and_revokes_grants(studio, make_user, admin, monkeypatch):
    from studio.core.security import events, policy

    monkeypatch.setitem(policy._REGISTRY, "model", policy.ObjectType("model", lambda s, oid: admin.user_id, None, None))
    alice = make_user("trainer", "alice")
    sealed = keys.seal(alice.public_key, b"a model key", b"model:1")
    studio.grants.add(admin, "alice", "model", 1, "use")
    seen = []
    monkeypatch.setattr(events, "_key_reset_listeners", [lambda s, actor, uid: seen.append((actor.user_name, uid))])
    studio.accounts.reset_password(admin, "alice", "Granite-Otter-5521")
    assert seen == [("admin", alice.user_id)]
    again = studio.accounts.login("alice", "Granite-Otter-5521")
    assert again.public_key != alice.public_key and again.key_generation == alice.key_generation + 1
    with pytest.raises(IntegrityError, match="does not open"):
        again.open_sealed(sealed, b"model:1")  # the admin did not get, and could not pass on, her old key
    assert studio.grants.list(admin, user_name="alice") == []
    assert studio.accounts.user("alice").must_change_password
    entry = next(e for e in studio.audit.page(admin, limit=10) if e.action == ops.USER_RESET_PASSWORD)
    assert entry.details["revoked_grants"] == ["use model:1"]
    # The new key pair still got the audit secret, so her entries are sealed at once.
    assert studio.audit.page(admin, limit=1)[0].sealed


def test_non_admins_cannot_manage_users(studio, make_user):
    alice = make_user("trainer", "alice")
    make_user("viewer", "bob")
    for call in (lambda: studio.accounts.create_user(alice, "carol", "viewer", TEST_PASSWORD),
                 lambda: studio.accounts.set_role(alice, "bob", "admin"),
                 lambda: studio.accounts.reset_password(alice, "bob", "Granite-Otter-5521"),
                 lambda: studio.accounts.list_users(alice)):
        with pytest.raises(AccessDenied):
            call()
    assert studio.accounts.user("bob").role == "viewer" and studio.accounts.user("carol") is None


def test_only_real_sessions_with_the_current_keys_pass_the_door(studio, make_user, admin):
    from studio.core.actor import Actor
    from studio.core.services.base import Service

    alice = make_user("trainer", "alice")
    service = Service(studio)
    impostor_key, _ = keys.new_key_pair()
    for actor, reason in ((Actor(alice.user_id, "alice", "trainer"), "not a logged-in session"),
                          (UserSession(alice.user_id, "alice", "admin", impostor_key, None), "keys were replaced")):
        with pytest.raises(AccessDenied, match=reason):
            with service.operation(actor, ops.MODEL_LIST):
                pass
    studio.accounts.reset_password(admin, "alice", "Granite-Otter-5521")
    with pytest.raises(AccessDenied, match="password reset"):
        with service.operation(alice, ops.MODEL_LIST):  # her session from before the reset
            pass
