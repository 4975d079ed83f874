"""A firm's ledger: one PostgreSQL database that every branch and specialist writes to at once.

- Locking: a write locks its branch's row in `writers` (FOR UPDATE) before it reads the next
  complaint number or the head of the branch's chain, so writers at one branch run one after
  another exactly as on SQLite; writers at different branches do not wait for each other. A writer
  kept waiting longer than COMPLAINTCTL_BUSY_TIMEOUT gives up (lock_timeout) and the command exits
  4. Row-level security shows a clerk only their own branches' rows, so a clerk can hold up no one
  but their own branch (an advisory lock, which anyone may take, could stop the firm). Schema
  upgrades lock `migrations` in EXCLUSIVE mode, which only its owner may. Plain reads take no lock
  and run in a REPEATABLE READ snapshot, so readers never wait for writers and see one consistent
  ledger, as SQLite's WAL gives them.
- Append-only: triggers refuse UPDATE and DELETE of events and DELETE of complaints, whoever asks;
  the roles of docs/firm-roles.sql cannot even try (they have no UPDATE or DELETE on events).
- Who sees what: migration m008 turns on row-level security, and the server stamps every event
  with its login and time (migrations.py, firm_security).
- Text columns compare byte by byte (COLLATE "C"), so every ORDER BY sorts as SQLite and Python do.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import parse_qs, urlsplit, urlunsplit

from complaintctl.store.backends.common import pyformat
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

ARCHIVE_ENV = "COMPLAINTCTL_ARCHIVE"
ROLE_PREFIX = "complaintctl_branch_"  # + the branch code in lower case: the group role of its clerks

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


def _is_password(item: str) -> bool:
    """A query item libpq reads as the password: its key percent-decoded (`pass%77ord=`), never `+` as a space."""
    from urllib.parse import unquote

    return unquote(item.partition("=")[0]).strip().lower() == "password"


def passwords(url: str) -> list[str]:
    """Every password a URL carries: in its user part, or as ?password= (libpq takes either)."""
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []  # the caller has read the URL (PostgresBackend)
    found += [item.partition("=")[2] for item in parts.query.split("&") if _is_password(item)]
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
    try:
        parts = urlsplit(url)
    except ValueError:  # not readable as a URL: nothing of it is shown
        return url.partition("://")[0] + "://…"
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}")
    if any(_is_password(item) for item in parts.query.split("&")):
        query = "&".join(
            f"{item.partition('=')[0]}=***" if _is_password(item) else item for item in parts.query.split("&")
        )
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
        scheme, _sep, rest = url.partition("://")
        self.url = "postgresql://" + rest
        self.label = shown(self.url)
        if scheme.lower() not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise ComplaintError(
                _("--db {label}: a ledger is a file path or a postgresql:// URL, not {scheme}://").format(
                    label=self.label, scheme=scheme
                )
            )
        try:
            parts = urlsplit(self.url)
        except ValueError as exc:
            raise ComplaintError(
                _("--db {label}: not a readable URL ({reason})").format(label=self.label, reason=exc)
            ) from None
        if parts.netloc.count("@") > 1:  # libpq and Python would split it differently, and the rest would show
            raise ComplaintError(
                _("--db {label}: the user or password holds '@'; write it as %40").format(
                    label=shown(self.url.replace("@", "%40", parts.netloc.count("@") - 1))
                )
            )
        try:
            parts.port
        except ValueError:
            raise ComplaintError(
                _("--db {label}: the port is not a number from 1 to 65535").format(label=self.label)
            ) from None
        self.stem = urlsplit(self.url).path.strip("/") or "ledger"  # the database's name names its backups
        self.archive = _archive(self.url)

    def _connect(self, **options):
        import psycopg

        try:
            return psycopg.connect(self.url, **options)
        except (psycopg.Error, ValueError) as exc:  # unreachable, or a URL libpq cannot read (it may quote it)
            text = scrub(" ".join(str(exc).split()) or type(exc).__name__, self.url)
            first = text.rsplit("FATAL:", 1)[-1].strip()  # libpq's own reason, without the socket's path
            raise ComplaintError(
                _("cannot reach the ledger database {label}: {reason}").format(label=self.label, reason=first)
            ) from None

    def prepare(self, create: bool) -> None:
        """The database must exist (a DBA creates it); `init` puts a new ledger in an empty one."""
        if not create and not self.exists():
            raise ComplaintError(
                _("no ledger in the database {label}; create one with: complaintctl init --db URL").format(
                    label=self.label
                )
            )

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
            if writing():  # the lock itself is taken per branch (lock_chain), once the branch is known
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_ms) or 1}")
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
        # lock_not_available, query_canceled, deadlock_detected (two writers taking branches in turn)
        return getattr(error, "sqlstate", None) in ("55P03", "57014", "40P01")

    def lock_chain(self, conn, branch: str, label: str, new_ok: bool = False, audit: bool = False) -> None:
        """Lock the branch's writers' row until commit, once the login may write there (the rules of the
        row-level security in migrations.py, asked first to refuse in one line rather than at the insert).
        `new_ok`: the owner's copy, which may bring a branch that has no row yet (no one else can write there).
        `audit`: an audit event, which the department may record at any branch."""
        mine, admin, department, owner = conn.exec_driver_sql(
            "SELECT complaintctl_works_at(), complaintctl_has('complaintctl_admin'), "
            "complaintctl_has('complaintctl_department'), complaintctl_is_owner(current_user)"
        ).first()
        allowed = owner or (admin if not branch else branch in mine or (audit and department))
        if not allowed or (
            conn.exec_driver_sql("SELECT branch FROM writers WHERE branch = ? FOR UPDATE", (branch,)).first() is None
            and not new_ok
        ):
            raise not_yours(conn, branch, label, write=True)

    def visible_branches(self, conn) -> list[str] | None:
        """The branches this login may see, or None for every one (the department, the administrator)."""
        everything, mine = conn.exec_driver_sql("SELECT complaintctl_sees_all(), complaintctl_works_at()").first()
        return None if everything else sorted(mine)

    def require_copier(self, conn, label: str) -> None:
        """Copying whole histories in (move-to, restore) is the owner's: only its events keep the login
        and time they were first written with (the stamp trigger, migrations.py)."""
        if not conn.exec_driver_sql("SELECT complaintctl_is_owner(session_user)").first()[0]:
            raise ComplaintError(
                _(
                    "copying a whole history into {label} (move-to, restore) is the work of the "
                    "database's owner, whose copies alone keep each event's login and time; run it as "
                    "the owner (README \"Firm-wide on PostgreSQL\")"
                ).format(label=label),
                "CSA 9.4",
            )

    def is_owner(self, conn) -> bool:
        """Whether the login is the database's owner: who moves histories in, and takes a wrong one back."""
        return bool(conn.exec_driver_sql("SELECT complaintctl_is_owner(session_user)").first()[0])

    def lock_schema(self, conn) -> None:
        """Migrations one at a time: EXCLUSIVE mode on `migrations` needs more than SELECT on it (its owner)."""
        conn.exec_driver_sql("LOCK TABLE migrations IN EXCLUSIVE MODE")

    def table_exists(self, execute, name: str) -> bool:
        return bool(execute("SELECT to_regclass(?) IS NOT NULL", (name,)).first()[0])

    def check_structure(self, conn, full: bool = False) -> str | None:
        return None  # the server keeps its own pages; amcheck needs superuser, which the ledger's role is not


