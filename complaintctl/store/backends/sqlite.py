"""A branch's ledger: one SQLite file, with its attachments in a folder beside it.

Writers queue on SQLite's own lock (BEGIN IMMEDIATE and the busy timeout); WAL lets readers go on
reading while one writes; triggers refuse UPDATE and DELETE of events.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from complaintctl.errors import BUSY, ComplaintError
from complaintctl.i18n import _
from complaintctl.progress import Listener

HEADER = b"SQLite format 3\x00"
SNAPSHOT_STEP = 4096  # pages per step of a copy someone watches: a few MB, a fraction of a second

# DDL words for the one schema text in migrations.py.
ID_COLUMN = "INTEGER PRIMARY KEY AUTOINCREMENT"
TEXT = "TEXT"
APPEND_ONLY = (
    """CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
)
NO_DELETE_COMPLAINTS = (
    "CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints "
    "BEGIN SELECT RAISE(ABORT, 'complaints are never deleted'); END",
)

# Files this process already opened with SQLite. Their header is not read again: closing any other
# descriptor of a file drops every POSIX lock this process holds on it, SQLite's included.
_OPENED: set[str] = set()


def json_text(column: str, key: str) -> str:
    return f"json_extract({column}, '$.{key}')"


def archive_of(ledger_path: Path) -> Path:
    """Where a ledger's attachments are kept: `<ledger>.archive/<complaint number>/`."""
    return ledger_path.with_name(ledger_path.name + ".archive")


def no_ledger(path: Path) -> ComplaintError:
    return ComplaintError(
        _("no ledger at {path}; create one with: complaintctl init --db {quote}").format(
            path=path, quote=shlex.quote(str(path))
        )
    )


