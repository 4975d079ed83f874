"""The ledger file: where it lives, opening it safely, migrations, transactions, the event log.

Every change is an event row, written in the same transaction as the current-state row it
produces, so a command commits all or nothing. Write transactions start with BEGIN IMMEDIATE:
two writers then queue on SQLite's busy timeout instead of failing half-way.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sqlite3
import stat
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session, select

from complaintctl import clock
from complaintctl.calendar import Calendar, DayOverride
from complaintctl.errors import BUSY, ComplaintError
from complaintctl.migrations import MIGRATIONS
from complaintctl.policy import Policy, policy_for
from complaintctl.i18n import _
from complaintctl.progress import Listener

if TYPE_CHECKING:
    from complaintctl.models import Event

DB_ENV = "COMPLAINTCTL_DB"
BUSY_ENV = "COMPLAINTCTL_BUSY_TIMEOUT"
GENESIS_HASH = "0" * 64
SQLITE_HEADER = b"SQLite format 3\x00"
SNAPSHOT_STEP = 4096  # pages per step of a copy someone watches: a few MB, a fraction of a second


def default_path() -> Path:
    import platformdirs  # only when no --db or COMPLAINTCTL_DB is given

    return Path(platformdirs.user_data_dir("complaintctl", appauthor=False)) / "ledger.db"


def resolve_path(db: str | os.PathLike | None) -> Path:
    """--db, else COMPLAINTCTL_DB, else the user's data directory."""
    chosen = db or os.environ.get(DB_ENV)
    return Path(chosen).expanduser() if chosen else default_path()


# One encoder, built once: json.dumps would build it anew for each of millions of events in `verify`.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_json(value) -> str:
    return _CANONICAL.encode(value)


def event_hash(prev_hash: str, complaint, kind, at, recorded_at, actor, payload: str) -> str:
    content = canonical_json([prev_hash, complaint, kind, at, recorded_at, actor, payload])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


# Files this process already opened with SQLite. Their header is not read again: closing any other
# descriptor of a file drops every POSIX lock this process holds on it, SQLite's included.
_OPENED: set[str] = set()


def no_ledger(path: Path) -> ComplaintError:
    return ComplaintError(_("no ledger at {path}; create one with: complaintctl init --db {quote}").format(path=path, quote=shlex.quote(str(path))))


