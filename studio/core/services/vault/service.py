"""The vault service: the one door to the encrypted model vault for the GUI, the CLI, the training
engine and compression. See docs/vault.md for the public API and docs/vault-format.md for the formats."""

from __future__ import annotations

from typing import Any

from studio.core.services.vault import hooks
from studio.core.services.vault.access import AccessMixin
from studio.core.services.vault.adapters import AdaptersMixin
from studio.core.services.vault.checkpoints import CheckpointsMixin
from studio.core.services.vault.maintenance import MaintenanceMixin
from studio.core.services.vault.models import ModelsMixin
from studio.core.services.vault.transfer import TransferMixin


class VaultService(ModelsMixin, AdaptersMixin, AccessMixin, TransferMixin, CheckpointsMixin, MaintenanceMixin):
    """Every method takes the acting session first and runs inside Service.operation (policy and audit).
    Every method needs a logged-in, unlocked UserSession (it holds the user's X25519 private key): locked
    means locked. Exceptions: commit_version and abandon_version also accept studio.core.actor.SYSTEM (the
    run service finishing a worker's checkpoints after the user's session locked), and collect_garbage
    needs no actor. Grants, password resets and role changes reach the vault through `hooks`."""

    def __init__(self, studio: Any, directory: Any = None):
        super().__init__(studio, directory)
        hooks.attach(self)
