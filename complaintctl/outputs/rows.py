"""Each complaint's rows in the report, as the ledger stood at the cut-off: its line in 投诉台账 and
台账明细, its extensions and missed deadlines, its callbacks; and which complaints are in scope.

The report and the analysis both count these rows (`report.Summary`, `analysis.Analysis`); the
`report` command feeds the same entries to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Iterator

from complaintctl.rules import clock, codes, identity
from complaintctl.store.asof import LAST_AT, Cutoff, as_stood, not_withdrawn
from complaintctl.rules.complaint import MASKS
from complaintctl.rules.deadlines import Deadline, deadlines_for, extension_total, reached_callbacks, uncovered_years
from complaintctl.store.ledger import Ledger
from complaintctl.i18n import _
from complaintctl.rules.period import Period
from complaintctl.progress import Listener, counted

# -- sheet columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the standard's Chinese term
    kind: str = "text"  # text | long | datetime | date | int | money | percent


def _columns(*specs) -> list[Column]:
    return [Column(*spec) for spec in specs]


# 投诉台账 is CSA 9.4's register: per complaint, the time received, the complainant (name, ID number and
# phone in one cell), the respondent, the request, the facts, the investigation, the result, who accepted
# and handled it, and where; sized to print on one A4 landscape page across at 8 pt or more, the long
# texts given most of the width and every line of them (台账明细 has the complainant's fields apart).
REGISTER_COLUMNS = _columns(
    ("id", "投诉编号"),
    ("original_no", "原编号"),
    ("received_at", "接收时间", "datetime"),
    ("complainant_basics", "投诉人基本情况"),
    ("respondent", "被投诉人"),
    ("request", "投诉请求", "long"),
    ("facts", "主要事实与理由", "long"),
    ("investigation", "调查处理过程", "long"),
    ("result", "处理结果", "long"),
    ("acceptor", "受理人"),
    ("handler", "处理人"),
    ("dept", "责任部门"),
    ("status", "状态"),
)

# 台账明细: the rest of each complaint's row, in the order a reader follows it (the decision, whom and
# what about, how it came, deadlines and outcome, then the columns the summary counts by). Short
# values only, so its pages are full.
DETAIL_COLUMNS = _columns(
    ("id", "投诉编号"),
    ("original_no", "原编号"),
    ("decision", "受理决定"),
    ("decided_on", "受理决定日期", "date"),
    ("reject_reason", "不予受理原因"),
    ("complainant", "投诉人"),
    ("id_number", "证件号码"),
    ("phone", "联系电话"),
    ("address", "联系地址/住所"),
    ("agent", "代理人"),
    ("legal_rep", "法定代表人"),
    ("category_group", "一级类别"),
    ("category", "业务类别"),
    ("method", "投诉方式"),
    ("channel", "投诉渠道"),
    ("source", "转办来源"),
    ("transfer_no", "转办工单号"),
    ("feedback", "反馈方式"),
    ("status", "状态"),
    ("acceptance_due", "受理期限", "date"),
    ("completion_due", "办结期限", "date"),
    ("resolved_on", "办结日期", "date"),
    ("on_time", "是否按期"),
    ("overdue_at_end", "期末超期"),
    ("extension_days", "延期天数", "int"),
    ("callback", "回访结果"),
    ("compensation", "赔偿金额（元）", "money"),
    ("settled", "和解"),
    ("reply_due", "监管回复期限", "date"),
    ("complainants", "投诉人数", "int"),
    ("group", "个体/群体"),
    ("major", "重大/一般"),
    ("escalated_on", "上报日期", "date"),
    ("reasonable", "合理/无理"),
    ("parent", "再投诉的原投诉编号"),
    ("scope", "统计范围"),
)

# Columns that are empty in most reports: a sheet shows them only when the ledger may hold a value for
# them (issue 31), found by one look at the stored records (the text each record's JSON holds when set).
# A column shown and still empty is harmless; one hidden that had a value would lose it, so the test is
# generous: any complaint that may be in the report, as it stands now.
OPTIONAL_COLUMNS = {
    "original_no": '%"original_no": "%',
    "agent": '%"agent_name": "%',
    "legal_rep": '%"legal_rep": "%',
    "parent": '%"parent": "%',
    "late_calendar": '%"major": true%',
}


def present_columns(ledger: Ledger, period: Period) -> set[str]:
    """The optional columns this report shows: those the ledger may hold a value for."""
    looked = list(OPTIONAL_COLUMNS)
    # One pass over the report's complaints and a few more (received by its end, not rejected or closed before
    # it began), asking every column's question at once: five LIMIT 1 look-ups would each scan the whole scope
    # when, as in most reports, nothing fills them.
    asked = ", ".join("max(CASE WHEN record LIKE ? THEN 1 ELSE 0 END)" for _key in looked)
    sql = f"SELECT {asked} FROM complaints WHERE received_day <= ? AND (ended_day IS NULL OR ended_day >= ?) "
    sql += "AND status <> 'voided'"
    args = (*(OPTIONAL_COLUMNS[key] for key in looked), period.end.isoformat(), period.start.isoformat())
    with ledger.reading() as conn:
        found = conn.exec_driver_sql(sql, args).first()
    return {key for key, value in zip(looked, found) if value}


def shown_columns(columns: list[Column], present: set[str], unit_words: str) -> list[Column]:
    """A sheet's columns for one report: optional ones only when present; day counts with their unit."""
    shown = []
    for column in columns:
        if column.key in OPTIONAL_COLUMNS and column.key not in present:
            continue
        if column.key == "extension_days":
            column = Column(column.key, f"延期天数（{unit_words}）", column.kind)
        shown.append(column)
    return shown


