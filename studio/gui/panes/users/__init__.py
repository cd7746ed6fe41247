"""The Users & Access pane."""
