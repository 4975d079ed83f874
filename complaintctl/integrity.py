"""`verify`: is the ledger exactly what its events say, untouched since they were written?

Four checks, each naming the first problem it finds:
1. SQLite's own `PRAGMA integrity_check` (the file's structure; a PostgreSQL server keeps its own);
2. the hash chains, one per branch: every event's SHA-256 over its canonical content and the
   previous event's hash;
3. the current state: each complaint's record and query columns rebuilt by folding its events;
4. the archive: every attachment's file present with the SHA-256 recorded when it was attached.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from complaintctl.backends import backend_for
from complaintctl.complaint import apply, columns_of, record_json
from complaintctl.errors import DAMAGED, ComplaintError
from complaintctl.ledger import GENESIS_HASH, event_hash, sha256_file
from complaintctl.i18n import _
from complaintctl.progress import Listener, counted


PARALLEL_FROM = 64 * 2**20  # bytes: below this a second process costs more than it saves


@dataclass
class Verified:
    events: int = 0
    complaints: int = 0
    attachments: int = 0
    head: str = GENESIS_HASH  # of the branch's own chain ('' in its file), else of the newest event
    heads: dict[str, str] = field(default_factory=dict)  # each branch's chain head
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


def verify(path: Path | str, archive: Path | None = None, first_only: bool = True, state: bool = True,
           listener: Listener | None = None) -> Verified:
    """Run the checks on the ledger at `path` (a file, or a postgresql:// URL).

    `problems` lists what is wrong (only the first unless first_only=False). `state=False` skips
    rebuilding the current state (for a backup just written, whose chain and structure are enough).
    On a machine with more than one core, the structure and chain are checked in a second process
    while this one rebuilds the state: the two halves take about as long as each other.
    `listener` hears how far each half has got (see complaintctl.progress).
    """
    backend = backend_for(path)
    if backend.path is not None and not backend.path.is_file():
        return Verified(problems=["no such file"])
    if not state:
        return _structure_and_chain(str(path), listener)
    import multiprocessing

    if backend.path is not None:
        small = backend.path.stat().st_size < PARALLEL_FROM
    else:
        small = (_total(path, CHAIN_TOTAL) or 0) < PARALLEL_FROM // 1024  # events: about 1 KiB each
    if small or (os.cpu_count() or 1) < 2 or multiprocessing.parent_process() is not None:
        result = _structure_and_chain(str(path), listener)
        if not result.problems:
            _read(path, lambda conn: _check_state(conn, result, archive, first_only, listener), result)
        return result
    context = multiprocessing.get_context("fork")
    global _chain_done
    # The chain's count crosses to this process in shared memory, inherited by the forked worker.
    _chain_done = context.RawValue("q", 0) if listener else None
    both = _both_halves(listener, _total(path, CHAIN_TOTAL)) if listener else None
    with context.Pool(1) as pool:
        chain = pool.apply_async(_structure_and_chain, (str(path), _chain_listener if listener else None))
        result = Verified()
        _read(path, lambda conn: _check_state(conn, result, archive, first_only, both), result)
        while both and not chain.ready():
            chain.wait(0.1)
            both(None, 0, None)
        first = chain.get()
        if both:
            both(None, 0, None)
    first.complaints, first.attachments = result.complaints, result.attachments
    first.problems += result.problems  # structure and chain problems come first: they explain the rest
    return first


def _read(path, check, result: Verified) -> None:
    # Only reads are issued, inside one transaction: one consistent snapshot.
    backend = backend_for(path)
    try:
        with backend.reading() as conn:
            check(conn)
    except backend.errors as exc:
        result.fail(_("cannot be read as a ledger ({exc}); restore it from a backup").format(exc=str(exc).strip()))


CHAIN_TOTAL = "SELECT max(id) FROM events"  # ids are never reused or deleted: the count, without a scan
STATE_TOTAL = "SELECT count(*) FROM complaints"

_chain_done = None  # the forked chain checker's count of events, when someone listens


def _chain_stage() -> str:
    return _("checking the file and its hash chain")


def _state_stage() -> str:
    return _("rebuilding each complaint from its events")


def _total(path, sql: str) -> int | None:
    backend = backend_for(path)
    try:
        with backend.reading() as conn:
            return conn.execute(sql).fetchone()[0]
    except backend.errors:
        return None  # the checks themselves will say what is wrong


def _chain_listener(stage: str, done: int, total: int | None) -> None:
    _chain_done.value = done


def _both_halves(listener: Listener, chain_total: int | None) -> Listener:
    """Passes on the state's progress and, with it, the chain's as the other process counts it."""
    def both(stage, done, total):
        if stage is not None:
            listener(stage, done, total)
        listener(_chain_stage(), _chain_done.value, chain_total)
    return both


def _structure_and_chain(path: str, listener: Listener | None = None) -> Verified:
    result = Verified()

    def check(conn) -> None:
        problem = backend_for(path).check_structure(conn)
        if problem:
            result.fail(problem)
            return
        _check_chain(conn, result, listener)

    if listener:
        listener(_chain_stage(), 0, _total(path, CHAIN_TOTAL))
    _read(path, check, result)
    return result


def _check_chain(conn, result: Verified, listener: Listener | None) -> None:
    """Each branch's events, in id order, chained from the genesis hash (one pass over all of them)."""
    heads = result.heads
    rows = conn.execute(
        "SELECT branch, id, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash FROM events ORDER BY id")
    if listener:
        rows = counted(rows, listener, _chain_stage(), conn.execute(CHAIN_TOTAL).fetchone()[0])
    digest = GENESIS_HASH
    for branch, number, complaint, kind, at, recorded, actor, payload, prev_hash, digest in rows:
        result.events += 1
        prev = heads.get(branch, GENESIS_HASH)
        if prev_hash != prev:
            result.fail(_("event {number}: the hash chain is broken before it (an event was removed or inserted)").format(number=number))
            return
        if event_hash(prev, complaint, kind, at, recorded, actor, payload) != digest:
            result.fail(_("event {number} ({kind}{value}) was changed after it was written: its content no longer matches its hash").format(number=number, kind=kind, value=', ' + complaint if complaint else ''))
            return
        heads[branch] = digest
    result.head = heads.get("", digest)


def _check_state(conn, result: Verified, archive: Path | None, first_only: bool,
                 listener: Listener | None = None) -> None:
    """Fold each complaint's events and compare with the stored current state (a merge of two sorted scans)."""
    stored = conn.execute(
        "SELECT branch, id, status, received_at, received_day, category, handler, complainant_key, parent, is_open, "
        "ended_day, last_event, record FROM complaints ORDER BY branch, id")
    if listener:
        stored = counted(stored, listener, _state_stage(), conn.execute(STATE_TOTAL).fetchone()[0])
    events = iter(conn.execute(
        "SELECT branch, complaint, id, kind, at, actor, payload FROM events WHERE complaint IS NOT NULL "
        "ORDER BY branch, complaint, id"))
    pending = next(events, None)
    names = ("status", "received_at", "received_day", "category", "handler", "complainant_key", "parent",
             "is_open", "ended_day")
    for branch, number, *columns, last_event, text in stored:
        result.complaints += 1
        record, last_id = None, None
        while pending is not None and (pending[0], pending[1]) < (branch, number):
            result.fail(_("events of {number} exist but the complaint is missing from the current state").format(number=_named(pending[0], pending[1])))
            if first_only:
                return
            pending = next(events, None)
        while pending is not None and pending[0] == branch and pending[1] == number:
            _branch, _complaint, last_id, kind, at, actor, payload = pending
            record = apply(record, kind, json.loads(payload), at, actor)
            pending = next(events, None)
        problem = _compare(_named(branch, number), record, last_id, dict(zip(names, columns)), last_event, text)
        if problem is None:
            problem = _check_attachments(_named(branch, number), record,
                                         archive / branch if archive is not None and branch else archive, result)
        if problem:
            result.fail(problem)
            if first_only:
                return
    if pending is not None:
        result.fail(_("events of {number} exist but the complaint is missing from the current state").format(number=_named(pending[0], pending[1])))


def _named(branch: str, number: str) -> str:
    return f"{branch}/{number}" if branch else number


def _compare(number: str, record: dict | None, last_id, columns: dict, last_event: int, text: str) -> str | None:
    if record is None:
        return _("{number} has a current state but no events: it was not made by complaintctl").format(number=number)
    # The stored text is this same fold written by json.dumps, so equal text is the fast, common case.
    if record_json(record) != text and json.loads(text) != record:
        stored = json.loads(text)
        keys = sorted(k for k in set(stored) | set(record) if stored.get(k) != record.get(k))
        return _("{number}: the stored current state differs from its events in {keys}").format(number=number, keys=', '.join(keys))
    expected = columns_of(record)
    wrong = [name for name, value in columns.items() if expected[name] != value]
    if wrong or last_event != last_id:
        return _("{number}: the stored query columns differ from its events ({value})").format(number=number, value=', '.join(wrong or ['last_event']))
    return None


def _check_attachments(number: str, record: dict, archive: Path | None, result: Verified) -> str | None:
    for attachment in record.get("attachments", []):
        result.attachments += 1
        if archive is None:
            continue
        path = archive / attachment["stored_as"]
        if not path.is_file():
            return _("{number}: attachment {file} is missing from the archive ({path})").format(number=number, file=attachment['file'], path=path)
        if sha256_file(path) != attachment["sha256"]:
            return _("{number}: attachment {file} was changed since it was attached (SHA-256 differs)").format(number=number, file=attachment['file'])
    return None


def require_sound(path: Path | str, archive: Path | None = None, state: bool = True,
                  listener: Listener | None = None) -> Verified:
    result = verify(path, archive, state=state, listener=listener)
    if result.problems:
        raise ComplaintError(_("{path}: {value}").format(path=backend_for(path).label, value=result.problems[0]),
                             exit_code=DAMAGED)
    return result
