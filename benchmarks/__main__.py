"""Runs every benchmark of the project."""

from . import postgres_dr, preview

preview.main()
postgres_dr.main()
