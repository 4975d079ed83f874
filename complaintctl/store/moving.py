"""Copying a ledger's history into another ledger, events and hashes exactly as they were.

One operation serves three commands:
- `move-to`: a branch's own file moves into the firm ledger as one branch (its '' chain becomes
  the branch's chain there), without renumbering: numbers are cited in letters and tickets;
- `backup` of a firm ledger: every branch, or one, into a new portable SQLite file;
- `restore` of such a file into a new firm database.

Events are copied in their order, with their hashes; they are not re-hashed, because the branch is
not part of an event's hash. Each complaint's current state is then rebuilt by folding its events
in the target, never copied, so the target is consistent by construction; `verify` checks it after.
Copying again copies nothing twice: the target's chain of a branch must be the start of the
source's, and only what follows is copied. A target holding anything else for that branch is
refused, unchanged. Attachments are copied after the events, each to a temporary name, checked
against the SHA-256 recorded for it, then renamed: a command killed while copying them is finished
by running it again, which replaces any file that is not what was recorded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from complaintctl.rules import clock
from complaintctl.rules.complaint import columns_of, fold, record_json
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _
from complaintctl.store.ledger import ARCHIVE_TEMP, Ledger, remove_stale_copies, sha256_file, store_file
from complaintctl.progress import Listener, counted

if TYPE_CHECKING:
    from sqlmodel import Session

EVENT_COLUMNS = (
    "branch",
    "complaint",
    "kind",
    "at",
    "recorded_at",
    "actor",
    "payload",
    "prev_hash",
    "hash",
    "login",
    "written_at",
)  # a copy keeps each event's server stamp: its hash covers it
HASH = EVENT_COLUMNS.index("hash") - 1  # in a row read as (id, branch, *rest)
# Ledger-wide state kept in rows beside the events: copied with their event's new id.
STATE_TABLES = {
    "calendar_days": ("day", "kind", "note"),
    "calendar_years": ("year", "source"),
    "policies": ("effective_from", "data"),
}
CHUNK = 5000


@dataclass
class Moved:
    events: int = 0  # copied now
    already: int = 0  # found in the target from an earlier run
    complaints: int = 0  # rebuilt in the target
    attachments: int = 0  # files copied
    notices: list[str] = field(default_factory=list)


def copy_history(
    source,
    target: Ledger,
    branches: dict[str, str],
    *,
    by: str | None = None,
    names: dict[str, str] | None = None,
    whole: bool = False,
    rows_as_they_stand: bool = False,
    listener: Listener | None = None,
    finish: Callable[[Session, Moved], None] | None = None,
    check: Callable[[Session], None] | None = None,
) -> Moved:
    """Copy the events of `source` (a backend) branch by branch into `target`, as `branches` maps them.

    `names` names target branches the firm ledger does not know yet (recorded as `branch_added`
    by `by`). `whole` also copies the branches table and settings (a backup or restore). One
    transaction: a refusal half-way leaves the target as it was. The events stream through in
    chunks, so a branch of millions of events needs no more memory than one of thousands. `finish`
    records what the copy was for (moved in, restored) in the same transaction: a command killed
    later, while it copies attachments, is recognised and finished when run again.
    `rows_as_they_stand`: calendar days and policies set by events the copy leaves out are copied all
    the same (one branch's backup of a firm: the firm's rules, recorded as they stood by `finish`).
    `check` may refuse the copy once the target's branches are locked, before anything is copied.

    """
    moved = Moved()
    wanted = tuple(branches)
    with source.reading() as reading, target.transaction() as session:
        conn = session.connection()
        target.backend.require_copier(conn, target.label)
        state = {
            table: reading.execute(f"SELECT {', '.join(columns)}, event FROM {table}").fetchall()
            for table, columns in STATE_TABLES.items()
        }
        extra = (
            {table: reading.execute(f"SELECT * FROM {table}").fetchall() for table in ("branches", "settings")}
            if whole
            else {}
        )
        referred = {row[-1] for rows in (*state.values(), extra.get("branches", [])) for row in rows}
        _add_branches(target, session, names or {}, by)
        for code in sorted(set(branches.values())):  # a branch this copy brings is locked by being uncommitted
            target.lock(session, code, new_ok=True)
        if check is not None:
            check(session)
        have = {
            code: [h for (h,) in conn.exec_driver_sql("SELECT hash FROM events WHERE branch = ? ORDER BY id", (code,))]
            for code in set(branches.values())
        }
        seen = dict.fromkeys(branches.values(), 0)
        hash_of: dict[int, tuple[str, str]] = {}  # source event id → (target branch, hash), for the state rows
        touched: set[tuple[str, str]] = set()
        batch: list[tuple] = []
        insert = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
        total = reading.execute(
            f"SELECT count(*) FROM events WHERE branch IN ({', '.join('?' * len(wanted))})", wanted
        ).fetchone()[0]
        rows = reading.execute(
            f"SELECT id, {', '.join(EVENT_COLUMNS)} FROM events "
            f"WHERE branch IN ({', '.join('?' * len(wanted))}) ORDER BY id",
            wanted,
        )
        for event_id, branch, *rest in counted(rows, listener, _("copying the events"), total):
            code, digest = branches[branch], rest[HASH]
            if event_id in referred:
                hash_of[event_id] = (code, digest)
            position = seen[code]
            seen[code] += 1
            if position < len(have[code]):
                if have[code][position] != digest:
                    raise _different(code, len(have[code]))
                moved.already += 1
                continue
            batch.append((code, *rest))
            if rest[0] is not None:
                touched.add((code, rest[0]))
            if len(batch) >= CHUNK:
                conn.exec_driver_sql(insert, batch)
                moved.events += len(batch)
                batch = []
        if batch:
            conn.exec_driver_sql(insert, batch)
            moved.events += len(batch)
        for code, count in seen.items():
            if count < len(have[code]):  # the target went on where this ledger did not
                raise _different(code, len(have[code]))
        moved.complaints = _rebuild(conn, touched, listener)
        event_ids = _ids_of(conn, hash_of)
        for table, rows_of_table in state.items():
            _merge_state(conn, table, rows_of_table, event_ids, moved, rows_as_they_stand)
        for table, rows_of_table in extra.items():
            _copy_rows(conn, table, rows_of_table, event_ids)
        if finish is not None:
            finish(session, moved)
    target.forget_cached()
    return moved


def _different(code: str, count: int) -> ComplaintError:
    return ComplaintError(
        _(
            "the target already holds a different history for branch {branch} ({count} events that "
            "are not this ledger's); nothing was copied"
        ).format(branch=code or "''", count=count)
    )


def _add_branches(target: Ledger, session, names: dict[str, str], by: str | None) -> None:
    from complaintctl.store.ledger_wide_models import Branch

    for code, name in names.items():
        if session.get(Branch, code) is None:
            event = target.append(
                session, None, "branch_added", clock.iso(clock.now()), by, {"code": code, "name": name}, branch=""
            )
            session.add(Branch(code=code, name=name, event=event.id))
            session.flush()


def _ids_of(conn, hash_of: dict[int, tuple[str, str]]) -> dict[int, int]:
    """Source event id → the same event's id in the target (found by its branch and hash)."""
    found = {}
    for source_id, (code, digest) in hash_of.items():
        row = conn.exec_driver_sql("SELECT id FROM events WHERE branch = ? AND hash = ?", (code, digest)).first()
        found[source_id] = row[0] if row else 0
    return found


