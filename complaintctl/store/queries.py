"""Reading the ledger: `list` filters and the `warn` reminders (CSA 8.2.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from complaintctl.rules import clock, codes
from complaintctl.store.asof import STILL_OWING, Cutoff, branch_filter, open_at, rectifying_at, with_branch
from complaintctl.rules.complaint import complainant_shown, typed_number
from complaintctl.rules.deadlines import Deadline, deadlines_for, rectification_deadline
from complaintctl.store.ledger import Ledger


def record_of(ledger: Ledger, complaint_id: str) -> dict:
    """One complaint's current record (NUMBER or BRANCH/NUMBER); an unknown number is refused with a hint."""
    with ledger.reading() as conn:
        branch, number = ledger.locate(conn, complaint_id)
        row = conn.exec_driver_sql(
            "SELECT record FROM complaints WHERE branch = ? AND id = ?", (branch, number)
        ).first()
    return with_branch(json.loads(row[0]), branch)


def deadlines(ledger: Ledger, record: dict) -> list[Deadline]:
    """Every deadline of the complaint, by the policy in force when it was received."""
    return deadlines_for(record, ledger.calendar(), ledger.policy_on(clock.day_of(record["received_at"])))


def counted_from(record: dict, kind: str) -> date:
    """Day 0 of a deadline's count: the result's day for the callback, the receipt for the others."""
    if kind == "callback" and record.get("resolved_at"):
        return clock.day_of(record["resolved_at"])
    return clock.day_of(record["received_at"])


def corrections_prepared(ledger: Ledger) -> tuple[list, object] | None:
    """The local corrections and the calendar without them, once for many complaints (the report); None if none."""
    from complaintctl.store.calendar_data import corrections_in_force, without_corrections

    corrected = corrections_in_force(ledger)
    return (corrected, without_corrections(ledger, corrected)) if corrected else None


def moved_by_correction(
    ledger: Ledger, found: list[Deadline], record: dict, prepared: tuple[list, object] | None | bool = False
) -> list[dict | None]:
    """For each deadline of `found` (as `deadlines` gave them): None, or what a local calendar correction
    (add-holiday / add-workday / add-closure) changed, as {"was": ISO day, "days": [ISO days], "events": [ids]}:
    the due day without the corrections, and the corrected days that moved it.

    The without-corrections calendar (package and imported schedules) is built only when the ledger
    has local corrections at all, so `show` of an uncorrected ledger costs one small query more.
    """
    if prepared is False:
        prepared = corrections_prepared(ledger)
    if not prepared:
        return [None] * len(found)
    corrected, base = prepared
    calendar = ledger.calendar()
    before = {
        (d.kind, i): d
        for i, d in enumerate(deadlines_for(record, base, ledger.policy_on(clock.day_of(record["received_at"]))))
    }
    marks: list[dict | None] = []
    for i, deadline in enumerate(found):
        was = before.get((deadline.kind, i))
        if was is None or was.due == deadline.due or deadline.unit not in ("trading", "working"):
            marks.append(None)
            continue
        start, last = counted_from(record, deadline.kind), max(was.due, deadline.due)
        counts = (
            (lambda c, d: c.is_working_day(d)) if deadline.unit == "working" else (lambda c, d: c.is_trading_day(d))
        )
        inside = [(day, event) for day, _kind, event in corrected if start < day <= last]
        moving = [(day, event) for day, event in inside if counts(calendar, day) != counts(base, day)] or inside
        marks.append(
            {
                "was": was.due.isoformat(),
                "days": [day.isoformat() for day, _event in moving],
                "events": sorted({event for _day, event in moving}),
            }
        )
    return marks


def find(
    ledger: Ledger,
    *,
    status: str | None = None,
    category: str | None = None,
    handler: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    open_only: bool = False,
    branches: Iterable[str] | None = None,
) -> list[dict]:
    where, args = ["1 = 1"], []
    if status is not None:
        where.append("status = ?")
        args.append(codes.STATUSES.parse(status))
    if category is not None:
        where.append("category = ?")
        args.append(codes.CATEGORIES.parse(category))
    if handler is not None:
        where.append("handler = ?")
        args.append(handler)
    if received_from:
        where.append("received_day >= ?")
        args.append(received_from.isoformat())
    if received_to:
        where.append("received_day <= ?")
        args.append(received_to.isoformat())
    if open_only:
        # Open, or refused or terminated yet still owing (DOMAIN: terminating or refusing): as `warn` reads them.
        where.append(
            "(is_open = 1 OR (c.status IN ('rejected', 'terminated') AND (c.status = 'terminated' OR c.record LIKE ? "
            "OR c.record LIKE ? OR c.record LIKE ?)))"
        )
        args.extend(STILL_OWING)
    only, chosen = branch_filter(branches)
    sql = (
        "SELECT c.branch, c.record FROM complaints c WHERE "
        + " AND ".join(where)
        + only
        + " ORDER BY c.received_day, c.branch, c.year, c.seq"
    )
    with ledger.reading() as conn:
        found = [with_branch(json.loads(text), branch) for branch, text in conn.exec_driver_sql(sql, (*args, *chosen))]
    if open_only:
        found = [r for r in found if r["status"] in codes.OPEN_STATUSES or _still_owes(ledger, r)]
    return found