DELAY_COLUMNS = _columns(
    ("id", "投诉编号"),
    ("type", "类型"),
    ("deadline", "期限类别"),
    ("original_due", "原期限", "date"),
    ("due", "期限", "date"),
    ("met_on", "完成日期", "date"),
    # Each deadline is late in its own unit (CSA 12.1): trading days, working days for the callback,
    # calendar days for a major complaint's same-day report.
    ("late_trading", "超期（交易日）", "int"),
    ("late_working", "超期（工作日）", "int"),
    ("late_calendar", "超期（自然日）", "int"),
    ("extension_days", "延期天数", "int"),
    ("requested_on", "申请日期", "date"),
    ("reason", "原因及说明", "long"),
    ("approved_by", "审批人"),
    ("handler", "处理人"),
    ("status", "状态"),
)

CALLBACK_COLUMNS = _columns(
    ("id", "投诉编号"),
    ("complainant", "投诉人"),
    ("phone", "联系电话"),
    ("handler", "处理人"),
    ("resolved_on", "办结日期", "date"),
    ("due", "回访期限", "date"),
    ("due_in_period", "本期应回访"),
    ("called_on", "回访日期", "date"),
    ("method", "回访方式"),
    ("outcome", "回访结果"),
    ("on_time", "是否按期回访"),
    ("caller", "回访人"),
    ("note", "回访说明", "long"),
    ("recomplaint", "再投诉编号"),
)

DUE_COLUMN = {"acceptance": "acceptance_due", "completion": "completion_due"}

# Values of the coded columns, which the summary counts.
ON_TIME, AFTER_EXTENSION, LATE = "按期", "延期后按期", "超期"
PENDING, PENDING_OVERDUE, REJECTED = "未办结", "未办结（已超期）", "不予受理"
TERMINATED = codes.STATUSES.label("terminated")  # 终止处理: ended without a result, never "completed"
ACCEPTED, UNDECIDED = "受理", "待受理"
IN_PERIOD, CARRIED_OVER = "本期接收", "上期结转"
YES, NO = "是", "否"
NOT_CALLED = "未回访"
UNREACHED = codes.CALLBACK_OUTCOMES.label("unreachable")  # 未能联系: an attempt, never 按期 or 超期 (Firm 18(5))
REASONABLE, UNREASONABLE = "合理诉求", "无理投诉"
NOT_LABELLED = "—"  # CSA 5.4 labels accepted complaints only: a refused or undecided one is neither
# How the report prints a channel. CSA 6 calls a complaint made to the firm itself 自行受理, which a reader
# of a report full of 受理 decisions takes for "accepted"; users still type 自行受理 (codes.CHANNELS).
CHANNEL_SHOWN = {"direct": "自行接收"}