def _rebuild(conn, touched: set[tuple[str, str]], listener: Listener | None) -> int:
    """Each touched complaint folded from all its events in the target, and its row written (one ordered scan)."""
    if not touched:
        return 0
    codes = tuple({branch for branch, _number in touched})
    events = conn.exec_driver_sql(
        "SELECT branch, complaint, id, kind, at, actor, payload FROM events WHERE complaint IS NOT NULL AND "
        f"branch IN ({', '.join('?' * len(codes))}) ORDER BY branch, complaint, id",
        codes,
        execution_options={"stream_results": True},
    )  # a server-side cursor: one complaint in memory at a time
    stage, done = _("rebuilding each complaint from its events"), 0
    current, history, last = None, [], None
    for branch, number, event_id, kind, at, actor, payload in events:
        if (branch, number) != current:
            if history:
                _write_state(conn, current, fold(history), last)
                done += 1
                if listener and done % 1024 == 0:
                    listener(stage, done, len(touched))
            current, history = (branch, number), []
        if current in touched:  # the whole history: a void takes an earlier entry out (rules.complaint.fold)
            history.append((kind, json.loads(payload), at, actor))
            last = event_id
    if history:
        _write_state(conn, current, fold(history), last)
        done += 1
    if listener:
        listener(stage, done, done)
    return done


