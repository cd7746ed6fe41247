"""`studio.signing`: users' signing keys and the OpenSSF model signatures of exports and imports.

- `key_for(actor)`: the user's signing key, opened in memory (made on first use: a recorded
  `signing_key.create`; remade after an administrator's password reset, the old one retired and kept).
- `sign_export(key, fmt, result)`: the OMS signature of an export (model.sig inside a folder, FILE.sig beside
  a file), inside the export's own operation.
- `verify_import(actor, path, trust_key=None)`: at import, a signature beside the files is checked: against the
  studio's own users' keys (rows authenticated, security/signing_keys.py) or a public key the user gives; a
  file that changed since signing is refused, naming it. What the import is told: who signed, and whether
  the signature could be checked.
- `verify(actor, path, trust_key=None)`: the same check on its own (`studio verify`).
- `public_key(actor, user=None)`: a user's public signing key (PEM), to verify outside the studio.

Where the private key lives, and why: security/signing_keys.py and docs/threat-model.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from studio.core import operations as ops
from studio.core.db.tables.accounts import UserRow
from studio.core.db.tables.signing_keys import SigningKeyRow
from studio.core.errors import NotFoundError, StudioError, ValidationError
from studio.core.exports import signing as oms
from studio.core.exports.base import SIGNATURE_NAME
from studio.core.security import keys as user_keys
from studio.core.security import rowauth
from studio.core.security import signing_keys as sk
from studio.core.security.session import audit_secret_of
from studio.core.services.base import Service
from studio.core.vault.keys import private_key_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignatureCheck:
    """What an import learned from a signature beside the files."""

    signature: str  # the signature file's name
    fingerprint: str
    verified: bool  # checked with a known (or given) key; False: the key is unknown, nothing was checked
    signer: str | None = None  # the studio user whose key it is, when known
    signer_id: int | None = None
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        who = self.signer or f"the key {self.fingerprint[:16]}"
        if self.verified:
            return f"signed by {who}; the signature and every file check out"
        return (f"signed by a key this studio does not know ({self.fingerprint[:16]}...): not checked. Give its "
                "public key (--trust-key KEY.pem) to check it.")

    def to_metadata(self) -> dict[str, Any]:
        return {"signer": self.signer, "signer_id": self.signer_id, "fingerprint": self.fingerprint,
                "verified": self.verified, "files": list(self.files)}


def signature_beside(path: Path) -> Path | None:
    """The OMS signature of a folder (model.sig inside) or of a file (FILE.sig beside it), if there is one."""
    path = Path(path)
    sig = path / SIGNATURE_NAME if path.is_dir() else path.with_name(path.name + ".sig")
    return sig if sig.is_file() else None


class SigningService(Service):
    def _authority(self, actor: Any) -> sk.RowAuthority:
        secret = audit_secret_of(actor)
        if secret is None:
            raise StudioError("This session holds no audit key, which signing keys are authenticated with; log in "
                              "again.")
        return sk.RowAuthority.from_secret(secret)

    def _verified(self, s: Any, authority: sk.RowAuthority, user_id: int) -> list[SigningKeyRow]:
        """The user's signing key rows, oldest first, once they verify as their scope (security/signing_keys.py):
        TamperedRowError, naming what changed, for rows added, edited, deleted, moved or restored from an older
        copy. Rows of a scope never tagged (made before the rule) whose every row passes its own MAC are adopted
        into it here, once."""
        scope = sk.scope_of(user_id)
        query = select(SigningKeyRow).where(SigningKeyRow.user_id == user_id).order_by(SigningKeyRow.created_at,
                                                                                        SigningKeyRow.id)
        try:
            rowauth.verify(s, scope)
        except rowauth.TamperedRowError:
            rows = s.scalars(query).all()
            if not (rows and rowauth.never_authenticated(s, scope) and all(authority.ok(r) for r in rows)):
                raise
            rowauth.adopt(s, [scope])
            log.warning("the signing key rows of user %s were authenticated as found (made before their scope)",
                        user_id)
        return list(s.scalars(query))

    def key_for(self, actor: Any) -> sk.SigningKey:
        """The actor's signing key, opened (made now if they have none that opens)."""
        self.check(actor, ops.SIGNING_KEY_CREATE, "user", actor.user_id)
        private_x = private_key_of(actor)
        authority = self._authority(actor)
        with self.acting_session(actor) as s:
            user = s.get(UserRow, actor.user_id)
            if user is None:
                raise NotFoundError("This account no longer exists.")
            try:
                rows = self._verified(s, authority, user.id)
            except rowauth.TamperedRowError as error:  # refused loudly, and recorded
                self._record(actor, ops.SIGNING_KEY_CREATE, "user", str(user.id), "failed",
                             {"error": type(error).__name__, "message": str(error)[:500]})
                raise
            for row in rows:
                if row.retired_at is not None or row.key_generation != user.key_generation or not authority.ok(row):
                    continue
                try:
                    der = user_keys.open_sealed(private_x, bytes(row.sealed_private),
                                                sk.seal_aad(user.id, row.fingerprint))
                    private = sk.load_private(der)
                except (StudioError, ValueError):
                    continue
                if sk.fingerprint_of(sk.public_pem(private.public_key())) != row.fingerprint:
                    continue  # anyone can seal a key to a public key: only the row's own key is the user's
                return sk.SigningKey(user.id, user.name, row.fingerprint, private)
        return self._create(actor, authority)

    def _create(self, actor: Any, authority: sk.RowAuthority) -> sk.SigningKey:
        private, pem, fingerprint = sk.new_key()
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.operation(actor, ops.SIGNING_KEY_CREATE, "user", actor.user_id, fingerprint=fingerprint) as op:
            s = op.session
            user = s.get(UserRow, actor.user_id)
            for old in s.scalars(select(SigningKeyRow).where(SigningKeyRow.user_id == user.id,
                                                             SigningKeyRow.retired_at.is_(None))).all():
                old.retired_at = now  # kept, so that what it signed still verifies
                if authority.ok(old):
                    old.mac = b""
                    old.mac = authority.mac(old)
            sealed = user_keys.seal(bytes(user.public_key), sk.private_bytes(private), sk.seal_aad(user.id, fingerprint))
            row = SigningKeyRow(user_id=user.id, key_generation=user.key_generation, fingerprint=fingerprint,
                                public_pem=pem.decode("ascii"), sealed_private=sealed, created_at=now,
                                retired_at=None, mac=b"")
            row.mac = authority.mac(row)
            s.add(row)
            name = user.name
        log.info("signing key %s made for user %s", fingerprint[:16], actor.user_id)
        return sk.SigningKey(actor.user_id, name, fingerprint, private)

    def sign_export(self, key: sk.SigningKey, fmt: Any, result: Any) -> Any:
        """Sign a written export (in its staged place); returns the result with the signature among its files."""
        model_path, sig_path = fmt.signed_paths(result)
        oms.sign(model_path, sig_path, key.private)
        size = sig_path.stat().st_size
        name = str(sig_path.relative_to(model_path)) if model_path.is_dir() else sig_path.name
        return replace(result, files=tuple(result.files) + (name,), bytes=result.bytes + size, signed_by=key.user_name,
                       signature=name, fingerprint=key.fingerprint)

    def known_key(self, actor: Any, fingerprint: str) -> tuple[int, str, Any] | None:
        """(user id, user name, public key) of a studio user's signing key with this fingerprint; None when
        no authenticated row has it."""
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        authority = self._authority(actor)
        with self.acting_session(actor) as s:
            row = s.scalars(select(SigningKeyRow).where(SigningKeyRow.fingerprint == fingerprint)).first()
            if row is None:
                return None
            self._verified(s, authority, row.user_id)  # its user's rows, as last authenticated
            if not authority.ok(row) or sk.fingerprint_of(row.public_pem.encode("ascii")) != fingerprint:
                log.warning("signing key row %s failed its authentication; not trusted", row.id)
                return None
            user = s.get(UserRow, row.user_id)
            return row.user_id, user.name if user else f"user {row.user_id}", load_pem_public_key(
                row.public_pem.encode("ascii"))

    def verify_import(self, actor: Any, path: str | Path, trust_key: str | Path | None = None,
                      action: str | None = None) -> SignatureCheck | None:
        """Check the signature beside `path`, if any (see the module's docstring). Raises SignatureMismatch
        (a ValidationError naming the file) when the files or the signature do not match, TamperedRowError when
        the signer's key rows do not verify (recorded as a failure of `action`, the operation it is part of)."""
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        path = Path(path).expanduser()
        sig = signature_beside(path)
        if sig is None:
            if trust_key is not None:
                raise ValidationError(f"{path.name} has no signature ({SIGNATURE_NAME} or .sig) to check with the "
                                      "given key.", field="trust_key")
            return None
        info = oms.inspect(sig)
        try:
            known = self.known_key(actor, info.fingerprint) if info.fingerprint else None
        except rowauth.TamperedRowError as error:
            if action is not None:
                self._record(actor, action, None, None, "failed", {"path": str(path), "error": type(error).__name__,
                                                                   "message": str(error)[:500]})
            raise
        public, signer, signer_id = None, None, None
        if trust_key is not None:
            pem = Path(trust_key).expanduser().read_bytes()
            public = load_pem_public_key(pem)
            if sk.fingerprint_of(sk.public_pem(public)) != info.fingerprint and info.fingerprint:
                raise oms.SignatureMismatch(f"{sig.name} was not made with the key {Path(trust_key).name}.")
        if known is not None:
            signer_id, signer, studio_public = known
            public = public or studio_public
        if public is None:
            return SignatureCheck(sig.name, info.fingerprint, False, files=info.files)
        files = oms.verify(path, sig, public)
        return SignatureCheck(sig.name, info.fingerprint, True, signer, signer_id, files)

    def verify(self, actor: Any, path: str | Path, trust_key: str | Path | None = None) -> SignatureCheck:
        """`studio verify`: verify_import's check, where a missing signature is an error."""
        check = self.verify_import(actor, path, trust_key)
        if check is None:
            raise ValidationError(f"{Path(path).name} has no signature ({SIGNATURE_NAME} inside a folder, FILE.sig "
                                  "beside a file); export it with --sign.", field="path")
        return check

    def public_key(self, actor: Any, user: int | str | None = None) -> tuple[str, str, str]:
        """(user name, fingerprint, public PEM) of a user's current signing key (one's own by default); the
        key is made first when the actor asks for their own and has none."""
        if user is None or user in (actor.user_id, getattr(actor, "user_name", None)):
            key = self.key_for(actor)
            return key.user_name, key.fingerprint, sk.public_pem(key.private.public_key()).decode("ascii")
        authority = self._authority(actor)
        with self.acting_session(actor) as s:
            row_user = s.get(UserRow, user) if isinstance(user, int) else s.scalars(
                select(UserRow).where(UserRow.name_key == str(user).casefold())).first()
            if row_user is None:
                raise NotFoundError(f"There is no user {user!r}.")
            rows = [r for r in self._verified(s, authority, row_user.id) if r.retired_at is None and authority.ok(r)]
            if not rows:
                raise NotFoundError(f"{row_user.name} has not signed anything yet (no signing key).")
            return row_user.name, rows[-1].fingerprint, rows[-1].public_pem