def channel_label(code: str | None) -> str:
    return CHANNEL_SHOWN.get(code or "") or codes.CHANNELS.label(code)


def overdue_text(kinds: list[str]) -> str:
    """期末超期's cell: 否, or 是 naming the deadlines passed and still owed, e.g. 是（回访）."""
    return f"{YES}（{'、'.join(codes.DEADLINES.label(k) for k in kinds)}）" if kinds else NO


# -- the rows -----------------------------------------------------------------------------------


@dataclass
class Entry:
    """One complaint in scope: its ledger row and its rows on the other sheets."""

    row: dict
    record: dict = field(default_factory=dict)  # as of the cut-off, unmasked: for the analysis, never written
    delays: list[dict] = field(default_factory=list)
    callbacks: list[dict] = field(default_factory=list)
    provisional_years: set[int] = field(default_factory=set)


def local(text: str | None) -> datetime | None:
    """A stored time as Shanghai wall-clock time without offset: Excel has no time zones."""
    return clock.from_iso(text).replace(tzinfo=None) if text else None


def _on(text: str | None) -> date | None:
    return clock.day_of(text) if text else None


class Builder:
    """Turns a complaint's record as of the cut-off into its rows."""

    def __init__(self, ledger: Ledger, period: Period, cutoff: Cutoff, unmask: bool):
        self.ledger = ledger
        self.calendar = ledger.calendar()
        self.period = period
        self.cutoff = cutoff
        self.unmask = unmask

    def _person(self, record: dict) -> tuple[str, str | None, str | None]:
        """Complainant, identifier and phone, masked unless asked (CSA 7.8)."""
        if record.get("institution"):
            name, number = record["institution"], record.get("uscc")  # a company's code is not personal data
        else:
            name, number = record.get("name") or "", record.get("id_number")
            if not self.unmask:
                name, number = identity.mask_name(name) or "", identity.mask_id(number)
        phone = record.get("phone") or record.get("agent_phone")
        return name, number, phone if self.unmask else identity.mask_phone(phone)

    def _others(self, record: dict) -> dict:
        """The rest of the complainant's facts 9.4 asks for: address, agent, legal representative."""
        mask = (lambda _name, value: value) if self.unmask else (lambda name, value: MASKS[name](value))

        def person(prefix: str, name_key: str) -> str | None:
            name = record.get(name_key)
            if not name:
                return None
            parts = [name if self.unmask else identity.mask_name(name)]
            parts += [mask(key, record[key]) for key in (f"{prefix}_id_number", f"{prefix}_phone") if record.get(key)]
            return "，".join(parts)

        return {
            "address": mask("address", record.get("address")),
            "agent": person("agent", "agent_name"),
            "legal_rep": person("legal_rep", "legal_rep"),
        }

    def entry(self, record: dict) -> Entry:
        policy = self.ledger.policy_on(clock.day_of(record["received_at"]))
        deadlines = {d.kind: d for d in deadlines_for(record, self.calendar, policy)}
        accepted = bool(record.get("accepted_at"))
        if not accepted:
            # Completion is owed only once a complaint is accepted (CSA 9.2.2(c)): a refused or still undecided
            # one shows no 办结期限, and is never late or overdue on it; its acceptance decision is what is owed.
            deadlines.pop("completion", None)
        period, cutoff = self.period, self.cutoff
        received = clock.day_of(record["received_at"])
        name, number, phone = self._person(record)
        acceptance, completion = deadlines["acceptance"], deadlines.get("completion")
        resolved = _on(record.get("resolved_at"))
        closed = _on(record.get("closed_at"))
        # 期末超期: the deadlines passed and still owed at the cut-off, named in the cell. A complaint closed
        # (归档) by then owes nothing more: closing needs what it owes (a callback may end in unreachable attempts).
        # One truth: "未办结（已超期）" exactly when 期末超期 is 是.
        owed = [] if closed else [kind for kind, d in deadlines.items() if d.met_at is None and cutoff.missed(d)]
        overdue = bool(owed)
        if record.get("rejected_at"):
            decision, decided, on_time = REJECTED, _on(record["rejected_at"]), REJECTED
        elif record.get("terminated_at"):
            decision, decided, on_time = ACCEPTED, _on(record.get("accepted_at")), TERMINATED
        else:
            decision = ACCEPTED if record.get("accepted_at") else UNDECIDED
            decided = _on(record.get("accepted_at"))
            if resolved is None:
                on_time = PENDING_OVERDUE if overdue else PENDING
            elif resolved <= completion.original_due:
                on_time = ON_TIME
            elif resolved <= completion.due:
                on_time = AFTER_EXTENSION
            else:
                on_time = LATE
        callbacks = record.get("callbacks", [])
        compensation = (record.get("resolution") or {}).get("compensation")
        provisional = [d for d in deadlines.values() if d.provisional and d.met_at is None]
        escalation = deadlines.get("escalation")
        group = record.get("category", "")[:1] if record.get("category") else ""
        row = {
            "id": record["id"],
            "branch": record.get("branch", ""),
            "original_no": record.get("original_no"),
            "received_at": local(record["received_at"]),
            "complainant": name,
            "id_number": number,
            "phone": phone,
            "complainant_basics": "\n".join(value for value in (name, number, phone) if value) or None,
            **self._others(record),
            "respondent": _respondent(record),
            "category": codes.CATEGORIES.label(record.get("category")) or "未分类",
            "method": codes.METHODS.label(record.get("method")),
            "channel": channel_label(record.get("channel")),
            "request": record.get("request"),
            "facts": record.get("facts"),
            "investigation": _investigation(record),
            "result": _result(record),
            "feedback": _feedback(record),
            "acceptor": record.get("acceptor"),
            "handler": record.get("handler"),
            "dept": record.get("dept") or record.get("respondent_dept"),
            "status": codes.STATUSES.label(record["status"]),
            "acceptance_due": acceptance.due,
            "completion_due": completion.due if completion else None,
            "resolved_on": resolved,
            "on_time": on_time,
            "extension_days": extension_total(record),
            "callback": codes.CALLBACK_OUTCOMES.label(callbacks[-1]["outcome"])
            if callbacks
            else (NOT_CALLED if resolved else None),
            "scope": IN_PERIOD if received in period else CARRIED_OVER,
            "category_group": codes.CATEGORY_GROUPS.get(group, "未分类"),
            "source": record.get("source"),
            "transfer_no": record.get("transfer_no"),
            "reply_due": deadlines["regulator_reply"].due if "regulator_reply" in deadlines else None,
            "decision": decision,
            "decided_on": decided,
            "_decided_day": decided,
            "_decided_late": decided is not None and decided > acceptance.due,
            "reject_reason": _reject_reason(record),
            "_reject_code": (record.get("rejection") or {}).get("reason"),
            "complainants": int(record.get("complainants") or 1),
            "group": "群体" if record.get("group") else "个体",
            "major": "重大" if record.get("major") else "一般",
            "escalated_on": _on(escalation.met_at) if escalation else None,
            "_escalation": _escalation_state(escalation, cutoff),
            "_terminated_on": _on(record.get("terminated_at")),
            "_unreached": bool(callbacks) and not reached_callbacks(record),
            "reasonable": (UNREASONABLE if record.get("unreasonable") else REASONABLE) if accepted else NOT_LABELLED,
            "compensation": Decimal(compensation or "0.00"),
            "parent": record.get("parent"),
            "settled": {True: "和解", False: "未和解"}.get((record.get("resolution") or {}).get("settled"), UNRECORDED)
            if resolved
            else None,
            "overdue_at_end": overdue_text(owed),
            "_overdue": overdue,
            "_owed": owed,  # missed and not done at the cut-off: each rate counts them in its denominator
            "_closed_on": closed,
            "provisional": YES if provisional else None,
            # the due dates the sheet marks （暂定）: those of deadlines still owed that a missing schedule moves
            "provisional_due": {DUE_COLUMN[d.kind] for d in provisional if d.kind in DUE_COLUMN},
        }
        gaps = record.get("unrecorded")  # what an imported old ledger never held; most records have none
        if gaps:
            self._unrecorded(row, record, gaps)
        entry = Entry(row, record, provisional_years=uncovered_years(self.calendar, provisional))
        entry.delays = self._delays(record, deadlines, row)
        entry.callbacks = self._callbacks(record, deadlines.get("callback"), row)
        return entry

    @staticmethod
    def _unrecorded(row: dict, record: dict, gaps: list[str]) -> None:
        """未记载 where the old ledger is silent: never a date, a 未回访 or a 超期 it did not record."""
        for key, gap in UNRECORDED_COLUMNS.items():
            if gap in gaps:
                # Notes the old ledger kept are shown all the same, after the gap.
                row[key] = f"{UNRECORDED}\n{row[key]}" if row.get(key) else UNRECORDED
        if "accepted_at" in gaps and row["decided_on"] is not None:
            # Decided, but when is not known: counted among the decisions, never as on time or late.
            row["decided_on"], row["_decided_late"], row["_decided_unrecorded"] = UNRECORDED, False, True
        if "callback" in gaps and not record.get("callbacks"):
            row["callback"] = UNRECORDED
        if "escalation" in gaps and row["escalated_on"] is None and record.get("major"):
            row["escalated_on"] = UNRECORDED

    def _delays(self, record: dict, deadlines: dict[str, Deadline], row: dict) -> list[dict]:
        common = {
            "id": record["id"],
            "branch": row["branch"],
            "handler": record.get("handler"),
            "status": row["status"],
        }
        rows = []
        completion = deadlines.get("completion")
        for extension in record.get("extensions", []):
            rows.append(
                {
                    **common,
                    "type": "延期",
                    "deadline": codes.DEADLINES.label("completion"),
                    "original_due": completion.original_due,
                    "due": date.fromisoformat(extension["new_due"]),
                    "met_on": row["resolved_on"],
                    "extension_days": extension["days"],
                    "requested_on": _on(extension["at"]),
                    "reason": extension["reason"],
                    "approved_by": extension.get("approved_by"),
                    "provisional": YES if completion.provisional else None,
                }
            )
        for kind, deadline in deadlines.items():
            met = _on(deadline.met_at)
            late_in_period = deadline.met_late and met in self.period
            if not (late_in_period or deadline.met_at is None and self.cutoff.missed(deadline)):
                continue
            rows.append(
                {
                    **common,
                    "type": "超期",
                    "deadline": codes.DEADLINES.label(kind),
                    "original_due": deadline.original_due,
                    "due": deadline.due,
                    "met_on": met,
                    f"late_{deadline.unit}": self._days_late(deadline, row["_closed_on"]),
                    "reason": _late_reason(record),
                    "provisional": YES if deadline.provisional else None,
                }
            )
        return rows

    def _days_late(self, deadline: Deadline, closed: date | None = None) -> int:
        """Days after the due day, up to the day it was met (or the complaint closed, or the cut-off), in the
        deadline's own unit: 0 on the due day itself, and over a weekend that follows it (as `warn` counts).
        A deadline still unmet when its day is over is listed (DOMAIN: warn --as-of), 0 days late."""
        end = clock.day_of(deadline.met_at) if deadline.met_at else (closed or self.cutoff.day)
        if deadline.unit == "calendar":
            return max(0, (end - deadline.due).days)
        return max(0, self.calendar.count_days(deadline.due, end, deadline.unit))

    def _callbacks(self, record: dict, deadline: Deadline | None, row: dict) -> list[dict]:
        """Callback attempts made in the period, and the callback due in it by the cut-off (made or not).

        An unreachable attempt is not a callback (Firm 18(5); DOMAIN): its 是否按期回访 is 未能联系, and the
        deadline is judged by the first callback that reached the complainant.
        """
        if deadline is None:
            return []
        cutoff = self.cutoff
        # Due in the period and by the cut-off: a callback due after the moment looked at is not yet owed.
        due_in_period = deadline.due in self.period and deadline.due <= cutoff.day
        done = record.get("callbacks", [])
        reached = [c for c in done if c.get("outcome") != "unreachable"]
        first = reached[0] if reached else None
        base = {
            "id": record["id"],
            "branch": row["branch"],
            "complainant": row["complainant"],
            "phone": row["phone"],
            "handler": record.get("handler"),
            "resolved_on": row["resolved_on"],
            "due": deadline.due,
            "due_in_period": YES if due_in_period else NO,
            "_met_on_time": deadline.met_at is not None and not deadline.met_late,
            # 回访及时率 counts it once it is decided: met, or missed (its day over); due today and not yet
            # made is not missed.
            "_counted": due_in_period and (deadline.met_at is not None or cutoff.missed(deadline)),
            "provisional": YES if deadline.provisional and deadline.met_at is None else None,
        }
        shown = [c for c in done if clock.day_of(c["at"]) in self.period]
        if not shown and due_in_period:
            # Made before the period began, though due in it: the attempts up to the first that reached someone.
            shown = done[: done.index(first) + 1] if first is not None else done
        children = self._recomplaints(record) if shown else {}
        rows = []
        for callback in shown:
            called = clock.day_of(callback["at"])
            if callback.get("outcome") == "unreachable":
                timely = UNREACHED
            elif callback is first:
                timely = LATE if called > deadline.due else ON_TIME
            else:
                timely = "再次回访"
            rows.append(
                {
                    **base,
                    "called_on": called,
                    "method": codes.CALLBACK_METHODS.label(callback.get("method")),
                    "outcome": codes.CALLBACK_OUTCOMES.label(callback["outcome"]),
                    "on_time": timely,
                    "caller": callback.get("by"),
                    "note": callback.get("note"),
                    "recomplaint": children.get(callback["at"]),
                }
            )
        # Nobody reached yet: the callback is still owed, unless the complaint was closed after its attempts.
        if first is None and not row["_closed_on"] and (due_in_period or cutoff.missed(deadline)):
            missed = cutoff.missed(deadline)
            rows.append({**base, "outcome": NOT_CALLED, "on_time": f"{NOT_CALLED}（已超期）" if missed else NOT_CALLED})
        return rows

    def _recomplaints(self, record: dict) -> dict[str, str]:
        """Re-complaint number by the time of the callback that opened it (it is received at that moment)."""
        numbers = record.get("recomplaints", [])
        if not numbers:
            return {}
        with self.ledger.reading() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT id, received_at FROM complaints WHERE branch = ? AND id IN ({', '.join('?' * len(numbers))})",
                (record.get("branch", ""), *numbers),
            )
            return {received_at: number for number, received_at in rows}


