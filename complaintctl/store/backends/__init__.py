"""Where a ledger is kept: a branch's SQLite file (the default) or a firm's PostgreSQL database.

The SQL is written once, in SQLite's `?` / `:name` parameter style, and runs on both: `pyformat`
below is the one place it is turned into psycopg's. What genuinely differs between the two —
opening, locking, the append-only triggers, the archive of attachments, backups — lives in one
small module per backend (`sqlite.py`, `postgres.py`), behind the same few names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | os.PathLike) -> bool:
    """Anything written SCHEME://: never a file name, and never echoed whole (it may hold a password)."""
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", str(target)) is not None


def backend_for(target: str | os.PathLike):
    """The backend of a --db value: a postgresql:// URL, else the path of an SQLite file."""
    if is_url(target):
        from complaintctl.store.backends.postgres import PostgresBackend

        return PostgresBackend(str(target))
    from complaintctl.store.backends.sqlite import SQLiteBackend

    return SQLiteBackend(Path(target))


def stamp_of(conn) -> tuple[str | None, str | None]:
    """(login, server time) that a firm server's trigger stamps on the events of this transaction
    (SQLAlchemy connection); (None, None) in a file, which has no server to vouch for either."""
    if conn.dialect.name != "postgresql":
        return None, None
    login, written = conn.exec_driver_sql("SELECT session_user::text, complaintctl_now()").first()
    return login, written


# Quoted text and identifiers pass through; `::` is PostgreSQL's cast, not a parameter.
class Rows:
    """A DB-API cursor read the way the core reads SQLAlchemy's results: first(), all(), scalar(), iteration."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor):
        self._cursor = cursor

    def __iter__(self):
        return iter(self._cursor)

    def first(self):
        row = self._cursor.fetchone()
        self._cursor.close()
        return row

    def all(self) -> list:
        return self._cursor.fetchall()

    def scalar(self):
        row = self.first()
        return row[0] if row else None


class Reader:
    """A read-only snapshot that takes the same `exec_driver_sql(sql, params)` as a SQLAlchemy connection.

    So the core's read functions (locate, fold, the reports' queries) run unchanged on either, and
    the read commands never load SQLAlchemy. `stream=True` marks a result of millions of rows: on
    PostgreSQL it is fetched a few thousand at a time through a server-side cursor.
    """

    def __init__(self, conn):
        self._conn = conn
        self._small = getattr(conn, "query", conn.execute)  # PostgreSQL: one round trip, no server-side cursor

    def exec_driver_sql(self, sql: str, params=(), stream: bool = False) -> Rows:
        return Rows((self._conn.execute if stream else self._small)(sql, params))
