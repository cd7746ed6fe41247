from tests.vault_doubles import vault_keys  # noqa: F401