def _respondent(record: dict) -> str | None:
    parts = [p for p in (record.get("respondent"), record.get("respondent_dept")) if p]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"{parts[0]}（{parts[1]}）"


# CSA 9.2.2(b)'s five items, in the standard's words.
INVESTIGATION = (
    ("facts_found", "投诉事实及经过"),
    ("cause", "投诉原因及内控分析"),
    ("accountability", "内部责任追究"),
    ("improvement", "存在的不足及管理改进措施"),
    ("suggestions", "相关工作建议"),
)


def _investigation(record: dict) -> str | None:
    """CSA 9.2.2(b)'s investigation record, then the notes made along the way."""
    found = record.get("investigation") or {}
    lines = [f"{label}：{found[key]}" for key, label in INVESTIGATION if found.get(key)]
    rectification = record.get("rectification")
    if rectification:  # CSA 8.2.4: who makes the improvement, by when, and whether it was made
        done = rectification.get("done_at")
        lines.append(
            f"整改责任人：{rectification['owner']}，整改期限：{rectification['due']}，"
            + (f"{clock.day_of(done)}已完成：{rectification.get('note') or ''}" if done else "尚未完成")
        )
    for note in record.get("notes", []):
        lines.append(f"{clock.day_of(note['at'])} {codes.NOTE_KINDS.label(note['kind'])}：{note['text']}")
    return "\n".join(lines) or None


