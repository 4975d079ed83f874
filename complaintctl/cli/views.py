"""Commands that only read: show, list, warn, codes."""

from datetime import date, timedelta
from typing import Annotated, Optional

import typer

from complaintctl.rules import clock, codes
from complaintctl.cli import render
from complaintctl.cli.lazy import lazy
from complaintctl.cli.common import (
    Branches,
    ComplaintId,
    Json,
    chosen_branches,
    ledger,
    shown_number,
    who,
)
from complaintctl.rules.complaint import (
    FIELD_BY_NAME,
    FIELDS,
    MASKS,
    UNRECORDED_ACTOR,
    UNRECORDED_LABELS,
    complainant_shown,
    masked,
)
from complaintctl.rules.deadlines import uncovered_years
from complaintctl.rules.identity import same_person
from complaintctl.store.late import is_late
from complaintctl.errors import OVERDUE, ComplaintError
from complaintctl.i18n import N_, _, chinese, ngettext, pick, series

lifecycle = lazy("complaintctl.steps.lifecycle")
queries = lazy("complaintctl.store.queries")

EVENT_LABEL = {
    "registered": N_("registered"),
    "amended": N_("amended"),
    "accepted": N_("accepted"),
    "rejected": N_("not accepted"),
    "assigned": N_("assigned"),
    "escalated": N_("escalated"),
    "extended": N_("extended"),
    "noted": N_("note"),
    "resolved": N_("resolved"),
    "regulator_replied": N_("regulator reply"),
    "called_back": N_("callback"),
    "marked_unreasonable": N_("marked unreasonable"),
    "reclassified": N_("reclassified"),
    "attached": N_("attached"),
    "closed": N_("closed"),
    "recomplained": N_("re-complaint opened"),
    "investigated": N_("investigation"),
    "terminated": N_("terminated"),
    "approved": N_("approved"),
    "letter_sent": N_("letter sent"),
    "rectified": N_("rectification done"),
    "voided": N_("voided"),
}

# CSA 9.2.2(b)'s five items, in order, by the standard's own headings.
INVESTIGATION_LABELS = (
    ("facts_found", "投诉事实及经过", N_("facts and course")),
    ("cause", "投诉原因及内控分析", N_("cause and internal control")),
    ("accountability", "内部责任追究", N_("accountability")),
    ("improvement", "存在的不足及管理改进措施", N_("shortcomings and improvements")),
    ("suggestions", "相关工作建议", N_("suggestions")),
)


def _investigation_label(zh: str, en: str) -> str:
    return pick(zh, _(en))


def _date_option(value: Optional[str], option: str) -> Optional[date]:
    return clock.parse_date(value, option, clock.PAST) if value is not None else None


SERVER_CLOCK_SLACK = timedelta(minutes=10)  # a client's clock may be a little off; more is shown


def show(
    ctx: typer.Context,
    complaint: ComplaintId,
    as_json: Json = False,
    unmask: Annotated[bool, typer.Option("--unmask", help="Show ID numbers and phones in full.")] = False,
) -> None:
    """Everything about one complaint: record, deadlines, and the timeline of events."""
    book = ledger(ctx)
    record = queries.record_of(book, complaint)
    deadlines = queries.deadlines(book, record)
    moved = queries.moved_by_correction(book, deadlines, record)  # DOMAIN: calendar corrections
    with book.reading() as conn:
        events = book.events(conn, record["id"], record.get("branch", ""))
    if unmask:  # CSA 7.8: who saw personal data in full, and when; on record before any of it is printed
        lifecycle.record_disclosure(book, shown_number(record), "show", who(ctx, None), record.get("branch", ""))
    view = dict(record) if unmask else masked(record)
    today = clock.today()
    passed = [_passed(book, record, d, today) for d in deadlines]  # as `warn` tells it (issue 31)
    if as_json:
        view["deadlines"] = [
            {**d.as_dict(), "state": d.state(today), "moved_by_correction": mark} for d, mark in zip(deadlines, moved)
        ]
        voids = _voids_of(record)
        view["events"] = [
            {
                "n": n,
                "voided": voids.get(n),
                "id": e.id,
                "kind": e.kind,
                "at": e.at,
                "recorded_at": e.recorded_at,
                "late_entry": is_late(e.at, e.recorded_at),
                "by": e.actor,
                "login": e.login,
                "written_at": e.written_at,
                "payload": _payload(e, unmask),
            }
            for n, e in in_business_order(events)
        ]
        view["handler_is_respondent"] = same_person(record.get("handler"), record.get("respondent"))
        view.setdefault("parent", None)
        render.emit_json(view)
    else:
        _show_text(view, deadlines, events, unmask, moved, passed)
    _provisional_note(book.calendar(), deadlines)


