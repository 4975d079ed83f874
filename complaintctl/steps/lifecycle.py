"""The complaint process of CSA 9: each step checks the complaint's state and the rules, then
records one event and the new current state in one transaction, or changes nothing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, func, select

from complaintctl.rules import clock, codes
from complaintctl.store import queries
from complaintctl.rules.complaint import (
    FIELD_BY_NAME,
    INVESTIGATION_ITEMS,
    STATUS_AFTER,
    acceptance_missing,
    apply,
    checked_text,
    fold,
    classification_problem,
    columns_of,
    complainant_key,
    describe_missing,
    format_id,
    parse_amount,
    parse_fields,
    parse_id,
    record_json,
    registration_missing,
    resting_on,
    transfer_problem,
    typed_number,
    voided_entries,
)
from complaintctl.rules.deadlines import escalation_since, extension_total, reached_callbacks
from complaintctl.rules.identity import same_person, ticket_key
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger, remove_stale_copies, store_file
from complaintctl.store.models import Complaint
from complaintctl.rules.policy import Policy, unit_words
from complaintctl.i18n import N_, _, name_of


@dataclass
class Outcome:
    """What a step did: the complaint's new record and anything the user should be told."""

    record: dict
    notices: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # complaint numbers a step opened


# -- reading -----------------------------------------------------------------------------------


def load(ledger: Ledger, session: Session, complaint_id: str) -> Complaint:
    """The complaint's row; the session remembers its branch for the rest of the step."""
    branch, number = ledger.locate(session.connection(), complaint_id)
    ledger.lock(session, branch)  # before the row is read: no other writer changes it until commit
    session.info["branch"] = branch
    return session.get(Complaint, (branch, number))


def _same_branch(session: Session, complaint_id: str) -> Complaint | None:
    """A complaint another one names (its original, its parent): always at the same branch."""
    return session.get(Complaint, (session.info.get("branch", ""), parse_id(complaint_id)[0]))


record_of = queries.record_of
deadlines = queries.deadlines


def policy_of(ledger: Ledger, record: dict) -> Policy:
    """The policy in force on the day the complaint was received."""
    return ledger.policy_on(clock.day_of(record["received_at"]))


# -- writing -----------------------------------------------------------------------------------


def save(session: Session, record: dict, event_id: int, row: Complaint | None = None) -> None:
    values = dict(columns_of(record), last_event=event_id, record=record_json(record))
    if row is None:
        session.add(
            Complaint(
                branch=session.info.get("branch", ""), id=record["id"], year=record["year"], seq=record["seq"], **values
            )
        )
    else:
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def _shown(moment: datetime) -> str:
    return moment.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def in_order(record: dict, kind: str, at: datetime, received_at: str | None = None) -> None:
    """Business time decides the order (CSA 9.4: the ledger records what happened, when it happened).

    No event is dated before the receipt; no change of status before the previous one; and no event
    before the state change that made it possible (`_made_possible_by`). While a complaint is only
    received, the receipt is the previous change: when the registration was typed in does not
    constrain what follows. `received_at`: the receipt after a correction in this event.
    """
    received = clock.from_iso(received_at or record["received_at"])
    what = name_of(kind, EVENT_NAMES)
    if at < received:
        raise ComplaintError(
            _("{what} dated {at} is before {id} was received ({received}); check --at").format(
                what=what, at=_shown(at), id=record['id'], received=_shown(received)
            ),
            "CSA 9.4",
        )
    if kind in STATUS_AFTER and record.get("status") != "received" and record.get("status_at"):
        last = clock.from_iso(record["status_at"])
        if at < last:
            raise ComplaintError(
                _("{what} dated {at} is before {id} became {status} ({last}); check --at").format(
                    what=what, at=_shown(at), id=record['id'], status=record['status'], last=_shown(last)
                ),
                "CSA 9.4",
            )
    enabled = _made_possible_by(record, kind)
    if enabled is not None:
        moment, step, by_day = enabled
        first = clock.from_iso(moment)
        if (at.astimezone(clock.SHANGHAI).date() < first.date()) if by_day else at < first:
            raise ComplaintError(
                _(
                    "{what} dated {at} is before {id} {step} ({when}); it cannot have happened earlier; check --at"
                ).format(what=what, at=_shown(at), id=record["id"], step=_(step), when=_shown(first)),
                "CSA 9.4",
            )


def _made_possible_by(record: dict, kind: str) -> tuple[str, str, bool] | None:
    """(when, what happened, compared by day) that an event of this kind needs before it, if any.

    A callback follows the result; an investigation record the first assignment; an extension and an
    unreasonable label the acceptance; the regulator reply the result (or the refusal, or the end of
    handling); a report of a major complaint the day it became major (DOMAIN: "any event").
    """
    if kind == "called_back" and record.get("resolved_at"):
        return record["resolved_at"], N_("was resolved"), False
    if kind == "investigated":
        assigned = [a["at"] for a in record.get("assignments", [])] or [record.get("assigned_at")]
        if assigned[0]:
            return min(assigned, key=clock.from_iso), N_("was assigned"), False
    if kind in ("extended", "marked_unreasonable", "approved") and record.get("accepted_at"):
        return record["accepted_at"], N_("was accepted"), False
    if kind == "regulator_replied":
        for key, step in (
            ("resolved_at", N_("was resolved")),
            ("rejected_at", N_("was refused")),
            ("terminated_at", N_("was terminated")),
        ):
            if record.get(key):
                return record[key], step, False
    if kind == "escalated":
        since = escalation_since(record)
        if since:
            return since, N_("became major"), True
    return None


EVENT_NAMES = {
    "amended": N_("the amendment"),
    "accepted": N_("the acceptance"),
    "rejected": N_("the refusal"),
    "assigned": N_("the assignment"),
    "escalated": N_("the report"),
    "extended": N_("the extension request"),
    "noted": N_("the note"),
    "resolved": N_("the resolution"),
    "regulator_replied": N_("the regulator reply"),
    "called_back": N_("the callback"),
    "marked_unreasonable": N_("the unreasonable label"),
    "reclassified": N_("the reclassification"),
    "attached": N_("the attachment"),
    "closed": N_("closing"),
    "investigated": N_("the investigation record"),
    "terminated": N_("the termination"),
    "rectified": N_("the rectification"),
    "approved": N_("the approval"),
    "letter_sent": N_("the letter"),
    "registered": N_("the registration"),
    "recomplained": N_("the re-complaint"),
    "voided": N_("the void"),
}


def _require_status(record: dict, allowed: tuple[str, ...], step: str, rule: str | None = None) -> None:
    status = record["status"]
    if status in allowed:
        return
    if status == "closed":
        raise ComplaintError(
            _("{id} is closed and archived; it can no longer be changed").format(id=record['id']), "CSA 9.4"
        )
    hints = {
        "received": _("accept or reject it first"),
        "accepted": _("assign a handler first (`complaintctl assign`)"),
        "rejected": _("it was not accepted"),
        "assigned": _("it is still being handled; resolve it first"),
        "resolved": _("it is already resolved"),
        "terminated": _("it was ended without a result"),
        "voided": _("its registration was voided: it counts nowhere"),
    }
    raise ComplaintError(
        _("cannot {step} {id}: it is {status} ({label}); {hint}")
        .format(
            step=step, id=record["id"], status=status, label=codes.STATUSES.shown(status), hint=hints.get(status, "")
        )
        .rstrip("; "),
        rule,
    )


def warm(ledger: Ledger) -> None:
    """Load calendar and policy before taking the write lock, so the lock is held briefly."""
    ledger.calendar()
    ledger.policies()


def _change(
    ledger: Ledger, complaint_id: str, kind: str, at: datetime, by: str, build, late_reason: str | None = None
) -> Outcome:
    """Load, check (build raises to refuse), append the event, store the new state: one transaction."""
    warm(ledger)
    with ledger.transaction() as session:
        row = load(ledger, session, complaint_id)
        record = json.loads(row.record)
        not_voided(record)
        payload, notices = build(session, record)
        at_text = clock.iso(at)
        new = apply(record, kind, payload, at_text, by)
        in_order(record, kind, at, new["received_at"])  # a receipt corrected by this event is the one that counts
        not_typed_twice(ledger, session, record, row.branch, kind, payload, at)
        event = ledger.append(session, record["id"], kind, at_text, by, payload, row.branch, late_reason)
        save(session, new, event.id, row)
    return Outcome(new, notices)


def not_voided(record: dict) -> None:
    if record.get("status") == "voided":
        raise ComplaintError(
            _("{id}'s registration was voided: it counts nowhere and takes no further entries").format(id=record["id"]),
            "CSA 9.4",
        )


# What does not make an entry different: why it was typed late, where an import found it, and what the step
# worked out itself (an extension's new date moves with the one before it).
_NOT_FACTS = ("late_reason", "imported", "new_due")


def _facts(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in _NOT_FACTS}


def history_of(ledger: Ledger, conn, number: str, branch: str) -> list[tuple[str, dict, str, str]]:
    """A complaint's entries as the fold reads them, (kind, payload, at, actor) in the order recorded."""
    return [(e.kind, json.loads(e.payload), e.at, e.actor) for e in ledger.events(conn, number, branch)]