def _result(record: dict) -> str | None:
    if record.get("termination"):
        ended = record["termination"]
        text = f"{TERMINATED}：{codes.TERMINATE_REASONS.label(ended['reason'])}"
        return f"{text}。{ended['note']}" if ended.get("note") else text
    return (record.get("resolution") or {}).get("result")


def _feedback(record: dict) -> str | None:
    """CSA 9.3: how the opinion reached the complainant and the respondent."""
    resolution = record.get("resolution") or {}
    parts = [
        f"{who}：{codes.FEEDBACK_VIA.label(resolution[key])}"
        for key, who in (("feedback_via", "投诉人"), ("respondent_feedback_via", "被投诉人"))
        if resolution.get(key)
    ]
    return "；".join(parts) or None


def _escalation_state(deadline: Deadline | None, cutoff: Cutoff) -> str | None:
    """A major complaint's report (CSA 9.1.2(c)): on time, late, or missing at the cut-off."""
    if deadline is None:
        return None
    if deadline.met_at is not None:
        return "late" if deadline.met_late else "on_time"
    return "missing" if cutoff.missed(deadline) else "pending"


UNEXPLAINED = "未说明"
UNRECORDED = "未记载"
UNRECORDED_COLUMNS = {
    "investigation": "investigation",
    "feedback": "feedback_via",
    "handler": "handler",
    "acceptor": "acceptor",
    "method": "method",
    "channel": "channel",
    "phone": "phone",
    "transfer_no": "transfer_no",
}