def _payload(event, unmask: bool) -> dict:
    """An event's data as shown: every personal identifier in it masked like the record's (CSA 7.8).

    A registration holds the record's fields, an amendment its changes (old and new), an import the
    row's fields: whatever the kind, each identifier is masked wherever in the payload it sits.
    """
    import json

    payload = json.loads(event.payload)
    return payload if unmask else _masked_payload(payload)


def _masked_payload(value, mask=None):
    """A payload with every identifier (complaint.MASKS) masked, at any depth: a registration's fields,
    a group's representatives' phones, an amendment's {field: [old, new]} on both sides."""
    if isinstance(value, dict):  # a key says what its value is; representatives are masked by their own keys
        return {
            key: _masked_payload(item, MASKS.get(key) if key != "representatives" else None)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked_payload(item, mask) for item in value]
    return mask(value) if mask is not None and isinstance(value, str) else value


def _callback_method(item: dict) -> str:
    """How the callback was made; ledgers before --method was asked for called by phone; an import may not say."""
    if "method" in item and not item["method"]:
        return _("a way not recorded")
    return codes.CALLBACK_METHODS.shown(item.get("method") or "phone")


def _passed(book, record: dict, deadline, today) -> str | None:
    """ "3 trading days overdue" or "due today" for an open deadline whose day has come, as `warn` says it."""
    state = deadline.state(today)
    if state not in ("overdue", "due_today"):
        return None
    days = (
        (deadline.due - today).days
        if deadline.unit == "calendar"
        else book.calendar().count_days(today, deadline.due, deadline.unit)
    )
    return _days_text(queries.Reminder(record["id"], "", None, deadline, state, days))