def not_typed_twice(
    ledger: Ledger, session: Session, record: dict, branch: str, kind: str, payload: dict, at: datetime
) -> None:
    """The same step with the same facts on the same day, already on record and not voided, is refused:
    most likely a command run twice, or pasted again (DOMAIN: a mistaken entry). `--again` records it
    where a second one is real; another attempt after an unreachable callback is never a repeat."""
    if ledger.again:
        return
    day, facts = at.astimezone(clock.SHANGHAI).date(), _facts(payload)
    history = history_of(ledger, session.connection(), record["id"], branch)
    voided = voided_entries(history)
    standing = [(n, entry) for n, entry in enumerate(history, 1) if n not in voided and entry[0] == kind]
    if not standing:
        return
    n, (_done, given, done_at, actor) = standing[-1]  # the latest: another one between them makes this one new
    if (
        clock.day_of(done_at) == day
        and _facts(given) == facts
        and not (kind == "called_back" and given.get("outcome") == "unreachable")
    ):
        raise ComplaintError(
            _(
                "{id}: entry {n} already records {what}, the same on the same day ({at}, by {by}); "
                "if a second one is real, run it again with --again; if the first was wrong, `complaintctl "
                "void {id} {n} --reason ...`"
            ).format(id=record["id"], n=n, what=_(EVENT_NAMES[kind]), at=_shown(clock.from_iso(done_at)), by=actor),
            "CSA 9.4",
        )


def _escalation_notice(record: dict) -> list[str]:
    if escalation_since(record) and not record.get("escalations") and not record.get("major"):
        return [
            _(
                "CSA 9.1.2(c): {id} was a major complaint from {day}; the report owed since then is still owed: "
                "record "
                "it with `complaintctl escalate {id} --to ...`"
            ).format(id=record["id"], day=clock.day_of(escalation_since(record)))
        ]
    if escalation_since(record) and not record.get("escalations"):
        if record.get("group"):
            text = _(
                "CSA 9.1.2(c): {id} is a group complaint, so a major one; report it at once and record the "
                "report with `complaintctl escalate {id} --to ...`"
            )
        else:
            text = _(
                "CSA 9.1.2(c): {id} is a major complaint; report it at once and record the report with "
                "`complaintctl escalate {id} --to ...`"
            )
        return [text.format(id=record["id"])]
    return []


def register(
    ledger: Ledger,
    given: dict,
    *,
    at: datetime | None,
    by: str,
    parent: str | None = None,
    session: Session | None = None,
) -> Outcome:
    """A new complaint. Needs only what a first contact gives; `amend` completes the rest.

    Without `at`, it is registered when it was received (given --received-at), else now.
    """
    fields = parse_fields({k: v for k, v in given.items() if v is not None})
    if at is None:
        at = clock.from_iso(fields["received_at"]) if "received_at" in fields else clock.now()
    fields.setdefault("received_at", clock.iso(at))
    if fields.get("id_number") and not fields.get("id_type"):
        fields["id_type"] = "id_card"  # parse_fields checked it as a resident ID
    missing = registration_missing(fields)
    if missing:
        raise ComplaintError(_("cannot register: missing {missing}").format(missing=describe_missing(missing)))
    received = clock.from_iso(fields["received_at"])
    if received > at:
        raise ComplaintError(
            _("--received-at {received} is after the registration itself ({at})").format(
                received=received.date(), at=at.date()
            )
        )
    problem = transfer_problem(fields)
    if problem:
        raise ComplaintError(problem, "CSA 9.2.2(e)")
    _check_classification(fields, fields)
    warm(ledger)
    if session is None:
        with ledger.transaction() as own:
            outcome = _register(ledger, own, fields, at, by, parent)
    else:
        outcome = _register(ledger, session, fields, at, by, parent)
    if same_person(by, fields.get("respondent")):
        # Recorded all the same: a complaint is never turned away at the door. The decision is not theirs.
        outcome.notices.insert(
            0,
            _(
                "CSA 7.7: {by} registered a complaint against {respondent}; an upper level must "
                "designate who accepts and handles it (the acceptance will be refused to {by})"
            ).format(by=by, respondent=fields['respondent']),
        )
    return outcome


def _check_classification(given: dict, after: dict) -> None:
    problem = classification_problem(after, given)
    if problem:
        raise ComplaintError(*problem)


def _register(ledger: Ledger, session: Session, fields: dict, at: datetime, by: str, parent: str | None) -> Outcome:
    branch = session.info.setdefault("branch", ledger.branch)  # a re-complaint's is its original's
    if ledger.firm:
        known_branch(session, branch)
    ledger.lock(session, branch)  # the next number, read below, stays free until commit
    year = clock.day_of(fields["received_at"]).year
    seq = (
        session.exec(select(func.max(Complaint.seq)).where(Complaint.branch == branch, Complaint.year == year)).one()
        or 0
    ) + 1
    number = format_id(year, seq)
    payload = {"id": number, "year": year, "seq": seq, **fields}
    if parent:
        parent_number = parse_id(parent)[0]
        if _same_branch(session, parent_number) is None:
            raise ComplaintError(
                _(
                    "--parent: unknown complaint number {parent_number}; a re-complaint links to a "
                    "complaint in this ledger"
                ).format(parent_number=parent_number),
                "Firm 18(7)",
            )
        payload["parent"] = parent_number
    at_text = clock.iso(at)
    notices = _ticket_notice(ledger, session, fields.get("transfer_no"), number)
    event = ledger.append(session, number, "registered", at_text, by, payload, branch)
    record = apply(None, "registered", payload, at_text, by)
    save(session, record, event.id)
    return Outcome(record, notices + _typed_twice_notice(session, record) + _escalation_notice(record), [number])


def _typed_twice_notice(session: Session, record: dict) -> list[str]:
    """The same complainant's same request received the same day: told, never refused (a second complaint may
    be real), with the way to void this one if it was typed twice."""
    key = complainant_key(record)
    if not key or record.get("parent"):
        return []
    for text in session.exec(
        select(Complaint.record).where(
            Complaint.branch == session.info.get("branch", ""),
            Complaint.complainant_key == key,
            Complaint.id != record["id"],
            Complaint.received_day == clock.day_of(record["received_at"]).isoformat(),
            Complaint.status != "voided",
        )
    ):
        other = json.loads(text)
        if other.get("request") == record.get("request"):
            return [
                _(
                    "{other} holds the same complainant's same request, received the same day; if {id} was "
                    "registered twice by mistake, void it: `complaintctl void {id} 1 --reason ...`"
                ).format(other=other["id"], id=record["id"])
            ]
    return []


def _ticket_notice(ledger: Ledger, session: Session, transfer_no: str | None, number: str) -> list[str]:
    """A regulator's ticket is one complaint: a number already held is told, not refused (it may be a re-transfer)."""
    if not transfer_no:
        return []
    column = ledger.backend.json_text("record", "transfer_no")
    key = ticket_key(transfer_no)
    forms = (transfer_no, key, f"12386-{key}")  # as stored by register and import, with or without the platform's
    holders = [
        f"{branch}/{held}" if branch else held
        for branch, held in session.connection()
        .exec_driver_sql(
            f"SELECT branch, id FROM complaints WHERE {column} IN (?, ?, ?) AND NOT (branch = ? AND id = ?) "
            "AND status <> 'voided' ORDER BY branch, id",
            (*forms, session.info.get("branch", ""), number),
        )
        .all()
    ]
    if not holders:
        return []
    return [
        _(
            "CSA 9.2.2(e): transfer ticket {ticket} is already held by {holders}; if it is the same complaint, "
            "record it there"
        ).format(ticket=transfer_no, holders=", ".join(holders))
    ]


def amend(
    ledger: Ledger, complaint_id: str, given: dict, *, at: datetime, by: str, reason: str | None = None
) -> Outcome:
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        raise ComplaintError(_("nothing to amend: give at least one option, e.g. --id-number or --facts"))
    if reason is not None and not reason.strip():
        raise ComplaintError(_("--reason may not be empty"))

    def build(session, record):
        _require_status(record, codes.OPEN_STATUSES + ("rejected",), _("amend"))
        if "category" in given and record.get("category"):
            raise ComplaintError(
                _(
                    "{id} is already classified {category}; change it with `complaintctl reclassify "
                    "--category C --reason TEXT` so the reason is kept"
                ).format(id=record['id'], category=record['category']),
                "CSA 5",
            )
        fields = parse_fields(given, record)
        if fields.get("id_number") and not (record.get("id_type") or fields.get("id_type")):
            fields["id_type"] = "id_card"
        changes = {name: [record.get(name), value] for name, value in fields.items() if record.get(name) != value}
        if not changes:
            raise ComplaintError(_("nothing changed: {id} already holds those values").format(id=record['id']))
        if "received_at" in changes:
            _correct_receipt(ledger, session, record, clock.from_iso(changes["received_at"][1]), at, reason)
        after = {**record, **fields}
        if "channel" in changes and after.get("channel") == "regulator":
            missing = [n for n in ("source", "transfer_no") if not after.get(n)]
            if missing:
                raise ComplaintError(
                    _("a transferred complaint needs {missing}").format(missing=describe_missing(missing)), "CSA 6"
                )
        problem = transfer_problem(after)
        if problem:
            raise ComplaintError(problem, "CSA 9.2.2(e)")
        _check_classification(fields, after)
        if "respondent" in changes:
            for role, person in ((_("accepted"), record.get("accepted_by")), (_("is handling"), record.get("handler"))):
                if same_person(person, fields["respondent"]):
                    raise ComplaintError(
                        _(
                            "{person} {role} {id}; the one who accepts or handles a complaint may not "
                            "be its respondent (被投诉人): an upper level must reassign it first"
                        ).format(person=person, role=role, id=record['id']),
                        "CSA 7.7",
                    )
        payload = {"changes": changes, **({"reason": reason.strip()} if reason else {})}
        if "received_at" in changes and ledger.late_reason:  # kept even when typed the day it is dated (issue 44)
            payload["late_reason"] = ledger.late_reason
        if "major" in changes and not changes["major"][1]:
            _avoid(record, by, _("the person saying it is not major (--by)"))
            payload.update(_not_major(record, reason))
        _not_respondent(record, by, _("amend its facts"))
        after = apply(record, "amended", payload, clock.iso(at), by)
        notices = (
            _ticket_notice(ledger, session, fields["transfer_no"], record["id"]) if "transfer_no" in changes else []
        )
        return payload, notices + _escalation_notice(after)

    # A correction's --reason says why it was entered late too, unless --late-reason says so apart.
    return _change(ledger, complaint_id, "amended", at, by, build, late_reason=ledger.late_reason or reason)