class SQLiteBackend:
    dialect = "sqlite"
    # the words of the one schema text in migrations.py
    id_column, text, append_only, no_delete_complaints = ID_COLUMN, TEXT, APPEND_ONLY, NO_DELETE_COMPLAINTS
    json_text = staticmethod(json_text)

    def __init__(self, path: Path):
        self.path = Path(path)
        self.label = str(self.path)
        self.stem = self.path.stem  # names its backups
        self.archive = archive_of(self.path)

    def prepare(self, create: bool) -> None:
        """Refuse anything that is not a ledger rather than let SQLite overwrite or misread it.

        A missing file is created only when asked (`init`, `demo`): under cron, a mistyped path that
        silently made a new empty ledger would read as "nothing due" for ever.
        """
        path = self.path
        if path.is_dir():
            raise ComplaintError(_("ledger {path} is a folder, not a file; give --db a file path").format(path=path))
        if path.exists():
            size = path.stat().st_size
            wal = path.with_name(path.name + "-wal")
            if not size and str(path.resolve()) not in _OPENED and not (wal.exists() and wal.stat().st_size):
                # An empty file is no ledger: made into one silently, cron would say "nothing due" for ever.
                raise ComplaintError(
                    _(
                        "{path} is an empty file (0 bytes), not a complaintctl ledger; left untouched "
                        "(restore the ledger from a backup, or remove the file and run `complaintctl "
                        "init`)"
                    ).format(path=path)
                )
            if size and str(path.resolve()) not in _OPENED:
                with path.open("rb") as f:
                    header = f.read(16)
                if header != HEADER:
                    raise ComplaintError(
                        _("{path} is not a complaintctl ledger (not an SQLite file); left untouched").format(path=path)
                    )
                if size < 512:
                    raise ComplaintError(
                        _("ledger {path} is truncated ({size} bytes); restore it from a backup").format(
                            path=path, size=size
                        )
                    )
        elif not create:
            raise no_ledger(path)
        else:
            # New ledger: the folders we make private to the user, the file 0600 (it holds personal data, CSA 7.8).
            missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
            for folder in reversed(missing):
                folder.mkdir(mode=0o700)
                os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, never widened; be exact
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
            os.close(fd)
        _OPENED.add(str(path.resolve()))

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def read_only(self) -> bool:
        """This account may read the file but not change it (an auditor's copy, a file shared read-only).

        SQLite then needs to be told so: it would otherwise try to create the WAL files beside it and
        fail on the first read with "attempt to write a readonly database".
        """
        folder = self.path.parent
        return self.path.exists() and (not os.access(self.path, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK))

    def _uri(self) -> str:
        """The file for sqlite3's URI form: read-only when it must be. A read-only file that no writer has
        open (no -wal beside it) is also immutable, which lets SQLite read a WAL ledger without its -shm."""
        from urllib.parse import quote

        live = self.path.with_name(self.path.name + "-wal").exists()
        return f"file:{quote(str(self.path.resolve()))}?mode=ro" + ("" if live else "&immutable=1")

    def engine(self, busy_ms: int, writing: Callable[[], bool]):
        from sqlalchemy import create_engine, event

        read_only = self.read_only
        engine = create_engine(f"sqlite:///{self._uri()}&uri=true" if read_only else f"sqlite:///{self.path}")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let us issue BEGIN ourselves (pysqlite's own transaction handling defers it).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            if not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait on a writer
                cursor.execute("PRAGMA synchronous = FULL")  # ten years of records: durability first
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # One writer at a time, queued from the start: the chain's head and the next number
            # read inside the transaction stay true until it commits.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing() else "BEGIN")

        return engine

    errors = (sqlite3.DatabaseError,)
    operational_errors = (sqlite3.OperationalError,)

    def connect(self):
        """A plain DB-API connection (verify, backups): no SQLAlchemy."""
        if self.read_only:
            return sqlite3.connect(self._uri(), uri=True, isolation_level=None)
        return sqlite3.connect(self.path, isolation_level=None)

    @contextmanager
    def reading(self, busy_ms: int = 0) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot while others write.

        Not mode=ro: after a crash, reading needs the WAL index rebuilt, which a read-only
        connection cannot do. Only reads are issued.
        """
        conn = self.connect()
        try:
            if busy_ms:  # a reader waits only while another process rebuilds the WAL index after a crash
                conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()

    def is_busy(self, error: BaseException) -> bool:
        return "locked" in str(error) or "busy" in str(error)

    def lock_chain(self, conn, branch: str, label: str, new_ok: bool = False, audit: bool = False) -> None:
        """Nothing more to take: a write transaction begins IMMEDIATE, which locks the whole file."""

    def lock_schema(self, conn) -> None:
        """As lock_chain."""

    def require_copier(self, conn, label: str) -> None:
        """Anyone who may write the file may copy into it."""

    def is_owner(self, conn) -> bool:
        return True  # who may write the file is the file system's to say

    def visible_branches(self, conn) -> list[str] | None:
        return None  # the file's reader sees all of it: who may read the file is the file system's to say

    def table_exists(self, execute, name: str) -> bool:
        return execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).first() is not None

    def check_structure(self, conn, full: bool = False) -> str | None:
        """SQLite's own check of the file: None, or its first finding.

        quick_check reads every page and checks each b-tree's structure, in about a fifth of the
        time; integrity_check (full) also checks that every index matches its table row for row.
        """
        rows = conn.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
        if [r[0] for r in rows] == ["ok"]:
            return None
        lines = [line for r in rows for line in str(r[0]).splitlines() if not line.startswith("***")]
        return _("SQLite integrity check failed ({lines} findings), first: {value}; restore it from a backup").format(
            lines=len(lines), value=lines[0]
        )

    def snapshot(self, dest: Path, listener: Listener | None = None) -> None:
        snapshot(self.path, dest, listener)


def snapshot(source: Path, dest: Path, listener: Listener | None = None) -> None:
    """A consistent copy of a live ledger with SQLite's online backup API, safe while others write.

    Written under a temporary name, flushed to disk, then renamed: `dest` is whole or absent.
    With a listener, pages are copied in steps so it can be told how far the copy is; SQLite
    restarts the copy if another connection writes between steps, so the result is as consistent.
    """
    from complaintctl.store.backends.common import busy_timeout

    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial")  # 0600
    os.close(fd)
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(name)
        try:
            src.execute(f"PRAGMA busy_timeout = {busy_timeout()}")
            if listener:
                stage = _("copying the ledger")
                src.backup(
                    dst,
                    pages=SNAPSHOT_STEP,
                    progress=lambda _status, remaining, total: listener(stage, total - remaining, total),
                )
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
            raise ComplaintError(
                _("ledger {source} busy: another complaintctl is writing to it; try again").format(source=source),
                exit_code=BUSY,
            ) from None
        raise ComplaintError(_("cannot copy {source}: {exc}").format(source=source, exc=exc)) from None
    finally:
        if os.path.exists(name):
            os.unlink(name)
