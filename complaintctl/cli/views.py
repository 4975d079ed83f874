"""Commands that only read: show, list, warn, codes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

import typer

from complaintctl import clock, codes
from complaintctl.cli import render
from complaintctl.cli.lazy import lazy
from complaintctl.cli.common import ComplaintId, Json, ledger, who
from complaintctl.complaint import FIELD_BY_NAME, FIELDS, complainant_shown, masked, masked_changes
from complaintctl.deadlines import uncovered_years
from complaintctl.errors import OVERDUE

lifecycle = lazy("complaintctl.lifecycle")
queries = lazy("complaintctl.queries")

EVENT_LABEL = {
    "registered": "registered (登记)", "amended": "amended (补正)", "accepted": "accepted (受理)",
    "rejected": "rejected (不予受理)", "assigned": "assigned (派发)", "escalated": "escalated (上报)",
    "extended": "extended (延期)", "noted": "note (记录)", "resolved": "resolved (办结)",
    "regulator_replied": "regulator reply (监管系统回复)", "called_back": "callback (回访)",
    "marked_unreasonable": "marked unreasonable (无理投诉)", "reclassified": "reclassified (重新分类)",
    "attached": "attached (附件)", "closed": "closed (归档)", "recomplained": "re-complaint opened (再投诉)",
    "investigated": "investigation (调查记录)", "terminated": "terminated (终止处理)",
}

# CSA 9.2.2(b)'s five items, in order.
INVESTIGATION_LABELS = (("facts_found", "投诉事实及经过 facts and course"),
                        ("cause", "投诉原因及内控分析 cause and internal control"),
                        ("accountability", "内部责任追究 accountability"),
                        ("improvement", "存在的不足及管理改进措施 improvements"),
                        ("suggestions", "相关工作建议 suggestions"))


def _date_option(value: Optional[str], option: str) -> Optional[date]:
    return clock.parse_date(value, option) if value is not None else None


def show(
    ctx: typer.Context, complaint: ComplaintId, as_json: Json = False,
    unmask: Annotated[bool, typer.Option("--unmask", help="Show ID numbers and phones in full.")] = False,
) -> None:
    """Everything about one complaint: record, deadlines, and the timeline of events."""
    book = ledger(ctx)
    record = queries.record_of(book, complaint)
    deadlines = queries.deadlines(book, record)
    with book.transaction(write=False) as session:
        events = book.events(session, record["id"])
    if unmask:  # CSA 7.8: who saw personal data in full, and when
        lifecycle.record_disclosure(book, record["id"], "show", who(ctx, None))
    view = dict(record) if unmask else masked(record)
    if as_json:
        view["deadlines"] = [d.as_dict() for d in deadlines]
        view["events"] = [{"id": e.id, "kind": e.kind, "at": e.at, "recorded_at": e.recorded_at, "by": e.actor,
                           "payload": _payload(e, unmask)} for e in events]
        view.setdefault("parent", None)
        render.emit_json(view)
    else:
        _show_text(view, deadlines, events, unmask)
    _provisional_note(book.calendar(), deadlines)


def _payload(event, unmask: bool) -> dict:
    """An event's data as shown: an amendment's personal identifiers masked like the record's (CSA 7.8)."""
    import json

    payload = json.loads(event.payload)
    if event.kind == "amended" and not unmask:
        payload["changes"] = masked_changes(payload["changes"])
    return payload