def _not_major(record: dict, reason: str | None) -> dict:
    """Found not to be major: said with a reason, and the report owed since it became major stays owed."""
    if not reason:
        raise ComplaintError(
            _("{id} is a major complaint; saying it is not (--not-major) needs --reason").format(id=record["id"]),
            "CSA 5.3, 9.1.2(c)",
        )
    since = escalation_since(record)
    return {"escalation_owed_since": since} if since else {}


def _correct_receipt(
    ledger: Ledger, session: Session, record: dict, received: datetime, at: datetime, reason: str | None
) -> None:
    """The time of receipt drives every deadline: changing it is a correction, never an edit of history.

    Once the acceptance decision is made it needs a reason; and it may never fall after an event
    already recorded, or a late step would silently become an early one. The registration itself is
    not counted: it records the receipt, and when it was typed in does not constrain the receipt.
    """
    if received > at:
        raise ComplaintError(
            _("--received-at {received} is later than the amendment itself ({at})").format(
                received=_shown(received), at=_shown(at)
            ),
            "CSA 9.4",
        )
    decided = record.get("accepted_at") or record.get("rejected_at")
    if not reason:
        _no_passed_deadline_moves(ledger, record, received)
    if decided and not reason:
        raise ComplaintError(
            _(
                "{id} was {value} on {day_of}; correcting its time of receipt moves every deadline, so give --reason"
            ).format(
                id=record['id'],
                value=_('accepted') if record.get('accepted_at') else _('rejected'),
                day_of=clock.day_of(decided),
            ),
            "CSA 9.4",
        )
    every = (
        session.connection()
        .exec_driver_sql(
            "SELECT kind, at FROM events WHERE branch = ? AND complaint = ?",
            (session.info.get("branch", ""), record["id"]),
        )
        .all()
    )
    rows = [(kind, at) for kind, at in every if kind != "registered"]
    if rows:
        kind, first = min(((kind, clock.from_iso(at)) for kind, at in rows), key=lambda row: row[1])
        if received > first:
            raise ComplaintError(
                _(
                    "--received-at {received} would fall after {get} recorded at {first}; a receipt "
                    "cannot follow what it started"
                ).format(received=_shown(received), get=name_of(kind, EVENT_NAMES), first=_shown(first)),
                "CSA 9.4",
            )
    registered = [clock.from_iso(at) for kind, at in every if kind == "registered"]
    if registered and received > registered[0]:  # what `register` refuses, `amend` refuses too (issue 44)
        raise ComplaintError(
            _(
                "--received-at {received} is after the registration of {id} itself ({at}), which register refuses"
            ).format(received=_shown(received), id=record["id"], at=_shown(registered[0])),
            "CSA 9.4",
        )
    _receipt_out_of_export(ledger, session, record, received, reason)


def _receipt_out_of_export(ledger: Ledger, session: Session, record: dict, received: datetime, reason: str | None):
    """Moving the receipt into or out of a period already reported changes figures someone has read (本期接收):
    it needs a late reason (amend's own --reason counts), and the next report lists it (补录与更正)."""
    from complaintctl.store.late import export_covering

    if ledger.late_reason or reason:
        return
    old, new = clock.day_of(record["received_at"]), received.date()
    if old == new:
        return
    conn, branch = session.connection(), session.info.get("branch", "")
    for day in (old, new):
        export = export_covering(conn, day, branch)
        if export is not None and not (export.start <= old <= export.end and export.start <= new <= export.end):
            raise ComplaintError(
                _(
                    "moving the receipt of {id} from {old} to {new} moves it {way} {period}, whose report was "
                    "exported on {exported} by {by}: give --late-reason saying why it is corrected only now (the next "
                    "report lists it under 补录与更正)"
                ).format(
                    id=record["id"],
                    old=old,
                    new=new,
                    way=_("out of") if day == old else _("into"),
                    period=export.code,
                    exported=clock.day_of(export.exported_at),
                    by=export.by,
                ),
                "CSA 9.4",
            )


def _no_passed_deadline_moves(ledger: Ledger, record: dict, received: datetime) -> None:
    """A corrected receipt that moves a deadline already passed when typed rewrites a missed (or met) day:
    it needs a reason (DOMAIN: correcting the time of receipt)."""
    today = clock.today()
    before = {d.kind: d.due for d in deadlines(ledger, record)}
    after = {d.kind: d.due for d in deadlines(ledger, {**record, "received_at": clock.iso(received)})}
    for kind, due in before.items():
        moved = after.get(kind)
        if moved is not None and moved != due and min(due, moved) < today:
            raise ComplaintError(
                _(
                    "correcting the receipt of {id} to {received} moves its {kind} deadline from {old} "
                    "to {new}, and {past} had already passed when this is typed (today is {today}); "
                    "give --reason"
                ).format(
                    id=record["id"],
                    received=_shown(received),
                    kind=codes.deadline_name(kind),
                    old=due,
                    new=moved,
                    past=min(due, moved),
                    today=today,
                ),
                "CSA 9.4",
            )


def accept(ledger: Ledger, complaint_id: str, *, at: datetime, by: str) -> Outcome:
    def build(_session, record):
        _require_status(record, ("received",), _("accept"), "CSA 9.1.2")
        missing = acceptance_missing(record)
        if missing:
            hint = ""
            if missing == ["agent_authorized"]:
                hint = _("; without an authorisation, reject it with --reason no-authorization (9.1.1(b))")
            raise ComplaintError(
                _("cannot accept {id} yet; missing {missing}; add them with `complaintctl amend {id}`{hint}").format(
                    id=record['id'], missing=describe_missing(missing), hint=hint
                ),
                "CSA 9.1.2(b), Firm 15",
            )
        if not record.get("category"):
            raise ComplaintError(
                _(
                    "cannot accept {id} before it is classified: give it a business category with "
                    "`complaintctl amend {id} --category CODE` (see `complaintctl codes`)"
                ).format(id=record['id']),
                "CSA 5.1",
            )
        _avoid(record, by, _("the person accepting it (--by)"))
        return {}, _late_decision(ledger, record, at) + _escalation_notice(record)

    return _change(ledger, complaint_id, "accepted", at, by, build)


def _late_decision(ledger: Ledger, record: dict, at: datetime) -> list[str]:
    """A decision after the acceptance deadline is recorded as it happened, and said to be late."""
    acceptance = next(d for d in deadlines(ledger, record) if d.kind == "acceptance")
    if at.astimezone(clock.SHANGHAI).date() > acceptance.due:
        return [
            _("CSA 9.1.2(a): decided after the acceptance deadline (受理期限 {due}); recorded as late").format(
                due=acceptance.due
            )
        ]
    return []


def _own_callback(ledger: Ledger, record: dict, by: str) -> list[str]:
    """Firm 18(5) gives the callback to someone other than the handler; CSA leaves it to the firm: the policy
    `callback_by_handler` says warn (the default) or no."""
    if not same_person(by, record.get("handler")):
        return []
    if policy_of(ledger, record).callback_by_handler == "no":
        raise ComplaintError(
            _(
                "{person} is the handler of {id} and may not call back on their own result (policy "
                "callback-by-handler is no); someone else calls back"
            ).format(person=by.strip(), id=record["id"]),
            "Firm 18(5)",
        )
    return [
        _("Firm 18(5): {person}, the handler of {id}, calls back on their own result; someone else should").format(
            person=by.strip(), id=record["id"]
        )
    ]


def _not_respondent(record: dict, person: str, what: str) -> None:
    """CSA 7.7: the respondent checks nothing of the complaint against them: no facts, notes, escalation, files,
    voids or closing (issue 44)."""
    if same_person(person, record.get("respondent")):
        raise ComplaintError(
            _("{person} is the respondent (被投诉人) of {id} and may not {what}; someone else records it").format(
                person=person.strip(), id=record["id"], what=what
            ),
            "CSA 7.7",
        )


def _avoid(record: dict, person: str, who: str) -> None:
    """CSA 7.7: no one handles a complaint against themselves; names compared as people write them."""
    if same_person(person, record.get("respondent")):
        raise ComplaintError(
            _(
                "{who} {person} is the respondent (被投诉人) of {id} and may not handle it; an upper "
                "level must assign someone else"
            ).format(who=who, person=person, id=record['id']),
            "CSA 7.7",
        )