def _still_owes(ledger: Ledger, record: dict) -> bool:
    """A refused or terminated complaint that owes a deadline still: an escalation, a regulator reply, a missed
    completion (DOMAIN: terminating or refusing never erases a deadline)."""
    policy = ledger.policy_on(clock.day_of(record["received_at"]))
    return any(d.met_at is None for d in deadlines_for(record, ledger.calendar(), policy, unmet_only=True))


@dataclass(frozen=True)
class Reminder:
    complaint: str
    complainant: str  # masked: warn output goes to cron mail
    handler: str | None
    deadline: Deadline
    state: str  # overdue | due_today | due_soon
    days_left: int  # trading (or working) days from as_of to due; negative when overdue
    branch: str = ""  # a firm ledger's branch; '' in a branch's own file

    def as_dict(self) -> dict:
        shown = {
            "id": self.complaint,
            "kind": self.deadline.kind,
            "due": self.deadline.due.isoformat(),
            "state": self.state,
            "days_left": self.days_left,
            "provisional": self.deadline.provisional,
            "complainant": self.complainant,
            "handler": self.handler,
        }
        return {"branch": self.branch, **shown} if self.branch else shown

    @property
    def number(self) -> str:
        """The complaint as the specialist types it: BRANCH/NUMBER in a firm ledger."""
        return typed_number(self.branch, self.complaint)


STATE_ORDER = {"overdue": 0, "due_today": 1, "due_soon": 2}
REMIND_RECTIFICATION = 5  # calendar days before an improvement measure's promised date (CSA 8.2.4)


def reminders(
    ledger: Ledger,
    as_of: date,
    within: int | None = None,
    today: date | None = None,
    branches: Iterable[str] | None = None,
) -> list[Reminder]:
    """Deadlines not yet met at the end of `as_of` that are overdue, due today, or inside their window.

    The ledger is taken as it stood then (asof.Cutoff, the report's view too): for a day already past,
    a deadline on that day is overdue; on the day itself it is due today. Default windows are CSA
    8.2.3's: acceptance from 1 trading day before its deadline, completion (and the regulator reply,
    due with it) from 3; callbacks from 1 working day before; improvement measures (CSA 8.2.4), whatever
    the complaint's status, from 5 calendar days before their promised date, with their owner as handler.
    """
    calendar = ledger.calendar()
    cutoff = Cutoff(as_of, today or clock.today())
    found: list[Reminder] = []

    def remind(record: dict, deadline: Deadline, window: int, who: str | None) -> None:
        days_left = (
            (deadline.due - as_of).days
            if deadline.unit == "calendar"
            else calendar.count_days(as_of, deadline.due, deadline.unit)
        )
        if cutoff.missed(deadline):
            state = "overdue"
        elif deadline.due == as_of:
            state = "due_today"
        elif days_left <= (within if within is not None else window):
            state = "due_soon"
        else:
            return
        found.append(
            Reminder(record["id"], complainant_shown(record), who, deadline, state, days_left, record.get("branch", ""))
        )

    for record in open_at(ledger, cutoff, branches):
        policy = ledger.policy_on(clock.day_of(record["received_at"]))
        windows = {
            "acceptance": policy.remind_acceptance,
            "completion": policy.remind_completion,
            "regulator_reply": policy.remind_completion,
            "callback": 1,
            "escalation": 0,
        }
        for deadline in deadlines_for(record, calendar, policy, unmet_only=True):
            if deadline.met_at is None:
                remind(record, deadline, windows[deadline.kind], record.get("handler"))
    for record in rectifying_at(ledger, cutoff, branches=branches):
        # The owner answers for a rectification, not the complaint's handler.
        remind(record, rectification_deadline(record), REMIND_RECTIFICATION, record["rectification"]["owner"])
    found.sort(key=lambda r: (STATE_ORDER[r.state], r.deadline.due, r.branch, r.complaint, r.deadline.kind))
    return found


def numbers_starting(ledger: Ledger, prefix: str, limit: int = 50) -> list[tuple[str, str]]:
    """(number, status) of the complaints whose number starts with `prefix`, open ones first, newest first:
    what a shell offers when a complaint number is half typed. BRANCH/NUMBER on a firm ledger."""
    branch, _sep, number = prefix.rpartition("/")
    sql = (
        "SELECT c.branch, c.id, c.status FROM complaints c WHERE c.id LIKE ? ESCAPE '!'"
        + (" AND c.branch = ?" if branch else "")
        + " ORDER BY c.is_open DESC, c.year DESC, c.seq DESC LIMIT ?"
    )
    pattern = number.upper().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(sql, (pattern, *([branch] if branch else []), limit)).all()
    several = len({row[0] for row in rows}) > 1 or bool(branch)
    return [(typed_number(row[0], row[1]) if several else row[1], row[2]) for row in rows]
