"""The headless face of the studio: `studio <verb>` over the same services as the GUI."""
