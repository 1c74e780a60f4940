"""The database bootstrap: the SQL file and the psql variables it needs."""

from __future__ import annotations

from pathlib import Path

BOOTSTRAP_SQL = Path(__file__).parent / "files" / "bootstrap.sql"