def reject(
    ledger: Ledger,
    complaint_id: str,
    *,
    reason: str,
    notified_via: str | None,
    note: str | None,
    at: datetime,
    by: str,
    original: str | None = None,
    refer_to: str | None = None,
    refer_contact: str | None = None,
) -> Outcome:
    reason_code = codes.REJECT_REASONS.parse(reason)
    refer_to, refer_contact = (refer_to or "").strip() or None, (refer_contact or "").strip() or None
    if bool(refer_to) != bool(refer_contact):
        raise ComplaintError(
            _("a referral names the competent body and how to reach it: give both --refer-to and --refer-contact"),
            "Firm 26",
        )
    if reason_code == "duplicate" and not original:
        raise ComplaintError(
            _("a repeat complaint is refused by pointing to the complaint it repeats: give --original ID"),
            "CSA 9.1.1(c)",
        )
    if original and reason_code != "duplicate":
        raise ComplaintError(_("--original goes with --reason duplicate"), "CSA 9.1.1(c)")
    via = codes.NOTIFY_VIA.parse(notified_via) if notified_via else None
    if reason_code == "other" and not (note and note.strip()):
        raise ComplaintError(_("reason 'other' (f) needs --note saying what the reason is"), "CSA 9.1.1(f)")

    def build(session, record):
        _require_status(record, ("received",), _("reject"), "CSA 9.1.1")
        _avoid(record, by, _("the person refusing it (--by)"))
        payload = {"reason": reason_code, "notified_via": via, "note": note}
        if refer_to:
            payload["refer_to"], payload["refer_contact"] = refer_to, refer_contact
        notices: list[str] = _late_decision(ledger, record, at)
        if via is None:  # told later, by the refusal notice itself; closing waits for it
            notices.append(
                _(
                    "Firm 17: the complainant is still to be told of the refusal and its reason: send the "
                    "notice with `complaintctl letter refusal {id} --sent-via letter` (or sms, email, "
                    "onsite)"
                ).format(id=record["id"])
            )
        if original:
            repeated = parse_id(original)[0]
            if repeated == record["id"]:
                raise ComplaintError(
                    _("--original {repeated} is this complaint; name the earlier one it repeats").format(
                        repeated=repeated
                    ),
                    "CSA 9.1.1(c)",
                )
            row = _same_branch(session, repeated)
            if row is None:
                raise ComplaintError(
                    _(
                        "--original: unknown complaint number {repeated}; a repeat is refused only "
                        "against a complaint in this ledger"
                    ).format(repeated=repeated),
                    "CSA 9.1.1(c)",
                )
            earlier = json.loads(row.record)
            if earlier.get("status") == "voided" or not earlier.get("accepted_at"):
                raise ComplaintError(
                    _(
                        "--original {repeated} was never accepted; a repeat is refused only when the "
                        "same matter was accepted or answered before"
                    ).format(repeated=repeated),
                    "CSA 9.1.1(c)",
                )
            payload["original"] = repeated
            if complainant_key(earlier) != complainant_key(record):
                notices.append(
                    _(
                        "CSA 9.1.1(c): {repeated} was made by another complainant; a repeat is the same "
                        "investor's, on the same facts and reasons"
                    ).format(repeated=repeated)
                )
        return payload, notices

    return _change(ledger, complaint_id, "rejected", at, by, build)


def assign(ledger: Ledger, complaint_id: str, *, handler: str, dept: str | None, at: datetime, by: str) -> Outcome:
    if not handler.strip():
        raise ComplaintError(_("--handler may not be empty"))

    def build(_session, record):
        _require_status(record, ("accepted", "assigned"), _("assign"), "CSA 9.2.2(a)")
        _avoid(record, handler, _("the handler"))
        _avoid(record, by, _("the person assigning it (--by)"))
        notices = []
        if record["status"] == "accepted" and at.date() > clock.day_of(record["accepted_at"]):
            notices.append(
                _(
                    "CSA 9.2.2(a): the handler is normally assigned the day the complaint is accepted "
                    "({day_of}); recorded as {at}"
                ).format(day_of=clock.day_of(record['accepted_at']), at=at.date())
            )
        return {"handler": handler.strip(), "dept": dept}, notices + _escalation_notice(record)

    return _change(ledger, complaint_id, "assigned", at, by, build)


def escalate(ledger: Ledger, complaint_id: str, *, to: str, note: str | None, at: datetime, by: str) -> Outcome:
    if not to.strip():
        raise ComplaintError(_("--to may not be empty: name the body the report went to"))

    def build(_session, record):
        # Owed until made, whatever happened since: resolved, refused or terminated (close waits for it).
        _require_status(record, codes.OPEN_STATUSES + codes.ENDED_STATUSES, _("escalate"), "CSA 9.1.2(c)")
        _not_respondent(record, by, _("report it (上报)"))
        return {"to": to, "note": note}, []

    return _change(ledger, complaint_id, "escalated", at, by, build)


def extend(
    ledger: Ledger,
    complaint_id: str,
    *,
    days: int,
    reason: str,
    approved_by: str | None,
    at: datetime,
    by: str,
    notified_via: str | None = None,
) -> Outcome:
    if not reason.strip():
        raise ComplaintError(_("an extension needs a reason (--reason)"), "CSA 9.2.2(d)")
    if approved_by is not None and not approved_by.strip():
        raise ComplaintError(_("--approved-by may not be empty"), "CSA 9.2.2(d)")
    via = codes.NOTIFY_VIA.parse(notified_via) if notified_via else None

    def build(_session, record):
        nonlocal approved_by
        _require_status(record, ("accepted", "assigned"), _("extend"), "CSA 9.2.2(d)")
        if approved_by is None:  # the approver's own record of it (`approve ID extension`), not yet used
            approval = pending_approval(record, "extension")
            if approval is None:
                raise ComplaintError(
                    _(
                        "an extension is approved by the complaint-management department: give "
                        "--approved-by, or let the approver record it first with `complaintctl approve "
                        "{id} extension --by NAME`"
                    ).format(id=record["id"]),
                    "CSA 9.2.2(d)",
                )
            approved_by = approval["by"]
        _avoid(record, by, _("the person asking for it (--by)"))
        _avoid(record, approved_by, _("the approver (--approved-by)"))
        if same_person(approved_by, by):  # no one approves their own request (issue 44)
            raise ComplaintError(
                _(
                    "{person} asks for this extension of {id} and may not approve it too; another person approves it"
                ).format(person=by.strip(), id=record["id"]),
                "CSA 7.7, 9.2.2(d)",
            )
        if same_person(approved_by, record.get("handler")):
            raise ComplaintError(
                _("the approver {person} is the handler of {id}; a handler never approves their own extension").format(
                    person=approved_by.strip(), id=record["id"]
                ),
                "CSA 7.7, 9.2.2(d)",
            )
        policy = policy_of(ledger, record)
        unit = unit_words(policy.completion_unit)
        if days < 1:
            raise ComplaintError(_("--days must be at least 1, not {days}").format(days=days), "CSA 9.2.2(d)")
        if days > policy.extension_each_max:
            raise ComplaintError(
                _("each extension may be at most {extension_each_max} {unit}; this one asks {days}").format(
                    extension_each_max=policy.extension_each_max, unit=unit, days=days
                ),
                "CSA 9.2.2(d)",
            )
        total = extension_total(record) + days
        if total > policy.extension_total_max:
            raise ComplaintError(
                _("extensions may total at most {extension_total_max} {unit}; this one would make {total}").format(
                    extension_total_max=policy.extension_total_max, unit=unit, total=total
                ),
                "CSA 9.2.2(d)",
            )
        completion = next(d for d in deadlines(ledger, record) if d.kind == "completion")
        if at.date() > completion.due:
            raise ComplaintError(
                _(
                    "an extension must be requested by the completion deadline (办结期限 {due}); this "
                    "request is dated {at}"
                ).format(due=completion.due, at=at.date()),
                "CSA 9.2.2(d)",
            )
        if via is None and not _told_progress(record, completion.original_due):
            raise ComplaintError(
                _(
                    "the complainant must hear of the progress by the original deadline "
                    "({original_due}): give --notified-via ({choices}), or first record it with "
                    "`complaintctl note {id} --kind progress`"
                ).format(original_due=completion.original_due, choices=codes.NOTIFY_VIA.choices(), id=record['id']),
                "CSA 9.2.1(d)",
            )
        new_due = ledger.calendar().add_days(
            clock.day_of(record["received_at"]), policy.completion_days + total, policy.completion_unit
        )
        payload = {"days": days, "reason": reason, "approved_by": approved_by.strip(), "new_due": new_due.isoformat()}
        if via:
            payload["notified_via"] = via
        return payload, []

    return _change(ledger, complaint_id, "extended", at, by, build)


def _told_progress(record: dict, by_day: date) -> bool:
    """CSA 9.2.1(d): interim feedback (a progress note, or a progress letter sent) dated on or before `by_day`."""
    return any(n["kind"] == "progress" and clock.day_of(n["at"]) <= by_day for n in record.get("notes", [])) or any(
        letter["kind"] in ("progress", "extension") and clock.day_of(letter["at"]) <= by_day
        for letter in record.get("letters", [])
    )