def _write_state(conn, key: tuple[str, str], record: dict, last: int) -> None:
    values = dict(columns_of(record), last_event=last, record=record_json(record))
    names = ", ".join(values)
    conn.exec_driver_sql(
        f"INSERT INTO complaints (branch, id, year, seq, {names}) VALUES (?, ?, ?, ?, {', '.join('?' * len(values))}) "
        f"ON CONFLICT (branch, id) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in values)}",
        (*key, record["year"], record["seq"], *values.values()),
    )


def _merge_state(conn, table: str, rows: list, event_ids: dict[int, int], moved: Moved, as_they_stand: bool) -> None:
    """Calendar corrections and policies: copied where the target has none for the day; a policy the
    target holds otherwise is refused (it would move the branch's deadlines), a calendar day kept as the firm has it."""
    key, *rest = STATE_TABLES[table]
    for *values, event in rows:
        if not event_ids.get(event) and not as_they_stand:
            # No event copied here set it (a firm's one-branch backup holds the firm's rows without the
            # firm's events): the target keeps its own, and its chain can rebuild every row it holds.
            moved.notices.append(
                _("{table} {key}: not copied, as no event of the copied history records it").format(
                    table=table, key=values[0]
                )
            )
            continue
        mine = conn.exec_driver_sql(f"SELECT {', '.join(rest)} FROM {table} WHERE {key} = ?", (values[0],)).first()
        if mine is None:
            conn.exec_driver_sql(
                f"INSERT INTO {table} ({key}, {', '.join(rest)}, event) VALUES (?, {', '.join('?' * len(rest))}, ?)",
                (*values, event_ids.get(event, 0)),
            )
        elif tuple(mine) != tuple(values[1:]):
            if table == "policies":
                raise ComplaintError(
                    _(
                        "the target ledger has another policy from {day}; the branch's deadlines "
                        "would change, so nothing was copied (`complaintctl policy show` on both)"
                    ).format(day=values[0]),
                    "CSA 9.4",
                )
            moved.notices.append(
                _("{table} {key}: the firm ledger's entry is kept ({mine}); this ledger had {theirs}").format(
                    table=table, key=values[0], mine=tuple(mine), theirs=tuple(values[1:])
                )
            )


def _copy_rows(conn, table: str, rows: list, event_ids: dict[int, int]) -> None:
    """Branches and settings of a whole copy, where the target has none yet."""
    key = "code" if table == "branches" else "key"
    for row in rows:
        if conn.exec_driver_sql(f"SELECT 1 FROM {table} WHERE {key} = ?", (row[0],)).first():
            continue
        values = (*row[:-1], event_ids.get(row[-1], 0)) if table == "branches" else tuple(row)
        conn.exec_driver_sql(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values))})", values)


def move_in(
    branch: Ledger, firm: Ledger, code: str, *, name: str | None, by: str, listener: Listener | None = None
) -> Moved:
    """A branch's own ledger file into the firm ledger as branch `code`: every event with its hash,
    every attachment, then the firm ledger verified. Running it again copies only what is new."""
    from complaintctl.store.integrity import require_sound
    from complaintctl.store.settings import config

    if branch.firm:
        raise ComplaintError(
            _(
                "{path} holds branches already (a firm ledger or its backup); move a branch's own "
                "file, or restore the backup into a new database"
            ).format(path=branch.label)
        )
    if firm.backend.dialect == "sqlite":
        raise ComplaintError(_("move-to takes a firm ledger's postgresql:// URL, not a file"))
    require_sound(branch.target, branch.archive, listener=listener)  # a damaged history is not moved anywhere
    name = (name or "").strip() or config(branch).get("branch") or code

    def moved_in(session, moved: Moved) -> None:  # with the events: a run killed while copying files keeps it
        if moved.events:  # never in the chain moved in (working at that branch): it would differ from its file
            firm.append(
                session,
                None,
                "moved_in",
                clock.iso(clock.now()),
                by,
                {"branch": code, "from": str(Path(branch.target).resolve()), "events": moved.events},
                branch="" if firm.branch == code else None,
            )

    first = _first_hash(branch.backend)

    def not_moved_elsewhere(session) -> None:
        if first is not None:
            firm.lock(session, "")  # one move at a time decides which code a history is under
            _moved_as(session.connection(), firm.label, code, first)

    moved = copy_history(
        branch.backend,
        firm,
        {"": code},
        by=by,
        names={code: name},
        listener=listener,
        finish=moved_in,
        check=not_moved_elsewhere,
    )
    moved.attachments = copy_attachments(
        branch.archive, firm.archive_for(code), listener, recorded_attachments(branch.backend)
    )
    require_sound(firm.target, firm.archive, listener=listener)
    return moved