def _show_text(view: dict, deadlines, events, unmask: bool = False) -> None:
    say = render.say
    flags = [f for f, on in (("group 群体", view.get("group")), ("major 重大", view.get("major")),
                              ("unreasonable 无理", view.get("unreasonable"))) if on]
    say(f"{view['id']}  {render.status_text(view['status'])}" + (f"  [{', '.join(flags)}]" if flags else ""))
    if view.get("parent"):
        say(f"  re-complaint of (再投诉) {view['parent']}")
    if view.get("recomplaints"):
        say(f"  re-complaints (再投诉): {', '.join(view['recomplaints'])}")
    for spec in FIELDS:
        value = view.get(spec.name)
        if value in (None, "", False) or spec.name == "complainants" and value == 1:
            continue
        if spec.name == "method":
            value = f"{value} ({codes.METHODS.label(value)})"
        elif spec.name == "channel":
            value = f"{value} ({codes.CHANNELS.label(value)})"
        elif spec.name == "category":
            value = f"{value} ({codes.CATEGORIES.label(value)})"
        elif spec.name == "id_type":
            value = codes.ID_TYPES.label(value)
        elif spec.name == "major_reason":
            value = f"{value} ({codes.MAJOR_REASONS.label(value)})"
        elif spec.name == "representatives":
            value = "; ".join(p["name"] + (f" {p['phone']}" if p.get("phone") else "") for p in value)
        elif value is True:
            value = "yes (是)"
        text = str(value).replace("\n", "\n      ")
        say(f"  {spec.label} {spec.english}: {text}")
    for label, key in (("受理人 acceptor", "acceptor"), ("处理人 handler", "handler"), ("责任部门 department", "dept"),
                       ("保存至 keep until", "keep_until")):
        if view.get(key):
            say(f"  {label}: {view[key]}")
    found = view.get("investigation") or {}
    if found or view.get("status") in ("assigned", "resolved"):
        say("investigation (调查记录, CSA 9.2.2(b)):")
        for key, label in INVESTIGATION_LABELS:
            text = str(found.get(key) or ("(not recorded 未记录)" if key in ("facts_found", "cause") else "-"))
            say(f"  {label}: " + text.replace("\n", "\n      "))
    resolution = view.get("resolution") or {}
    if resolution:
        say(f"result (处理结果): {resolution['result']}".replace("\n", "\n      "))
        for key, label in (("feedback_via", "told the complainant by (向投诉人反馈)"),
                           ("respondent_feedback_via", "told the respondent by (向被投诉人反馈)")):
            if resolution.get(key):
                say(f"  {label}: {resolution[key]} ({codes.FEEDBACK_VIA.label(resolution[key])})")
        if resolution.get("compensation"):
            say(f"  compensation (赔偿金额): {resolution['compensation']}")
    if view.get("termination"):
        ended = view["termination"]
        say(f"terminated (终止处理): {ended['reason']} ({codes.TERMINATE_REASONS.label(ended['reason'])})" +
            (f": {ended['note']}" if ended.get("note") else ""))
    say("deadlines (期限):")
    for d in deadlines:
        line = f"  {render.KIND_LABEL[d.kind]:<34} due {render.due_text(d)}"
        if d.original_due != d.due:
            line += f" (originally {d.original_due})"
        if d.met_at:
            line += f"  met {d.met_at[:16].replace('T', ' ')}" + ("  LATE (超期)" if d.met_late else "")
        say(line)
    say("timeline (处理经过):")

    for e in events:
        payload = _payload(e, unmask)
        detail = _event_detail(e.kind, payload)
        if e.kind == "registered" and payload.get("received_at") != e.at:  # typed in after the receipt
            detail = f"received (接收) {_value_text('received_at', payload['received_at'])}"
        say(f"  {e.at[:16].replace('T', ' ')}  {EVENT_LABEL.get(e.kind, e.kind)} by {e.actor}" +
            (f": {detail}" if detail and not detail.startswith("\n") else detail))


def _value_text(name: str, value) -> str:
    """One field's value, on one line, as typed (never cut)."""
    if value in (None, ""):
        return "(empty 空)"
    if value is True or value is False:
        return "yes (是)" if value else "no (否)"
    if name == "received_at":
        return str(value)[:16].replace("T", " ")
    return str(value).replace("\r", "").replace("\n", " / ")


