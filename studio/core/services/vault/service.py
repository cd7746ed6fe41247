"""The vault service: the one door to the encrypted model vault for the GUI, the CLI, the training
engine and compression. See docs/vault.md for the public API and docs/vault-format.md for the formats."""

from __future__ import annotations

from studio.core.services.vault.access import AccessMixin
from studio.core.services.vault.checkpoints import CheckpointsMixin
from studio.core.services.vault.maintenance import MaintenanceMixin
from studio.core.services.vault.models import ModelsMixin
from studio.core.services.vault.transfer import TransferMixin


class VaultService(ModelsMixin, AccessMixin, TransferMixin, CheckpointsMixin, MaintenanceMixin):
    """Every method takes the acting session first and runs inside Service.operation (policy and audit).
    Every method except commit_version, abandon_version and collect_garbage needs the session unlocked
    (it holds the user's X25519 private key): locked means locked."""
