"""The domain of the studio. Never imports Qt (an import-linter contract and a test enforce it)."""
