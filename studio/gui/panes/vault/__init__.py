"""The Vault pane."""
