"""Fixtures shared by the Supabase tests."""

from tests.pg_fixture import fresh_postgres_server, postgres_server

__all__ = ["fresh_postgres_server", "postgres_server"]
