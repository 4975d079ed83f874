"""The ledger: where it lives, opening it safely, migrations, transactions, the event log.

Every change is an event row, written in the same transaction as the current-state row it
produces, so a command commits all or nothing. Write transactions hold the ledger's write lock
from their first statement (see complaintctl.store.backends): two writers queue on the busy timeout
instead of failing half-way.

A ledger is an SQLite file (one branch's) or a PostgreSQL database (a firm's, many branches). Each
branch keeps its own hash chain of events, so a branch's history moves into the firm ledger with
every hash unchanged; in a branch's own file the branch is '' (the file is the branch).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, NamedTuple

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; leftovers are recognised by age
    fcntl = None

from complaintctl.rules import clock
from complaintctl.store.backends import Reader, backend_for, is_url
from complaintctl.store.backends.common import busy_timeout
from complaintctl.store.chain import GENESIS_HASH, HEAD_SQL, canonical_json, event_hash
from complaintctl.store.backends.sqlite import snapshot
from complaintctl.rules.calendar import Calendar, DayOverride
from complaintctl.errors import BUSY, DAMAGED, ComplaintError
from complaintctl.store.migrations import AUDIT_KINDS, MIGRATIONS
from complaintctl.rules.policy import Policy, policy_for
from complaintctl.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from complaintctl.store.models import Event

DB_ENV = "COMPLAINTCTL_DB"
BRANCH_ENV = "COMPLAINTCTL_BRANCH"


def default_path() -> Path:
    import platformdirs  # only when no --db or COMPLAINTCTL_DB is given

    return Path(platformdirs.user_data_dir("complaintctl", appauthor=False)) / "ledger.db"


def resolve_path(db: str | os.PathLike | None) -> Path | str:
    """--db, else COMPLAINTCTL_DB, else the user's data directory: a file path, or a postgresql:// URL."""
    chosen = db or os.environ.get(DB_ENV)
    if chosen and is_url(chosen):
        return str(chosen)
    return Path(chosen).expanduser() if chosen else default_path()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (attachments and reports may be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- copying into the attachment archive ---------------------------------------------------------
ARCHIVE_TEMP = ".incoming-"  # a copy on its way into the archive, never an attachment itself
BLOCK = 1 << 20


class Stored(NamedTuple):
    path: Path
    sha256: str  # of the bytes stored
    size: int
    copied: bool  # False: the same bytes were at the name already


def store_file(
    source: Path | BinaryIO, folder: Path, name: str | Callable[[str], str], *, expected: str | None = None
) -> Stored:
    """Copy `source` (a path, or a file open for reading) into the archive `folder` as `name`, or as
    `name(sha256)`, so that no crash or change of the source ever leaves a wrong file under that name.

    Streamed in 1 MiB blocks to a temporary name (locked while it is written), hashed as written,
    flushed to disk, read back and hashed again, then renamed, and the folder flushed. The SHA-256
    and size returned are of what was stored, whatever the source did meanwhile. With `expected`
    (the SHA-256 recorded when the file was attached), a copy that differs is refused (exit 5) and
    nothing is stored. A file already at the name is kept when it holds the same bytes, else replaced.
    """
    label = str(getattr(source, "name", source))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if expected and isinstance(name, str) and (folder / name).is_file() and sha256_file(folder / name) == expected:
            return Stored(folder / name, expected, (folder / name).stat().st_size, False)
        fd, temp = _locked_temp(folder)
        try:
            with os.fdopen(fd, "wb") as out:  # closing it releases the lock: only once the copy is renamed
                digest, size = hashlib.sha256(), 0
                reader = Path(source).open("rb") if isinstance(source, (str, os.PathLike)) else nullcontext(source)
                with reader as f:
                    for block in iter(lambda: f.read(BLOCK), b""):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
                out.flush()
                os.fsync(out.fileno())
                sha = digest.hexdigest()
                if sha256_file(temp) != sha:
                    raise ComplaintError(
                        _(
                            "the copy of {source} in {folder} does not read back as it was written "
                            "(SHA-256 differs); nothing was stored; check the disk"
                        ).format(source=label, folder=folder),
                        exit_code=DAMAGED,
                    )
                if expected and sha != expected:
                    raise ComplaintError(
                        _(
                            "{source} is not what was attached (its SHA-256 differs from the one "
                            "recorded); nothing was stored"
                        ).format(source=label),
                        exit_code=DAMAGED,
                    )
                final = folder / (name if isinstance(name, str) else name(sha))
                if final.is_file() and sha256_file(final) == sha:
                    return Stored(final, sha, size, False)
                os.replace(temp, final)
            _sync_folder(folder)
            return Stored(final, sha, size, True)
        finally:
            if temp.exists():
                temp.unlink()
    except OSError as exc:
        raise ComplaintError(
            _("could not copy {source} into the archive {folder}: {error}").format(
                source=label, folder=folder, error=exc.strerror or exc
            )
        ) from None


def _locked_temp(folder: Path) -> tuple[int, Path]:
    """A new temporary file in `folder` (0600), locked so that `remove_stale_copies` leaves it alone."""
    while True:
        fd, name = tempfile.mkstemp(dir=folder, prefix=ARCHIVE_TEMP)
        if fcntl is None:
            return fd, Path(name)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.fstat(fd), os.stat(name)):
                return fd, Path(name)
        except FileNotFoundError:
            pass
        os.close(fd)  # removed as a leftover in the instant before it was locked: take another


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_copies(folder: Path) -> int:
    """Remove the temporary copies that a killed command left anywhere under `folder`; a copy still
    being written (its lock held) is left alone. Without file locks, only copies a day old."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.rglob(ARCHIVE_TEMP + "*"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            elif time.time() - os.fstat(fd).st_mtime < 86400:
                continue
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                path.unlink()
                removed += 1
        except OSError:  # locked by a live copy, or gone meanwhile
            continue
        finally:
            os.close(fd)
    return removed


def stamp() -> str:
    return clock.now().strftime("%Y%m%d-%H%M%S")


# Which branches hold a complaint number. A branch's own file: its primary key (branch, id) finds it at
# once; the number alone would be looked for in every row, 0.2–0.5 s on a million complaints (issue 33).
NUMBER_IN_FILE_SQL = "SELECT branch FROM complaints WHERE branch = '' AND id = ?"
NUMBER_AT_BRANCHES_SQL = "SELECT branch FROM complaints WHERE id = ? ORDER BY branch"


class Ledger:
    """One open ledger. Reads are plain SQL (`reading`); changes go through an ORM Session (`transaction`).

    SQLAlchemy and SQLModel are loaded only when something is written: they are most of a command's
    start-up, and `warn`, `list` and `show` need neither (docs/PERFORMANCE.md).

    `branch` is the branch this process works at: it numbers the complaints it registers and
    chains the ledger-wide events it records. In a branch's own SQLite file it is always ''.
    """

    def __init__(
        self, target: Path | str, busy_timeout_ms: int | None = None, create: bool = False, branch: str | None = None
    ):
        self.backend = backend_for(target)
        self.path: Path | None = self.backend.path  # None on PostgreSQL
        self.target: Path | str = self.path or self.backend.url  # what --db named
        self.label = self.backend.label
        self.archive: Path = self.backend.archive
        busy_timeout_ms = busy_timeout() if busy_timeout_ms is None else busy_timeout_ms
        self.backend.prepare(create)
        self._write_mode = False
        self._migrating = False
        self._calendar: Calendar | None = None
        self._policies: list[Policy] | None = None
        self.upgrade_backup: Path | None = None  # set when opening upgraded an older schema
        self._busy_timeout_ms = busy_timeout_ms
        self._engine = None
        # Why the entries this command makes are typed in late (--late-reason): kept in each event.
        self.late_reason: str | None = None
        # This command records a step again on purpose (--again): the same step, same facts, same day is real.
        self.again = False
        self._migrate()
        # Many branches: a server's ledger, or a file holding a firm ledger's backup.
        self.firm = self.backend.dialect != "sqlite" or self._branched
        self.branch = ""
        if branch is not None:
            self.work_at(branch)
        elif self.firm and os.environ.get(BRANCH_ENV):  # the environment's branch means nothing to a branch's file
            self.work_at(os.environ[BRANCH_ENV])

    def work_at(self, branch: str | None) -> None:
        """Choose the branch to record at (--branch): only a firm ledger has more than one."""
        from complaintctl.rules.complaint import branch_code

        code = branch_code(branch) if branch else ""
        if code and not self.firm:
            raise ComplaintError(
                _(
                    "--branch {code}: this ledger is one branch's own file; branches are kept apart "
                    "in a firm ledger on PostgreSQL"
                ).format(code=code)
            )
        self.branch = code

    # -- transactions --------------------------------------------------------------------------
    @property
    def engine(self):
        """SQLAlchemy's engine, made on the first write (or ORM read) of this process."""
        if self._engine is None:
            self._engine = self.backend.engine(self._busy_timeout_ms, lambda: self._write_mode)
        return self._engine

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """All or nothing: commits when the block ends, rolls back on any exception."""
        from sqlalchemy.exc import DatabaseError, OperationalError
        from sqlmodel import Session

        previous, self._write_mode = self._write_mode, write
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                with session.begin():
                    session.connection()  # BEGIN [and the write lock] now, not at the first statement
                    self._write_mode = previous
                    yield session
        except OperationalError as exc:
            raise self._refusal(exc.orig or exc, operational=True) from None
        except DatabaseError as exc:
            raise self._refusal(exc.orig or exc, operational=False) from None
        finally:
            self._write_mode = previous

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read-only snapshot in plain SQL: `conn.exec_driver_sql(sql, params)`, as in a transaction.

        Readers never wait for writers (SQLite's WAL, PostgreSQL's REPEATABLE READ).
        """
        errors = self.backend.errors
        try:
            with self.backend.reading(self._busy_timeout_ms) as conn:
                yield Reader(conn)
        except errors as exc:
            raise self._refusal(exc, operational=isinstance(exc, self.backend.operational_errors)) from None

    def _refusal(self, error: BaseException, operational: bool) -> ComplaintError:
        """A driver's error as one line for the user."""
        message = (str(error).strip() or type(error).__name__).splitlines()[0]
        if self.path is None:  # a server's error may quote the connection string
            from complaintctl.store.backends.postgres import scrub

            message = scrub(message, self.backend.url)
        if operational and self.backend.is_busy(error):
            return ComplaintError(
                _("ledger {path} busy: another complaintctl is writing to it; try again").format(path=self.label),
                exit_code=BUSY,
            )
        if operational and "readonly" in message:  # SQLITE_READONLY: the account may read the file, not write it
            return ComplaintError(
                _(
                    "ledger {path} is read-only for this account: it can be read (show, list, warn, "
                    "analyze, verify) but nothing can be recorded in it; a report and an unmasked "
                    "view are recorded before they leave the ledger, so they need an account that may "
                    "write it"
                ).format(path=self.label),
                "CSA 7.8",
            )
        if operational:
            return ComplaintError(_("ledger {path} cannot be used: {message}").format(path=self.label, message=message))
        if getattr(error, "sqlstate", None) == "42501":  # insufficient_privilege: the login's role lacks the right
            if self._migrating:
                return ComplaintError(
                    _(
                        "ledger {path} must be upgraded to this version's schema by its owner: run "
                        "the first command after an upgrade as the owner (README \"Firm-wide on "
                        "PostgreSQL\")"
                    ).format(path=self.label)
                )
            return ComplaintError(
                _(
                    "ledger {path}: this login's role may not do this ({message}); README "
                    "\"Firm-wide on PostgreSQL\" says which role does what"
                ).format(path=self.label, message=message),
                "CSA 8.4",
            )
        if self.backend.dialect != "sqlite":  # the server is sound; it refused a statement (a trigger, a right)
            return ComplaintError(
                _("ledger {path} refused the change: {message}").format(path=self.label, message=message)
            )
        # A file SQLite cannot read as a database (cut short, overwritten): damaged, as README "Exit codes" says.
        return ComplaintError(
            _("ledger {path} is damaged or not a ledger ({message}); restore it from a backup").format(
                path=self.label, message=message
            ),
            exit_code=DAMAGED,
        )

    def _migrate(self) -> None:
        """Apply pending migrations, all in one transaction. A current ledger is only read.

        An existing ledger file of an older schema is first copied to `<ledger>.before-<migration>-<time>.db`.
        """
        pending = self._pending_migrations()
        if not pending:
            return
        if len(pending) < len(MIGRATIONS) and self.path is not None:  # not a new file: keep it as it was
            self.upgrade_backup = self.path.with_name(f"{self.path.name}.before-{pending[0][0]}-{stamp()}.db")
            snapshot(self.path, self.upgrade_backup)
        self._migrating = True
        with self.transaction(write=True) as session:
            conn = session.connection()
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            self.backend.lock_schema(conn)
            run = _Migration(conn, self.backend)
            for name, fn in self._pending_migrations(session):
                fn(run)
                conn.exec_driver_sql(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, clock.iso(clock.now()))
                )
        self._migrating = False

    def _pending_migrations(self, session: Session | None = None) -> list:
        def pending(conn) -> list:
            exists = self.backend.table_exists(conn.exec_driver_sql, "migrations")
            if (
                not exists
                and self.backend.dialect == "sqlite"
                and conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            ):
                # Another program's SQLite file: never add our tables to it.
                raise ComplaintError(
                    _("{path} is an SQLite file but not a complaintctl ledger; left untouched").format(path=self.label)
                )
            applied = {row[0] for row in conn.exec_driver_sql("SELECT name FROM migrations")} if exists else set()
            unknown = applied - {name for name, _ in MIGRATIONS}
            if unknown:
                raise ComplaintError(
                    _(
                        "ledger {path} was written by a newer complaintctl (schema {max}); upgrade "
                        "complaintctl to use it; the file is untouched"
                    ).format(path=self.label, max=max(unknown))
                )
            names = [name for name, _fn in MIGRATIONS]
            missing = [name for name in names if name not in applied]
            if missing and applied and names.index(missing[0]) < max(names.index(name) for name in applied):
                # A migration never runs again after a later one: one shown as pending was struck from the table,
                # e.g. to have m007 take tables written behind their events as they stand.
                raise ComplaintError(
                    _(
                        "ledger {path} lists schema {later} as applied but not {earlier}: its "
                        "migrations table was edited; restore it from a backup"
                    ).format(path=self.label, later=max(applied), earlier=missing[0]),
                    exit_code=DAMAGED,
                )
            # Read in the same transaction: whether the ledger holds branches (start-up pays one query, not two).
            self._branched = (
                "m004_branches" in applied
                and conn.exec_driver_sql("SELECT 1 FROM branches LIMIT 1").first() is not None
            )
            return [(name, fn) for name, fn in MIGRATIONS if name not in applied]

        if session is not None:
            return pending(session.connection())
        with self.reading() as conn:
            return pending(conn)

    def archive_for(self, branch: str) -> Path:
        """The attachments folder of a branch: the archive itself in a branch's file, a folder per branch in a
        firm's."""
        return self.archive / branch if branch else self.archive

    # -- which complaint ------------------------------------------------------------------------
    def locate(self, conn, complaint_id: str) -> tuple[str, str]:
        """(branch, number) of a complaint given as `NUMBER` or `BRANCH/NUMBER`.

        A number alone is enough wherever it is unambiguous; when several branches use it, the one
        chosen with --branch, else a refusal naming them.
        """
        from complaintctl.rules.complaint import parse_id, branch_code

        given, _sep, rest = clock.typed(complaint_id).rpartition("/")
        number = parse_id(rest)[0]
        branch = branch_code(given) if given else None
        if branch and not self.firm:
            raise ComplaintError(
                _("{text}: this ledger is one branch's own file; give the number alone").format(text=complaint_id)
            )
        sql = NUMBER_AT_BRANCHES_SQL if self.firm else NUMBER_IN_FILE_SQL
        rows = [r[0] for r in conn.exec_driver_sql(sql, (number,))]
        if branch is None and len(rows) > 1:  # a withdrawn branch's number is read only as BRANCH/NUMBER
            from complaintctl.store.chain_tables import WITHDRAWN_SQL

            gone = {code for (code,) in conn.exec_driver_sql(WITHDRAWN_SQL)}
            rows = [code for code in rows if code not in gone] or rows
        if branch is not None or (len(rows) > 1 and self.branch in rows):
            wanted = branch if branch is not None else self.branch
            if wanted in rows:
                return wanted, number
            self.require_visible(conn, wanted)
            raise ComplaintError(
                _(
                    "unknown complaint number {number} at branch {branch}; see `complaintctl list --branch {branch}`"
                ).format(number=number, branch=wanted)
            )
        if not rows:
            raise ComplaintError(
                _("unknown complaint number {number}; see `complaintctl list` for the numbers in this ledger").format(
                    number=number
                )
            )
        if len(rows) > 1:
            raise ComplaintError(
                _(
                    "{number} is a number at more than one branch ({branches}); write BRANCH/{number} or give --branch"
                ).format(number=number, branches=", ".join(rows))
            )
        return rows[0], number

    def visible_branches(self, conn) -> list[str] | None:
        """The branches this login may see in a firm ledger (row-level security), or None for all."""
        return self.backend.visible_branches(conn)

    def require_visible(self, conn, branch: str) -> None:
        """A branch the login may not see is refused in one line, not shown as if it were empty (CSA 8.4)."""
        seen = self.backend.visible_branches(conn)
        if seen is not None and branch not in seen:
            from complaintctl.store.backends.postgres import not_yours

            raise not_yours(conn, branch, self.label, write=False)

    # -- the event log -------------------------------------------------------------------------
    def append(
        self,
        session: Session,
        complaint: str | None,
        kind: str,
        at: str,
        actor: str,
        payload: dict,
        branch: str | None = None,
        late_reason: str | None = None,
    ) -> Event:
        """The next event of the branch's chain (the working branch's when not given)."""
        from complaintctl.store.models import Event  # the ORM classes cost start-up time; read commands skip them

        branch = self.branch if branch is None else branch
        conn = session.connection()
        recorded = clock.iso(clock.now())
        if complaint is not None:
            payload = self._late_entry(
                conn, branch, complaint, kind, at, recorded, payload, late_reason or self.late_reason
            )
        self.lock(session, branch, audit=complaint is None and kind in AUDIT_KINDS)
        last = conn.exec_driver_sql(HEAD_SQL, (branch,)).first()
        prev = last[0] if last else GENESIS_HASH
        body = canonical_json(payload)
        login, written = self.server_stamp(session)
        row = Event(
            branch=branch,
            complaint=complaint,
            kind=kind,
            at=at,
            recorded_at=recorded,
            actor=actor,
            payload=body,
            prev_hash=prev,
            login=login,
            written_at=written,
            hash=event_hash(prev, complaint, kind, at, recorded, actor, body, login, written),
        )
        session.add(row)
        session.flush()
        return row

    def _late_entry(
        self, conn, branch: str, complaint: str, kind: str, at: str, recorded: str, payload: dict, reason: str | None
    ) -> dict:
        """An entry dated into a period already reported needs a reason (DOMAIN: a late entry); the reason
        is kept in the event when the entry is late. A registration is dated by its receipt: that is the
        day whose figures it changes, whatever --at (when it was typed in) says."""
        from complaintctl.store.late import export_covering, is_late

        dated = at
        if kind == "registered" and payload.get("received_at"):
            dated = min(at, payload["received_at"], key=clock.from_iso)
        reason = (reason or "").strip()
        if reason:
            return {**payload, "late_reason": reason} if is_late(dated, recorded) else payload
        export = export_covering(conn, clock.day_of(dated), branch)
        if export is not None:
            raise ComplaintError(
                _(
                    "{id}: this entry is dated {day}, within {period}, whose report was exported on "
                    "{exported} by {by}; give --late-reason saying why it is entered only now (the "
                    "next report lists it under 补录与更正)"
                ).format(
                    id=complaint,
                    day=clock.day_of(dated),
                    period=export.code,
                    exported=clock.day_of(export.exported_at),
                    by=export.by,
                ),
                "CSA 9.4",
            )
        return payload

    def chain(self, session: Session, branch: str | None = None) -> "ChainWriter":
        """Appends many events in one transaction at SQL speed (an import): the head kept in memory."""
        branch = self.branch if branch is None else branch
        self.lock(session, branch)
        return ChainWriter(session.connection(), branch, self.server_stamp(session))

    def lock(self, session: Session, branch: str, new_ok: bool = False, audit: bool = False) -> None:
        """Take the writers' lock of the branch's chain for this transaction (once): the next number and
        the chain's head read after it stay true until commit. On a firm ledger it is the branch's row
        in `writers`, which row-level security shows only to those who may write there; so no one can
        hold up a branch that is not theirs, and writing at one is refused in one line (CSA 8.4).
        `audit`: an audit event (an export, a disclosure), which the department records at any branch."""
        held = session.info.setdefault("locked", set())
        if branch in held:
            return
        self.backend.lock_chain(session.connection(), branch, self.label, new_ok, audit)
        if self.firm and branch and not audit:
            self._not_withdrawn(session.connection(), branch)
        held.add(branch)

    def _not_withdrawn(self, conn, branch: str) -> None:
        """A withdrawn branch's history is closed: nothing more is recorded or moved in under its code (an audit
        event still is: what leaves the ledger is recorded where it was, CSA 7.8)."""
        from complaintctl.store.chain_tables import WITHDRAWN_KEY

        if conn.exec_driver_sql("SELECT 1 FROM settings WHERE key = ?", (WITHDRAWN_KEY + branch,)).first():
            raise ComplaintError(
                _(
                    "the history of branch {code} was withdrawn (its reason: `complaintctl branch list`); nothing "
                    "more is recorded or moved in under {code}"
                ).format(code=branch),
                "CSA 9.4",
            )

    def server_stamp(self, session: Session) -> tuple[str | None, str | None]:
        """(login, server time) the firm server's trigger gives this transaction's events; (None, None) in a file."""
        if "stamp" not in session.info:
            from complaintctl.store.backends import stamp_of

            session.info["stamp"] = stamp_of(session.connection())
        return session.info["stamp"]

    def record(self, kind: str, by: str, payload: dict, branch: str | list[str] | None = None) -> None:
        """A ledger-wide audit event (export, backup, restore, unmasking), in its own transaction, now.

        In the chain of `branch` (the working branch's when not given): on a firm ledger, the branch
        whose data left (CSA 7.8). Given several branches, one event in each chain, all or none.
        """
        if branch is None or isinstance(branch, str):
            chains = [self.branch if branch is None else branch]
        else:
            chains = sorted(set(branch)) or [self.branch]  # always in one order: two such writers never deadlock
        with self.transaction() as session:
            at = clock.iso(clock.now())
            for code in chains:
                # Each chain's event names its chain: two empty chains must not get one hash (a file's hashes
                # are unique).
                self.append(
                    session, None, kind, at, by, payload if len(chains) == 1 else {**payload, "chain": code}, code
                )

    def events(self, conn, complaint: str, branch: str = "") -> list[EventRow]:
        """A complaint's events in the order they were recorded."""
        return [
            EventRow(*row)
            for row in conn.exec_driver_sql(
                "SELECT id, kind, at, recorded_at, actor, payload, login, written_at FROM events "
                "WHERE branch = ? AND complaint = ? "
                "ORDER BY id",
                (branch, complaint),
            )
        ]

    # -- settings, calendar, policy ------------------------------------------------------------
    def setting(self, conn, key: str, default: str | None = None) -> str | None:
        row = conn.exec_driver_sql("SELECT value FROM settings WHERE key = ?", (key,)).first()
        return row[0] if row else default

    def calendar(self) -> Calendar:
        if self._calendar is None:
            with self.reading() as conn:
                days = conn.exec_driver_sql("SELECT day, kind, note FROM calendar_days").all()
                years = conn.exec_driver_sql("SELECT year FROM calendar_years").all()
            self._calendar = Calendar(
                overrides=[DayOverride(date.fromisoformat(day), kind, note) for day, kind, note in days],
                imported_years={year for (year,) in years},
            )
        return self._calendar

    def policies(self) -> list[Policy]:
        if self._policies is None:
            with self.reading() as conn:
                rows = conn.exec_driver_sql("SELECT data FROM policies ORDER BY effective_from").all()
            self._policies = [Policy.from_dict(json.loads(data)) for (data,) in rows]
        return self._policies

    def policy_on(self, received: date) -> Policy:
        """The policy in force on the day a complaint was received."""
        return policy_for(self.policies(), received)

    def forget_cached(self) -> None:
        """After a calendar or policy change, so the same process sees the new data."""
        self._calendar = None
        self._policies = None