def grant_sql(login: str, branch: str, revoke: bool = False) -> str:
    """The SQL that makes `login` a clerk of `branch` (or no longer one), for the database administrator:
    the branch's group role (made once, a member of complaintctl_clerk of docs/firm-roles.sql) and the grant."""
    name = ROLE_PREFIX + branch.lower()  # what complaintctl_works_at() looks for (migrations.py)
    role, who = (f'"{text.replace(chr(34), chr(34) * 2)}"' for text in (name, login))  # identifiers: GZ-01 too
    if revoke:
        return f"REVOKE {role} FROM {who};\n"
    return (
        f"DO $$ BEGIN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name.replace(chr(39), chr(39) * 2)}') THEN\n"
        f"        CREATE ROLE {role} NOLOGIN IN ROLE complaintctl_clerk;\n"
        f"    END IF;\n"
        f"END $$;\n"
        f"GRANT {role} TO {who};\n"
    )


def not_yours(conn, branch: str, label: str, write: bool) -> ComplaintError:
    """The one line for a branch the login may not see or write (row-level security hid it)."""
    login = conn.exec_driver_sql("SELECT session_user::text").first()[0]
    if conn.exec_driver_sql("SELECT 1 FROM branches WHERE code = ?", (branch,)).first() is None and branch:
        return ComplaintError(_("unknown branch {code}; see `complaintctl branch list`").format(code=branch))
    if not branch:
        return ComplaintError(
            _(
                "the login {login} may not record firm-wide changes (calendar, policies, settings, "
                "branches) in {label}; that is the administrator's work (role complaintctl_admin)"
            ).format(login=login, label=label),
            "CSA 8.1.3",
        )
    if write:
        return ComplaintError(
            _(
                "the login {login} does not work at branch {code}: its complaints are recorded by "
                "that branch's clerks (role {role})"
            ).format(login=login, code=branch, role=ROLE_PREFIX + branch.lower()),
            "CSA 8.4",
        )
    return ComplaintError(
        _(
            "the login {login} may not see branch {code}: personal data reaches only those handling "
            "the complaint (role {role})"
        ).format(login=login, code=branch, role=ROLE_PREFIX + branch.lower()),
        "CSA 8.4",
    )


def _archive(url: str) -> Path:
    """Attachments of a firm ledger: COMPLAINTCTL_ARCHIVE (a shared folder), else one per database here."""
    if os.environ.get(ARCHIVE_ENV):
        return Path(os.environ[ARCHIVE_ENV]).expanduser()
    import platformdirs

    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["local"])[0]
    name = "-".join(p for p in (host.strip("/").replace("/", "_"), str(parts.port or ""), parts.path.strip("/")) if p)
    return Path(platformdirs.user_data_dir("complaintctl", appauthor=False)) / "archives" / name