def _check_file(path: Path, create: bool) -> None:
    """Refuse anything that is not a ledger rather than let SQLite overwrite or misread it.

    A missing file is created only when asked (`init`, `demo`): under cron, a mistyped path that
    silently made a new empty ledger would read as "nothing due" for ever.
    """
    if path.is_dir():
        raise ComplaintError(_("ledger {path} is a folder, not a file; give --db a file path").format(path=path))
    if path.exists():
        size = path.stat().st_size
        if size and str(path.resolve()) not in _OPENED:
            with path.open("rb") as f:
                header = f.read(16)
            if header != SQLITE_HEADER:
                raise ComplaintError(_("{path} is not a complaintctl ledger (not an SQLite file); left untouched").format(path=path))
            if size < 512:
                raise ComplaintError(_("ledger {path} is truncated ({size} bytes); restore it from a backup").format(path=path, size=size))
        return
    if not create:
        raise no_ledger(path)
    # New ledger: the folders we make private to the user, the file 0600 (it holds personal data, CSA 7.8).
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, never widened; be exact
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
    os.close(fd)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (attachments and reports may be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_of(ledger_path: Path) -> Path:
    """Where a ledger's attachments are kept: `<ledger>.archive/<complaint number>/`."""
    return ledger_path.with_name(ledger_path.name + ".archive")


def snapshot(source: Path, dest: Path, listener: Listener | None = None) -> None:
    """A consistent copy of a live ledger with SQLite's online backup API, safe while others write.

    Written under a temporary name, flushed to disk, then renamed: `dest` is whole or absent.
    With a listener, pages are copied in steps so it can be told how far the copy is; SQLite
    restarts the copy if another connection writes between steps, so the result is as consistent.
    """
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial")  # 0600
    os.close(fd)
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(name)
        try:
            src.execute(f"PRAGMA busy_timeout = {busy_timeout()}")
            if listener:
                stage = _("copying the ledger")
                src.backup(dst, pages=SNAPSHOT_STEP,
                           progress=lambda _status, remaining, total: listener(stage, total - remaining, total))
            else:
                src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a copy is one self-contained file
        finally:
            dst.close()
            src.close()
        with open(name, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(name, dest)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ComplaintError(_("ledger {source} busy: another complaintctl is writing to it; try again").format(source=source),
                                 exit_code=BUSY) from None
        raise ComplaintError(_("cannot copy {source}: {exc}").format(source=source, exc=exc)) from None
    finally:
        if os.path.exists(name):
            os.unlink(name)


def busy_timeout() -> int:
    """How long a writer waits for another to finish, in ms: COMPLAINTCTL_BUSY_TIMEOUT seconds, default 10."""
    text = os.environ.get(BUSY_ENV, "10")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 600:
        raise ComplaintError(_("{BUSY_ENV} must be a number of seconds from 0 to 600, not {text!r}").format(BUSY_ENV=BUSY_ENV, text=text))
    return int(seconds * 1000)


def stamp() -> str:
    return clock.now().strftime("%Y%m%d-%H%M%S")


class Ledger:
    """One open ledger. One engine per process; one Session per unit of work."""

    def __init__(self, path: Path, busy_timeout_ms: int | None = None, create: bool = False):
        self.path = Path(path)
        busy_timeout_ms = busy_timeout() if busy_timeout_ms is None else busy_timeout_ms
        _check_file(self.path, create)
        self._write_mode = False
        self._calendar: Calendar | None = None
        self._policies: list[Policy] | None = None
        self.upgrade_backup: Path | None = None  # set when opening upgraded an older schema
        _OPENED.add(str(self.path.resolve()))
        self.engine = create_engine(f"sqlite:///{self.path}")

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let us issue BEGIN ourselves (pysqlite's own transaction handling defers it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait on a writer
            cursor.execute("PRAGMA synchronous = FULL")  # ten years of records: durability first
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if self._write_mode else "BEGIN")

        self._migrate()

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """All or nothing: commits when the block ends, rolls back on any exception."""
        previous, self._write_mode = self._write_mode, write
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                with session.begin():
                    session.connection()  # BEGIN [IMMEDIATE] now, not at the first statement
                    self._write_mode = previous
                    yield session
        except OperationalError as exc:
            message = str(exc.orig) if exc.orig else str(exc)
            if "locked" in message or "busy" in message:
                raise ComplaintError(_("ledger {path} busy: another complaintctl is writing to it; try again").format(path=self.path),
                                     exit_code=BUSY) from None
            raise ComplaintError(_("ledger {path} cannot be used: {message}").format(path=self.path, message=message)) from None
        except DatabaseError as exc:
            message = str(exc.orig) if exc.orig else str(exc)
            raise ComplaintError(_("ledger {path} is damaged or not a ledger ({message}); restore it from a backup").format(path=self.path, message=message)) from None
        finally:
            self._write_mode = previous

    def _migrate(self) -> None:
        """Apply pending migrations, all in one transaction. A current ledger is only read.

        An existing ledger of an older schema is first copied to `<ledger>.before-<migration>-<time>.db`.
        """
        pending = self._pending_migrations(write=False)
        if not pending:
            return
        if len(pending) < len(MIGRATIONS):  # not a new file: keep it as it was before the upgrade
            self.upgrade_backup = self.path.with_name(f"{self.path.name}.before-{pending[0][0]}-{stamp()}.db")
            snapshot(self.path, self.upgrade_backup)
        with self.transaction(write=True) as session:
            conn = session.connection()
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            for name, fn in self._pending_migrations(write=True, session=session):
                fn(conn.exec_driver_sql)
                conn.exec_driver_sql("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                                     (name, clock.iso(clock.now())))

    def _pending_migrations(self, write: bool, session: Session | None = None) -> list:
        def pending(conn) -> list:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").first()
            applied = {row[0] for row in conn.exec_driver_sql("SELECT name FROM migrations")} if exists else set()
            unknown = applied - {name for name, _ in MIGRATIONS}
            if unknown:
                raise ComplaintError(_("ledger {path} was written by a newer complaintctl (schema {max}); upgrade complaintctl to use it; the file is untouched").format(path=self.path, max=max(unknown)))
            return [(name, fn) for name, fn in MIGRATIONS if name not in applied]

        if session is not None:
            return pending(session.connection())
        with self.transaction(write=write) as own:
            return pending(own.connection())

    # -- the event log -------------------------------------------------------------------------
    def append(self, session: Session, complaint: str | None, kind: str, at: str, actor: str,
               payload: dict) -> Event:
        from complaintctl.models import Event  # the ORM classes cost start-up time; read commands skip them

        last = session.exec(select(Event.hash).order_by(Event.id.desc()).limit(1)).first()
        prev = last or GENESIS_HASH
        recorded = clock.iso(clock.now())
        body = canonical_json(payload)
        row = Event(complaint=complaint, kind=kind, at=at, recorded_at=recorded, actor=actor, payload=body,
                    prev_hash=prev, hash=event_hash(prev, complaint, kind, at, recorded, actor, body))
        session.add(row)
        session.flush()
        return row

    def chain(self, session: Session) -> "ChainWriter":
        """Appends many events in one transaction at SQL speed (an import): the head kept in memory."""
        return ChainWriter(session.connection())

    def record(self, kind: str, by: str, payload: dict) -> None:
        """A ledger-wide audit event (export, backup, restore, unmasking), in its own transaction, now."""
        with self.transaction() as session:
            self.append(session, None, kind, clock.iso(clock.now()), by, payload)

    def events(self, session: Session, complaint: str) -> list:
        from complaintctl.models import Event

        return list(session.exec(select(Event).where(Event.complaint == complaint).order_by(Event.id)))

    # -- settings, calendar, policy ------------------------------------------------------------
    def setting(self, session: Session, key: str, default: str | None = None) -> str | None:
        row = session.connection().exec_driver_sql("SELECT value FROM settings WHERE key = ?", (key,)).first()
        return row[0] if row else default

    def calendar(self) -> Calendar:
        if self._calendar is None:
            with self.transaction(write=False) as session:
                conn = session.connection()
                days = conn.exec_driver_sql("SELECT day, kind, note FROM calendar_days").all()
                years = conn.exec_driver_sql("SELECT year FROM calendar_years").all()
            self._calendar = Calendar(
                overrides=[DayOverride(date.fromisoformat(day), kind, note) for day, kind, note in days],
                imported_years={year for (year,) in years})
        return self._calendar

    def policies(self) -> list[Policy]:
        if self._policies is None:
            with self.transaction(write=False) as session:
                rows = session.connection().exec_driver_sql("SELECT data FROM policies ORDER BY effective_from").all()
            self._policies = [Policy.from_dict(json.loads(data)) for (data,) in rows]
        return self._policies

    def policy_on(self, received: date) -> Policy:
        """The policy in force on the day a complaint was received."""
        return policy_for(self.policies(), received)

    def forget_cached(self) -> None:
        """After a calendar or policy change, so the same process sees the new data."""
        self._calendar = None
        self._policies = None


class ChainWriter:
    """Events and current states written straight through the connection, for thousands at once.

    The same hash chain and the same rows as `Ledger.append` and the lifecycle's save, without the
    ORM's cost per row; the write lock is held by the surrounding transaction, so the head read
    once stays the head.
    """

    def __init__(self, conn):
        self.conn = conn
        last = conn.exec_driver_sql("SELECT hash FROM events ORDER BY id DESC LIMIT 1").first()
        self.head = last[0] if last else GENESIS_HASH
        self.recorded = clock.iso(clock.now())

    def append(self, complaint: str | None, kind: str, at: str, actor: str, payload: dict) -> int:
        body = canonical_json(payload)
        digest = event_hash(self.head, complaint, kind, at, self.recorded, actor, body)
        cursor = self.conn.exec_driver_sql(
            "INSERT INTO events (complaint, kind, at, recorded_at, actor, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (complaint, kind, at, self.recorded, actor, body, self.head, digest))
        self.head = digest
        return cursor.lastrowid

    def save(self, record: dict, event_id: int, new: bool) -> None:
        from complaintctl.complaint import columns_of, record_json

        values = dict(columns_of(record), last_event=event_id, record=record_json(record))
        if new:
            values.update(id=record["id"], year=record["year"], seq=record["seq"])
            names = ", ".join(values)
            self.conn.exec_driver_sql(f"INSERT INTO complaints ({names}) VALUES ({', '.join('?' * len(values))})",
                                      tuple(values.values()))
        else:
            names = ", ".join(f"{name} = ?" for name in values)
            self.conn.exec_driver_sql(f"UPDATE complaints SET {names} WHERE id = ?", (*values.values(), record["id"]))

