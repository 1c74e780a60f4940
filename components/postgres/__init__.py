"""The application's PostgreSQL: managed (option A) or a VM with pgBackRest backups (option B)."""

from .component import PostgresServer, PostgresServerArgs

__all__ = ["PostgresServer", "PostgresServerArgs"]
