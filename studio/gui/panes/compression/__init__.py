"""The Compression pane."""
