"""Fixtures shared by the Supabase tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_fixture import fresh_postgres_server, postgres_server
from tests.supabase.vm_database import VmDatabase

__all__ = ["fresh_postgres_server", "fresh_vm_database", "postgres_server", "vm_database"]


@pytest.fixture(scope="module")
def vm_database() -> Iterator[VmDatabase]:
    """The VM's database after roles.sql and one run of the bootstrap Job (one per test module)."""
    database = VmDatabase.create()
    try:
        database.bootstrap()
        yield database
    finally:
        database.destroy()


@pytest.fixture
def fresh_vm_database() -> Iterator[VmDatabase]:
    """The VM's database after roles.sql only: the bootstrap has not run yet."""
    database = VmDatabase.create()
    try:
        yield database
    finally:
        database.destroy()
