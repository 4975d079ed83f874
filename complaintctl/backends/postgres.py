"""A firm's ledger: one PostgreSQL database that every branch and specialist writes to at once.

- Locking: every write transaction first takes one transaction-scoped advisory lock, so writers
  run one after another exactly as on SQLite (the next complaint number and the head of the hash
  chain read inside it stay true until it commits); a writer kept waiting longer than
  COMPLAINTCTL_BUSY_TIMEOUT gives up (lock_timeout) and the command exits 4. Plain reads take no
  lock and run in a REPEATABLE READ snapshot, so readers never wait for writers and see one
  consistent ledger, as SQLite's WAL gives them.
- Append-only: triggers refuse UPDATE and DELETE of events and DELETE of complaints, whoever asks;
  the README's least-privilege role cannot even try (it has no UPDATE or DELETE on events).
- Text columns compare byte by byte (COLLATE "C"), so every ORDER BY sorts as SQLite and Python do.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import parse_qs, urlsplit, urlunsplit

from complaintctl.backends import pyformat
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

ARCHIVE_ENV = "COMPLAINTCTL_ARCHIVE"
WRITE_LOCK = 0x636F6D70  # "comp": the advisory lock every writer takes first

ID_COLUMN = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
TEXT = 'TEXT COLLATE "C"'
_REFUSE = """CREATE OR REPLACE FUNCTION complaintctl_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $$"""
APPEND_ONLY = (
    _REFUSE,
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION complaintctl_refuse('events are append-only')",
    "CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION complaintctl_refuse('events are append-only')",
)
NO_DELETE_COMPLAINTS = (
    "CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints "
    "FOR EACH ROW EXECUTE FUNCTION complaintctl_refuse('complaints are never deleted')",
)


def json_text(column: str, key: str) -> str:
    return f"(({column})::jsonb ->> '{key}')"


def passwords(url: str) -> list[str]:
    """Every password a URL carries: in its user part, or as ?password= (libpq takes either)."""
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    found += parse_qs(parts.query).get("password", [])
    return [p for p in found if p]


def scrub(text: str, url: str) -> str:
    """Any message, with the URL's passwords (as typed, and as percent-encoded in the URL) blanked."""
    from urllib.parse import quote, unquote

    for secret in passwords(url):
        for form in {secret, quote(secret, safe=""), unquote(secret)}:
            text = text.replace(form, "***")
    return text


def shown(url: str) -> str:
    """The URL without its password, for messages and the audit trail: never printed, in any form."""
    parts = urlsplit(url)
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}")
    if "password" in parse_qs(parts.query):
        query = "&".join("password=***" if item.split("=", 1)[0] == "password" else item
                         for item in parts.query.split("&"))
        parts = parts._replace(query=query)
    return urlunsplit(parts)


class _Connection:
    """psycopg's connection, taking our `?` statements like sqlite3 does."""

    def __init__(self, conn):
        self._conn = conn
        self._cursors = 0

    def execute(self, sql: str, params=()):
        if not sql.lstrip().upper().startswith("SELECT"):
            return self._conn.execute(pyformat(sql), params)
        # A server-side cursor: verify and backups read millions of events, a few thousand at a time.
        self._cursors += 1
        cursor = self._conn.cursor(name=f"complaintctl_{self._cursors}")
        cursor.itersize = 5000
        cursor.execute(pyformat(sql), params)
        return cursor

    def query(self, sql: str, params=()):
        """A small result, fetched in one round trip (a client-side cursor)."""
        return self._conn.execute(pyformat(sql), params)

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


class PostgresBackend:
    dialect = "postgresql"
    # the words of the one schema text in migrations.py
    id_column, text, append_only, no_delete_complaints = ID_COLUMN, TEXT, APPEND_ONLY, NO_DELETE_COMPLAINTS
    json_text = staticmethod(json_text)
    path = None  # no file: backups and moves name their own

    def __init__(self, url: str):
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.label = shown(self.url)
        self.stem = urlsplit(self.url).path.strip("/") or "ledger"  # the database's name names its backups
        self.archive = _archive(self.url)

    def _connect(self, **options):
        import psycopg

        try:
            return psycopg.connect(self.url, **options)
        except psycopg.OperationalError as exc:
            text = scrub(" ".join(str(exc).split()) or type(exc).__name__, self.url)
            first = text.rsplit("FATAL:", 1)[-1].strip()  # libpq's own reason, without the socket's path
            raise ComplaintError(_("cannot reach the ledger database {label}: {reason}").format(label=self.label, reason=first)) from None

    def prepare(self, create: bool) -> None:
        """The database must exist (a DBA creates it); `init` puts a new ledger in an empty one."""
        if not create and not self.exists():
            raise ComplaintError(_("no ledger in the database {label}; create one with: complaintctl init --db URL").format(label=self.label))

    def exists(self) -> bool:
        """Whether the database already holds a ledger."""
        conn = self._connect(autocommit=True)
        try:
            return conn.execute("SELECT to_regclass('migrations') IS NOT NULL").fetchone()[0]
        finally:
            conn.close()

    def engine(self, busy_ms: int, writing: Callable[[], bool]):
        from sqlalchemy import create_engine, event

        # libpq reads the URL itself (host, port, sslmode, ~/.pgpass), exactly as psql would.
        engine = create_engine("postgresql+psycopg://", creator=lambda: self._connect())

        @event.listens_for(engine, "before_cursor_execute", retval=True)
        def _pyformat(conn, cursor, statement, parameters, context, executemany):
            if context is not None and context.compiled is None:  # our own SQL text, not the ORM's
                statement = pyformat(statement)
            return statement, parameters

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            if writing():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_ms) or 1}")
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            else:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

        return engine

    @property
    def errors(self):
        import psycopg

        return (psycopg.Error,)

    @property
    def operational_errors(self):
        import psycopg

        return (psycopg.OperationalError,)

    def connect(self):
        """A plain DB-API connection taking our `?` statements: no SQLAlchemy."""
        return _Connection(self._connect())

    @contextmanager
    def reading(self, busy_ms: int = 0) -> Iterator[_Connection]:
        """One read-only REPEATABLE READ transaction: a consistent snapshot while others write."""
        conn = self.connect()
        try:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn
        finally:
            conn.close()

    def is_busy(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) in ("55P03", "57014")  # lock_not_available, query_canceled

    def table_exists(self, execute, name: str) -> bool:
        return bool(execute("SELECT to_regclass(?) IS NOT NULL", (name,)).first()[0])

    def check_structure(self, conn, full: bool = False) -> str | None:
        return None  # the server keeps its own pages; amcheck needs superuser, which the ledger's role is not


def _archive(url: str) -> Path:
    """Attachments of a firm ledger: COMPLAINTCTL_ARCHIVE (a shared folder), else one per database here."""
    if os.environ.get(ARCHIVE_ENV):
        return Path(os.environ[ARCHIVE_ENV]).expanduser()
    import platformdirs

    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["local"])[0]
    name = "-".join(p for p in (host.strip("/").replace("/", "_"), str(parts.port or ""), parts.path.strip("/")) if p)
    return Path(platformdirs.user_data_dir("complaintctl", appauthor=False)) / "archives" / name
