"""Accounts: the first administrator, login (with throttling), logout and lock, and user management.

What a login gives: a UserSession holding the user's private key (unwrapped with a key derived from the
password) and the audit secret (sealed to the user's public key). Nothing of either is ever stored in
plaintext or logged.

What an administrator's password reset does (docs/threat-model.md): the administrator cannot unwrap the
user's private key (it is wrapped with the user's password, which they do not know), so the reset gives the
user a NEW key pair, wrapped with the new password. Everything sealed to the old key (model keys in the
vault) is no longer readable by the user: the reset revokes the user's grants (listed in the audit entry) and
tells the vault (security.events.on_key_reset); someone who still holds those models re-issues the grants.
The administrator never gets the user's keys; the user must choose a new password at the next login.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from sqlalchemy import delete, func, select

from studio.core import operations as ops
from studio.core.actor import ROLES
from studio.core.db.tables.accounts import GrantRow, LoginAttemptRow, UserRow
from studio.core.db.tables.audit import AuditEntryRow
from studio.core.errors import (
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    LoginThrottledError,
    ValidationError,
)
from studio.core.messages import msg
from studio.core.security import adopt, events, keys, passwords, pins, rowauth, throttle
from studio.core.security.rowauth import TamperedRowError
from studio.core.security.session import AuditKeys, UserSession, audit_keys_of, audit_secret_of
from studio.core.services.base import Service
from studio.core.stores import login_attempts
from studio.core.stores.accounts import (
    User,
    check_user_name,
    failures_of,
    grant_rows,
    name_key,
    require_user_row,
    to_user,
    user_row_by_name,
    user_subject,
    verified_user,
)

log = logging.getLogger(__name__)

WRONG_LOGIN = msg("Wrong user name or password, or the account is disabled.")
_AUDIT_AAD = b"model-studio audit secret v1"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(msg("Unknown role {role!r}; choose one of {value}.", role=role, value=', '.join(ROLES)), field="role")
    return role


class AccountService(Service):
    # The clock of throttling; tests move it forward.
    now = staticmethod(utcnow)

    # -- first start -------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        return self.studio.accounts_store.count_users() > 0

    def create_first_admin(self, name: str, password: str) -> UserSession:
        """Create the first administrator and the audit secret, and log them in. Only on a new data folder."""
        name = check_user_name(name)
        passwords.check_password_rules(password, name)
        if self.has_users():
            raise ConflictError(msg("This data folder already has users; log in as an administrator to add more."))
        audit_secret = os.urandom(32)
        private, public = keys.new_key_pair()
        phc = passwords.hash_password(password)
        store = self.studio.audit_store
        with self.studio.db.session(durable=True) as s:
            rowauth.bind(s, AuditKeys.from_secret(audit_secret), store.anchor)
            now = self.now()
            row = UserRow(name=name, name_key=name_key(name), role="admin", disabled=False, must_change_password=False,
                          created_at=now, password_changed_at=now, password_phc=phc, key_kdf="",
                          public_key=public, wrapped_private_key=b"", key_generation=1,
                          sealed_audit_secret=keys.seal(public, audit_secret, _AUDIT_AAD))
            s.add(row)
            s.flush()
            if s.scalar(select(func.count()).select_from(UserRow)) != 1:
                raise ConflictError(msg("Another process created the first administrator at the same time; log in."))
            row.key_kdf, row.wrapped_private_key = keys.wrap_private_key(private, password, row.id)
            row.trust = pins.pin(private, row.id, audit_secret)
            session = UserSession(row.id, row.name, row.role, private, audit_secret, row.key_generation)
            akeys = audit_keys_of(session)
            # Entries from before (failed logins at an empty studio) are sealed now; say how many, so that a
            # studio restarted from nothing cannot pass off an old log as its own history unnoticed.
            earlier = s.scalar(select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.mac.is_(None)))
            first = {"name": name, "role": "admin", "first_admin": True, "sealed_earlier_entries": earlier}
            for action, details in ((ops.USER_CREATE, first),
                                    (ops.AUTH_LOGIN, {})):
                _, head = store.append(s, actor_id=row.id, actor_name=row.name, action=action, obj_type="user",
                                       obj_id=str(row.id), outcome="allowed", details=details, keys=akeys,
                                       allow_genesis=True)
        store.advance_anchor(akeys, head)
        rowauth.register_live(self.studio.db.engine, session)
        log.info("created the first administrator (user id %s)", row.id)
        return session

    # -- login ---------------------------------------------------------------------------------------------
    def login(self, name: str, password: str) -> UserSession:
        """Log in. Every way of failing that a guesser could tell apart gives the same answer after the same
        work (one Argon2id check): an unknown name, a wrong password, a disabled account (right password or
        not). Throttling and the failure count are atomic across processes (studio.core.stores.login_attempts):
        the attempt takes its slot first, in one write transaction, and only then is the password checked."""
        name = (name or "")[:200]
        with self.studio.db.session() as s:
            row = user_row_by_name(s, name) if name else None
            user_id, user_name = (row.id, row.name) if row else (None, None)
            phc, disabled = (row.password_phc, row.disabled) if row else (None, False)
        who = {"actor_id": None, "actor_name": user_name or "(unknown)", "action": ops.AUTH_LOGIN,
               "obj_type": "user", "obj_id": None if user_id is None else str(user_id), "keys": None}
        gate = self._take_slot(name, user_id, who)
        if phc is None:  # the same work whether or not the name exists: one Argon2id check
            passwords.verify_dummy(password)
            ok = False
        else:
            ok = passwords.verify_password(password, phc)
        if not ok or disabled:
            reason = "unknown user name" if row is None else "account disabled" if disabled else "wrong password"
            self._record_failed_login(gate, who, reason)
            raise AuthenticationError(WRONG_LOGIN)
        return self._open_session(user_id, password, who, gate)

    def _take_slot(self, name: str, user_id: int | None, who: dict) -> login_attempts.Gate:
        """The throttle's check and count in one transaction holding the write lock; a refusal is recorded in
        that same transaction (so every attempt, refused or not, has its entry)."""
        with login_attempts.write_locked(self.studio.db) as s:
            subject = user_subject(user_id) if user_id is not None else login_attempts.unknown_subject(s, name_key(name))
            gate = login_attempts.reserve(s, subject, self.now())
            if gate.refusal == login_attempts.LOCKED:
                self.studio.audit_store.append(s, **who, outcome="denied",
                                               details={"reason": "locked after too many failed logins"})
            elif gate.refusal is not None:
                self.studio.audit_store.append(s, **who, outcome="denied", details={
                    "reason": "too soon after failed logins", "failures": gate.failures})
        if gate.refusal == login_attempts.LOCKED:
            raise AccountLockedError(
                msg("This account is locked after {max_failures} failed logins in a row; an administrator must unlock it.", max_failures=throttle.MAX_FAILURES)
            )
        if gate.refusal is not None:
            raise LoginThrottledError(msg("Too many failed logins: wait {value} before trying again.", value=throttle.describe_wait(gate.wait_s)), retry_after_s=gate.wait_s)
        return gate

    def _record_failed_login(self, gate: login_attempts.Gate, who: dict, reason: str) -> None:
        """The entry of a checked attempt that failed (its slot already counts it)."""
        details = {"reason": reason, "failures": gate.slot}
        if throttle.is_locked(gate.slot or 0):
            details["locked"] = True
        self.studio.audit_store.record(**who, outcome="denied", details=details)

    def _open_session(self, user_id: int, password: str, who: dict, gate: login_attempts.Gate) -> UserSession:
        store = self.studio.audit_store
        with self.studio.db.session() as s:
            row = s.get(UserRow, user_id)
            blob, kdf, public, generation = row.wrapped_private_key, row.key_kdf, bytes(row.public_key), row.key_generation
            sealed, role, name, disabled = row.sealed_audit_secret, row.role, row.name, row.disabled
            trust = row.trust
        if disabled:  # disabled while the password was being checked: the same answer as before
            self._record_failed_login(gate, who, "account disabled")
            raise AuthenticationError(WRONG_LOGIN)
        private = keys.unwrap_private_key(blob, kdf, password, user_id, public)
        audit_secret = keys.open_sealed(private, sealed, _AUDIT_AAD) if sealed else None
        if trust is not None and not pins.matches(private, user_id, audit_secret, trust):
            store.record(**who, outcome="denied", details={"reason": "the account's audit secret does not match "
                                                                     "its pin (replaced outside the studio)"})
            raise TamperedRowError(f"user:{user_id}", "the copy of the audit secret sealed to this account was "
                                                      "replaced (it does not match the account's own pin).")
        session = UserSession(user_id, name, role, private, audit_secret, generation)
        akeys = audit_keys_of(session)
        try:
            return self._finish_login(session, akeys, private, audit_secret, trust, password, who, gate)
        except TamperedRowError as error:
            session.lock()
            store.record(**who, outcome="denied", details={"reason": "tampered access rows",
                                                           "message": str(error)[:500]})
            raise

    def _finish_login(self, session: UserSession, akeys, private, audit_secret, trust, password: str, who: dict,
                      gate: login_attempts.Gate) -> UserSession:
        store = self.studio.audit_store
        user_id, name = session.user_id, session.user_name
        with self.studio.db.session(durable=True) as s:
            rowauth.bind(s, akeys, store.anchor, user_id)
            row = s.get(UserRow, user_id)
            details: dict = {}
            if akeys is not None and row.role == "admin" and adopt.pending(store.anchor, akeys):
                details["adopted"] = adopt.adopt_folder(s)  # a data folder from before access rows were MACed
            rowauth.verify(s, rowauth.scope_name("user", user_id))
            session.role = row.role
            if trust is None:  # an account older than pins: its first login pins what it holds
                row.trust = pins.pin(private, user_id, audit_secret)
                details["pinned"] = True
            if passwords.needs_rehash(row.password_phc):
                row.password_phc = passwords.hash_password(password)
                details["rehashed"] = True
            if keys.needs_rewrap(row.key_kdf):
                row.key_kdf, row.wrapped_private_key = keys.wrap_private_key(private, password, user_id)
                details["key_rewrapped"] = True
            row.last_login_at = self.now()
            login_attempts.give_back(s, gate.subject, gate.slot or 0)
            if row.must_change_password:
                details["must_change_password"] = True
            if (gate.slot or 1) > 1:  # failures counted before this one, forgiven now
                details["failures_before"] = gate.slot - 1
            _, head = store.append(s, **{**who, "actor_id": user_id, "actor_name": name, "keys": akeys},
                                   outcome="allowed", details=details)
        if akeys is not None:
            store.advance_anchor(akeys, head)
        rowauth.register_live(self.studio.db.engine, session)
        log.info("user %s logged in", user_id)
        return session

    def logout(self, session: UserSession, lock_only: bool = False) -> None:
        """Record the logout (or lock) and drop the session's keys from memory."""
        if session.locked:
            return
        try:
            with self.operation(session, ops.AUTH_LOGOUT, "user", session.user_id, lock=lock_only):
                pass
        finally:
            session.lock()

    # -- user management (administrators) ----------------------------------------------------------------
    def list_users(self, actor) -> list[User]:
        self.check(actor, ops.USER_LIST)
        return self.studio.accounts_store.list_users()

    def create_user(self, actor, name: str, role: str, password: str) -> User:
        name = check_user_name(name)
        _check_role(role)
        passwords.check_password_rules(password, name)
        secret = audit_secret_of(actor)
        private, public = keys.new_key_pair()
        phc = passwords.hash_password(password)
        with self.operation(actor, ops.USER_CREATE, "user", None, name=name, role=role) as op:
            s = op.session
            if user_row_by_name(s, name) is not None:
                raise ConflictError(msg("The user name {name!r} is taken.", name=name))
            now = self.now()
            row = UserRow(name=name, name_key=name_key(name), role=role, disabled=False, must_change_password=False,
                          created_at=now, password_changed_at=now, password_phc=phc, key_kdf="", public_key=public,
                          wrapped_private_key=b"", key_generation=1,
                          sealed_audit_secret=keys.seal(public, secret, _AUDIT_AAD) if secret else None)
            s.add(row)
            s.flush()
            row.key_kdf, row.wrapped_private_key = keys.wrap_private_key(private, password, row.id)
            row.trust = pins.pin(private, row.id, secret)
            op.obj_id = str(row.id)
            events.role_changed(s, actor, row.id, None, role)
            return to_user(row, 0)

    def set_disabled(self, actor, name: str, disabled: bool) -> User:
        with self.operation(actor, ops.USER_UPDATE, "user", None, name=name,
                            change="disable" if disabled else "enable") as op:
            row = require_user_row(op.session, name)
            op.obj_id = str(row.id)
            if disabled and row.id == getattr(actor, "user_id", None):
                raise ConflictError(msg("You cannot disable your own account."))
            if disabled and row.role == "admin":
                self._keep_an_admin(op.session, row.id)
            row.disabled = disabled
            return to_user(row, failures_of(op.session, row.id))

    def unlock(self, actor, name: str) -> User:
        with self.operation(actor, ops.USER_UPDATE, "user", None, name=name, change="unlock") as op:
            row = require_user_row(op.session, name)
            op.obj_id = str(row.id)
            op.details["failures"] = failures_of(op.session, row.id)
            op.session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.subject == user_subject(row.id)))
            return to_user(row, 0)

    def set_role(self, actor, name: str, role: str) -> User:
        _check_role(role)
        with self.operation(actor, ops.USER_UPDATE, "user", None, name=name, change="role", role=role) as op:
            row = require_user_row(op.session, name)
            op.obj_id = str(row.id)
            op.details["previous_role"] = row.role
            if row.role == "admin" and role != "admin":
                self._keep_an_admin(op.session, row.id)
            previous, row.role = row.role, role
            op.session.flush()
            events.role_changed(op.session, actor, row.id, previous, role)
            return to_user(row, failures_of(op.session, row.id))

    def _keep_an_admin(self, session, leaving_id: int) -> None:
        others = [uid for uid in session.scalars(select(UserRow.id).where(
            UserRow.role == "admin", UserRow.disabled.is_(False), UserRow.id != leaving_id))
            if verified_user(session, uid) is not None]
        if not others:
            raise ConflictError(msg("At least one active administrator must remain."))

    def reset_password(self, actor, name: str, new_password: str) -> User:
        """An administrator sets a new password for someone else. See the module's docstring for what it
        does to the user's keys and grants."""
        secret = audit_secret_of(actor)
        private, public = keys.new_key_pair()
        with self.operation(actor, ops.USER_RESET_PASSWORD, "user", None, name=name) as op:
            s = op.session
            row = require_user_row(s, name)
            op.obj_id = str(row.id)
            if row.id == getattr(actor, "user_id", None):
                raise ValidationError(msg("Use 'change password' for your own account (a reset would replace your keys)."))
            passwords.check_password_rules(new_password, row.name)
            revoked = grant_rows(s, user_id=row.id)
            for grant in s.scalars(select(GrantRow).where(GrantRow.user_id == row.id)).all():
                s.delete(grant)
            row.password_phc = passwords.hash_password(new_password)
            row.key_kdf, row.wrapped_private_key = keys.wrap_private_key(private, new_password, row.id)
            row.public_key = public
            row.key_generation += 1
            row.sealed_audit_secret = keys.seal(public, secret, _AUDIT_AAD) if secret else None
            row.trust = pins.pin(private, row.id, secret)  # the administrator holds the new key pair this once
            row.must_change_password = True
            row.password_changed_at = self.now()
            s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.subject == user_subject(row.id)))
            op.details.update(key_generation=row.key_generation,
                              revoked_grants=[f"{g.permission} {g.obj_type}:{g.obj_id}" for g in revoked])
            for g in revoked:
                events.grant_changed(s, actor, "revoked", g)
            events.key_reset(s, actor, row.id)
            return to_user(row, 0)

    def change_password(self, session: UserSession, old_password: str, new_password: str) -> None:
        """The user changes their own password: only the wrapping of their private key changes."""
        private = session.private_key()
        passwords.check_password_rules(new_password, session.user_name)
        if old_password == new_password:
            raise ValidationError(msg("The new password must differ from the old one."), field="password")
        with self.operation(session, ops.USER_CHANGE_PASSWORD, "user", session.user_id) as op:
            row = op.session.get(UserRow, session.user_id)
            if not passwords.verify_password(old_password, row.password_phc):
                raise AuthenticationError(msg("The current password is wrong."))
            row.password_phc = passwords.hash_password(new_password)
            row.key_kdf, row.wrapped_private_key = keys.wrap_private_key(private, new_password, row.id)
            row.must_change_password = False
            row.password_changed_at = self.now()

    def public_key(self, user_id: int) -> bytes:
        """Any user's X25519 public key, raw 32 bytes (to seal a model key to them)."""
        return self.studio.accounts_store.public_key(user_id)

    def user(self, name: str) -> User | None:
        """The account named `name`, or None (no access check: names and roles are not secret here)."""
        return self.studio.accounts_store.find(name)