def _show_text(view: dict, deadlines, events, unmask: bool = False, moved=None, passed=None) -> None:
    """Everything the record holds, section by section, then the deadlines and the timeline."""
    say = render.say
    flags = [
        text
        for text, on in (
            (_("group"), view.get("group")),
            (_("major"), view.get("major")),
            (_("unreasonable"), view.get("unreasonable")),
        )
        if on
    ]
    say(f"{view['id']}  {render.status_text(view['status'])}" + (f"  [{', '.join(flags)}]" if flags else ""))
    if same_person(view.get("handler"), view.get("respondent")):  # an old ledger's row can say so (CSA 7.7)
        say(
            _(
                "  CSA 7.7: the handler {handler} is the respondent (被投诉人) of this complaint; an upper level must "
                "reassign it"
            ).format(handler=view["handler"])
        )
    if view.get("parent"):
        say(_("  re-complaint of {number}").format(number=view["parent"]))
    if view.get("recomplaints"):
        say(_("  re-complaints: {numbers}").format(numbers=series(view["recomplaints"])))
    rows = []
    for spec in FIELDS:
        value = view.get(spec.name)
        if value in (None, "", False, []) or spec.name == "complainants" and value == 1:
            continue
        rows.append((spec.shown, _field_text(spec.name, value)))
    for key, label in (
        ("acceptor", _("acceptor")),
        ("accepted_by", _("accepted by")),
        ("handler", _("handler")),
        ("dept", _("department")),
        ("keep_until", _("keep until")),
        ("original_no", _("original number (原编号)")),
    ):
        if view.get(key):
            rows.append((label, _who(view[key])))
    if view.get("imported"):
        source = view["imported"]
        where = _("row {row} of the file with SHA-256 {sha256}").format(row=source["row"], sha256=source["file_sha256"])
        rows.append(
            (
                _("imported from"),
                (_("sheet {sheet}, ").format(sheet=source["sheet"]) if source.get("sheet") else "") + where,
            )
        )
    if view.get("unrecorded"):
        rows.append(
            (
                _("not in the old ledger (未记载)"),
                "、".join(UNRECORDED_LABELS.get(name, name) for name in view["unrecorded"]),
            )
        )
    _pairs(rows)
    _sections(view)
    say(_("deadlines:"))
    kinds = [render.kind_text(d.kind) for d in deadlines]
    column = max((render.width(k) for k in kinds), default=0)
    for d, kind, mark, late in zip(
        deadlines, kinds, moved or [None] * len(deadlines), passed or [None] * len(deadlines)
    ):
        line = "  " + render.pad(kind, column) + "  " + _("due {date}").format(date=render.due_text(d))
        if d.original_due != d.due:
            line += _(" (originally {date})").format(date=d.original_due)
        if mark:
            line += _(" (moved by calendar correction of {days}; was {date})").format(
                days=_day_runs(mark["days"]), date=mark["was"]
            )
        if d.met_at:
            line += "  " + _("met {time}").format(time=_time(d.met_at)) + (_("  LATE") if d.met_late else "")
        elif late:  # plain words: `show` is read, piped and mailed like `warn`
            line += "  " + _("[{passed}]").format(passed=late)
        say(line)
    say(_("timeline:"))
    voids = _voids_of(view)
    number_width = len(str(len(events)))
    for n, e in in_business_order(events):
        payload = _payload(e, unmask)
        detail = _event_detail(e.kind, payload)
        if e.kind == "registered" and payload.get("received_at") != e.at:  # typed in after the receipt
            detail = _("received {time}").format(time=_value_text("received_at", payload["received_at"]))
        label = _(EVENT_LABEL[e.kind]) if e.kind in EVENT_LABEL else e.kind
        actor = _who(e.actor) if e.login is None else _("{actor} (login {login})").format(actor=e.actor, login=e.login)
        if isinstance(payload.get("imported"), dict) and payload["imported"].get("by") not in (None, e.actor):
            actor += " " + _("(imported by {importer})").format(importer=payload["imported"]["by"])
        if payload.get("time_unrecorded"):
            actor += " " + _("[the old ledger does not say when]")
        head = f"  {n:>{number_width}}. " + _("{time}  {event} by {actor}").format(
            time=_time(e.at).ljust(16), event=label, actor=actor
        )
        mark = ""
        if n in voids:  # DOMAIN: a mistaken entry stays on record, marked, and counts nowhere
            done = voids[n]
            mark = "  " + _("[VOIDED {time} by {by}: {reason}]").format(
                time=_time(done["at"]), by=done["by"], reason=done["reason"]
            )
        if is_late(e.at, e.recorded_at):  # DOMAIN: a late entry shows when it was typed in, and why
            reason = payload.get("late_reason")
            if reason == payload.get("reason"):  # an amendment's reason says why, once
                reason = None
            head += " " + (
                _("[entered {time}: {reason}]").format(time=_time(e.recorded_at), reason=reason)
                if reason
                else _("[entered {time}]").format(time=_time(e.recorded_at))
            )
        if e.written_at and abs(clock.from_iso(e.written_at) - clock.from_iso(e.recorded_at)) > SERVER_CLOCK_SLACK:
            # the client's clock said otherwise: the firm server's own time is the one to believe
            head += " " + _("[server time {time}]").format(time=_time(e.written_at))
        if detail.startswith("\n"):
            say(head + mark + detail)
        else:
            say(head + (f": {detail}" if detail else "") + mark)


def in_business_order(events) -> list:
    """(N, event) in the order things happened (`--at`), the registration at the receipt; N stays the entry's place
    in the order recorded, the number `void ID N` takes, so numbers may appear out of order (issue 44)."""
    import json

    def happened(pair):
        n, event = pair
        at = event.at
        if event.kind == "registered":
            at = json.loads(event.payload).get("received_at") or at
        return (clock.from_iso(at).replace(second=0, microsecond=0), n)

    return sorted(enumerate(events, 1), key=happened)


def _voids_of(record: dict) -> dict[int, dict]:
    """The voided entries of a complaint's timeline, by number: who voided each, when and why."""
    return {
        done["entry"]: {"at": done["at"], "by": done["by"], "reason": done["reason"]}
        for done in record.get("voids", [])
    }


