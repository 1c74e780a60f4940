"""Runs every benchmark of the project."""

from . import preview

preview.main()
