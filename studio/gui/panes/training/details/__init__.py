"""The run details tabs: settings, log, checkpoints, system, audit entries."""