def _day_runs(days: list[str]) -> str:
    """ISO days as runs of consecutive days: 2026-09-28…2026-09-30, 2026-10-09."""

    runs: list[list[date]] = []
    for day in sorted(date.fromisoformat(d) for d in days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{run[0]}…{run[-1]}" if len(run) > 1 else f"{run[0]}" for run in runs)


def _time(stored: str) -> str:
    """To the minute; a day given without a time (typed as a date, or an old ledger's date cell) as the day."""
    shown = stored[:16].replace("T", " ")
    return shown[:10] if shown.endswith(" 00:00") else shown


def _who(actor: str | None) -> str:
    """A person as the ledger names them; an old ledger's step that named nobody, as 未记载 in the user's words."""
    return _("not recorded") if actor == UNRECORDED_ACTOR else str(actor or "")


def _field_text(name: str, value) -> str:
    codelists = {
        "method": codes.METHODS,
        "channel": codes.CHANNELS,
        "category": codes.CATEGORIES,
        "major_reason": codes.MAJOR_REASONS,
    }
    if name in codelists:
        label = codelists[name].label(value)
        # Chinese reads its own word first; the code stays beside it, since it is what options take.
        return f"{label}（{value}）" if chinese() else f"{value} ({label})"
    if name == "id_type":
        return codes.ID_TYPES.shown(value)
    if name == "representatives":
        return "; ".join(p["name"] + (f" {p['phone']}" if p.get("phone") else "") for p in value)
    if name == "received_at":
        return _time(value)
    if value is True:
        return _("yes")
    return str(value)


def _pairs(rows: list[tuple[str, str]], indent: str = "  ") -> None:
    """label: value lines, the values lined up however wide the labels (Chinese takes two cells)."""
    column = max((render.width(label) for label, _value in rows), default=0)
    for label, value in rows:
        text = str(value).replace("\n", "\n" + indent + " " * (column + 3))
        label = _("{field}:").format(field=label)
        render.say(indent + render.pad(label, column + 2) + " " + text)


def _sections(view: dict) -> None:
    """The steps' own records: refusal, reports, extensions, investigation, result, callbacks, attachments."""
    say = render.say
    rejection = view.get("rejection")
    if rejection:
        say(_("not accepted:"))
        rows = [(_("reason"), f"{rejection['reason']} ({codes.REJECT_REASONS.label(rejection['reason'])})")]
        if rejection.get("original"):
            rows.append((_("repeats"), rejection["original"]))
        if rejection.get("notified_via"):
            rows.append((_("told by"), codes.NOTIFY_VIA.shown(rejection["notified_via"])))
        elif not any(letter["kind"] == "refusal" for letter in view.get("letters", [])):
            rows.append((_("told by"), _("not yet: the refusal notice is owed (Firm 17)")))
        if rejection.get("note"):
            rows.append((_("note"), rejection["note"]))
        _pairs(rows)
    for item in view.get("escalations") or []:
        say(
            _("reported {time} to {body} by {actor}").format(
                time=_time(item["at"]), body=item["to"], actor=_who(item["by"])
            )
            + _note_of(item)
        )
    _listed(_("extensions:"), view.get("extensions"), _extension_line)
    _listed(_("approvals:"), view.get("approvals"), _approval_line)
    _listed(_("letters sent:"), view.get("letters"), _letter_line)
    found = view.get("investigation") or {}
    if found or view.get("status") in ("assigned", "resolved"):
        say(_("investigation (CSA 9.2.2(b)):"))
        _pairs(
            [
                (
                    _investigation_label(zh, en),
                    str(found.get(key) or (_("(not recorded)") if key in ("facts_found", "cause") else "-")),
                )
                for key, zh, en in INVESTIGATION_LABELS
            ],
            indent="  ",
        )
    rectification = view.get("rectification")
    if rectification:
        done = rectification.get("done_at")
        say(
            _("rectification (CSA 8.2.4): owner {owner}, promised for {due}").format(
                owner=rectification["owner"], due=rectification["due"]
            )
        )
        say(
            "  "
            + (
                _("done {time} by {actor}: {note}").format(
                    time=_time(done), actor=rectification.get("done_by"), note=rectification.get("note") or ""
                )
                if done
                else _("not done yet (`complaintctl rectified {id} --note ...` when it is)").format(id=view["id"])
            )
        )
    resolution = view.get("resolution") or {}
    if resolution:
        say(_("result:"))
        rows = [(_("opinion"), resolution["result"])]
        if resolution.get("feedback_via"):
            rows.append((_("told the complainant by"), codes.FEEDBACK_VIA.shown(resolution["feedback_via"])))
        if resolution.get("respondent_feedback_via"):
            rows.append((_("told the respondent by"), codes.FEEDBACK_VIA.shown(resolution["respondent_feedback_via"])))
        if resolution.get("compensation"):
            rows.append((_("compensation (yuan)"), resolution["compensation"]))
        rows.append(
            (
                _("resolved"),
                _("{time} by {actor}").format(time=_time(view["resolved_at"]), actor=view.get("resolved_by", "-")),
            )
        )
        _pairs(rows)
    if view.get("regulator_reply"):
        reply = view["regulator_reply"]
        say(
            _("regulator reply entered {time} by {actor}").format(
                time=_time(view["regulator_replied_at"]), actor=reply.get("by", "-")
            )
            + _note_of(reply)
        )
    _listed(_("callbacks:"), view.get("callbacks"), _callback_line)
    if view.get("unreasonable"):
        label = view["unreasonable"]
        say(
            _("marked unreasonable {time}, approved by {approver}: {evidence}").format(
                time=_time(label["at"]), approver=label.get("approved_by", "-"), evidence=label.get("evidence", "")
            )
        )
    if view.get("termination"):
        ended = view["termination"]
        say(_("terminated: {reason}").format(reason=codes.TERMINATE_REASONS.shown(ended["reason"])) + _note_of(ended))
    if view.get("attachments"):
        say(_("attachments:"))
        for item in view["attachments"]:
            say(
                "  "
                + _("{time}  {kind}  {file}").format(
                    time=_time(item["at"]), kind=codes.ATTACHMENT_KINDS.shown(item["kind"]), file=item["file"]
                )
            )
            say("    sha256 " + item["sha256"])


def _listed(title: str, items: list[dict] | None, line) -> None:
    """A heading, then each item's line under it; nothing at all when there are none."""
    if items:
        render.say(title)
        for item in items:
            render.say("  " + line(item))


def _note_of(item: dict) -> str:
    return f": {item['note']}" if item.get("note") else ""


def _extension_line(item: dict) -> str:
    told = (
        _("; complainant told by {via}").format(via=codes.NOTIFY_VIA.shown(item["notified_via"]))
        if item.get("notified_via")
        else ""
    )
    return _("{time}  +{days} days to {due}: {reason} (approved by {approver}{told})").format(
        time=_time(item["at"]),
        days=item["days"],
        due=item["new_due"],
        reason=item["reason"],
        approver=item.get("approved_by") or "-",
        told=told,
    )


def _approval_line(item: dict) -> str:
    amount = " " + _("up to {amount} yuan").format(amount=item["amount"]) if item.get("amount") else ""
    what = codes.APPROVALS.shown(item["what"])
    line = _("{time}  {what} approved by {approver}").format(time=_time(item["at"]), what=what, approver=item["by"])
    return line + amount + _note_of(item)


def _letter_line(item: dict) -> str:
    return _("{time}  {kind} by {via}, SHA-256 {sha256}").format(
        time=_time(item["at"]), kind=item["kind"], via=item["via"], sha256=item["sha256"][:16]
    )


def _callback_line(item: dict) -> str:
    advised = series(codes.ADVICE.shown(a) for a in item.get("advised") or ())
    return (
        _("{time}  {outcome} by {method}, {actor}").format(
            time=_time(item["at"]),
            outcome=codes.CALLBACK_OUTCOMES.shown(item["outcome"]),
            method=_callback_method(item),
            actor=_who(item["by"]),
        )
        + (_("; advised {ways}").format(ways=advised) if advised else "")
        + _note_of(item)
    )


def _value_text(name: str, value) -> str:
    """One field's value, on one line, as typed (never cut)."""
    if value in (None, ""):
        return _("(empty)")
    if value is True or value is False:
        return _("yes") if value else _("no")
    if name == "received_at":
        return _time(str(value))
    return str(value).replace("\r", "").replace("\n", " / ")


def _unrecorded_change(old: list, new: list) -> str:
    """An import that told what the old ledger did not (or the reverse): the 未记载 items, before and after."""

    def items(names: list) -> str:
        return "、".join(UNRECORDED_LABELS.get(n, n) for n in names) or "-"

    return _("not in the old ledger (未记载):") + f" {items(old)} → {items(new)}"


def _event_detail(kind: str, payload: dict) -> str:
    if kind == "amended":
        # One changed field a line, under the event: an old → new pair is never split by the terminal's wrap.
        reason = _("reason: {reason}").format(reason=payload["reason"]) if payload.get("reason") else ""
        changes = [
            _("{field}:").format(field=FIELD_BY_NAME[name].shown)
            + f" {_value_text(name, old)} → {_value_text(name, new)}"
            if name in FIELD_BY_NAME
            else _unrecorded_change(old, new)
            if name == "unrecorded"
            else f"{name}: {old} → {new}"
            for name, (old, new) in payload["changes"].items()
        ]
        return reason + "".join(f"\n      {change}" for change in changes)
    if kind == "rejected":
        return (
            codes.REJECT_REASONS.shown(payload["reason"])
            + (" " + payload["original"] if payload.get("original") else "")
            + (f": {payload['note']}" if payload.get("note") else "")
        )
    if kind == "assigned":
        return payload["handler"] + (f" / {payload['dept']}" if payload.get("dept") else "")
    if kind == "escalated":
        return payload["to"]
    if kind == "extended":
        return _("+{days} days to {due}").format(days=payload["days"], due=payload["new_due"])
    if kind == "investigated":
        items = "; ".join(_investigation_label(zh, en) for key, zh, en in INVESTIGATION_LABELS if payload.get(key))
        if payload.get("improvement_owner") or payload.get("improvement_due"):
            items += ("; " if items else "") + _("rectification by {owner}, due {due}").format(
                owner=payload.get("improvement_owner") or "-", due=payload.get("improvement_due") or "-"
            )
        return items
    if kind == "rectified":
        return payload.get("note") or ""
    if kind == "approved":
        return (
            codes.APPROVALS.shown(payload["what"])
            + (" " + _("up to {amount} yuan").format(amount=payload["amount"]) if payload.get("amount") else "")
            + (f": {payload['note']}" if payload.get("note") else "")
        )
    if kind == "letter_sent":
        return _("{kind} by {via}, SHA-256 {sha256}").format(
            kind=payload["kind"], via=payload["via"], sha256=payload["sha256"][:16]
        )
    if kind == "terminated":
        return codes.TERMINATE_REASONS.shown(payload["reason"])
    if kind == "noted":
        return f"[{codes.NOTE_KINDS.shown(payload['kind'])}] {payload['text']}"
    if kind == "resolved":
        return payload["result"]
    if kind == "called_back":
        return codes.CALLBACK_OUTCOMES.shown(payload["outcome"])
    if kind == "reclassified":
        return f"{payload['from']} → {payload['to']}: {payload['reason']}"
    if kind == "attached":
        return f"{payload['file']}"
    if kind == "recomplained":
        return payload["child"]
    if kind == "marked_unreasonable":
        return _("approved by {approver}").format(approver=payload["approved_by"])
    if kind == "voided":
        what = _(EVENT_LABEL[payload["kind"]]) if payload["kind"] in EVENT_LABEL else payload["kind"]
        return _("entry {n} ({what}): {reason}").format(n=payload["entry"], what=what, reason=payload["reason"])
    return ""


def _provisional_note(calendar, deadlines) -> None:
    """Once per run, on stderr: which years are provisional and how to fix it."""
    years = uncovered_years(calendar, deadlines)
    if years:
        render.tell(render.provisional_hint(years))


def list_(
    ctx: typer.Context,
    status: Annotated[
        Optional[str], typer.Option("--status", help=_("{choices}.").format(choices=codes.STATUSES.choices()))
    ] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="CSA 5.1 code or label.")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="Handler's name.")] = None,
    received_from: Annotated[
        Optional[str], typer.Option("--received-from", help="Received on or after YYYY-MM-DD.")
    ] = None,
    received_to: Annotated[
        Optional[str], typer.Option("--received-to", help="Received on or before YYYY-MM-DD.")
    ] = None,
    open_only: Annotated[
        bool,
        typer.Option(
            "--open", help="Only complaints still open, and refused or terminated ones still owing a deadline."
        ),
    ] = False,
    header: Annotated[
        bool,
        typer.Option(
            "--header",
            help="In a pipe, start with a line naming the columns (the --json keys, the same in every language).",
        ),
    ] = False,
    branch: Branches = None,
    as_json: Json = False,
) -> None:
    """List complaints (投诉列表), oldest first, with the next deadline of each."""
    book = ledger(ctx)
    records = queries.find(
        book,
        status=status,
        category=category,
        handler=handler,
        received_from=_date_option(received_from, "--received-from"),
        received_to=_date_option(received_to, "--received-to"),
        open_only=open_only,
        branches=chosen_branches(book, branch),
    )
    rows, out, shown = [], [], []
    # A firm ledger's numbers carry their branch when the list shows more than one (BRANCH/NUMBER).
    branches_shown = {record.get("branch", "") for record in records}
    for record in records:
        pending = (
            [d for d in queries.deadlines(book, record) if d.met_at is None]
            if record["status"] in codes.OPEN_STATUSES
            else []
        )
        nxt = min(pending, key=lambda d: d.due) if pending else None
        if nxt:
            shown.append(nxt)
        name = complainant_shown(record)
        out.append(
            {
                **({"branch": record["branch"]} if "branch" in record else {}),
                "id": record["id"],
                "status": record["status"],
                "received_at": record["received_at"],
                "category": record.get("category"),
                "complainant": name,
                "handler": record.get("handler"),
                "group": record.get("group", False),
                "major": record.get("major", False),
                "parent": record.get("parent"),
                "original_no": record.get("original_no"),
                "next_deadline": {"kind": nxt.kind, "due": nxt.due.isoformat(), "provisional": nxt.provisional}
                if nxt
                else None,
            }
        )
        rows.append(
            [
                shown_number(record) if len(branches_shown) > 1 else record["id"],
                record["received_at"][:10],
                render.status_text(record["status"]),
                record.get("category") or "-",
                name,
                record.get("handler") or "-",
                render.due_text(nxt) if nxt else "-",
                render.kind_text(nxt.kind) if nxt else "-",
            ]
        )
    headers = [
        _("number"),
        _("received"),
        _("status"),
        _("category"),
        _("complainant"),
        _("handler"),
        _("next due"),
        _("deadline"),
    ]
    if any(item["original_no"] for item in out):  # imported from an old ledger: its own number too
        if render.fancy():  # under the complaint number, so the table still fits 80 columns
            for row, item in zip(rows, out):
                if item["original_no"]:
                    row[0] += "\n" + _("orig. {number}").format(number=item["original_no"])
        else:  # a last column, so scripts reading the first eight still find them where they were
            headers.append(_("original no."))
            for row, item in zip(rows, out):
                row.append(item["original_no"] or "-")
    if as_json:
        render.emit_json(out)
    elif rows:
        # On a terminal the deadline's kind may fold under its date, so English fits 80 columns as
        # Chinese does (issue 31); scripts reading a pipe keep the two columns.
        joined = (
            [*headers[:6], _("next deadline"), *headers[8:]],
            [[*row[:6], row[6] if row[6] == "-" else f"{row[6]} {row[7]}", *row[8:]] for row in rows],
            (0, 1),
        )
        keys = [
            "id",
            "received_at",
            "status",
            "category",
            "complainant",
            "handler",
            "next_due",
            "next_deadline",
            *(["original_no"] if len(headers) > 8 else []),
        ]
        render.table(headers, rows, keep=(0, 1, 6), narrower=joined, pipe_header=keys if header else None)
    _provisional_note(book.calendar(), shown)


