"""The New-run dialog: fields, checks, the dialog."""