def refusal_told(record: dict) -> bool:
    """Firm 17: the refusal reached the complainant, as the refusal says (--notified-via) or by its notice sent."""
    return bool((record.get("rejection") or {}).get("notified_via")) or any(
        letter["kind"] == "refusal" for letter in record.get("letters", [])
    )


def pending_approval(record: dict, what: str) -> dict | None:
    """The latest approval of `what` recorded since the last step it approved (an extension uses its approval up)."""
    since = (
        max((e["at"] for e in record.get("extensions", [])), key=clock.from_iso, default=None)
        if what == "extension"
        else None
    )
    found = [
        a
        for a in record.get("approvals", [])
        if a["what"] == what
        and (since is None or clock.from_iso(a["at"]) >= clock.from_iso(since))
        # An approval stops counting once its approver is the handler or the respondent (CSA 7.7, Firm 25).
        and not any(same_person(a.get("by"), record.get(role)) for role in ("handler", "respondent"))
    ]
    return found[-1] if found else None


def approvals_missing(record: dict, policy, paid: str | None) -> list[tuple[str, str]]:
    """(message, rule) for each approval the policy asks before this result is recorded (maker-checker)."""
    from decimal import Decimal

    missing = []
    if paid is not None and Decimal(paid) > policy.approval_compensation_above:
        approval = pending_approval(record, "compensation")
        if approval is None:
            missing.append(
                (
                    _(
                        "a compensation of {amount} yuan is approved before the result is recorded; the approver "
                        "records it with `complaintctl approve {id} compensation --by NAME --amount {amount}`"
                    ).format(amount=paid, id=record["id"]),
                    "Firm 25",
                )
            )
        elif approval.get("amount") is not None and Decimal(approval["amount"]) < Decimal(paid):
            missing.append(
                (
                    _("{by} approved a compensation of {approved} yuan, not {amount}").format(
                        by=approval["by"], approved=approval["amount"], amount=paid
                    ),
                    "Firm 25",
                )
            )
    if (policy.approval_opinions == "all" or record.get("major") or record.get("group")) and pending_approval(
        record, "opinion"
    ) is None:
        why = (
            _("every handling opinion") if policy.approval_opinions == "all" else _("the opinion on a major complaint")
        )
        missing.append(
            (
                _(
                    "{why} is approved before the result is recorded; the approver records it with "
                    "`complaintctl approve {id} opinion --by NAME`"
                ).format(why=why, id=record["id"]),
                "Firm 18(2)" if policy.approval_opinions == "all" else "CSA 8.1.1(a), Firm 25",
            )
        )
    return missing


def approve(
    ledger: Ledger, complaint_id: str, *, what: str, note: str | None, amount: str | None, at: datetime, by: str
) -> Outcome:
    """Maker-checker: the approver records their approval of the opinion, a compensation or an extension."""
    what_code = codes.APPROVALS.parse(what)
    paid = parse_amount(amount, "--amount") if amount is not None else None
    if paid is not None and what_code != "compensation":
        raise ComplaintError(_("--amount goes with an approval of compensation"), "Firm 25")
    if note is not None and not note.strip():
        raise ComplaintError(_("--note may not be empty"))

    def build(_session, record):
        _require_status(
            record,
            ("accepted", "assigned"),
            _("approve the {what} of").format(what=codes.APPROVALS.shown(what_code)),
            "Firm 25",
        )
        _avoid(record, by, _("the approver (--by)"))
        if same_person(by, record.get("handler")):
            raise ComplaintError(
                _(
                    "the approver {person} is the handler of {id}; the one who handles a complaint "
                    "never "
                    "approves its {what}"
                ).format(person=by.strip(), id=record["id"], what=codes.APPROVALS.shown(what_code)),
                "CSA 7.7, Firm 25",
            )
        return {"what": what_code, "note": note, **({"amount": paid} if paid is not None else {})}, []

    return _change(ledger, complaint_id, "approved", at, by, build)


def note(ledger: Ledger, complaint_id: str, *, text: str, kind: str, at: datetime, by: str) -> Outcome:
    kind_code = codes.NOTE_KINDS.parse(kind)
    if not text.strip():
        raise ComplaintError(_("the note is empty"))

    def build(_session, record):
        _require_status(record, codes.OPEN_STATUSES + ("rejected",), _("add a note to"))
        _not_respondent(record, by, _("add notes to it"))
        return {"kind": kind_code, "text": text}, []

    return _change(ledger, complaint_id, "noted", at, by, build)


# The items of the investigation record, by the option that gives each (--facts-found, ...).
INVESTIGATION_OPTIONS = {name: "--" + name.replace("_", "-") for name in INVESTIGATION_ITEMS}


def _investigation_given(items: dict) -> dict:
    """The investigation record's items given (CSA 9.2.2(b)), in the record's order; none may be empty."""
    unknown = set(items) - set(INVESTIGATION_OPTIONS)
    if unknown:  # a caller's slip, not the user's
        raise TypeError(f"not an item of the investigation record: {', '.join(sorted(unknown))}")
    given = {name: items[name] for name in INVESTIGATION_OPTIONS if items.get(name) is not None}
    for name, value in given.items():
        if not value.strip():
            raise ComplaintError(
                _("{value} may not be empty").format(value=INVESTIGATION_OPTIONS[name]), "CSA 9.2.2(b)"
            )
    return given


def investigate(
    ledger: Ledger,
    complaint_id: str,
    *,
    at: datetime,
    by: str,
    improvement_owner: str | None = None,
    improvement_due: str | None = None,
    **items: str | None,
) -> Outcome:
    """The investigation record of CSA 9.2.2(b), any time from assignment until closing; repeatable.

    An improvement measure (item 4) may be given an owner and a promised date (CSA 8.2.4, 追踪整改);
    `warn` then follows it, after the complaint is closed too, until `rectified` marks it done.
    """
    given = _investigation_given(items)
    if improvement_owner is not None:
        if not improvement_owner.strip():
            raise ComplaintError(_("--improvement-owner may not be empty"), "CSA 8.2.4")
        given["improvement_owner"] = improvement_owner.strip()
    if improvement_due is not None:
        given["improvement_due"] = clock.parse_date(improvement_due, "--improvement-due", clock.COMING).isoformat()
    if not given:
        raise ComplaintError(
            _("nothing to record: give at least one of {values}").format(
                values=", ".join(INVESTIGATION_OPTIONS.values())
            ),
            "CSA 9.2.2(b)",
        )

    def build(_session, record):
        _require_status(record, ("assigned", "resolved"), _("record the investigation of"), "CSA 9.2.2(b)")
        _avoid(record, by, _("the investigator (--by)"))
        if "improvement_owner" in given or "improvement_due" in given:
            _check_rectification(record, given, at)
        return given, []

    return _change(ledger, complaint_id, "investigated", at, by, build)


def _check_rectification(record: dict, given: dict, at: datetime) -> None:
    """An owner and a promised date belong to an improvement measure, both of them, and not to one already made."""
    earlier = record.get("rectification") or {}
    if earlier.get("done_at"):
        raise ComplaintError(
            _(
                "the improvement measure of {id} was marked done on {day}; its owner and date are "
                "part of the record now"
            ).format(id=record["id"], day=clock.day_of(earlier["done_at"])),
            "CSA 8.2.4",
        )
    if not (given.get("improvement") or (record.get("investigation") or {}).get("improvement")):
        raise ComplaintError(
            _(
                "--improvement-owner and --improvement-due go with an improvement measure: give "
                "--improvement (存在的不足及管理改进措施) for {id}"
            ).format(id=record["id"]),
            "CSA 9.2.2(b) item 4",
        )
    owner = given.get("improvement_owner") or earlier.get("owner")
    due = given.get("improvement_due") or earlier.get("due")
    if not owner or not due:
        missing = "--improvement-due" if owner else "--improvement-owner"
        raise ComplaintError(
            _("an improvement measure is tracked with both an owner and a promised date: give {missing} too").format(
                missing=missing
            ),
            "CSA 8.2.4",
        )
    if date.fromisoformat(due) < at.astimezone(clock.SHANGHAI).date():
        raise ComplaintError(
            _("--improvement-due {due} is before this investigation record ({day}); a promised date lies ahead").format(
                due=due, day=at.astimezone(clock.SHANGHAI).date()
            ),
            "CSA 8.2.4",
        )


def rectified(ledger: Ledger, complaint_id: str, *, note: str, at: datetime, by: str) -> Outcome:
    """The improvement measure was carried out (整改完成, CSA 8.2.4): allowed after closing too, since
    the file is archived while the firm's own fix may take longer."""
    if not note.strip():
        raise ComplaintError(_("--note may not be empty: say what was done"), "CSA 8.2.4")

    def build(_session, record):
        rectification = record.get("rectification")
        if not rectification:
            raise ComplaintError(
                _(
                    "{id} has no improvement measure with an owner and a promised date; record it with "
                    "`complaintctl investigate {id} --improvement ... --improvement-owner NAME "
                    "--improvement-due DATE`"
                ).format(id=record["id"]),
                "CSA 8.2.4",
            )
        if rectification.get("done_at"):
            raise ComplaintError(
                _("the improvement measure of {id} was already marked done on {day}").format(
                    id=record["id"], day=clock.day_of(rectification["done_at"])
                ),
                "CSA 8.2.4",
            )
        if at < clock.from_iso(rectification["at"]):
            raise ComplaintError(
                _("the rectification dated {at} is before its measure was recorded ({recorded}); check --at").format(
                    at=_shown(at), recorded=_shown(clock.from_iso(rectification["at"]))
                ),
                "CSA 9.4",
            )
        notices = []
        if at.astimezone(clock.SHANGHAI).date() > date.fromisoformat(rectification["due"]):
            notices.append(
                _("CSA 8.2.4: done after its promised date ({due}); recorded as late").format(due=rectification["due"])
            )
        return {"note": note}, notices

    return _change(ledger, complaint_id, "rectified", at, by, build)