def _days_or_day(text: str) -> int | date:
    """--within: a whole number of trading days (full-width digits too), or a day, the next such from today."""
    plain = clock.typed(str(text))
    if plain.isascii() and plain.lstrip("-").isdigit():
        return int(plain)
    try:
        return clock.parse_date(plain, "--within", clock.COMING)
    except ComplaintError:
        raise typer.BadParameter(
            _("{text!r} is neither a number of trading days nor a day; write N (0 to 60), or a day as {forms}").format(
                text=text, forms=clock.date_forms(clock.COMING)
            )
        ) from None


STATE_LABEL = {"overdue": N_("OVERDUE"), "due_today": N_("DUE TODAY"), "due_soon": N_("DUE SOON")}


def warn(
    ctx: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option(
            "--as-of",
            help="The ledger as it stood at the end of this day "
            "(2026-11-20; 明天; 11月25日, the next such day), as `report --as-of` shows it. "
            "Default: today in Shanghai, where a deadline due "
            "today is still due today.",
        ),
    ] = None,
    within: Annotated[
        Optional[int],  # or a date: _days_or_day's (Typer takes no union; the body counts a day's trading days)
        typer.Option(
            "--within",
            parser=_days_or_day,
            metavar="N|DAY",
            help="One reminder window for every kind, in trading days, or the day it reaches (11月25日, 明天): "
            "what falls due by then. Default: CSA 8.2.3 (acceptance 1, completion 3).",
        ),
    ] = None,
    branch: Branches = None,
    as_json: Json = False,
) -> None:
    """Deadlines overdue, due today or coming due (for cron). Exit 3 when anything is overdue.

    Prints nothing when nothing is due. One line per item without a terminal:
    STATE  NUMBER  KIND  due DATE  N days left|overdue  complainant NAME  handler NAME
    """
    book = ledger(ctx)
    day = clock.parse_date(as_of, "--as-of", clock.COMING) if as_of is not None else clock.today()
    if isinstance(within, date):  # the day the window reaches: its trading days from --as-of
        if within < day:
            raise ComplaintError(
                _("--within {until} is before the day warned for ({day}); give a day from it on").format(
                    until=within, day=day
                )
            )
        within = book.calendar().count_days(day, within, "trading")
    if within is not None and not 0 <= within <= 60:
        raise ComplaintError(_("--within must be from 0 to 60 trading days, not {n}").format(n=within))
    items = queries.reminders(book, day, within, branches=chosen_branches(book, branch))
    if as_json:
        render.emit_json([r.as_dict() for r in items])
    elif items and render.fancy():
        for state in ("overdue", "due_today", "due_soon"):
            group = [r for r in items if r.state == state]
            if group:
                render.table(
                    [_("number"), _("deadline"), _("due"), _("days"), _("complainant"), _("handler")],
                    [_warn_cells(r) for r in group],
                    title=_(STATE_LABEL[state]),
                    keep=(0, 2),
                )
    else:
        for r in items:
            render.say(_warn_line(r))
    _provisional_note(book.calendar(), [r.deadline for r in items])
    if any(r.state == "overdue" for r in items):
        raise typer.Exit(OVERDUE)


