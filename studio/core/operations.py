"""The catalogue of service operations: the names the policy decides on and the audit log records.

Every service method that reads a model, changes anything, exports, grants, logs in or fails to, runs
inside `Service.operation(actor, OP, obj_type, obj_id)` (studio.core.services.base). Use these constants,
never a string literal, so that the policy matrix test sees every operation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpSpec:
    name: str
    obj_type: str | None  # the kind of object it acts on, or None for global operations
    grant: str | None  # the per-object grant that lets a non-owner do it (use, export, manage), if any
    roles: tuple[str, ...]  # the roles that may do it at all (still subject to ownership/grants)
    description: str
    by_key: bool = False  # an API key (security/apikeys.py) may do it; nothing else is open to a key




_ALL = ("admin", "trainer", "viewer")
_MAKERS = ("admin", "trainer")

OPERATIONS: dict[str, OpSpec] = {}


def _op(name: str, obj_type: str | None, grant: str | None, roles: tuple[str, ...], description: str,
        by_key: bool = False) -> str:
    OPERATIONS[name] = OpSpec(name, obj_type, grant, roles, description, by_key)
    return name


# Accounts and access
AUTH_LOGIN = _op("auth.login", "user", None, _ALL, "log in")
AUTH_LOGOUT = _op("auth.logout", "user", None, _ALL, "log out or lock")
USER_CREATE = _op("user.create", "user", None, ("admin",), "create a user")
USER_LIST = _op("user.list", None, None, ("admin",), "list users")
USER_UPDATE = _op("user.update", "user", None, ("admin",), "disable, enable, unlock, change role")
USER_RESET_PASSWORD = _op("user.reset_password", "user", None, ("admin",), "reset another user's password")
USER_CHANGE_PASSWORD = _op("user.change_password", "user", None, _ALL, "change one's own password")
GRANT_ADD = _op("grant.add", None, "manage", _MAKERS, "grant use/export/manage on an object")
GRANT_REVOKE = _op("grant.revoke", None, "manage", _MAKERS, "revoke a grant")
GRANT_LIST = _op("grant.list", None, "manage", _ALL, "list grants (one's own, or on an object one manages)")
AUDIT_READ = _op("audit.read", None, None, ("admin",), "read, filter and export the audit log")
AUDIT_VERIFY = _op("audit.verify", None, None, ("admin",), "verify the audit chain")
AUDIT_EXPORT = _op("audit.export", None, None, ("admin",), "export the audit log to a file")
AUDIT_RESEAL = _op("audit.reseal", None, None, ("admin",),
                   "acknowledge a detected break of the audit chain and start a new one")

# Datasets
DATASET_IMPORT = _op("dataset.import", "dataset", None, _MAKERS, "import a dataset")
DATASET_LIST = _op("dataset.list", None, None, _ALL, "list visible datasets (checked, not recorded)")
# Showing a dataset's description is checked, not recorded; opening its text or tokens is.
DATASET_READ = _op("dataset.read", "dataset", "use", _ALL, "preview the documents, train on, show")
DATASET_UPDATE = _op("dataset.update", "dataset", "manage", _MAKERS, "rename, tag")
DATASET_DELETE = _op("dataset.delete", "dataset", "manage", _MAKERS, "delete")

# Models in the vault
MODEL_IMPORT = _op("model.import", "model", None, _MAKERS, "import or create a model (or a new version)")
MODEL_LIST = _op("model.list", None, None, _ALL, "list visible models")
# Reading a model's description (the Vault's details) is checked, not recorded; opening its weights is.
MODEL_READ = _op("model.read", "model", "use", _ALL, "load into memory (generate, fine-tune from, evaluate), show")
MODEL_VERIFY = _op("model.verify", "model", "use", _ALL, "check every chunk of a model's files")
MODEL_UPDATE = _op("model.update", "model", "manage", _MAKERS, "rename, tag, notes")
MODEL_ROTATE = _op("model.rotate", "model", "manage", _MAKERS, "re-encrypt every file of a model under new keys")
MODEL_COMPRESS = _op("model.compress", "model", None, _MAKERS,
                     "store a pruned or quantized version (a new model, or a version of one's own)")
MODEL_MERGE = _op("model.merge", "model", None, _MAKERS,
                  "store a LoRA adapter merged into its base as a full version (a new model)")
MODEL_EXPORT = _op("model.export", "model", "export", _MAKERS, "write plaintext weights or a bundle")
MODEL_DELETE = _op("model.delete", "model", "manage", _MAKERS, "delete (crypto-shred)")

# Training runs
RUN_START = _op("run.start", "run", None, _MAKERS, "start a training run")
RUN_LIST = _op("run.list", None, None, _ALL, "list visible runs")
RUN_READ = _op("run.read", "run", "use", _ALL, "see settings, metrics, log, checkpoints")
RUN_CONTROL = _op("run.control", "run", "manage", _MAKERS, "pause, resume, stop, kill")
RUN_UPDATE = _op("run.update", "run", "manage", _MAKERS, "rename, tag, group")
RUN_DELETE = _op("run.delete", "run", "manage", _MAKERS, "delete a run with its metrics and checkpoints")

# Compression
COMPRESS_RUN = _op("compress.run", "model", "use", _MAKERS, "prune or quantize into a new version")
MODEL_EVALUATE = _op("model.evaluate", "model", "use", _ALL, "evaluate a version and keep its report")

# The vault itself (model operations above act on one model)
VAULT_VERIFY = _op("vault.verify", None, None, _ALL, "verify every chunk of every model one can open")
VAULT_RECOVERY = _op("vault.recovery", "user", None, ("admin",),
                     "share the vault's recovery key with an administrator, or re-wrap a user's keys after a reset")

# API keys and serving (the OpenAI-compatible server: studio/core/serving)
KEY_CREATE = _op("key.create", "user", None, _ALL, "create an API key for one's own account")
KEY_LIST = _op("key.list", None, None, _ALL, "list API keys (one's own; administrators everyone's)")
KEY_REVOKE = _op("key.revoke", "user", None, _ALL, "revoke an API key (one's own; administrators anyone's)")
SERVE_START = _op("serve.start", "model", "use", _ALL, "serve a model over the HTTP API (requests are still "
                  "checked one by one)")
SERVE_REQUEST = _op("serve.request", "model", "use", _ALL, "generate with a model through an API key", by_key=True)
SERVE_RESPONSE = _op("serve.response", "model", "use", _ALL, "the end of a served request (tokens, latency)",
                     by_key=True)
SERVE_RECORD_TEXT = _op("serve.record_text", None, None, ("admin",), "record the text of served requests in the "
                        "audit log")
SERVE_STOP = _op("serve.stop", None, None, _ALL, "stop a server one started")

# Signing exports (OpenSSF model signing: services/signing.py)
SIGNING_KEY_CREATE = _op("signing_key.create", "user", None, _MAKERS,
                         "make (or remake, after a password reset) one's own key for signing exports")