def _late_reason(record: dict) -> str:
    """What was recorded about why a deadline was missed (`note --kind late`), or 未说明."""
    notes = [n for n in record.get("notes", []) if n.get("kind") == "late"]
    return "\n".join(f"{clock.day_of(n['at'])} {n['text']}" for n in notes) or UNEXPLAINED


def _reject_reason(record: dict) -> str | None:
    rejection = record.get("rejection")
    if not rejection:
        return None
    reason = rejection["reason"]
    text = f"{codes.REJECT_ITEMS[reason]}) {codes.REJECT_REASONS.label(reason)}"
    if rejection.get("original"):  # CSA 9.1.1(c): the complaint it repeats (not a re-complaint, Firm 18(7))
        text += f"（原投诉 {rejection['original']}）"
    return f"{text}：{rejection['note']}" if rejection.get("note") else text


# -- reading the ledger as it stood ----------------------------------------------------------------

SCOPE_SQL = f"""
SELECT c.branch, c.id, c.record, {LAST_AT} AS last_at
FROM complaints c
WHERE c.received_day <= :cutoff AND c.status <> 'voided'
  AND (c.received_day >= :start
       OR (c.branch, c.id) IN (SELECT branch, id FROM complaints WHERE is_open = 1 AND received_day < :start
                               UNION ALL
                               SELECT branch, id FROM complaints WHERE ended_day >= :start AND received_day < :start))
  {{only}}
ORDER BY c.received_day, c.branch, c.year, c.seq
"""