def _event_detail(kind: str, payload: dict) -> str:
    if kind == "amended":
        # One changed field a line, under the event: an old → new pair is never split by the terminal's wrap.
        reason = f"reason (原因): {payload['reason']}" if payload.get("reason") else ""
        changes = [f"{FIELD_BY_NAME[name].english} ({FIELD_BY_NAME[name].label}): {_value_text(name, old)} → "
                   f"{_value_text(name, new)}" if name in FIELD_BY_NAME else f"{name}: {old} → {new}"
                   for name, (old, new) in payload["changes"].items()]
        return reason + "".join(f"\n      {change}" for change in changes)
    if kind == "rejected":
        of = f" of {payload['original']}" if payload.get("original") else ""
        return (f"{payload['reason']} ({codes.REJECT_REASONS.label(payload['reason'])}){of}, "
                f"told by {payload['notified_via']}")
    if kind == "assigned":
        return payload["handler"] + (f" / {payload['dept']}" if payload.get("dept") else "")
    if kind == "escalated":
        return payload["to"] + (f": {payload['note']}" if payload.get("note") else "")
    if kind == "extended":
        told = f"; complainant told by {payload['notified_via']}" if payload.get("notified_via") else ""
        return (f"+{payload['days']} days to {payload['new_due']}: {payload['reason']} "
                f"(approved by {payload.get('approved_by') or '-'}{told})")
    if kind == "investigated":
        return "; ".join(label.split(" ")[0] for key, label in INVESTIGATION_LABELS if payload.get(key))
    if kind == "terminated":
        return f"{payload['reason']} ({codes.TERMINATE_REASONS.label(payload['reason'])})"

    if kind == "noted":
        return f"[{payload['kind']}] {payload['text']}"
    if kind == "resolved":
        return payload["result"]
    if kind == "called_back":
        advised = ("; advised " + ", ".join(f"{a} ({codes.ADVICE.label(a)})" for a in payload["advised"])
                   if payload.get("advised") else "")
        return f"{payload['outcome']} ({codes.CALLBACK_OUTCOMES.label(payload['outcome'])})" + advised + (
            f": {payload['note']}" if payload.get("note") else "")
    if kind == "reclassified":
        return f"{payload['from']} -> {payload['to']}: {payload['reason']}"
    if kind == "attached":
        return f"{payload['kind']} {payload['file']} sha256 {payload['sha256'][:12]}…"
    if kind == "recomplained":
        return payload["child"]
    if kind == "marked_unreasonable":
        return f"approved by {payload['approved_by']}"
    return ""


def _provisional_note(calendar, deadlines) -> None:
    """Once per run, on stderr: which years are provisional and how to fix it."""
    years = uncovered_years(calendar, deadlines)
    if years:
        render.tell(render.provisional_hint(years))


def list_(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help=f"{codes.STATUSES.choices()}.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="CSA 5.1 code or label.")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="Handler's name.")] = None,
    received_from: Annotated[Optional[str], typer.Option("--received-from", help="Received on or after YYYY-MM-DD.")] = None,
    received_to: Annotated[Optional[str], typer.Option("--received-to", help="Received on or before YYYY-MM-DD.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only complaints not yet closed or rejected.")] = False,
    as_json: Json = False,
) -> None:
    """List complaints (投诉列表), oldest first, with the next deadline of each."""
    book = ledger(ctx)
    records = queries.find(book, status=status, category=category, handler=handler,
                           received_from=_date_option(received_from, "--received-from"),
                           received_to=_date_option(received_to, "--received-to"), open_only=open_only)
    rows, out, shown = [], [], []
    for record in records:
        pending = [d for d in queries.deadlines(book, record) if d.met_at is None] if record["status"] in codes.OPEN_STATUSES else []
        nxt = min(pending, key=lambda d: d.due) if pending else None
        if nxt:
            shown.append(nxt)
        name = complainant_shown(record)
        out.append({"id": record["id"], "status": record["status"], "received_at": record["received_at"],
                    "category": record.get("category"), "complainant": name, "handler": record.get("handler"),
                    "group": record.get("group", False), "major": record.get("major", False),
                    "parent": record.get("parent"),
                    "next_deadline": {"kind": nxt.kind, "due": nxt.due.isoformat(), "provisional": nxt.provisional}
                    if nxt else None})
        rows.append([record["id"], record["received_at"][:10], render.status_text(record["status"]),
                     record.get("category") or "-", name, record.get("handler") or "-",
                     f"{nxt.kind} {render.due_text(nxt)}" if nxt else "-"])
    if as_json:
        render.emit_json(out)
    elif rows:
        render.table(["number 编号", "received 接收", "status 状态", "category 类别", "complainant 投诉人",
                      "handler 处理人", "next due 下一期限"], rows)
    _provisional_note(book.calendar(), shown)