def resolve(
    ledger: Ledger,
    complaint_id: str,
    *,
    result: str,
    compensation: str | None = None,
    feedback_via: str | None = None,
    respondent_feedback_via: str | None = None,
    settled: str | None = None,
    told: str | None = None,
    at: datetime,
    by: str,
    **items: str | None,
) -> Outcome:
    """The result delivered (CSA 9.2.2(c), 9.3); `items`: the investigation record's, as `investigate` takes them."""
    if not result.strip():
        raise ComplaintError(
            _("--result may not be empty: it is the handling opinion given to the complainant"), "CSA 9.2.2(c)"
        )
    if told is not None and not told.strip():
        raise ComplaintError(
            _("--told may not be empty: it is the opinion in the words the complainant is told"), "CSA 9.3"
        )
    paid = parse_amount(compensation, "--compensation") if compensation is not None else None
    if not feedback_via:
        raise ComplaintError(
            _("say how the handling opinion reached the complainant: give --feedback-via, one of {choices}").format(
                choices=codes.FEEDBACK_VIA.choices()
            ),
            "CSA 9.3",
        )
    via = codes.FEEDBACK_VIA.parse(feedback_via)
    agreed = codes.SETTLED.parse(settled) == "yes" if settled is not None else None
    respondent_via = (
        replace(codes.FEEDBACK_VIA, option="--respondent-feedback-via").parse(respondent_feedback_via)
        if respondent_feedback_via
        else None
    )  # an unknown value is blamed on its own option
    investigation = _investigation_given(items)

    def build(_session, record):
        _require_status(record, ("assigned",), _("resolve"), "CSA 9.2.2(c)")
        _avoid(record, by, _("the person resolving it (--by)"))
        known = {**(record.get("investigation") or {}), **investigation}
        missing = [INVESTIGATION_OPTIONS[k] for k in ("facts_found", "cause") if not known.get(k)]
        if missing:
            raise ComplaintError(
                _(
                    "the investigation record of {id} lacks {missing}; record them with `complaintctl "
                    "investigate {id}` (or give them here)"
                ).format(id=record['id'], missing=' and '.join(missing)),
                "CSA 9.2.2(b)",
            )
        if (record.get("respondent") or record.get("respondent_dept")) and not respondent_via:
            raise ComplaintError(
                _(
                    "the opinion goes to the respondent (被投诉人) too: give --respondent-feedback-via, "
                    "one of {choices}"
                ).format(choices=codes.FEEDBACK_VIA.choices()),
                "CSA 9.3",
            )
        if escalation_since(record) and not record.get("escalations"):
            raise ComplaintError(
                _(
                    "{id} is a major complaint that was never reported: record the report with "
                    "`complaintctl escalate {id} --to ...` before resolving it"
                ).format(id=record['id']),
                "CSA 9.1.2(c), 9.2.2(a)(2)",
            )
        for message, rule in approvals_missing(record, policy_of(ledger, record), paid):
            raise ComplaintError(message, rule)
        payload = {
            "result": result,
            **investigation,
            "compensation": paid,
            "feedback_via": via,
            "respondent_feedback_via": respondent_via,
            **({"settled": agreed} if agreed is not None else {}),
            **({"told": told.strip()} if told is not None else {}),
        }
        notices = []
        completion = next(d for d in deadlines(ledger, record) if d.kind == "completion")
        if at.date() > completion.due:
            notices.append(
                _("CSA 9.2.2(c): resolved after the completion deadline (办结期限 {due}); recorded as late").format(
                    due=completion.due
                )
            )
        return payload, notices

    return _change(ledger, complaint_id, "resolved", at, by, build)


def regulator_reply(ledger: Ledger, complaint_id: str, *, note: str | None, at: datetime, by: str) -> Outcome:
    def build(_session, record):
        if record.get("channel") != "regulator":
            raise ComplaintError(
                _(
                    "{id} was received directly, not transferred by a regulator; there is no transfer system to answer"
                ).format(id=record['id']),
                "CSA 9.2.2(e)",
            )
        _require_status(
            record, ("resolved", "rejected", "terminated"), _("enter the regulator reply for"), "CSA 9.2.2(e)"
        )
        if record.get("regulator_replied_at"):
            raise ComplaintError(
                _("the result of {id} was already entered into the regulator's system on {day_of}").format(
                    id=record['id'], day_of=clock.day_of(record['regulator_replied_at'])
                ),
                "CSA 9.2.2(e)",
            )
        return {"note": note, "transfer_no": record.get("transfer_no"), "source": record.get("source")}, []

    return _change(ledger, complaint_id, "regulator_replied", at, by, build)


def callback(
    ledger: Ledger,
    complaint_id: str,
    *,
    outcome: str,
    method: str | None,
    note: str | None,
    recomplain: bool,
    at: datetime,
    by: str,
    advised: list[str] | tuple[str, ...] = (),
) -> Outcome:
    result = codes.CALLBACK_OUTCOMES.parse(outcome)
    how = codes.CALLBACK_METHODS.parse(method) if method else "phone"
    if recomplain and result != "dissatisfied":
        raise ComplaintError(
            _("--recomplain goes with --outcome dissatisfied: a re-complaint follows a dissatisfied callback"),
            "Firm 18(7)",
        )
    told = list(dict.fromkeys(codes.ADVICE.parse(a) for a in advised or ()))
    if result == "dissatisfied" and not told:
        raise ComplaintError(
            _(
                "a dissatisfied complainant is told where to turn: give --advised with what they were "
                "actually told, one or more of {choices}"
            ).format(choices=codes.ADVICE.choices()),
            "CSA 9.3(b)",
        )
    if told and result != "dissatisfied":
        raise ComplaintError(_("--advised goes with --outcome dissatisfied"), "CSA 9.3(b)")
    warm(ledger)
    with ledger.transaction() as session:
        row = load(ledger, session, complaint_id)
        record = json.loads(row.record)
        not_voided(record)
        _require_status(record, ("resolved",), _("call back"), "Firm 18(5)")
        in_order(record, "called_back", at)
        _avoid(record, by, _("the caller (--by)"))
        own = _own_callback(ledger, record, by)
        payload = {"outcome": result, "method": how, "note": note}
        if told:
            payload["advised"] = told  # CSA 9.3(b): what the complainant was told, as told
        not_typed_twice(ledger, session, record, row.branch, "called_back", payload, at)
        notices = own + _callback_frequency(session, record, at, policy_of(ledger, record).callbacks_per_quarter)
        at_text = clock.iso(at)
        event = ledger.append(session, record["id"], "called_back", at_text, by, payload, row.branch)
        new = apply(record, "called_back", payload, at_text, by)
        save(session, new, event.id, row)
        created = []
        if recomplain:
            child = _recomplaint(ledger, session, new, note, at, by)
            created.append(child["id"])
            event = ledger.append(
                session, record["id"], "recomplained", at_text, by, {"child": child["id"]}, row.branch
            )
            new = apply(new, "recomplained", {"child": child["id"]}, at_text, by)
            save(session, new, event.id, row)
            notices.append(
                _("Firm 18(7): re-complaint {id} opened, linked to {id2}").format(id=child['id'], id2=record['id'])
            )
    return Outcome(new, notices, created)


def _recomplaint(ledger: Ledger, session: Session, original: dict, note: str | None, at: datetime, by: str) -> dict:
    copied = {
        name: original.get(name)
        for name in FIELD_BY_NAME
        if name not in ("received_at", "method", "channel", "source", "transfer_no", "reply_due", "representatives")
    }  # a new contact by phone: not the original's ticket or meeting
    copied.update(method="phone", channel="direct", received_at=at)
    copied["facts"] = f"对{original['id']}处理结果不满意（回访）。" + (note or "")
    fields = parse_fields({k: v for k, v in copied.items() if v is not None})
    return _register(ledger, session, fields, at, by, original["id"]).record


def _callback_frequency(session: Session, record: dict, at: datetime, limit: int) -> list[str]:
    """Callback rules 4(3): the same customer is called back at most `limit` times a quarter."""
    key = complainant_key(record)
    if not key:
        return []
    quarter = clock.quarter_of(at.date())
    count = 0
    for text in session.exec(
        select(Complaint.record).where(
            Complaint.branch == session.info.get("branch", ""), Complaint.complainant_key == key
        )
    ):
        other = json.loads(text)
        if other.get("status") == "voided":  # its registration was a mistake: its callbacks were never made
            continue
        for done in other.get("callbacks", []):
            if clock.quarter_of(clock.day_of(done["at"])) == quarter:
                count += 1
    if count >= limit:
        return [
            _(
                "Callback rules 4(3): this is callback {n} to this complainant in {year}Q{quarter}; the rules "
                "allow at most {limit} a quarter"
            ).format(n=count + 1, year=quarter[0], quarter=quarter[1], limit=limit)
        ]
    return []


