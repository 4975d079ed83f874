"""Late entries (补录): events typed in on a later day than the day they are dated.

Every event keeps both times: `at`, when it happened, and `recorded_at`, when it was typed in. A late
entry is shown with both; one dated into a period whose report was already exported needs a reason,
because it changes figures someone has already read; and the next report lists it (补录与更正).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

from complaintctl.rules import clock
from complaintctl.store.migrations import LATE_ENTRY


@dataclass(frozen=True)
class Export:
    """One `exported` event: the period it reported, as of which day, and when it was written."""

    event: int  # its id: what was recorded after it has a greater one
    code: str  # 2026-10 | 2026Q3 | 2026
    start: date
    end: date
    as_of: date
    exported_at: str  # the event's recorded_at
    by: str
    headline: dict | None  # the figures it showed, when the export recorded them
    scope: list  # a firm report's branches; [] for a branch's own file
    branch: str  # whose chain recorded it: in a firm ledger, a branch's file moved in keeps its own exports

    def covers(self, branch: str) -> bool:
        """Whether this export's figures included the complaints of `branch`."""
        if self.scope:
            return branch in self.scope
        return not self.branch or branch == self.branch


def period_bounds(code: str) -> tuple[date, date] | None:
    """First and last day of a report's period code; None for a code this version does not know."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", code):
        year, month = int(m[1]), int(m[2])
        start = date(year, month, 1)
        return start, date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    if m := re.fullmatch(r"(\d{4})Q([1-4])", code):
        year, quarter = int(m[1]), int(m[2])
        last_month = 3 * quarter
        return date(year, last_month - 2, 1), (
            date(year + (last_month == 12), last_month % 12 + 1, 1) - timedelta(days=1)
        )
    if m := re.fullmatch(r"(\d{4})", code):
        return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    return None


# Sorted here, not by ORDER BY id: SQLite then walks the events in id order, all 6 million of a 1M-complaint
# ledger (1.8 s on each dated write, issue 33), rather than the partial index of the few exports (m006).
EXPORTS_SQL = "SELECT id, branch, recorded_at, actor, payload FROM events WHERE kind = 'exported'"


def exports(conn) -> list[Export]:
    """Every report export on record, oldest first."""
    found = []
    for event, branch, recorded, actor, payload in sorted(conn.exec_driver_sql(EXPORTS_SQL), key=lambda row: row[0]):
        data = json.loads(payload)
        bounds = period_bounds(str(data.get("report", "")))
        if bounds is None or not data.get("as_of"):
            continue
        found.append(
            Export(
                event,
                data["report"],
                *bounds,
                date.fromisoformat(data["as_of"]),
                recorded,
                actor,
                data.get("headline"),
                data.get("branches", []),
                branch,
            )
        )
    return found


def export_covering(conn, day: date, branch: str = "") -> Export | None:
    """The first export whose figures included `day` at `branch`, made after that day was over: an entry
    dated then changes what it said. (An export while the day runs is a snapshot; the day's work goes on.)"""
    for export in exports(conn):
        if (
            export.start <= day <= min(export.end, export.as_of)
            and day < clock.day_of(export.exported_at)
            and export.covers(branch)
        ):
            return export
    return None


def receipt_moves(conn, start: date, end: date, seen: set[int]) -> list[tuple]:
    """Amendments that moved a receipt into or out of [start, end] after a report of it was exported (issue 44):
    they change figures someone read (本期接收). Only events after the first export overlapping the period are read,
    by id, so a period never exported costs nothing."""
    first = [e.event for e in exports(conn) if e.start <= end and start <= e.end]
    if not first:
        return []
    rows = conn.exec_driver_sql(
        "SELECT id, branch, complaint, kind, at, recorded_at, actor, payload, login FROM events "
        "WHERE id > ? AND kind = 'amended' AND payload LIKE ?",
        (min(first), '%"received_at":[%'),
    ).all()
    moved = []
    for row in rows:
        if row[0] in seen:
            continue
        old, new = json.loads(row[7])["changes"]["received_at"]
        if any(start <= clock.day_of(day) <= end for day in (old, new)) and clock.day_of(old) != clock.day_of(new):
            moved.append(row)
    return moved


def is_late(at: str, recorded_at: str) -> bool:
    return clock.day_of(recorded_at) > clock.day_of(at)


@dataclass(frozen=True)
class LateEntry:
    event: int
    branch: str
    complaint: str
    kind: str
    at: str
    recorded_at: str
    actor: str
    reason: str | None
    imported: bool  # copied from an old ledger by `import`: history brought in, not a late step
    login: str | None = None  # the firm server's record of who typed it in (m008)
    voided: tuple[int, str] | None = None  # a void: (the entry's number, its kind); `at` is then the entry's


def _void_touches(data: dict, first: str, last: str) -> bool:
    """Whether a void changes a day in [first, last): its entry's, or a receipt it moved (changes_days)."""
    return any(first <= day < last for day in [data["entry_at"], *data.get("changes_days", [])])


def late_entries(conn, start: date, end: date) -> list[LateEntry]:
    """Complaint events typed in late that change [start, end] (dated in it) or were typed in it.

    Dated in it: the period's own figures moved after the fact. Typed in it, dated before: an earlier
    period moved, and this period's report is the next one to say so.
    """
    first, last = start.isoformat(), (end + timedelta(days=1)).isoformat()
    rows = conn.exec_driver_sql(
        f"SELECT id, branch, complaint, kind, at, recorded_at, actor, payload, login FROM events "
        f"WHERE {LATE_ENTRY} AND complaint IS NOT NULL "
        f"AND ((at >= ? AND at < ?) OR (recorded_at >= ? AND recorded_at < ?)) ORDER BY at, id",
        (first, last, first, last),
    ).all()
    # A registration counts from its receipt, whatever --at (when it was typed in) says.
    rows += conn.exec_driver_sql(
        f"SELECT e.id, e.branch, e.complaint, e.kind, c.received_at, e.recorded_at, e.actor, e.payload, e.login "
        f"FROM complaints c JOIN events e ON e.branch = c.branch AND e.complaint = c.id AND e.kind = 'registered' "
        f"WHERE c.received_day >= ? AND c.received_day <= ? AND substr(e.recorded_at, 1, 10) > c.received_day "
        f"AND NOT ({LATE_ENTRY.replace('recorded_at', 'e.recorded_at').replace('(at', '(e.at')})",
        (start.isoformat(), end.isoformat()),
    ).all()
    # A void changes the figures of the day of the entry it voids, whenever it is typed (DOMAIN: a mistaken entry).
    voids = conn.exec_driver_sql(
        f"SELECT id, branch, complaint, kind, at, recorded_at, actor, payload, login FROM events "
        f"WHERE kind = 'voided' AND NOT ({LATE_ENTRY})"
    ).all()
    rows += [row for row in voids if _void_touches(json.loads(row[7]), first, last) or first <= row[5] < last]
    rows += receipt_moves(conn, start, end, {row[0] for row in rows})
    found = []
    for event, branch, complaint, kind, at, recorded, actor, payload, login in rows:
        data = json.loads(payload)
        reason, voided = data.get("late_reason"), None
        if kind == "voided":  # dated by the day it changes: the entry's, else the first receipt it moved in range
            days = [day for day in data.get("changes_days", []) if first <= day < last]
            at = data["entry_at"] if first <= data["entry_at"] < last or not days else days[0] + "T00:00:00+08:00"
            voided = (data["entry"], data["kind"])
            reason = data["reason"] + (f"（{reason}）" if reason and reason != data["reason"] else "")
        moved = (data.get("changes") or {}).get("received_at") if kind == "amended" else None
        if moved:  # the receipt moved: dated on the receipt day the period gains or loses (its 本期接收)
            old, new = moved
            at = new if start <= clock.day_of(new) <= end else old
            said = reason or data.get("reason")
            reason = f"接收时间 {clock.day_of(old)} → {clock.day_of(new)}" + (f"：{said}" if said else "")
        found.append(
            LateEntry(event, branch, complaint, kind, at, recorded, actor, reason, "imported" in data, login, voided)
        )
    found.sort(key=lambda e: (e.at, e.event))
    return found
