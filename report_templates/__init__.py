"""The built-in report templates (copy this folder to make your own; see README)."""