def _first_hash(source) -> str | None:
    """The hash of a branch file's first event: what its history is known by wherever it was moved. A copy keeps
    every hash, so a history moved in again, whole, as a prefix or gone on since, starts with the same event."""
    with source.reading() as conn:
        row = conn.execute("SELECT hash FROM events WHERE branch = '' ORDER BY id LIMIT 1").fetchone()
    return row[0] if row else None


def _moved_as(conn, label: str, code: str, first: str) -> None:
    """Refuse a history the firm ledger already holds under another code (not withdrawn): moving it again would
    count each of its complaints twice, and events are never deleted (issue 42)."""
    from complaintctl.store.chain_tables import WITHDRAWN_SQL

    others = conn.exec_driver_sql(
        f"SELECT code FROM branches WHERE code <> ? AND code NOT IN ({WITHDRAWN_SQL}) ORDER BY code", (code,)
    ).all()
    for (other,) in others:
        head = conn.exec_driver_sql("SELECT hash FROM events WHERE branch = ? ORDER BY id LIMIT 1", (other,)).first()
        if head is not None and head[0] == first:
            raise ComplaintError(
                _(
                    "this ledger's history was moved into {label} as branch {other} already; it is not moved in "
                    "again as {code}, which would count its complaints twice (if {other} is the wrong code: "
                    "`complaintctl branch withdraw {other} --reason TEXT`, then move it in again)"
                ).format(label=label, other=other, code=code),
                "CSA 9.4",
            )


def copy_attachments(
    source: Path, dest: Path, listener: Listener | None = None, recorded: dict[str, str] | None = None
) -> int:
    """Copy the archive at `source` into `dest`; how many files were copied.

    Each file goes by `store_file`: a temporary name, flushed, its hash checked, then renamed. A file
    already at `dest` is kept only when it holds the SHA-256 recorded for it (`recorded`: its path
    in the archive → SHA-256, see `recorded_attachments`), or without a record the source's bytes;
    otherwise it is copied again. So a copy killed half-way is finished by running the command
    again, and the temporary copies it left are removed.
    """
    remove_stale_copies(dest)
    copied = 0
    if not source.is_dir():
        return 0
    recorded = recorded or {}
    files = [p for p in sorted(source.rglob("*")) if p.is_file() and not p.name.startswith(ARCHIVE_TEMP)]
    for path in counted(files, listener, _("copying attachments"), len(files), every=1):
        relative = path.relative_to(source).as_posix()
        target = dest / relative
        expected = recorded.get(relative)
        if expected is None and target.is_file():
            expected = sha256_file(path)  # no record: kept if it is the source's bytes
        copied += store_file(path, target.parent, target.name, expected=expected).copied
    if dest.is_dir():
        os.chmod(dest, 0o700)
    return copied


def recorded_attachments(source) -> dict[str, str]:
    """Every attachment a ledger (a backend) records: its path in the archive → the SHA-256 recorded
    when it was attached. In a ledger of branches each branch's files are in a folder of its own."""
    found = {}
    with source.reading() as conn:
        for branch, payload in conn.execute("SELECT branch, payload FROM events WHERE kind = 'attached'"):
            data = json.loads(payload)
            if data.get("stored_as") and data.get("sha256"):
                found[f"{branch}/{data['stored_as']}" if branch else data["stored_as"]] = data["sha256"]
    return found
