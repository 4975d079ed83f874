"""`verify`: is the ledger exactly what its events say, untouched since they were written?

These checks, each naming what it finds wrong:
1. the file's structure: SQLite's `PRAGMA quick_check`, or with --full its `integrity_check`, which
   also checks every index against its table (a PostgreSQL server keeps its own pages);
2. the hash chains, one per branch: every event's SHA-256 over its canonical content and the
   previous event's hash;
3. with anchors (`verify --anchor`, complaintctl/anchor.py): each anchored event still in its chain,
   at the same position, with the same hash; the only check that sees a chain rewritten and rehashed
   whole, or cut short, since the anchor was taken;
4. the current state: each complaint's record and query columns rebuilt by folding its events;
5. the tables that decide deadlines (calendar, policies, settings, branches) rebuilt from their
   events (complaintctl/chain_tables.py);
6. the archive: every attachment's file present with the SHA-256 recorded when it was attached.

Checks 2 and 3 are one pass over the events in id order: the table is read as it lies on disk, and
only the complaints still in flight are held in memory. A complaint is compared with its stored
state at its last event, then forgotten. The pass is cut into stretches of ids that run on every
core; each stretch hands its neighbour the chain heads at its end and the folds still in flight,
and `_stitch` joins them in order, so the answer is the same however the events were cut. Each
stretch also counts its events per chain and notes the anchored events it meets, so an anchor's
position is known from the same pass.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from complaintctl.rules.anchor import Anchor
from complaintctl.store.backends import Reader, backend_for
from complaintctl.rules.complaint import apply, columns_of, record_json, typed_number
from complaintctl.errors import DAMAGED, ComplaintError
from complaintctl.store.asof import fold as refold
from complaintctl.store.chain import GENESIS_HASH, event_hash
from complaintctl.store.ledger import sha256_file
from complaintctl.i18n import _
from complaintctl.progress import Listener

PARALLEL_FROM = 16 * 2**20  # bytes: below this a second process costs more than it saves
PARTS_PER_CORE = 4  # stretches per core: the structure check and the stretches even out across cores
TELL_EVERY = 4096  # events between progress reports

EVENTS_SQL = (
    "SELECT branch, id, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, {stamp} "
    "FROM events "
    "WHERE id BETWEEN ? AND ? ORDER BY id"
)
STORED_SQL = (
    "SELECT status, received_at, received_day, category, handler, complainant_key, parent, is_open, "
    "ended_day, rectification_due, rectified_day, last_event, record FROM complaints WHERE branch = ? AND "
    "id = ?"
)
COLUMN_NAMES = (
    "status",
    "received_at",
    "received_day",
    "category",
    "handler",
    "complainant_key",
    "parent",
    "is_open",
    "ended_day",
    "rectification_due",
    "rectified_day",
)
LAST_EVENT = len(COLUMN_NAMES)  # STORED_SQL's columns, then last_event, then the record
NO_EVENTS_SQL = (
    "SELECT c.branch, c.id FROM complaints c WHERE NOT EXISTS (SELECT 1 FROM events e "
    "WHERE e.branch = c.branch AND e.complaint = c.id AND e.id <= ?) ORDER BY c.branch, c.id LIMIT 1"
)


@dataclass
class Verified:
    events: int = 0
    complaints: int = 0
    attachments: int = 0
    head: str = GENESIS_HASH  # of the branch's own chain ('' in its file), else of the newest event
    heads: dict[str, str] = field(default_factory=dict)  # each branch's chain head
    counts: dict[str, int] = field(default_factory=dict)  # each branch's events (counted when anchors are checked)
    anchors: list[tuple[Anchor, str | None]] = field(default_factory=list)  # each anchor, and where it was found
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


def structure_stage() -> str:
    return _("checking the file's structure")


def events_stage() -> str:
    return _("checking the hash chain and complaints")


def verify(
    path: Path | str,
    archive: Path | None = None,
    first_only: bool = True,
    state: bool = True,
    listener: Listener | None = None,
    full: bool = False,
    parts: int | None = None,
    anchors: list[Anchor] | tuple = (),
) -> Verified:
    """Run the checks on the ledger at `path` (a file, or a postgresql:// URL).

    `problems` lists what is wrong (only the first unless first_only=False): structure first, then
    the chain, then the anchors, then the state and the ledger-wide tables, each in the order of the
    events. `state=False` skips rebuilding the current state and the tables (for a backup just
    written, whose chain and structure are enough). `anchors` are checked against the chains. `full` runs
    SQLite's integrity_check instead of quick_check. `parts` cuts the events into that many
    stretches (default: by size and cores); `listener` hears how far the checks have got.
    """
    backend = backend_for(path)
    if backend.path is not None and not backend.path.is_file():
        return Verified(problems=["no such file"])
    import multiprocessing

    cores = os.cpu_count() or 1
    size = backend.path.stat().st_size if backend.path is not None else None
    parallel = cores >= 2 and multiprocessing.parent_process() is None and (size is None or size >= PARALLEL_FROM)
    context = multiprocessing.get_context("fork")
    parts = parts or (cores * PARTS_PER_CORE if parallel else 1)
    global _told
    # How far each stretch has got, in shared memory the forked workers inherit.
    _told = context.RawArray("q", parts) if listener else None
    pool = None
    if parallel:  # forked before this process opens the ledger: a child inherits no open connection
        pool = context.Pool(min(cores, 8))
    try:
        return _verify(str(path), archive, first_only, state, listener, full, parts, pool, tuple(anchors))
    finally:
        _told = None
        if pool is not None:
            pool.terminate()
            pool.join()


_told = None  # each stretch's count of events checked, while someone listens


def _verify(path: str, archive, first_only, state, listener, full, parts, pool, anchors=()) -> Verified:
    backend = backend_for(path)
    result = Verified()
    try:
        with backend.reading() as conn:
            snapshot = Reader(conn)
            # The parent's snapshot fixes what is checked: events up to `last_id`, complaints as they stood.
            last_id = snapshot.exec_driver_sql("SELECT max(id) FROM events").scalar() or 0
            total = snapshot.exec_driver_sql("SELECT count(*) FROM complaints").scalar()
            bounds = _stretches(last_id, parts)
            told = _told
            located = _located(snapshot, anchors)
            marks = _marks(anchors, located, last_id)
            if listener:
                listener(structure_stage(), 0, None)
                listener(events_stage(), 0, last_id)
            jobs = [(path, lo, hi, archive, state, index, marks) for index, (lo, hi) in enumerate(bounds)]
            if pool is None:
                structure = _structure(path, full)
                if listener:
                    listener(structure_stage(), 1, 1)
                found = []
                for job in jobs:
                    found.append(_check_stretch(*job))
                    if listener:
                        listener(events_stage(), sum(told), last_id)
            else:
                structure_job = pool.apply_async(_structure, (path, full))
                waiting = [pool.apply_async(_check_stretch, job) for job in jobs]
                structure = _collect(structure_job, waiting, listener, told, last_id)
                found = [job.get() for job in waiting]
            if listener:
                listener(events_stage(), last_id, last_id)
            if structure:
                result.fail(structure)
            positions = {}
            later = _stitch(found, result, snapshot, state, archive, last_id, total, positions)
            result.problems += _check_anchors(snapshot, anchors, located, positions, result, backend.dialect)
            result.problems += later
            if state:
                result.problems += _check_tables(snapshot, backend.dialect)
    except backend.errors as exc:
        result.fail(_unreadable(exc))
    if first_only:
        del result.problems[1:]
    return result


def _collect(structure_job, waiting, listener, told, last_id) -> str | None:
    """Wait for every job, telling the listener how far the stretches have got meanwhile."""
    jobs = [structure_job, *waiting]
    structure_told = False
    while True:
        pending = [job for job in jobs if not job.ready()]
        if listener:
            if structure_job.ready() and not structure_told:
                listener(structure_stage(), 1, 1)
                structure_told = True
            listener(events_stage(), sum(told), last_id)
        if not pending:
            return structure_job.get()
        pending[0].wait(0.1)


def _stretches(last_id: int, parts: int) -> list[tuple[int, int]]:
    """Ids 1..last_id in `parts` stretches of about equal size (ids are never reused, so they are dense)."""
    parts = max(1, min(parts, last_id or 1))
    step = -(-max(last_id, 1) // parts)
    return [(lo, min(lo + step - 1, last_id)) for lo in range(1, max(last_id, 1) + 1, step)]


def _structure(path: str, full: bool) -> str | None:
    backend = backend_for(path)
    try:
        with backend.reading() as conn:
            return backend.check_structure(conn, full)
    except backend.errors as exc:
        return _unreadable(exc)


# -- one stretch of events ---------------------------------------------------------------------------


@dataclass
class Stretch:
    """What one stretch of events (ids lo..hi) found, for `_stitch` to join to its neighbours."""

    lo: int
    hi: int
    events: int = 0
    first: dict = field(default_factory=dict)  # branch → (id, prev_hash) of its first event here
    last: dict = field(default_factory=dict)  # branch → hash of its last event here
    newest: str | None = None  # the hash of the last event here
    counts: dict = field(default_factory=dict)  # branch → its events here (counted only when there are anchors)
    marked: dict = field(default_factory=dict)  # id → (branch, its position among the branch's events here, hash)
    chain: list = field(default_factory=list)  # (event id, problem) of the chain inside the stretch
    problems: list = field(default_factory=list)  # (event id, problem) of the state
    complaints: int = 0
    attachments: int = 0
    in_flight: dict = field(default_factory=dict)  # (branch, number) → Fold still open at hi
    earlier: dict = field(default_factory=dict)  # (branch, number) → events of folds begun before lo


class Fold:
    """One complaint being rebuilt: its record so far, its last event, and its stored row."""

    __slots__ = ("record", "last_id", "stored")

    def __init__(self, stored):
        self.record = None
        self.last_id = None
        self.stored = stored  # STORED_SQL's row, or None when the complaint is missing from the state


def _check_stretch(
    path: str, lo: int, hi: int, archive: Path | None, state: bool, index: int, marks: frozenset = frozenset()
) -> Stretch:
    found = Stretch(lo, hi)
    backend = backend_for(path)
    try:
        with backend.reading() as conn:
            reader = Reader(conn)
            _scan(reader, found, archive, state, index, _told, marks, _stamp_columns(backend.dialect, reader))
    except backend.errors as exc:
        found.chain.append((lo, _unreadable(exc)))
    return found


def _stamp_columns(dialect: str, conn) -> str:
    """The server's stamp (m008), or NULLs in a ledger written before it (a backup on its way to a restore)."""
    found = conn.exec_driver_sql(
        "SELECT 1 FROM pragma_table_info('events') WHERE name = 'login'"
        if dialect == "sqlite"
        else "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'events' "
        "AND column_name = 'login'"
    ).first()
    return "login, written_at" if found else "NULL, NULL"


def _scan(
    conn,
    found: Stretch,
    archive,
    state: bool,
    index: int,
    told,
    marks: frozenset = frozenset(),
    stamp: str = "login, written_at",
) -> None:
    first, last, chain, live, earlier = found.first, found.last, found.chain, found.in_flight, found.earlier
    counts, marked = found.counts, found.marked
    loads = json.loads
    count = 0
    digest = None
    for (
        branch,
        event_id,
        complaint,
        kind,
        at,
        recorded,
        actor,
        payload,
        prev_hash,
        digest,
        login,
        written,
    ) in conn.exec_driver_sql(EVENTS_SQL.format(stamp=stamp), (found.lo, found.hi), stream=True):
        count += 1
        if told is not None and count % TELL_EVERY == 0:
            told[index] = count
        before = last.get(branch)
        if before is None:
            first[branch] = (event_id, prev_hash)
        elif prev_hash != before:
            chain.append((event_id, _broken(event_id)))
        if event_hash(prev_hash, complaint, kind, at, recorded, actor, payload, login, written) != digest:
            chain.append((event_id, _changed(event_id, kind, complaint)))
        last[branch] = digest
        if marks:  # anchors to check: count each chain's events, and note where the anchored ones stand
            counts[branch] = counts.get(branch, 0) + 1
            if event_id in marks:
                marked[event_id] = (branch, counts[branch], digest)
        if not state or complaint is None:
            continue
        key = (branch, complaint)
        fold = live.get(key)
        if fold is None:
            if kind != "registered":  # a complaint registered before this stretch: its fold is the neighbour's
                earlier.setdefault(key, []).append((event_id, kind, at, actor, payload))
                continue
            fold = live[key] = Fold(conn.exec_driver_sql(STORED_SQL, key).first())
        fold.record = (
            refold(conn, branch, complaint, through=event_id)
            if kind == "voided"  # a void takes an earlier entry out: fold the complaint again without it
            else apply(fold.record, kind, loads(payload), at, actor)
        )
        fold.last_id = event_id
        if fold.stored is not None and event_id == fold.stored[LAST_EVENT]:
            del live[key]
            _finish(key, fold, archive, found)
    found.events = count
    found.newest = digest
    if told is not None:
        told[index] = count


def _finish(key: tuple[str, str], fold: Fold, archive: Path | None, found) -> None:
    """The complaint has had its last event: compare it with its stored state and its attachments."""
    branch, number = key
    found.complaints += 1
    *columns, last_event, text = fold.stored
    named = typed_number(branch, number)
    problem = _compare(named, fold.record, fold.last_id, dict(zip(COLUMN_NAMES, columns)), last_event, text)
    if problem is None:
        problem, counted = _check_attachments(named, fold.record, archive / branch if archive and branch else archive)
        found.attachments += counted
    if problem:
        found.problems.append((fold.last_id, problem))


# -- joining the stretches ---------------------------------------------------------------------------


def _stitch(
    found: list[Stretch],
    result: Verified,
    snapshot,
    state: bool,
    archive,
    last_id: int,
    total: int,
    positions: dict | None = None,
) -> list[str]:
    """Join the stretches in order: the chain across each seam, and the folds each hands on.

    Adds the chain's problems to `result` and returns the state's, for the anchors' to come between.
    `positions` receives each marked event's (branch, position in its chain, hash).
    """
    positions = {} if positions is None else positions
    counts: dict[str, int] = {}
    heads: dict[str, str] = {}
    chain: list = []
    problems: list = []
    carried: dict = {}  # folds still in flight, from every stretch so far
    told_of: set = set()  # complaints already named for events after their last
    seam = Stretch(0, 0)  # what the joining itself finds and finishes
    for stretch in found:
        result.events += stretch.events
        for branch, (event_id, prev_hash) in stretch.first.items():
            if prev_hash != heads.get(branch, GENESIS_HASH):
                chain.append((event_id, _broken(event_id)))
        heads.update(stretch.last)
        for event_id, (branch, position, digest) in stretch.marked.items():
            positions[event_id] = (branch, counts.get(branch, 0) + position, digest)
        for branch, count in stretch.counts.items():
            counts[branch] = counts.get(branch, 0) + count
        chain += stretch.chain
        problems += stretch.problems
        result.complaints += stretch.complaints
        result.attachments += stretch.attachments
        if stretch.newest:
            result.head = stretch.newest
        for key, events in stretch.earlier.items():
            fold = carried.pop(key, None)
            if fold is None:  # no registration before it: the complaint was finished already, or never begun
                if key not in told_of:  # once, however many stretches its stray events fall in
                    told_of.add(key)
                    problems.append((events[0][0], _without_fold(snapshot, key)))
                continue
            for position, (event_id, kind, at, actor, payload) in enumerate(events):
                fold.record = (
                    refold(snapshot, *key, through=event_id)
                    if kind == "voided"
                    else apply(fold.record, kind, json.loads(payload), at, actor)
                )
                fold.last_id = event_id
                if fold.stored is not None and event_id == fold.stored[LAST_EVENT]:
                    _finish(key, fold, archive, seam)
                    if position + 1 < len(events):
                        told_of.add(key)
                        problems.append((events[position + 1][0], _without_fold(snapshot, key)))
                    break
            else:
                carried[key] = fold
        carried.update(stretch.in_flight)
    # Folds never finished: a complaint changed since the snapshot (its stored row is newer), or a wrong state.
    for key, fold in carried.items():
        if fold.stored is not None and fold.stored[LAST_EVENT] > last_id:
            fold.stored = snapshot.exec_driver_sql(STORED_SQL, key).first()
        if fold.stored is None:
            seam.problems.append((last_id + 1, _missing(key)))
        else:
            _finish(key, fold, archive, seam)
    problems += seam.problems
    result.complaints += seam.complaints
    result.attachments += seam.attachments
    result.heads = heads
    result.counts = counts
    result.head = heads.get("", result.head)
    result.problems += [problem for _id, problem in sorted(chain, key=lambda item: item[0])]
    later: list[str] = []
    if state:
        later += [problem for _id, problem in sorted(problems, key=lambda item: item[0])]
        if result.complaints < total and not problems:
            row = snapshot.exec_driver_sql(NO_EVENTS_SQL, (last_id,)).first()
            if row:
                later.append(
                    _("{number} has a current state but no events: it was not made by complaintctl").format(
                        number=typed_number(*row)
                    )
                )
    return later


# -- anchors -------------------------------------------------------------------------------------------


def _located(snapshot, anchors) -> dict:
    """Each anchor's event found by its hash, in its own chain first, then in any (a copy may rename a
    chain: move-to makes a file's chain '' a branch's; a one-branch backup, the other way round)."""
    if not anchors:
        return {}
    others = [code for (code,) in snapshot.exec_driver_sql("SELECT code FROM branches ORDER BY code").all()]
    found = {}
    for anchor in anchors:
        found[anchor] = None
        for branch in dict.fromkeys([anchor.branch, "", *others]):
            row = snapshot.exec_driver_sql(
                "SELECT id FROM events WHERE branch = ? AND hash = ?", (branch, anchor.sha256)
            ).first()
            if row:
                found[anchor] = row[0]
                break
    return found


def _marks(anchors, located: dict, last_id: int) -> frozenset:
    """The ids whose position in their chain the pass notes: each anchor's, and its hash's."""
    return frozenset(i for i in [a.id for a in anchors] + list(located.values()) if i is not None and i <= last_id)


def _check_anchors(snapshot, anchors, located: dict, positions: dict, result: Verified, dialect: str) -> list[str]:
    """Each anchored event still at its place: same id, same position in its chain, same hash."""
    held: list[Anchor] = []
    failed: list[tuple[Anchor, str]] = []
    for anchor in anchors:
        at = positions.get(anchor.id)
        if at == (anchor.branch, anchor.count, anchor.sha256):
            held.append(anchor)
            result.anchors.append((anchor, None))
            continue
        moved = positions.get(located.get(anchor))
        if moved is not None and moved[1] == anchor.count:  # the same history under other ids or another chain
            held.append(anchor)
            result.anchors.append(
                (anchor, _("event {number} of chain {chain}").format(number=located[anchor], chain=moved[0] or "''"))
            )
            continue
        failed.append((anchor, _anchor_problem(snapshot, anchor, at, moved, located.get(anchor), dialect)))
    problems = []
    for anchor, problem in failed:
        before = [a for a in held if a.branch == anchor.branch and a.count < anchor.count]
        if before:
            last = max(before, key=lambda a: a.count)
            problem += _(
                "; the anchor at event {number} ({count} events) still holds, so the first change comes after it"
            ).format(number=last.id, count=last.count)
        problems.append(problem)
    return problems


def _anchor_problem(snapshot, anchor: Anchor, at, moved, moved_id, dialect: str) -> str:
    """What differs for an anchor that does not hold: the event gone, at another position, or another hash."""
    chain = anchor.branch or "''"
    name = _("anchor {chain} #{number} ({count} events, SHA-256 {digest}…)").format(
        chain=chain, number=anchor.id, count=anchor.count, digest=anchor.sha256[:16]
    )
    if at is not None and at[0] == anchor.branch and at[1] == anchor.count:
        return _(
            "{anchor}: event {number} no longer has that hash (it has {digest}…): events up to it were "
            "changed and the chain's hashes computed again since the anchor was taken"
        ).format(anchor=name, number=anchor.id, digest=at[2][:16])
    if at is not None and at[0] == anchor.branch:
        problem = _(
            "{anchor}: event {number} is now event {position} of chain {chain}, not {count}: events before "
            "it were removed or inserted since the anchor was taken"
        ).format(anchor=name, number=anchor.id, position=at[1], chain=chain, count=anchor.count)
    elif moved is not None:
        problem = _(
            "{anchor}: its hash is now event {number}, at position {position} of chain {chain}, not {count}: "
            "events before it were removed or inserted since the anchor was taken"
        ).format(anchor=name, number=moved_id, position=moved[1], chain=moved[0] or "''", count=anchor.count)
    else:
        last, count = snapshot.exec_driver_sql(
            "SELECT max(id), count(*) FROM events WHERE branch = ?", (anchor.branch,)
        ).first()
        if not count:
            return _("{anchor}: the ledger holds no events of chain {chain}").format(anchor=name, chain=chain)
        problem = _(
            "{anchor}: the ledger no longer holds event {number} in chain {chain}, which now ends at event "
            "{last} with {total} events: events were removed since the anchor was taken"
        ).format(anchor=name, number=anchor.id, chain=chain, last=last, total=count)
    gap = _first_gap(snapshot, anchor.id) if dialect == "sqlite" else None
    if gap is not None:
        problem += _("; event {number} is missing (ids go from {before} to {after})").format(
            number=gap[0] + 1, before=gap[0], after=gap[1]
        )
    return problem


def _first_gap(snapshot, up_to: int) -> tuple[int, int] | None:
    """In a ledger file ids follow each other without a gap (SQLite numbers them; nothing is deleted): the
    first gap at or before `up_to`, as (the id before it, the id after it), names a removed event."""
    first = snapshot.exec_driver_sql("SELECT min(id) FROM events").scalar()
    if first is not None and first > 1:
        return 0, first
    row = snapshot.exec_driver_sql(
        "SELECT e.id FROM events e WHERE e.id < ? AND NOT EXISTS (SELECT 1 FROM events f WHERE f.id = e.id + 1) "
        "ORDER BY e.id LIMIT 1",
        (up_to,),
    ).first()
    if row is None:
        return None
    after = snapshot.exec_driver_sql("SELECT min(id) FROM events WHERE id > ?", (row[0],)).scalar()
    return (row[0], after) if after is not None else None


def _check_tables(snapshot, dialect: str) -> list[str]:
    """The tables that decide deadlines, against their events (complaintctl/chain_tables.py)."""
    from complaintctl.store import chain_tables

    found = chain_tables.problems(snapshot, dialect)
    if found and not chain_tables.upgraded(snapshot) and chain_tables.recorded_at_upgrade(snapshot, dialect):
        return []  # not upgraded yet (a backup being restored): opening it records them as they stand (m007)
    return found


def _without_fold(snapshot, key) -> str:
    """Events of a complaint with no registration before them in the pass."""
    if snapshot.exec_driver_sql("SELECT 1 FROM complaints WHERE branch = ? AND id = ?", key).first():
        return _("{number}: the stored query columns differ from its events ({value})").format(
            number=typed_number(*key), value="last_event"
        )
    return _missing(key)


def _unreadable(exc: BaseException) -> str:
    return _("cannot be read as a ledger ({exc}); restore it from a backup").format(exc=str(exc).strip())


def _missing(key) -> str:
    return _("events of {number} exist but the complaint is missing from the current state").format(
        number=typed_number(*key)
    )


def _broken(event_id: int) -> str:
    return _("event {number}: the hash chain is broken before it (an event was removed or inserted)").format(
        number=event_id
    )


def _changed(event_id: int, kind: str, complaint: str | None) -> str:
    return _(
        "event {number} ({kind}{value}) was changed after it was written: its content no longer matches its hash"
    ).format(number=event_id, kind=kind, value=', ' + complaint if complaint else '')


def _compare(number: str, record: dict | None, last_id, columns: dict, last_event: int, text: str) -> str | None:
    if record is None:
        return _("{number} has a current state but no events: it was not made by complaintctl").format(number=number)
    # The stored text is this same fold written by json.dumps, so equal text is the fast, common case.
    if record_json(record) != text and json.loads(text) != record:
        stored = json.loads(text)
        keys = sorted(k for k in set(stored) | set(record) if stored.get(k) != record.get(k))
        return _("{number}: the stored current state differs from its events in {keys}").format(
            number=number, keys=', '.join(keys)
        )
    expected = columns_of(record)
    wrong = [name for name, value in columns.items() if expected[name] != value]
    if wrong or last_event != last_id:
        return _("{number}: the stored query columns differ from its events ({value})").format(
            number=number, value=', '.join(wrong or ['last_event'])
        )
    return None


def _check_attachments(number: str, record: dict, archive: Path | None) -> tuple[str | None, int]:
    """(the first problem or None, attachments counted)."""
    counted = 0
    # A letter sent is kept beside the attachments (complaintctl.outputs.letters), and checked as they are.
    for attachment in [*record.get("attachments", []), *(x for x in record.get("letters", []) if x.get("stored_as"))]:
        counted += 1
        if archive is None:
            continue
        path = archive / attachment["stored_as"]
        if not path.is_file():
            return _("{number}: attachment {file} is missing from the archive ({path})").format(
                number=number, file=attachment['file'], path=path
            ), counted
        if sha256_file(path) != attachment["sha256"]:
            return _("{number}: attachment {file} was changed since it was attached (SHA-256 differs)").format(
                number=number, file=attachment['file']
            ), counted
    return None, counted


def require_sound(
    path: Path | str,
    archive: Path | None = None,
    state: bool = True,
    listener: Listener | None = None,
    full: bool = False,
    anchors: list[Anchor] | tuple = (),
) -> Verified:
    result = verify(path, archive, state=state, listener=listener, full=full, anchors=anchors)
    if result.problems:
        raise ComplaintError(
            _("{path}: {value}").format(path=backend_for(path).label, value=result.problems[0]), exit_code=DAMAGED
        )
    return result