def mark_unreasonable(
    ledger: Ledger, complaint_id: str, *, evidence: str, approved_by: str, at: datetime, by: str
) -> Outcome:
    if not evidence.strip() or not approved_by.strip():
        raise ComplaintError(
            _(
                "labelling a complaint unreasonable (无理投诉) needs the written investigation evidence "
                "(--evidence) and the internal approval (--approved-by)"
            ),
            "CSA 5.4(b), Appendix C",
        )

    def build(_session, record):
        _require_status(record, ("accepted", "assigned", "resolved"), _("mark unreasonable"), "CSA 9.1.4(a)(3)")
        _avoid(record, by, _("the person labelling it (--by)"))
        _avoid(record, approved_by, _("the approver (--approved-by)"))
        for person in (by, approved_by):
            if same_person(person, record.get("handler")):  # no one judges their own handling (issue 44)
                raise ComplaintError(
                    _(
                        "{person} is the handler of {id}: the handler may neither label their own complaint "
                        "unreasonable nor approve that label"
                    ).format(person=person.strip(), id=record["id"]),
                    "CSA 7.7, 5.4",
                )
        if record.get("unreasonable"):
            raise ComplaintError(_("{id} is already marked unreasonable").format(id=record['id']), "CSA 5.4(b)")
        return {"evidence": evidence, "approved_by": approved_by}, []

    return _change(ledger, complaint_id, "marked_unreasonable", at, by, build)


def reclassify(ledger: Ledger, complaint_id: str, *, category: str, reason: str, at: datetime, by: str) -> Outcome:
    to = codes.CATEGORIES.parse(category)
    if not reason.strip():
        raise ComplaintError(_("a reclassification needs --reason"), "CSA 5")

    def build(_session, record):
        _require_status(record, codes.OPEN_STATUSES + ("rejected",), _("reclassify"))
        _avoid(record, by, _("the person reclassifying it (--by)"))
        if record.get("category") == to:
            raise ComplaintError(_("{id} is already in category {to}").format(id=record['id'], to=to))
        return {"from": record.get("category"), "to": to, "reason": reason}, []

    return _change(ledger, complaint_id, "reclassified", at, by, build)


def known_branch(session: Session, branch: str) -> None:
    """A firm ledger registers only at a branch it knows: a mistyped code would start a new numbering."""
    from complaintctl.store.ledger_wide_models import Branch

    if not branch:
        raise ComplaintError(
            _("a firm ledger registers each complaint at a branch: give --branch CODE (see `complaintctl branch list`)")
        )
    if session.get(Branch, branch) is None:
        raise ComplaintError(
            _(
                "unknown branch {branch}; add it first with `complaintctl branch add {branch} --name "
                "NAME` (see `complaintctl branch list`)"
            ).format(branch=branch)
        )


def attach(ledger: Ledger, complaint_id: str, *, path: Path, kind: str, at: datetime, by: str) -> Outcome:
    kind_code = codes.ATTACHMENT_KINDS.parse(kind)
    source = Path(path)
    if not source.is_file():
        raise ComplaintError(_("cannot attach {source}: no such file").format(source=source))
    with ledger.reading() as conn:  # unknown numbers are refused before anything is copied
        branch, number = ledger.locate(conn, complaint_id)
        stored_record = conn.exec_driver_sql(
            "SELECT record FROM complaints WHERE branch = ? AND id = ?", (branch, number)
        ).scalar()
    _not_respondent(json.loads(stored_record), by, _("attach files to it"))  # nor is anything copied
    archive = ledger.archive_for(branch)
    folder = archive / number
    remove_stale_copies(folder)  # what an attach killed half-way left behind
    # What is recorded is what was stored: hashed as it was copied, read back, then renamed into place,
    # so a source still being written cannot leave a file that differs from its record.
    stored = store_file(source, folder, lambda sha: f"{sha[:16]}-{source.name}")
    os.chmod(archive, 0o700)

    def build(_session, record):
        return {
            "kind": kind_code,
            "file": source.name,
            "stored_as": stored.path.relative_to(archive).as_posix(),
            "sha256": stored.sha256,
            "size": stored.size,
        }, []

    return _change(ledger, typed_number(branch, number), "attached", at, by, build)


def close(ledger: Ledger, complaint_id: str, *, at: datetime, by: str) -> Outcome:
    def build(_session, record):
        _require_status(record, ("resolved", "rejected", "terminated"), _("close"), "CSA 9.3")
        _not_respondent(record, by, _("close it"))
        if escalation_since(record) and not record.get("escalations"):
            raise ComplaintError(
                _(
                    "{id} became a major complaint on {day} and was never reported; record the report "
                    "with `complaintctl escalate {id} --to ...` before closing it"
                ).format(id=record["id"], day=clock.day_of(escalation_since(record))),
                "CSA 9.1.2(c)",
            )
        if record["status"] == "resolved":
            if not record.get("callbacks"):
                raise ComplaintError(
                    _("call back the complainant of {id} before closing it (`complaintctl callback`)").format(
                        id=record['id']
                    ),
                    "Firm 18(5)",
                )
            if not reached_callbacks(record):
                _tried_enough(ledger, record)
        if record["status"] == "rejected" and not refusal_told(record):
            raise ComplaintError(
                _(
                    "{id} was refused but the complainant was never told: send the notice with "
                    "`complaintctl letter refusal {id} --sent-via letter` before closing it"
                ).format(id=record["id"]),
                "Firm 17, CSA 9.1.1",
            )
        if record.get("channel") == "regulator" and not record.get("regulator_replied_at"):
            # Refused or terminated too: the regulator hears how its transfer ended (CSA 9.2.2(e)).
            raise ComplaintError(
                _(
                    "enter the result of {id} into the regulator's transfer system first "
                    "(`complaintctl regulator-reply`)"
                ).format(id=record['id']),
                "CSA 9.2.2(e)",
            )
        # What closing depends on comes first in business time too, not only in the order typed.
        needed = [(_("the callback"), c["at"]) for c in record["callbacks"]]
        if record.get("regulator_replied_at"):
            needed.append((_("the regulator reply"), record["regulator_replied_at"]))
        needed += [(_("the report"), e["at"]) for e in record.get("escalations", [])]
        if needed:
            what, last = max(needed, key=lambda item: clock.from_iso(item[1]))
            if at < clock.from_iso(last):
                raise ComplaintError(
                    _("closing dated {at} is before {what} recorded at {from_iso}; check --at").format(
                        at=_shown(at), what=what, from_iso=_shown(clock.from_iso(last))
                    ),
                    "CSA 9.4",
                )
        return {"keep_until": keep_until(at.date()).isoformat()}, []

    return _change(ledger, complaint_id, "closed", at, by, build)


def _tried_enough(ledger: Ledger, record: dict) -> None:
    """Firm 18(5): a complainant never reached may be let go only after attempts on different working days."""
    needed = policy_of(ledger, record).unreachable_attempts
    calendar = ledger.calendar()
    days = {clock.day_of(c["at"]) for c in record["callbacks"]}
    working = sorted(d for d in days if calendar.is_working_day(d))
    if len(working) < needed:
        raise ComplaintError(
            _(
                "the complainant of {id} was never reached; closing needs callback attempts on at "
                "least {needed} different working days, and there are {working}{value}"
            ).format(
                id=record['id'],
                needed=needed,
                working=len(working),
                value=f" ({', '.join(map(str, working))})" if working else "",
            ),
            "Firm 18(5)",
        )


def terminate(ledger: Ledger, complaint_id: str, *, reason: str, note: str | None, at: datetime, by: str) -> Outcome:
    """End an accepted complaint without a result (终止处理): withdrawn, or taken to court or arbitration."""
    reason_code = codes.TERMINATE_REASONS.parse(reason)
    if reason_code == "other" and not (note and note.strip()):
        raise ComplaintError(_("reason 'other' needs --note saying why handling ended"), "CSA 9.1.1(d)")

    def build(_session, record):
        _require_status(record, ("accepted", "assigned"), _("terminate"), "CSA 9.1.1(d)")
        _avoid(record, by, _("the person ending it (--by)"))
        return {"reason": reason_code, "note": note}, []

    return _change(ledger, complaint_id, "terminated", at, by, build)


# -- putting a mistake right (作废) ------------------------------------------------------------------

# The letters that state what an entry of each kind recorded: voiding it leaves such a letter, once sent, wrong.
LETTERS_STATING = {
    "rejected": ("refusal", "record", "regulator-reply"),
    "extended": ("extension", "progress", "record"),
    "noted": ("progress",),
    "resolved": ("opinion", "respondent-result", "record", "regulator-reply"),
    "terminated": ("record", "regulator-reply"),
    "investigated": ("record", "opinion"),
    "accepted": ("record",),
    "assigned": ("record",),
    "called_back": ("record",),
    "reclassified": ("record",),
    "escalated": ("record",),
    "approved": ("record",),
    "marked_unreasonable": ("record",),
    "rectified": ("record",),
    "regulator_replied": ("record", "regulator-reply"),
    "amended": tuple(codes.LETTER_KINDS),
    "registered": tuple(codes.LETTER_KINDS),
}


