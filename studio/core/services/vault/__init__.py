"""The encrypted model vault's service (studio.core.services.vault.service.VaultService)."""

from studio.core.services.vault.checkpoints import PendingVersion
from studio.core.services.vault.maintenance import Damage, VerifyReport
from studio.core.services.vault.models import ImportResult, LoadedModel
from studio.core.services.vault.service import VaultService
from studio.core.services.vault.transfer import BundleInfo

__all__ = ["BundleInfo", "Damage", "ImportResult", "LoadedModel", "PendingVersion", "VaultService", "VerifyReport"]
