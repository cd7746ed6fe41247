"""The Audit log pane."""
