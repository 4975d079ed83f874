"""Deadlines are derived, never stored: from the complaint's events, the calendar and the policy.

Recomputing on every read means a calendar correction or an imported holiday schedule moves
every open deadline at once, and nothing in the ledger has to be rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from complaintctl.rules.calendar import Calendar
from complaintctl.rules.clock import day_of
from complaintctl.rules.policy import Policy

KINDS = ("acceptance", "completion", "callback", "regulator_reply", "escalation", "rectification")


@dataclass(frozen=True)
class Deadline:
    kind: str
    due: date
    original_due: date
    met_at: str | None  # ISO time of the event that met it
    provisional: bool  # depends on a year whose official schedule we do not have
    unit: str  # "trading" | "working" | "calendar" (the escalation: the same day, whatever day it is)

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and day_of(self.met_at) > self.due

    def state(self, as_of: date) -> str:
        if self.met_at is not None:
            return "met_late" if self.met_late else "met"
        if self.due < as_of:
            return "overdue"
        if self.due == as_of:
            return "due_today"
        return "pending"

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "original_due": self.original_due.isoformat(),
            "met_at": self.met_at,
            "late": self.met_late,
            "provisional": self.provisional,
            "unit": self.unit,
        }


def deadlines_for(record: dict, calendar: Calendar, policy: Policy, unmet_only: bool = False) -> list[Deadline]:
    """Every deadline that applies to the complaint in its current state; with unmet_only, only those
    not yet met (`warn` asks that of every open complaint, and skipping the rest halves its work)."""
    if record.get("status") == "voided":  # registered by mistake: nothing was ever owed for it
        return []
    received = day_of(record["received_at"])

    def make(kind: str, start: date, days: int, extra: int, unit: str, met_at: str | None) -> Deadline:
        original = calendar.add_days(start, days, unit)
        due = calendar.add_days(start, days + extra, unit) if extra else original
        return Deadline(kind, due, original, met_at, bool(calendar.provisional(start, due)), unit)

    result = []
    # What an imported old ledger does not tell (a callback, an escalation, a reply to the regulator) is not
    # known to be missed: no deadline is owed for it, and the report counts it apart (未记载).
    gaps = record.get("unrecorded") or ()
    decided = record.get("accepted_at") or record.get("rejected_at")
    if not (unmet_only and decided):
        result.append(make("acceptance", received, policy.acceptance_days, 0, policy.acceptance_unit, decided))
    escalation = _escalation(record)
    if escalation and not escalation.met_at and "escalation" in gaps:
        escalation = None
    if escalation and not (unmet_only and escalation.met_at):
        result.append(escalation)
    resolved, replied = record.get("resolved_at"), record.get("regulator_replied_at")
    ended = record.get("rejected_at") or record.get("terminated_at")
    # A refused or terminated transfer closed before this rule (no reply, and none can be added now) owes nothing new.
    owed_reply = not (ended and record.get("closed_at") and not replied)
    owed_reply = owed_reply and not ("regulator_reply" in gaps and not replied)
    regulator = record.get("channel") == "regulator" and owed_reply and not (unmet_only and replied)
    # Ended without a result: refused (CSA 9.1.1), or terminated (9.1.1(d)). What was pending ends with
    # it, except what is owed whatever happens: the report of a major complaint (kept above), and a
    # transferred complaint's reply to the regulator (CSA 9.2.2(e)).
    if ended and not regulator:
        if record.get("terminated_at"):
            kept = [d for d in result if d.met_at is not None or d.kind in ("acceptance", "escalation")]
            missed = _missed_before_end(record, calendar, policy)
            return kept + ([missed] if missed else [])
        return result
    if not (unmet_only and resolved) or regulator:
        extension = sum(e["days"] for e in record.get("extensions", []))
        completion = make("completion", received, policy.completion_days, extension, policy.completion_unit, resolved)
        # Only an accepted complaint is to be completed; before the decision its date serves the reply alone.
        if not (unmet_only and resolved) and not ended and record.get("accepted_at"):
            result.append(completion)
        elif ended and record.get("terminated_at") and completion.due < day_of(record["terminated_at"]):
            # Missed before the complaint was terminated: it stays missed (DOMAIN: terminating or refusing).
            result.append(completion)
        if regulator:
            # CSA 9.2.2(e): the result goes back into the regulator's transfer system, due with completion,
            # or by the reply date on the regulator's ticket when that is earlier (a fixed date: never provisional).
            asked = date.fromisoformat(record["reply_due"]) if record.get("reply_due") else None
            if asked and asked < completion.due:
                reply = Deadline(
                    "regulator_reply", asked, min(asked, completion.original_due), replied, False, completion.unit
                )
            else:
                reply = Deadline(
                    "regulator_reply",
                    completion.due,
                    completion.original_due,
                    replied,
                    completion.provisional,
                    completion.unit,
                )
    if resolved and not ended and not ("callback" in gaps and not record.get("callbacks")):
        reached = reached_callbacks(record)  # an unreachable attempt confirms nothing (Firm 18(5))
        if not (unmet_only and reached):
            result.append(
                make(
                    "callback",
                    day_of(resolved),
                    policy.callback_days,
                    0,
                    policy.callback_unit,
                    reached[0]["at"] if reached else None,
                )
            )
    if regulator:
        result.append(reply)
    return result


def _missed_before_end(record: dict, calendar: Calendar, policy: Policy) -> Deadline | None:
    """The completion of a terminated complaint whose day was over before it was terminated: missed, and it stays
    missed (DOMAIN: terminating or refusing never erases a deadline already missed)."""
    if not record.get("accepted_at") or record.get("resolved_at"):
        return None
    extension = extension_total(record)
    received = day_of(record["received_at"])
    original = calendar.add_days(received, policy.completion_days, policy.completion_unit)
    due = (
        calendar.add_days(received, policy.completion_days + extension, policy.completion_unit)
        if extension
        else original
    )
    if due >= day_of(record["terminated_at"]):
        return None
    return Deadline(
        "completion", due, original, None, bool(calendar.provisional(received, due)), policy.completion_unit
    )


def reached_callbacks(record: dict) -> list[dict]:
    return [c for c in record.get("callbacks", []) if c.get("outcome") != "unreachable"]


def _escalation(record: dict) -> Deadline | None:
    """CSA 9.1.2(c), 9.2.2(a)(2): a major or group complaint is reported at once: on the day it becomes major."""
    since = escalation_since(record)
    if not since:
        return None
    due = day_of(since)
    done = [e["at"] for e in record.get("escalations", [])]
    return Deadline("escalation", due, due, min(done) if done else None, False, "calendar")


def escalation_since(record: dict) -> str | None:
    """When the complaint first became major: the report is owed from then until it is made, even
    if it is later found not to be major (DOMAIN: escalation)."""
    times = [t for t in (record.get("escalation_owed_since"), record.get("major_since")) if t]
    return min(times, key=day_of) if times else None


def uncovered_years(calendar: Calendar, deadlines: list[Deadline]) -> set[int]:
    """The years without an official schedule that make these deadlines provisional.

    A deadline lies at most a few months after its start, so only its own year and the one before matter.
    """
    return {y for d in deadlines if d.provisional for y in (d.due.year - 1, d.due.year) if not calendar.covered(y)}


def extension_total(record: dict) -> int:
    return sum(e["days"] for e in record.get("extensions", []))


def rectification_deadline(record: dict) -> Deadline | None:
    """CSA 8.2.4: an improvement measure's promised date, a fixed calendar day the investigation set.

    Kept apart from `deadlines_for`: it is the firm's own fix, not a step of handling the complaint,
    so it neither makes a complaint overdue in the report nor ends when the complaint is closed.
    """
    rectification = record.get("rectification")
    if record.get("status") == "voided" or not rectification or not rectification.get("due"):
        return None
    due = date.fromisoformat(rectification["due"])
    return Deadline("rectification", due, due, rectification.get("done_at"), False, "calendar")
