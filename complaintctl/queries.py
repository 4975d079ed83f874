"""Reading the ledger: `list` filters and the `warn` reminders (CSA 8.2.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from complaintctl import codes
from complaintctl.complaint import complainant_shown
from complaintctl.deadlines import Deadline, deadlines_for
from complaintctl.ledger import Ledger
from complaintctl.models import Complaint
from complaintctl.lifecycle import policy_of


def find(ledger: Ledger, *, status: str | None = None, category: str | None = None, handler: str | None = None,
         received_from: date | None = None, received_to: date | None = None, open_only: bool = False) -> list[dict]:
    query = select(Complaint.record).order_by(Complaint.received_day, Complaint.year, Complaint.seq)
    if status is not None:
        query = query.where(Complaint.status == codes.STATUSES.parse(status))
    if category is not None:
        query = query.where(Complaint.category == codes.CATEGORIES.parse(category))
    if handler is not None:
        query = query.where(Complaint.handler == handler)
    if received_from:
        query = query.where(Complaint.received_day >= received_from.isoformat())
    if received_to:
        query = query.where(Complaint.received_day <= received_to.isoformat())
    if open_only:
        query = query.where(Complaint.is_open == 1)
    with ledger.transaction(write=False) as session:
        return [json.loads(text) for text in session.exec(query)]


@dataclass(frozen=True)
class Reminder:
    complaint: str
    complainant: str  # masked: warn output goes to cron mail
    handler: str | None
    deadline: Deadline
    state: str  # overdue | due_today | due_soon
    days_left: int  # trading (or working) days from as_of to due; negative when overdue

    def as_dict(self) -> dict:
        return {"id": self.complaint, "kind": self.deadline.kind, "due": self.deadline.due.isoformat(),
                "state": self.state, "days_left": self.days_left, "provisional": self.deadline.provisional,
                "complainant": self.complainant, "handler": self.handler}


STATE_ORDER = {"overdue": 0, "due_today": 1, "due_soon": 2}


def reminders(ledger: Ledger, as_of: date, within: int | None = None) -> list[Reminder]:
    """Deadlines not yet met that are overdue, due today, or inside their reminder window.

    Default windows are CSA 8.2.3's: acceptance from 1 trading day before its deadline, completion
    (and the regulator reply, due with it) from 3; callbacks from 1 working day before.
    """
    calendar = ledger.calendar()
    found: list[Reminder] = []
    with ledger.transaction(write=False) as session:
        rows = list(session.exec(select(Complaint.record).where(Complaint.is_open == 1)))
    for text in rows:
        record = json.loads(text)
        policy = policy_of(ledger, record)
        windows = {"acceptance": policy.remind_acceptance, "completion": policy.remind_completion,
                   "regulator_reply": policy.remind_completion, "callback": 1}
        for deadline in deadlines_for(record, calendar, policy):
            if deadline.met_at is not None:
                continue
            days_left = calendar.count_days(as_of, deadline.due, deadline.unit)
            if deadline.due < as_of:
                state = "overdue"
            elif deadline.due == as_of:
                state = "due_today"
            elif days_left <= (within if within is not None else windows[deadline.kind]):
                state = "due_soon"
            else:
                continue
            found.append(Reminder(record["id"], complainant_shown(record),
                                  record.get("handler"), deadline, state, days_left))
    found.sort(key=lambda r: (STATE_ORDER[r.state], r.deadline.due, r.complaint, r.deadline.kind))
    return found