class EventRow(NamedTuple):
    id: int
    kind: str
    at: str
    recorded_at: str
    actor: str
    payload: str
    login: str | None = None  # the firm server's stamp: the database login that wrote it, and when
    written_at: str | None = None


class _Migration:
    """What a migration is given: `run(sql, params)`, and the backend for the words that differ."""

    def __init__(self, conn, backend):
        self.conn = conn
        self.backend = backend
        self.dialect = backend.dialect

    def __call__(self, sql: str, params=()):
        return self.conn.exec_driver_sql(sql, params)


class ChainWriter:
    """Events and current states written straight through the connection, for thousands at once.

    The same hash chain and the same rows as `Ledger.append` and the lifecycle's save, without the
    ORM's cost per row; the write lock is held by the surrounding transaction, so the head read
    once stays the head.
    """

    def __init__(self, conn, branch: str, stamp: tuple[str | None, str | None] = (None, None)):
        self.conn = conn
        self.branch = branch
        self.login, self.written_at = stamp
        last = conn.exec_driver_sql(HEAD_SQL, (branch,)).first()
        self.head = last[0] if last else GENESIS_HASH
        self.recorded = clock.iso(clock.now())

    def append(self, complaint: str | None, kind: str, at: str, actor: str, payload: dict) -> int:
        body = canonical_json(payload)
        digest = event_hash(self.head, complaint, kind, at, self.recorded, actor, body, self.login, self.written_at)
        event_id = self.conn.exec_driver_sql(
            "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, login, "
            "written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                self.branch,
                complaint,
                kind,
                at,
                self.recorded,
                actor,
                body,
                self.head,
                digest,
                self.login,
                self.written_at,
            ),
        ).scalar()
        self.head = digest
        return event_id

    def save(self, record: dict, event_id: int, new: bool) -> None:
        from complaintctl.rules.complaint import columns_of, record_json

        values = dict(columns_of(record), last_event=event_id, record=record_json(record))
        if new:
            values.update(branch=self.branch, id=record["id"], year=record["year"], seq=record["seq"])
            names = ", ".join(values)
            self.conn.exec_driver_sql(
                f"INSERT INTO complaints ({names}) VALUES ({', '.join('?' * len(values))})", tuple(values.values())
            )
        else:
            names = ", ".join(f"{name} = ?" for name in values)
            self.conn.exec_driver_sql(
                f"UPDATE complaints SET {names} WHERE branch = ? AND id = ?",
                (*values.values(), self.branch, record["id"]),
            )