def records_as_of(
    ledger: Ledger,
    period: Period,
    cutoff: Cutoff,
    listener: Listener | None = None,
    branches: Iterable[str] | None = None,
    stage: str | None = None,
) -> Iterator[dict]:
    """Each complaint in scope as it stood at the cut-off, in order of receipt."""
    with ledger.reading() as conn:
        chosen = tuple(dict.fromkeys(branches or ()))
        bounds = {
            "cutoff": cutoff.day.isoformat(),
            "start": period.start.isoformat(),
            **{f"b{i}": code for i, code in enumerate(chosen)},
        }
        scope = SCOPE_SQL.format(
            only=(f"AND c.branch IN ({', '.join(f':b{i}' for i in range(len(chosen)))})" if chosen else "")
            + not_withdrawn()
        )
        # On PostgreSQL a server-side cursor: a quarter of 100,000 complaints is not held in memory at once.
        rows = conn.exec_driver_sql(scope, bounds, stream=True)
        if listener:
            total = conn.exec_driver_sql(f"SELECT count(*) FROM ({scope}) AS scope", bounds).scalar()
            rows = counted(rows, listener, stage or _("writing the complaints"), total)
        for record in as_stood(conn, rows, cutoff):
            if _in_scope(record, period, cutoff):
                yield record


def _in_scope(record: dict, period: Period, cutoff: Cutoff) -> bool:
    received = clock.day_of(record["received_at"])
    if received > cutoff.day:
        return False
    if received >= period.start:
        return True
    ended = record.get("rejected_at") or record.get("terminated_at") or record.get("closed_at")
    return ended is None or clock.day_of(ended) >= period.start
