"""The Datasets pane."""