STATE_LABEL = {"overdue": "OVERDUE (已超期)", "due_today": "DUE TODAY (今日到期)", "due_soon": "DUE SOON (即将到期)"}


def warn(
    ctx: typer.Context,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="The ledger as it stood at the end of this day (YYYY-MM-DD), as `report --as-of` shows it. Default: today in Shanghai, where a deadline due today is still due today.")] = None,
    within: Annotated[Optional[int], typer.Option("--within", min=0, max=60, help="One reminder window for every kind, in trading days. Default: CSA 8.2.3 (acceptance 1, completion 3).")] = None,
    as_json: Json = False,
) -> None:
    """Deadlines overdue, due today or coming due (for cron). Exit 3 when anything is overdue.

    Prints nothing when nothing is due. One line per item without a terminal:
    STATE  NUMBER  KIND  due DATE  N days left|overdue  complainant NAME  handler NAME
    """
    book = ledger(ctx)
    day = clock.parse_date(as_of, "--as-of") if as_of is not None else clock.today()
    items = queries.reminders(book, day, within)
    if as_json:
        render.emit_json([r.as_dict() for r in items])
    elif items and render.fancy():
        for state in ("overdue", "due_today", "due_soon"):
            group = [r for r in items if r.state == state]
            if group:
                render.table(["number 编号", "kind 期限", "due 到期", "days 天数", "complainant 投诉人", "handler 处理人"],
                             [_warn_cells(r) for r in group], title=STATE_LABEL[state])
    else:
        for r in items:
            render.say(_warn_line(r))
    _provisional_note(book.calendar(), [r.deadline for r in items])
    if any(r.state == "overdue" for r in items):
        raise typer.Exit(OVERDUE)


def _days_text(r: queries.Reminder) -> str:
    unit = {"trading": "trading ", "working": "working "}.get(r.deadline.unit, "")
    if r.state == "overdue" and r.days_left == 0:
        return "overdue: its day is over"  # warn --as-of a past day, due that day
    if r.days_left < 0:
        return f"{-r.days_left} {unit}day{'s' if r.days_left != -1 else ''} overdue"
    if r.days_left == 0:
        return "due today"
    return f"{r.days_left} {unit}day{'s' if r.days_left != 1 else ''} left"


def _warn_cells(r: queries.Reminder) -> list[str]:
    return [r.complaint, render.KIND_LABEL[r.deadline.kind], render.due_text(r.deadline), _days_text(r),
            r.complainant or "-", r.handler or "-"]


def _warn_line(r: queries.Reminder) -> str:
    return (f"{r.state:<9}  {r.complaint}  {render.KIND_LABEL[r.deadline.kind]}  due {render.due_text(r.deadline)}"
            f"  {_days_text(r)}  complainant {r.complainant or '-'}  handler {r.handler or '-'}")


def codes_(as_json: Json = False) -> None:
    """The code lists: methods, channels, ID types, categories, reasons, outcomes, with Chinese terms."""
    lists = {"method": codes.METHODS, "channel": codes.CHANNELS, "id-type": codes.ID_TYPES,
             "category": codes.CATEGORIES, "reject reason": codes.REJECT_REASONS,
             "notified-via": codes.NOTIFY_VIA, "callback outcome": codes.CALLBACK_OUTCOMES,
             "status": codes.STATUSES}
    if as_json:
        render.emit_json({name: {code: zh for code, (zh, _en) in cl.entries.items()} for name, cl in lists.items()})
        return
    for name, cl in lists.items():
        render.say(f"{name}:")
        for code, (zh, en) in cl.entries.items():
            render.say(f"  {code:<18} {zh}  {en}")


def register_commands(app: typer.Typer) -> None:
    app.command()(show)
    app.command("list")(list_)
    app.command()(warn)
    app.command("codes")(codes_)
