"""The Training pane."""
