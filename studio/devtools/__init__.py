"""Developer tools (run through the Makefile): translations, migrations, the sample dataset."""