def _days_text(r: queries.Reminder) -> str:
    if r.state == "overdue" and r.days_left == 0:
        return _("overdue: its day is over")  # warn --as-of a past day, due that day
    if r.days_left == 0:
        return _("due today")
    n = abs(r.days_left)
    if r.deadline.unit == "trading":
        text = (
            ngettext("{n} trading day overdue", "{n} trading days overdue", n)
            if r.days_left < 0
            else ngettext("{n} trading day left", "{n} trading days left", n)
        )
    elif r.deadline.unit == "working":
        text = (
            ngettext("{n} working day overdue", "{n} working days overdue", n)
            if r.days_left < 0
            else ngettext("{n} working day left", "{n} working days left", n)
        )
    else:
        text = (
            ngettext("{n} day overdue", "{n} days overdue", n)
            if r.days_left < 0
            else ngettext("{n} day left", "{n} days left", n)
        )
    return text.format(n=n)


def _warn_cells(r: queries.Reminder) -> list[str]:
    return [
        r.number,
        render.kind_text(r.deadline.kind),
        render.due_text(r.deadline),
        _days_text(r),
        r.complainant or "-",
        r.handler or "-",
    ]


def _warn_line(r: queries.Reminder) -> str:
    """One line for cron mail; the state code first, as scripts grep it."""
    return f"{r.state:<9}  {r.number}  " + _(
        "{kind}  due {due}  {days}  complainant {complainant}  handler {handler}"
    ).format(
        kind=render.kind_text(r.deadline.kind),
        due=render.due_text(r.deadline),
        days=_days_text(r),
        complainant=render.flat(r.complainant or "-"),
        handler=render.flat(r.handler or "-"),
    )


