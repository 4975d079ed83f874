"""Backups and restores that lose nothing.

`backup` copies the live ledger with SQLite's online backup API (safe while others write), checks
the copy, and copies the attachment archive beside it. `restore` refuses to replace a ledger that
holds events the backup lacks unless forced, and always keeps the ledger it replaces. It checks the
backup whole first (SQLite's integrity_check, which matches every index against its table, then the
chain, the state and the attachments) and the restored ledger again before it reports it checked.
Attachments are copied as `store_file` copies them; a restore killed half-way is finished by running
it again (into a firm database too: the events it copied carry its `restored` event).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from complaintctl.rules import clock
from complaintctl.store.backends import backend_for
from complaintctl.errors import DAMAGED, ComplaintError
from complaintctl.store.integrity import Verified, require_sound, verify
from complaintctl.store.backends.common import busy_timeout
from complaintctl.store.backends.sqlite import HEADER as SQLITE_HEADER, archive_of, snapshot
from complaintctl.store.ledger import Ledger, stamp
from complaintctl.i18n import _
from complaintctl.store.moving import copy_attachments, copy_history, recorded_attachments
from complaintctl.progress import Listener


@dataclass
class Copied:
    path: Path
    checked: Verified
    attachments: int
    kept: Path | None = None  # restore: where the replaced ledger was kept


def backup(
    ledger: Ledger,
    dest: str | os.PathLike | None,
    *,
    by: str,
    branch: str | None = None,
    listener: Listener | None = None,
) -> Copied:
    """A checked copy of the ledger, as an ordinary ledger file, with its attachments beside it.

    A firm ledger on PostgreSQL is copied event by event into a new SQLite file (every branch, or
    the one given, which then reads as that branch's own file), checked like any ledger file.
    """
    if branch and not ledger.firm:
        raise ComplaintError(
            _("--branch {code}: this ledger is one branch's own file; back it up whole").format(code=branch)
        )
    stem = ledger.backend.stem + (f"-{branch}" if branch else "")
    if dest is None:
        folder = (ledger.path.parent if ledger.path else Path.cwd()) / "backups"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = folder / f"{stem}-{stamp()}.db"
    else:
        target = Path(dest).expanduser()
        if str(dest).endswith(("/", os.sep)) and not target.is_dir():  # written as a folder: never a file named so
            raise ComplaintError(_("backup folder {parent} does not exist").format(parent=target))
        if target.is_dir():
            target = target / f"{stem}-{stamp()}.db"
    if target.exists() or archive_of(target).exists():
        raise ComplaintError(
            _("{target} already exists; a backup never overwrites a file, give another name").format(target=target)
        )
    if not target.parent.is_dir():
        raise ComplaintError(_("backup folder {parent} does not exist").format(parent=target.parent))
    if ledger.path and target.resolve() == ledger.path.resolve():
        raise ComplaintError(_("the backup cannot be the ledger itself"))
    if branch:
        with ledger.reading() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM branches WHERE code = ?", (branch,)).first() is None:
                raise ComplaintError(_("unknown branch {code}; see `complaintctl branch list`").format(code=branch))
    from complaintctl import scratch

    # On record first (CSA 7.8: a backup holds everything in full), so the copy holds its own backup
    # event and restoring it needs no --force. On a firm ledger, in the chain of each branch copied.
    ledger.record(
        "backed_up",
        by,
        {"file": str(target.resolve()), **({"branch": branch} if branch else {})},
        [branch] if branch else _branch_codes(ledger) if ledger.firm else None,
    )
    # Made in a scratch folder beside the target, then renamed: a copy killed half-way is never found
    # under the backup's name, and the next backup into this folder removes it (complaintctl.scratch).
    folder = scratch.folder_beside(target)
    try:
        made = folder / target.name
        if ledger.path is not None:
            snapshot(ledger.path, made, listener)
            archive = ledger.archive
        else:
            _copy_to_file(ledger, made, {branch: ""} if branch else None, by, listener)
            archive = ledger.archive_for(branch) if branch else ledger.archive
        os.replace(made, target)
    finally:
        scratch.release(folder)
    checked = require_sound(target, state=False, listener=listener)
    attachments = copy_attachments(archive, archive_of(target), listener)
    return Copied(target, checked, attachments)


def _copy_to_file(
    ledger: Ledger, target: Path, branches: dict[str, str] | None, by: str, listener: Listener | None
) -> None:
    """A firm ledger's events into a new ledger file, written under a temporary name, then renamed.

    One branch's copy holds the firm's calendar days and policies but not the events of the firm's
    chain that set them, so its own chain could not rebuild them: the copy records them as they stood
    (chain_tables.record_tables), in the same transaction.
    """
    from complaintctl.store import chain_tables

    def tables_as_they_stood(session, _moved) -> None:
        conn = session.connection()
        if chain_tables.problems(conn):
            chain_tables.record_tables(
                conn, why="one-branch backup of a firm ledger: the firm's calendar and policies as they stood", actor=by
            )

    partial = target.with_name(f".{target.name}.partial")
    try:
        copy = Ledger(partial, create=True)
        copy_history(
            ledger.backend,
            copy,
            branches or {code: code for code in _branches_of(ledger.backend)},
            whole=branches is None,
            rows_as_they_stand=bool(branches),
            listener=listener,
            finish=tables_as_they_stood if branches else None,
        )
        copy.engine.dispose()
        os.replace(partial, target)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
            if leftover.exists():
                leftover.unlink()


def _branch_codes(ledger: Ledger) -> list[str]:
    """A firm ledger's branches, each of whose data a whole backup holds."""
    with ledger.reading() as conn:
        return [code for (code,) in conn.exec_driver_sql("SELECT code FROM branches ORDER BY code")]


def _branches_of(backend) -> list[str]:
    with backend.reading() as conn:
        return [code for (code,) in conn.execute("SELECT DISTINCT branch FROM events ORDER BY branch")]


def _looks_like_ledger(path: Path) -> None:
    if not path.is_file():
        raise ComplaintError(_("no backup at {path}").format(path=path))
    with path.open("rb") as f:
        if f.read(16) != SQLITE_HEADER:
            raise ComplaintError(_("{path} is not a complaintctl ledger (not an SQLite file)").format(path=path))


def _events_missing_from(ledger_path: Path, backup_path: Path) -> tuple[int, str | None]:
    """How many of the ledger's newest events the backup lacks (the chain makes the rest follow)."""
    current = sqlite3.connect(ledger_path)  # both exist: checked before; only read
    other = sqlite3.connect(backup_path)
    try:
        missing, newest = 0, None
        for digest, kind, recorded in current.execute("SELECT hash, kind, recorded_at FROM events ORDER BY id DESC"):
            if other.execute("SELECT 1 FROM events WHERE hash = ?", (digest,)).fetchone():
                break
            missing += 1
            newest = newest or _("'{kind}' recorded {recorded}").format(kind=kind, recorded=recorded)
        return missing, newest
    finally:
        current.close()
        other.close()


def restore(
    ledger_path: Path, source: str | os.PathLike, *, force: bool, by: str, listener: Listener | None = None
) -> Copied:
    """Replace the ledger with a checked backup; the ledger replaced is kept beside it.

    A firm ledger's events are never deleted, even by a restore: on PostgreSQL a backup is restored
    into a database that holds no ledger yet, every branch as it was.
    """
    source = Path(source).expanduser()
    _looks_like_ledger(source)
    if isinstance(ledger_path, str):
        return _restore_firm(ledger_path, source, by=by, listener=listener)
    if source.resolve() == ledger_path.resolve():
        raise ComplaintError(_("that file is the ledger itself"))
    _require_sound_backup(source, listener)
    kept = None
    if ledger_path.exists():
        Ledger(ledger_path).engine.dispose()  # refuses anything that is not a ledger, before we touch it
        missing, newest = _events_missing_from(ledger_path, source)
        if missing and not force:
            raise ComplaintError(
                _(
                    "{ledger_path} holds {missing} event(s) the backup lacks, the newest {newest}; "
                    "nothing was changed (use --force to replace it anyway; it is kept)"
                ).format(ledger_path=ledger_path, missing=missing, newest=newest)
            )
        kept = ledger_path.with_name(f"{ledger_path.name}.replaced-{stamp()}.db")
        snapshot(ledger_path, kept, listener)
        _write_over(source, ledger_path)
    else:
        ledger_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        snapshot(source, ledger_path, listener)
    attachments = copy_attachments(
        archive_of(source), archive_of(ledger_path), listener, recorded_attachments(backend_for(source))
    )
    ledger = Ledger(ledger_path)  # upgrades an older backup's schema (keeping a copy first)
    ledger.record("restored", by, {"from": str(source.resolve()), "kept": str(kept) if kept else None})
    ledger.engine.dispose()
    checked = _require_sound_restored(ledger_path, archive_of(ledger_path), kept, listener)
    return Copied(ledger_path, checked, attachments, kept)


def _restore_firm(url: str, source: Path, *, by: str, listener: Listener | None) -> Copied:
    target = backend_for(url)
    origin = str(source.resolve())
    resuming = target.exists() and _interrupted_restore(target, source, origin)
    if target.exists() and resuming is None:
        raise ComplaintError(
            _(
                "the database {label} already holds a ledger, and a firm ledger's events are never "
                "deleted; restore into a new, empty database (createdb) and point --db at it"
            ).format(label=target.label)
        )
    _require_sound_backup(source, listener)
    ledger = Ledger(url, create=True)
    if not resuming:  # else a run killed while it copied the attachments: its events are all there

        def restored(session, _moved) -> None:  # with the events, so that a run killed later is recognised
            ledger.append(session, None, "restored", clock.iso(clock.now()), by, {"from": origin, "kept": None})

        copy_history(
            backend_for(source),
            ledger,
            {code: code for code in _branches_of(backend_for(source))},
            whole=True,
            listener=listener,
            finish=restored,
        )
    attachments = copy_attachments(
        archive_of(source), ledger.archive, listener, recorded_attachments(backend_for(source))
    )
    checked = require_sound(url, ledger.archive, listener=listener)
    ledger.engine.dispose()
    return Copied(url, checked, attachments)


def _interrupted_restore(target, source: Path, origin: str) -> bool | None:
    """Whether the database holds what an unfinished restore of `source` left: True when its events
    are all there and the newest is that restore's own (only attachments may be missing), False when
    it holds no event at all; None for anything else (a ledger that is not to be touched)."""
    with target.reading() as conn:
        count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        newest = conn.execute("SELECT kind, payload FROM events ORDER BY id DESC LIMIT 1").fetchone()
    if count == 0:
        return False
    with backend_for(source).reading() as conn:
        theirs = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    if newest[0] == "restored" and json.loads(newest[1]).get("from") == origin and count == theirs + 1:
        return True
    return None


def _require_sound_backup(source: Path, listener: Listener | None) -> Verified:
    """The backup checked whole before anything is touched: SQLite's integrity_check (every index
    against its table, which quick_check does not), the chain, every complaint and attachment."""
    return require_sound(
        source, archive_of(source) if archive_of(source).is_dir() else None, listener=listener, full=True
    )


def _require_sound_restored(ledger_path: Path, archive: Path, kept: Path | None, listener: Listener | None) -> Verified:
    """The restored ledger checked as fully as the backup was, before the restore is reported done."""
    result = verify(ledger_path, archive if archive.is_dir() else None, listener=listener, full=True)
    if result.problems:
        where = _("; the ledger it replaced is kept as {kept}").format(kept=kept) if kept else ""
        raise ComplaintError(
            _("the restored ledger {path} fails its check: {problem}{where}").format(
                path=ledger_path, problem=result.problems[0], where=where
            ),
            exit_code=DAMAGED,
        )
    return result


def _write_over(source: Path, ledger_path: Path) -> None:
    """Copy the backup's pages into the live ledger in one transaction (other processes see old or new)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(ledger_path)
    try:
        dst.execute(f"PRAGMA busy_timeout = {busy_timeout()}")
        src.backup(dst)
    except sqlite3.OperationalError as exc:
        raise ComplaintError(
            _("could not restore into {ledger_path}: {exc}; the ledger is unchanged").format(
                ledger_path=ledger_path, exc=exc
            )
        ) from None
    finally:
        dst.close()
        src.close()