def void(ledger: Ledger, complaint_id: str, *, entry: int, reason: str, at: datetime, by: str) -> Outcome:
    """Void entry `entry` of the complaint's timeline (作废): a later event that names it and says why. The
    entry stays on record; every figure treats it as never made (DOMAIN: a mistaken entry). Voiding entry 1,
    the registration, voids the complaint: its number stays taken and it counts nowhere."""
    reason = checked_text(reason, "--reason", multiline=True).strip()
    if not reason:
        raise ComplaintError(_("a void needs --reason: say what was wrong with the entry"), "CSA 9.4")
    warm(ledger)
    with ledger.transaction() as session:
        row = load(ledger, session, complaint_id)
        record = json.loads(row.record)
        not_voided(record)
        conn = session.connection()
        history = history_of(ledger, conn, record["id"], row.branch)
        kind, given, entry_at, _actor = _voidable(session, record, history, entry)
        _avoid(record, by, _("the person voiding it (--by)"))
        dated = min(entry_at, given["received_at"], key=clock.from_iso) if kind == "registered" else entry_at
        if at < clock.from_iso(entry_at):
            raise ComplaintError(
                _("the void dated {at} is before the entry it voids ({when}); check --at").format(
                    at=_shown(at), when=_shown(clock.from_iso(entry_at))
                ),
                "CSA 9.4",
            )
        payload = {"entry": entry, "kind": kind, "entry_at": dated, "reason": reason}
        at_text = clock.iso(at)
        new = fold([*history, ("voided", payload, at_text, by)])
        _receipt_still_first(record, history, new, entry)
        _still_acceptable(record, history, new, entry)
        # The days whose figures it changes: the entry's, and the receipt's before and after it (a correction of
        # the receipt voided moves the complaint back to its first day).
        moved = {record["received_at"], new["received_at"]} if new["received_at"] != record["received_at"] else set()
        days = [dated, *sorted(moved - {dated}, key=clock.from_iso)]
        late = _void_into_export(ledger, conn, record, entry, kind, days, row.branch)
        if late:
            payload["late_reason"] = late
        if len(days) > 1:  # the report of each period it changes lists it (late.late_entries)
            payload["changes_days"] = [clock.day_of(day).isoformat() for day in days]
        new = fold([*history, ("voided", payload, at_text, by)])
        event = ledger.append(session, record["id"], "voided", at_text, by, payload, row.branch)
        save(session, new, event.id, row)
    stating = LETTERS_STATING.get(kind, ())
    notices = []
    if kind == "registered" and record.get("parent"):
        notices.append(
            _(
                "{id} was the re-complaint of {parent}, whose timeline still links it; void that link there "
                "(`complaintctl show {parent}`, the entry “re-complaint opened”)"
            ).format(id=record["id"], parent=record["parent"])
        )
    notices += [
        _(
            "{id}: the {letter} sent {day} ({via}) stated what entry {n} recorded; tell its reader of the "
            "correction, and record a new letter if one is owed"
        ).format(
            id=record["id"],
            letter=codes.LETTER_KINDS[sent["kind"]][0],
            day=clock.day_of(sent["at"]),
            via=sent.get("via", ""),
            n=entry,
        )
        for sent in record.get("letters", [])
        if sent.get("kind") in stating and sent["at"] >= entry_at
    ]
    return Outcome(new, notices)


def _voidable(session: Session, record: dict, history: list, entry: int) -> tuple:
    """The entry to void, once it may be: it exists, is no void itself, and nothing still standing rests on it."""
    number = record["id"]
    if not 1 <= entry <= len(history):
        raise ComplaintError(
            _("{id} has no entry {n}: its timeline has entries 1 to {count} (`complaintctl show {id}`)").format(
                id=number, n=entry, count=len(history)
            ),
            "CSA 9.4",
        )
    kind, given, _at, _actor = history[entry - 1]
    what = _(EVENT_NAMES.get(kind, kind))
    if kind == "voided":
        raise ComplaintError(
            _(
                "entry {n} of {id} is a void; a void is never voided: if what it took back was right after "
                "all, record that step again"
            ).format(n=entry, id=number),
            "CSA 9.4",
        )
    for done in record.get("voids", []):
        if done["entry"] == entry:
            raise ComplaintError(
                _("entry {n} of {id} ({what}) was already voided on {day} by {by}").format(
                    n=entry, id=number, what=what, day=clock.day_of(done["at"]), by=done["by"]
                ),
                "CSA 9.4",
            )
    if kind in ("recomplained", "registered"):
        # A re-complaint rests on its original: void the re-complaint's registration first.
        children = given["child"] if kind == "recomplained" else None
        standing = [
            child
            for child in session.exec(
                select(Complaint.id).where(
                    Complaint.branch == session.info.get("branch", ""),
                    Complaint.parent == number,
                    Complaint.status != "voided",
                )
            )
            if children is None or child == children
        ]
        if standing:
            raise ComplaintError(
                _("the re-complaint {children} rests on {id}; void its registration (entry 1) first").format(
                    children=", ".join(standing), id=number
                ),
                "CSA 9.4",
            )
        if kind == "registered":
            return history[0]
    resting = resting_on(history, entry)
    if resting:
        raise ComplaintError(
            _(
                "entry {n} of {id} ({what}) cannot be voided before what rests on it: {entries}; void those first"
            ).format(
                n=entry,
                id=number,
                what=what,
                entries=", ".join(
                    _("entry {n} ({what})").format(n=m, what=_(EVENT_NAMES.get(history[m - 1][0], history[m - 1][0])))
                    for m in reversed(resting)
                ),
            ),
            "CSA 9.4",
        )
    return history[entry - 1]


def _receipt_still_first(record: dict, history: list, new: dict, entry: int) -> None:
    """Voiding a correction of the receipt puts the old receipt back: no entry standing may then come before it."""
    if new.get("status") == "voided" or new["received_at"] == record["received_at"]:
        return
    received = clock.from_iso(new["received_at"])
    voided = voided_entries(history) | {entry}
    early = [
        n
        for n, (kind, _given, at, _actor) in enumerate(history, 1)
        if n not in voided and kind != "registered" and clock.from_iso(at) < received
    ]
    if early:
        raise ComplaintError(
            _(
                "voiding entry {n} of {id} puts its receipt back to {received}, after entry {early}; correct the "
                "receipt with `complaintctl amend {id} --received-at ... --reason ...` instead"
            ).format(n=entry, id=record["id"], received=_shown(received), early=early[0]),
            "CSA 9.4",
        )


def _still_acceptable(record: dict, history: list, new: dict, entry: int) -> None:
    """An acceptance stands on the basic facts on record (CSA 9.1.2(b), Firm 15): voiding the amendment that
    gave them is refused while the acceptance stands."""
    if not new.get("accepted_at") or new.get("status") == "voided":
        return
    lost = [name for name in acceptance_missing(new) if name not in acceptance_missing(record)]
    if lost:
        accepted = max(n for n, (kind, *_rest) in enumerate(history, 1) if kind == "accepted")
        raise ComplaintError(
            _(
                "entry {n} of {id} gave {missing}, which the acceptance (entry {accepted}) stands on; void the "
                "acceptance first, or correct the facts with `complaintctl amend`"
            ).format(n=entry, id=record["id"], missing=describe_missing(lost), accepted=accepted),
            "CSA 9.1.2(b), Firm 15",
        )


def _void_into_export(
    ledger: Ledger, conn, record: dict, entry: int, kind: str, days: list[str], branch: str
) -> str | None:
    """Voiding an entry dated into a period already reported changes figures someone has read: it needs the
    reason a late entry needs, and the next report lists it (补录与更正)."""
    from complaintctl.store.late import export_covering

    if ledger.late_reason:
        return ledger.late_reason
    export, dated = None, days[0]
    for dated in days:  # the entry's own day first, then the receipts it moves
        export = export_covering(conn, clock.day_of(dated), branch)
        if export is not None:
            break
    if export is None:
        return None
    if dated == days[0]:
        text = _(
            "{id}: entry {n} ({what}) is dated {day}, within {period}, whose report was exported on {exported} "
            "by {by}; voiding it changes those figures: give --late-reason saying why it is put right only now "
            "(the next report lists it under 补录与更正)"
        )
    else:
        text = _(
            "{id}: voiding entry {n} ({what}) moves the receipt to or from {day}, within {period}, whose report was "
            "exported on {exported} by {by}: give --late-reason saying why it is put right only now (the next "
            "report lists it under 补录与更正)"
        )
    raise ComplaintError(
        text.format(
            id=record["id"],
            n=entry,
            what=_(EVENT_NAMES.get(kind, kind)),
            day=clock.day_of(dated),
            period=export.code,
            exported=clock.day_of(export.exported_at),
            by=export.by,
        ),
        "CSA 9.4",
    )


def keep_until(closed: date) -> date:
    """Closed + 10 years (CSA 9.4, Guideline 30); 29 February keeps until 28 February."""
    try:
        return closed.replace(year=closed.year + 10)
    except ValueError:
        return closed.replace(year=closed.year + 10, day=28)


def record_disclosure(ledger: Ledger, complaint_id: str, command: str, by: str, branch: str | None = None) -> None:
    """An audit event (CSA 7.8) when personal data is shown in full; ledger-wide, so no state changes.

    Recorded before the data is shown, in the chain of the complaint's branch (`branch`; the working
    branch's when not given): on a firm ledger, the branch whose data it is."""
    ledger.record("unmasked", by, {"complaint": complaint_id, "command": command}, branch)
