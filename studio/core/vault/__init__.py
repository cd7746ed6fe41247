"""The encrypted model vault: the streaming file format (stream), key wrapping and the keyring (wrap,
keyring), blob files (blobs), safetensors checks and model import (safetensors_check, importers), and the
worker-side API for writing encrypted files without a database (worker). The service that ties them to
users, the database and the audit log is studio.core.services.vault."""
