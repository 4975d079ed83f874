"""The ledger as it stood at the end of a day: the one view `warn --as-of` and `report` share.

Each complaint is the fold of its events whose business time (`--at`) falls on or before the
cut-off day, so a later step never changes what an earlier day looked like. A deadline on the
cut-off day is missed only once that day is over: on the morning of the day it is "due today",
and for a day already past it counts as missed, in `warn` and in the report alike.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Iterable, Iterator

from complaintctl.rules import clock
from complaintctl.rules.complaint import fold as complaint_fold
from complaintctl.rules.deadlines import Deadline
from complaintctl.store.chain_tables import WITHDRAWN_SQL


class Cutoff:
    """The moment looked at: the end of `day`, or now when `day` is today (or later)."""

    def __init__(self, day: date, today: date):
        self.day = day
        self.day_over = day < today
        self.before = (day + timedelta(days=1)).isoformat()  # events at or after this are ignored

    def missed(self, deadline: Deadline) -> bool:
        """An unmet deadline is missed once its day is over."""
        if deadline.met_at is not None:
            return deadline.met_late
        return deadline.due < self.day or (deadline.due == self.day and self.day_over)


def fold(conn, branch: str, number: str, before: str | None = None, through: int | None = None) -> dict:
    """One complaint folded from its events dated before `before` (the registration always counts), voided
    entries left aside; `through`: only its events up to that event id (a check of the chain as it went)."""
    sql = "SELECT kind, payload, at, actor FROM events WHERE branch = ? AND complaint = ?"
    args: tuple = (branch, number)
    if through is not None:
        sql, args = sql + " AND id <= ?", (*args, through)
    events = conn.exec_driver_sql(sql + " ORDER BY id", args)
    return complaint_fold(((kind, json.loads(payload), at, actor) for kind, payload, at, actor in events), before)


def with_branch(record: dict, branch: str) -> dict:
    """A firm ledger's records say which branch they are from; a branch's own file's need not."""
    if branch:
        record["branch"] = branch
    return record


def as_stood(conn, rows: Iterable[tuple[str, str, str, str]], cutoff: Cutoff) -> Iterator[dict]:
    """Records as they stood at the cut-off, from (branch, number, stored record, time of its last event) rows.

    The stored record is the answer when nothing happened after the cut-off, the common case.
    """
    for branch, number, text, last_at in rows:
        record = json.loads(text) if last_at < cutoff.before else fold(conn, branch, number, cutoff.before)
        yield with_branch(record, branch)


def branch_filter(branches: Iterable[str] | None, alias: str = "c") -> tuple[str, tuple]:
    """` AND c.branch IN (...)` for --branch (repeatable), no condition on it when all branches are wanted;
    never a withdrawn branch's history (`branch withdraw`), which counts nowhere."""
    chosen = tuple(dict.fromkeys(branches or ()))
    kept = not_withdrawn(alias)
    if not chosen:
        return kept, ()
    return f" AND {alias}.branch IN ({', '.join('?' * len(chosen))}){kept}", chosen


def not_withdrawn(alias: str = "c") -> str:
    """` AND c.branch NOT IN (the withdrawn branches)`: what every query counting complaints across branches adds."""
    return f" AND {alias}.branch NOT IN ({WITHDRAWN_SQL})"


LAST_AT = "(SELECT MAX(e.at) FROM events e WHERE e.branch = c.branch AND e.complaint = c.id)"

OPEN_SQL = f"""
SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c
WHERE c.is_open = 1 AND c.received_day <= ?{{only}}
UNION ALL
SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c
WHERE c.ended_day > ? AND c.received_day <= ?{{only}}
UNION ALL
SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c
WHERE c.status IN ('rejected', 'terminated') AND c.ended_day <= ?{{only}}
  AND (c.status = 'terminated' OR c.record LIKE ? OR c.record LIKE ? OR c.record LIKE ?)
"""


# What a refused complaint's stored record holds when it may still owe something: a transfer, a major complaint.
STILL_OWING = ('%"channel": "regulator"%', '%"major_since": "%', '%"escalation_owed_since": "%')


def open_at(ledger, cutoff: Cutoff, branches: Iterable[str] | None = None) -> Iterator[dict]:
    """Complaints not closed at the cut-off that may still owe a deadline: open now, ended only after that day, or
    refused or terminated by then yet owing what ending never erases (DOMAIN: terminating or refusing): a regulator
    reply, a major complaint's escalation, a completion missed before the termination. Of the refused ones, only
    transfers and major complaints are read: the others owe nothing once refused."""
    day = cutoff.day.isoformat()
    only, chosen = branch_filter(branches)
    with ledger.reading() as conn:
        args = (day, *chosen, day, day, *chosen, day, *chosen, *STILL_OWING)
        rows = conn.exec_driver_sql(OPEN_SQL.format(only=only), args).all()
        for record in as_stood(conn, rows, cutoff):
            if record["status"] not in ("closed", "voided"):
                yield record


RECTIFYING_SQL = f"""
SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c
WHERE c.rectification_due IS NOT NULL AND c.rectified_day IS NULL AND c.received_day <= ?{{only}}
UNION ALL
SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c
WHERE c.rectification_due IS NOT NULL AND c.rectified_day >= ? AND c.received_day <= ?{{only}}
"""


def rectifying_at(
    ledger, cutoff: Cutoff, since: date | None = None, branches: Iterable[str] | None = None
) -> Iterator[dict]:
    """Complaints whose improvement measure (CSA 8.2.4) was recorded by the cut-off and not done before `since`
    (default: not done at the cut-off), whatever their status: a closed complaint's fix is still followed."""
    day = cutoff.day.isoformat()
    first = (since or cutoff.day + timedelta(days=1)).isoformat()
    only, chosen = branch_filter(branches)
    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(RECTIFYING_SQL.format(only=only), (day, *chosen, first, day, *chosen)).all()
        for record in as_stood(conn, rows, cutoff):
            done = (record.get("rectification") or {}).get("done_at")
            if record.get("rectification") and (done is None or clock.day_of(done).isoformat() >= first):
                yield record
