"""Subcommands of the `stylegram` CLI, one module each (add_parser + run)."""