def codes_(as_json: Json = False) -> None:
    """The code lists: methods, channels, ID types, categories, reasons, outcomes, with Chinese terms."""
    lists = {
        "method": codes.METHODS,
        "channel": codes.CHANNELS,
        "id-type": codes.ID_TYPES,
        "category": codes.CATEGORIES,
        "reject reason": codes.REJECT_REASONS,
        "notified-via": codes.NOTIFY_VIA,
        "callback outcome": codes.CALLBACK_OUTCOMES,
        "status": codes.STATUSES,
    }
    if as_json:
        render.emit_json({name: {code: zh for code, (zh, _en) in cl.entries.items()} for name, cl in lists.items()})
        return
    titles = {
        "method": N_("method (--method)"),
        "channel": N_("channel (--channel)"),
        "id-type": N_("ID type (--id-type)"),
        "category": N_("category (--category)"),
        "reject reason": N_("refusal reason (reject --reason)"),
        "notified-via": N_("told by (--notified-via)"),
        "callback outcome": N_("callback outcome (--outcome)"),
        "status": N_("status (--status)"),
    }
    for name, cl in lists.items():
        render.say(_("{title}:").format(title=_(titles[name])))
        column = max(render.width(zh) for zh, _en in cl.entries.values())
        for code, (zh, en) in cl.entries.items():  # Chinese mode: the code and its term, no English gloss
            render.say(f"  {code:<18} {zh}" if chinese() else f"  {code:<18} {render.pad(zh, column)}  {en}")


def register_commands(app: typer.Typer) -> None:
    app.command()(show)
    app.command("list")(list_)
    app.command()(warn)
    app.command("codes")(codes_)
