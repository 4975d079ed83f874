"""易诉人群、易诉问题: the analysis the standard asks of the specialist (CSA 8.1.7(c), 11).

Who complains again, about what and about whom, how quickly and how well complaints were handled,
and whether the promised improvements (整改, CSA 8.2.4) were made.

Counted from the report's own rows (`report.Builder`, the same as-of fold), so every figure here
agrees with the report's summary. What the report does not hold is read beside it: the 12 months
before the period (repeat complainants, the previous period's categories) and the improvement
measures of complaints closed before the period began. `Analysis.result` is the one result:
`analyze --json` prints it, and the text output and the report's 分析 sheet are its `sections`.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from complaintctl.rules import clock, codes, identity
from complaintctl.store.asof import LAST_AT, Cutoff, as_stood, branch_filter, rectifying_at
from complaintctl.rules.complaint import typed_number
from complaintctl.rules.deadlines import rectification_deadline
from complaintctl.i18n import _
from complaintctl.rules.period import Period, month_period, quarter_period, year_period
from complaintctl.outputs.rows import (
    AFTER_EXTENSION,
    IN_PERIOD,
    NOT_LABELLED,
    ON_TIME,
    REASONABLE,
    UNREASONABLE,
    Builder,
    Entry,
    records_as_of,
)
from complaintctl.outputs.summary import Summary

UNASSIGNED = None  # a complaint without a department: shown as 未指定
NO_PREVIOUS_DATA = "无上期数据"


def previous_period(period: Period) -> Period:
    """The month, quarter or year before: what the categories are compared with."""
    if period.kind == "month":
        day = period.start - timedelta(days=1)
        return month_period(day.year, day.month)
    if period.kind == "quarter":
        year, quarter = clock.quarter_of(period.start)
        return quarter_period(year, quarter - 1) if quarter > 1 else quarter_period(year - 1, 4)
    return year_period(period.start.year - 1)


def window_start(period: Period) -> date:
    """The first day of the 12 months before the period (periods begin on the 1st of a month)."""
    return period.start.replace(year=period.start.year - 1)


# How each figure is counted: (Chinese, English). The sheet is Chinese; the terminal speaks the user's language.
RULES = {
    "repeat": (
        "同一人：证件号码相同（机构为统一社会信用代码）；没有证件号码的投诉，其电话与该人某件投诉的电话相同"
        "时并入（对应多人时不并入）；从不只凭姓名。列出本期有投诉、且{start}至{end}（本期及前 12 个月）"
        "共投诉 2 件及以上者",
        "the same person: the same ID number (an institution's unified social credit code); a complaint "
        "without one joins a person when its phone equals a phone of that person's complaints (never "
        "when it matches more than one); never by name alone. Listed: people with a complaint in the "
        "period and 2 or more from {start} to {end} (the period and the 12 months before)",
    ),
    "categories": (
        "接收时间在本期、上期（{previous}）的投诉件数，均按统计时点的业务类别（CSA 5.1）；"
        "变化 = 本期 − 上期；上期台账中没有任何投诉时，上期与变化为“无上期数据”",
        "complaints received in the period and in the previous one ({previous}), each by its category "
        "as of the cut-off (CSA 5.1); change = this period − the previous; when the ledger holds no "
        "complaint of the previous period, previous and change say so",
    ),
    "respondents": (
        "本期接收、被投诉人相同（忽略空格、全半角）的投诉 2 件及以上；合理诉求仅对已受理的投诉认定"
        "（CSA 5.4），合理诉求占比 = 未认定为无理投诉的已受理件数 ÷ 已受理件数",
        "received in the period against the same employee (spaces and full-width ignored), 2 or more; "
        "only accepted complaints are reasonable or not (CSA 5.4): reasonable share = accepted and not "
        "labelled unreasonable ÷ accepted",
    ),
    "departments": (
        "本期接收、责任部门（处理部门；未指派时为被投诉部门）相同的投诉 2 件及以上；已受理、合理诉求及占比同上",
        "received in the period with the same responsible department (the handling department, or "
        "the respondent's before assignment), 2 or more; accepted, reasonable and share as above",
    ),
    "handling": (
        "本期办结的投诉，自接收日至办结日的交易日数（接收日为 T，于 T+n 办结即 n）；"
        "第 90 百分位取最近秩（从小到大第 ⌈0.9n⌉ 个）",
        "complaints completed in the period: trading days from the day received (T) to the day resolved "
        "(T+n counts n); the 90th percentile by nearest rank (the ⌈0.9n⌉-th smallest)",
    ),
    "acceptance": (
        "按期作出的受理决定 ÷ 本期作出的受理决定（CSA 9.1.2(a)）",
        "decisions on acceptance made on time ÷ those made in the period (CSA 9.1.2(a))",
    ),
    "completion": (
        "按期或延期后按期办结 ÷ 本期办结（CSA 9.2.2(c)(d)）",
        "completed on time, or on time after an extension ÷ completed in the period (CSA 9.2.2(c)(d))",
    ),
    "callback": (
        "按期回访 ÷ 回访期限在本期、截至统计时点已到期的投诉；未能联系不算回访（Firm 18(5)）",
        "called back by the deadline ÷ complaints whose callback was due in the period by the cut-off; an "
        "unreachable attempt is not a callback (Firm 18(5))",
    ),
    "extension": (
        "本期办结的投诉中有延期的 ÷ 本期办结（CSA 9.2.2(d)）",
        "complaints completed in the period that were extended ÷ completed in the period (CSA 9.2.2(d))",
    ),
    "satisfaction": (
        "本期回访满意 ÷（满意 + 不满意）；未能联系不计",
        "callbacks in the period found content ÷ (content + not satisfied); unreached attempts not counted",
    ),
    "recomplaint": (
        "本期办结的投诉中，截至统计时点因回访不满意而再投诉的 ÷ 本期办结（Firm 18(7)）",
        "completed in the period and re-complained of after a dissatisfied callback by the cut-off "
        "÷ completed in the period (Firm 18(7))",
    ),
    "unreasonable": (
        "本期接收并已受理的投诉中认定为无理投诉的 ÷ 本期接收并已受理（CSA 5.4：仅对已受理的投诉认定）",
        "received in the period, accepted and labelled unreasonable ÷ received in the period and "
        "accepted (CSA 5.4: only accepted complaints are labelled)",
    ),
    "compensation": (
        "办结日期在本期的赔偿金额合计（元）及件数",
        "compensation paid on complaints completed in the period (yuan), and how many",
    ),
    "rectifications": (
        "调查记录中的管理改进措施（CSA 9.2.2(b) 第4项、8.2.4）：截至统计时点已记录、本期初尚未完成的；"
        "逾期 = 过了整改期限仍未完成或晚于期限完成，天数为期限次日起的自然日（期限当日为 0）",
        "improvement measures of the investigation record (CSA 9.2.2(b) item 4, 8.2.4) recorded by "
        "the cut-off and not done before the period began; overdue = past the promised date and not "
        "done, or done after it; days are calendar days after the promised date (0 on that day)",
    ),
}

RECTIFICATION_STATES = codes.RECTIFICATION_STATES.entries  # state -> (Chinese, English), in the order listed


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Tally:
    """Timeliness of one department, or of all (the report's rules, counted from its rows)."""

    handling_days: list[int] = field(default_factory=list)
    decided: int = 0
    decided_on_time: int = 0
    completed: int = 0
    completed_on_time: int = 0
    extended: int = 0
    callbacks_due: int = 0
    callbacks_on_time: int = 0

    def as_dict(self) -> dict:
        days = sorted(self.handling_days)
        return {
            "completed": self.completed,
            "handling_days": {
                "median": statistics.median(days) if days else None,
                "p90": days[math.ceil(0.9 * len(days)) - 1] if days else None,
                "max": days[-1] if days else None,
            },
            "acceptance": {
                "decided": self.decided,
                "on_time": self.decided_on_time,
                "rate": rate(self.decided_on_time, self.decided),
            },
            "completion": {
                "completed": self.completed,
                "on_time": self.completed_on_time,
                "rate": rate(self.completed_on_time, self.completed),
            },
            "callback": {
                "due": self.callbacks_due,
                "on_time": self.callbacks_on_time,
                "rate": rate(self.callbacks_on_time, self.callbacks_due),
            },
            "extension": {
                "completed": self.completed,
                "extended": self.extended,
                "rate": rate(self.extended, self.completed),
            },
        }


@dataclass
class Seen:
    """What the analysis keeps of one complaint of the window, to find the same person."""

    number: str  # BRANCH/NUMBER in a firm ledger
    received: date
    category: str | None
    id_key: str | None  # id:NUMBER or uscc:CODE
    phone: str | None  # identity.phone_key
    in_period: bool = False
    who: dict | None = None  # complaints of the period: name, status and last callback as of the cut-off


def _who(record: dict) -> dict:
    callbacks = record.get("callbacks") or []
    return {
        "name": record.get("name"),
        "institution": record.get("institution"),
        "status": record["status"],
        "callback": callbacks[-1]["outcome"] if callbacks else None,
    }


def _measure(record: dict) -> dict:
    """An improvement measure (CSA 9.2.2(b) item 4) and its rectification, as `rectification_deadline` reads it."""
    return {"measure": record["investigation"]["improvement"], "rectification": record.get("rectification")}


def _id_key(id_number: str | None, uscc: str | None) -> str | None:
    if id_number:
        return "id:" + clock.typed(id_number).upper()
    if uscc:
        return "uscc:" + clock.typed(uscc).upper()
    return None


class Analysis:
    """Fed the report's entries (`add`), then the rest of the window (`finish`), which sets `result`.

    It keeps a few fields of each complaint, never the records: a firm's year is hundreds of thousands.
    """

    def __init__(
        self,
        period: Period,
        cutoff: Cutoff,
        calendar,
        unmask: bool,
        branches: Iterable[str] | None = None,
        summary: Summary | None = None,
    ):
        self.period, self.cutoff, self.calendar, self.unmask = period, cutoff, calendar, unmask
        # The industry's figures come from the report's own count: fed here when there is no report around it.
        self.summary, self.counts_summary = (summary, False) if summary is not None else (Summary(period), True)
        self.branches = list(branches or ())
        self.previous = previous_period(period)
        self.start = window_start(period)
        self.seen: list[Seen] = []
        self.categories: Counter = Counter()
        self.previous_categories: Counter = Counter()
        self.respondents: dict[str, list] = {}  # person_key -> [name shown, complaints, accepted, reasonable]
        self.departments: dict[str | None, list] = {}  # dept -> [complaints, accepted, reasonable]
        self.overall = Tally()
        self.by_department: dict[str | None, Tally] = {}
        self.received = self.accepted = self.unreasonable = 0
        self.completed = self.recomplained = 0
        self.satisfied = self.dissatisfied = 0
        self.compensation, self.compensated = Decimal("0.00"), 0
        self.measures: dict[str, dict] = {}  # number -> {measure, rectification}
        self.result: dict | None = None

    def _tallies(self, dept: str | None) -> tuple[Tally, Tally]:
        return self.overall, self.by_department.setdefault(dept, Tally())

    def add(self, entry: Entry) -> None:
        """One complaint of the report's scope, with its rows as the report writes them."""
        row, record, period = entry.row, entry.record, self.period
        if self.counts_summary:
            self.summary.add(entry)
        dept = row["dept"] or UNASSIGNED
        if row["scope"] == IN_PERIOD:
            self.received += 1
            # CSA 5.4 labels accepted complaints only (the ledger sheet's 合理/无理): a refused or undecided
            # complaint is neither.
            accepted = row["reasonable"] != NOT_LABELLED
            reasonable = row["reasonable"] == REASONABLE
            self.accepted += accepted
            self.unreasonable += row["reasonable"] == UNREASONABLE
            self.categories[record.get("category")] += 1
            self.seen.append(
                Seen(
                    typed_number(record.get("branch", ""), record["id"]),
                    clock.day_of(record["received_at"]),
                    record.get("category"),
                    _id_key(record.get("id_number"), record.get("uscc")),
                    identity.phone_key(record.get("phone")),
                    True,
                    _who(record),
                )
            )
            if record.get("respondent"):
                shown = self.respondents.setdefault(
                    identity.person_key(record["respondent"]), [record["respondent"].strip(), 0, 0, 0]
                )
                shown[1] += 1
                shown[2] += accepted
                shown[3] += reasonable
            counts = self.departments.setdefault(dept, [0, 0, 0])
            counts[0] += 1
            counts[1] += accepted
            counts[2] += reasonable
        if row["_decided_day"] in period and not row.get("_decided_unrecorded"):  # when, unknown: not judged
            for tally in self._tallies(dept):
                tally.decided += 1
                tally.decided_on_time += not row["_decided_late"]
        if row["resolved_on"] in period:
            days = self.calendar.count_days(clock.day_of(record["received_at"]), row["resolved_on"], "trading")
            for tally in self._tallies(dept):
                tally.completed += 1
                tally.completed_on_time += row["on_time"] in (ON_TIME, AFTER_EXTENSION)
                tally.extended += row["extension_days"] > 0
                tally.handling_days.append(days)
            self.completed += 1
            self.recomplained += bool(record.get("recomplaints"))
            if row["compensation"]:
                self.compensation += row["compensation"]
                self.compensated += 1
        due = [c for c in entry.callbacks if c["_counted"]]
        if due:  # one complaint, one callback deadline (the report's sets): due by the cut-off and met or missed
            for tally in self._tallies(dept):
                tally.callbacks_due += 1
                tally.callbacks_on_time += due[0]["_met_on_time"]
        for callback in entry.callbacks:
            if callback.get("called_on") in period:
                self.satisfied += callback["outcome"] == codes.CALLBACK_OUTCOMES.label("satisfied")
                self.dissatisfied += callback["outcome"] == codes.CALLBACK_OUTCOMES.label("dissatisfied")
        if (record.get("investigation") or {}).get("improvement"):
            done = (record.get("rectification") or {}).get("done_at")
            if done is None or clock.day_of(done) >= period.start:
                self.measures[typed_number(record.get("branch", ""), record["id"])] = _measure(record)

    # -- the rest of the window ----------------------------------------------------------------

    def finish(self, ledger) -> dict:
        """Read the 12 months before the period and the measures outside the report's scope; compute."""
        self._earlier(ledger)
        for record in rectifying_at(ledger, self.cutoff, self.period.start, self.branches or None):
            self.measures.setdefault(typed_number(record.get("branch", ""), record["id"]), _measure(record))
        self.result = self._compute()
        return self.result

    def _earlier(self, ledger) -> None:
        """Complaints received in the 12 months before the period: only what finding a person needs.

        The stored columns answer, without parsing each record, unless something happened to the complaint
        after the cut-off: then it is folded as it stood.
        """
        json_text = ledger.backend.json_text
        only, chosen = branch_filter(self.branches)
        sql = (
            f"SELECT c.branch, c.id, c.received_day, c.category, {json_text('c.record', 'id_number')}, "
            f"{json_text('c.record', 'uscc')}, {json_text('c.record', 'phone')}, {LAST_AT} "
            f"FROM complaints c WHERE c.received_day >= ? AND c.received_day < ? AND c.status <> 'voided'{only}"
        )
        with ledger.reading() as conn:
            rows = conn.exec_driver_sql(
                sql, (self.start.isoformat(), self.period.start.isoformat(), *chosen), stream=True
            )
            later = []
            for branch, number, received, category, id_number, uscc, phone, last_at in rows:
                if last_at >= self.cutoff.before:
                    later.append((branch, number))
                    continue
                self._seen_before(
                    branch,
                    number,
                    date.fromisoformat(received),
                    category,
                    _id_key(id_number, uscc),
                    identity.phone_key(phone),
                )
            for key in later:
                row = conn.exec_driver_sql(
                    f"SELECT c.branch, c.id, c.record, {LAST_AT} FROM complaints c WHERE c.branch = ? AND c.id = ?", key
                ).first()
                for record in as_stood(conn, [row], self.cutoff):
                    self._seen_before(
                        key[0],
                        key[1],
                        clock.day_of(record["received_at"]),
                        record.get("category"),
                        _id_key(record.get("id_number"), record.get("uscc")),
                        identity.phone_key(record.get("phone")),
                    )

    def _seen_before(self, branch, number, received, category, id_key, phone) -> None:
        self.seen.append(Seen(typed_number(branch, number), received, category, id_key, phone))
        if received in self.previous:
            self.previous_categories[category] += 1

    # -- the result ----------------------------------------------------------------------------

    def _people(self) -> tuple[list[dict], int]:
        """Repeat complainants, and how many complaints matched the phones of more than one person."""
        people: dict[str, list[Seen]] = {}
        phones: dict[str, set[str]] = {}
        for seen in self.seen:
            if seen.id_key:
                people.setdefault(seen.id_key, []).append(seen)
                if seen.phone:
                    phones.setdefault(seen.phone, set()).add(seen.id_key)
        joined: dict[str, list[Seen]] = {}
        ambiguous = 0
        for seen in self.seen:
            if seen.id_key or not seen.phone:
                continue
            owners = phones.get(seen.phone, set())
            if len(owners) == 1:
                joined.setdefault(next(iter(owners)), []).append(seen)
            elif len(owners) > 1:
                ambiguous += 1
        found = []
        for key, own in people.items():
            complaints = sorted(own + joined.get(key, []), key=lambda s: (s.received, s.number))
            in_period = [s for s in complaints if s.in_period]
            if len(complaints) < 2 or not in_period:
                continue
            latest = in_period[-1].who
            named = next((s.who for s in reversed(in_period) if s.id_key), latest)  # the name given with the ID
            found.append(
                {
                    "name": self._shown_name(named),
                    "id_number": self._shown_key(key),
                    "phones": sorted({self._shown_phone(s.phone) for s in complaints if s.phone}),
                    "complaints": len(complaints),
                    "in_period": len(in_period),
                    "numbers": [s.number for s in complaints],
                    "joined_by_phone": [s.number for s in complaints if not s.id_key],
                    "categories": list(dict.fromkeys(s.category for s in complaints if s.category)),
                    "latest": {"id": in_period[-1].number, "status": latest["status"], "callback": latest["callback"]},
                }
            )
        found.sort(key=lambda p: (-p["complaints"], p["numbers"][0]))
        return found, ambiguous

    def _shown_name(self, record: dict) -> str:
        if record.get("institution"):
            return record["institution"]
        return (record.get("name") or "") if self.unmask else (identity.mask_name(record.get("name")) or "")

    def _shown_key(self, key: str) -> str:
        """The person's ID number (what made them one person), masked; an institution's code is not personal data."""
        kind, number = key.split(":", 1)
        return number if self.unmask or kind == "uscc" else identity.mask_id(number)

    def _shown_phone(self, phone: str) -> str:
        return phone if self.unmask else identity.mask_phone(phone)

    @property
    def previous_has_data(self) -> bool:
        """Whether the ledger holds any complaint received in the previous period: without one, "0 → 3" would
        read as a rise of 3 when there is nothing to compare with (the ledger began later, or was not kept)."""
        return sum(self.previous_categories.values()) > 0

    def _category_rows(self) -> tuple[list[dict], list[dict]]:
        compared = self.previous_has_data

        def row(code, label, now, before) -> dict:
            return {
                "code": code,
                "label": label,
                "count": now,
                "previous": before if compared else None,
                "change": now - before if compared else None,
            }

        groups, categories = [], []
        for group, label in codes.CATEGORY_GROUPS.items():
            now = sum(n for code, n in self.categories.items() if code and code[:1] == group)
            before = sum(n for code, n in self.previous_categories.items() if code and code[:1] == group)
            groups.append(row(group, label, now, before))
        for code, (label, _en) in codes.CATEGORIES.entries.items():
            if self.categories[code] or self.previous_categories[code]:
                categories.append(row(code, label, self.categories[code], self.previous_categories[code]))
        if self.categories[None] or self.previous_categories[None]:
            unclassified = row(None, "未分类", self.categories[None], self.previous_categories[None])
            groups.append(unclassified)
            categories.append(dict(unclassified))
        categories.sort(key=lambda r: (-r["count"], -(r["previous"] or 0)))  # stable: the standard's order among equals
        return groups, categories

    def _rectifications(self) -> list[dict]:
        items = []
        for number, measure in self.measures.items():
            rectification = measure["rectification"] or {}
            deadline = rectification_deadline(measure)
            done = rectification.get("done_at")
            if deadline is None:
                state, late = "untracked", None
            elif done:
                state = "done_late" if deadline.met_late else "done"
                late = (clock.day_of(done) - deadline.due).days if deadline.met_late else None
            elif self.cutoff.missed(deadline):
                # Calendar days after the promised date: 0 when the cut-off is that day (as the report counts).
                state, late = "overdue", (self.cutoff.day - deadline.due).days
            else:
                state, late = "open", None
            items.append(
                {
                    "id": number,
                    "measure": measure["measure"],
                    "owner": rectification.get("owner"),
                    "due": rectification.get("due"),
                    "done_on": clock.day_of(done).isoformat() if done else None,
                    "state": state,
                    "days_late": late,
                    "note": rectification.get("note"),
                }
            )
        order = list(RECTIFICATION_STATES)
        items.sort(key=lambda i: (order.index(i["state"]), i["due"] or "", i["id"]))
        return items

    def _compute(self) -> dict:
        people, ambiguous = self._people()
        groups, categories = self._category_rows()
        rectifications = self._rectifications()
        how = {key: en for key, (_zh, en) in self.rules().items()}
        return {
            "period": self.period.code,
            "as_of": self.cutoff.day.isoformat(),
            "previous_period": self.previous.code,
            "window": {"from": self.start.isoformat(), "to": self.cutoff.day.isoformat()},
            "unmasked": self.unmask,
            "repeat_complainants": {"people": people, "phone_matches_several": ambiguous, "how": how["repeat"]},
            "categories": {
                "groups": groups,
                "categories": categories,
                "previous_has_data": self.previous_has_data,
                "how": how["categories"],
            },
            "respondents": {
                "rows": self._concentration(
                    "name",
                    ((name, n, accepted, reasonable) for name, n, accepted, reasonable in self.respondents.values()),
                ),
                "how": how["respondents"],
            },
            "departments": {
                "rows": self._concentration(
                    "department",
                    ((dept, n, accepted, reasonable) for dept, (n, accepted, reasonable) in self.departments.items()),
                ),
                "how": how["departments"],
            },
            "timeliness": {
                "overall": self.overall.as_dict(),
                "by_department": [
                    {"department": dept, **tally.as_dict()}
                    for dept, tally in sorted(self.by_department.items(), key=lambda i: (i[0] is None, i[0] or ""))
                ],
                "how": {key: how[key] for key in ("handling", "acceptance", "completion", "callback", "extension")},
            },
            "outcome": {
                "satisfaction": {
                    "satisfied": self.satisfied,
                    "dissatisfied": self.dissatisfied,
                    "rate": rate(self.satisfied, self.satisfied + self.dissatisfied),
                },
                "recomplaint": {
                    "completed": self.completed,
                    "recomplained": self.recomplained,
                    "rate": rate(self.recomplained, self.completed),
                },
                "unreasonable": {
                    "received": self.received,
                    "accepted": self.accepted,
                    "unreasonable": self.unreasonable,
                    "share": rate(self.unreasonable, self.accepted),
                },
                "compensation": {"total": str(self.compensation), "complaints": self.compensated},
                "how": {key: how[key] for key in ("satisfaction", "recomplaint", "unreasonable", "compensation")},
            },
            "industry": {
                key: (str(value) if isinstance(value, Decimal) else value if value != "—" else None)
                for key, _name, value, _how in self.summary.industry()
            },
            "rectifications": {
                "items": rectifications,
                "counts": {
                    state: sum(1 for i in rectifications if i["state"] == state) for state in RECTIFICATION_STATES
                },
                "how": how["rectifications"],
            },
        }

    @staticmethod
    def _concentration(key: str, rows) -> list[dict]:
        """Those named in 2 or more complaints: the most first. The reasonable share is of those accepted (CSA 5.4)."""
        found = [
            {
                key: name,
                "complaints": n,
                "accepted": accepted,
                "reasonable": reasonable,
                "reasonable_share": rate(reasonable, accepted),
            }
            for name, n, accepted, reasonable in rows
            if n >= 2
        ]
        return sorted(found, key=lambda r: (-r["complaints"], r[key] is None, r[key] or ""))

    def rules(self) -> dict[str, tuple[str, str]]:
        """RULES with this analysis's dates filled in."""
        values = {"start": self.start, "end": self.cutoff.day}
        return {
            key: (zh.format(previous=self.previous.label, **values), en.format(previous=self.previous.code, **values))
            for key, (zh, en) in RULES.items()
        }


def for_report(ledger, report) -> Analysis:
    """The 分析 sheet's analysis of a report, counted from the report's own entries (`report.entries(...,
    also=[it])`) and its summary's figures."""
    from complaintctl.outputs.report import branches_counted

    report.analysis = Analysis(
        report.period,
        report.counted_to,
        ledger.calendar(),
        report.unmasked,
        branches_counted(ledger, report),
        report.summary,
    )
    return report.analysis


def analyze(
    ledger, period: Period, cutoff: Cutoff, unmask: bool = False, branches: Iterable[str] | None = None, listener=None
) -> Analysis:
    """The analysis alone (the `analyze` command): the report's rows, counted, not written."""
    analysis = Analysis(period, cutoff, ledger.calendar(), unmask, branches)
    builder = Builder(ledger, period, cutoff, unmask)
    for record in records_as_of(ledger, period, cutoff, listener, branches, _("counting the complaints")):
        analysis.add(builder.entry(record))
    analysis.finish(ledger)
    return analysis


def record_disclosure(ledger, analysis: Analysis, by: str) -> None:
    """CSA 7.8: repeat complainants' personal data shown in full is an audit event, naming whose; recorded
    before it is shown. On a firm ledger, one event in the chain of each branch whose complaints they
    are (their numbers there), all in one transaction; nobody shown, one event at the working branch."""
    numbers = [n for person in analysis.result["repeat_complainants"]["people"] for n in person["numbers"]]
    by_branch: dict[str, list[str]] = {}
    for number in dict.fromkeys(numbers):
        by_branch.setdefault(number.rpartition("/")[0], []).append(number)
    if not by_branch and ledger.firm and not ledger.branch:
        return  # nobody shown, and no branch worked at: nothing personal left the ledger to record
    with ledger.transaction() as session:
        at = clock.iso(clock.now())
        for branch, complaints in sorted((by_branch or {ledger.branch: []}).items()):  # one lock order for all
            ledger.append(
                session,
                None,
                "unmasked",
                at,
                by,
                {
                    "command": "analyze",
                    "period": analysis.period.code,
                    "as_of": analysis.cutoff.day.isoformat(),
                    "complaints": complaints,
                },
                branch,
            )


# -- the tables, for the terminal and the 分析 sheet -----------------------------------------------


@dataclass
class Section:
    key: str  # what of `Analysis.result` it shows
    title: str
    headers: list[str]
    kinds: list[str]  # per column: text | int | percent | days | date | value (a Decimal is yuan, else a rate)
    rows: list[list]
    how: str  # how it is counted
    empty: str = ""  # said instead of an empty table


def sections(analysis: Analysis, zh: bool = True) -> list[Section]:
    """The analysis's one result (`analysis.result`, what --json prints) as tables, in Chinese (the sheet,
    a Chinese terminal) or English."""
    result, rules = analysis.result, analysis.rules()

    def t(chinese: str, english: str) -> str:
        return chinese if zh else english

    def how(key: str) -> str:
        return rules[key][0 if zh else 1]

    def code(codelist: codes.CodeList, value: str | None) -> str:
        if value is None:
            return ""
        label, english = codelist.entries.get(value, (value, value))
        return label if zh else english

    def category(value: str | None) -> str:
        return code(codes.CATEGORIES, value) if value else t("未分类", "unclassified")

    people = []
    for person in result["repeat_complainants"]["people"]:
        latest = person["latest"]
        outcome = code(codes.STATUSES, latest["status"])
        if latest["callback"]:
            outcome += t("，回访", ", callback: ") + code(codes.CALLBACK_OUTCOMES, latest["callback"])
        numbers = [
            f"{n}{t('（电话并入）', ' (by phone)')}" if n in person["joined_by_phone"] else n for n in person["numbers"]
        ]
        people.append(
            [
                person["name"],
                person["id_number"] or "",
                "\n".join(person["phones"]),
                person["complaints"],
                person["in_period"],
                "\n".join(numbers),
                t("、", ", ").join(category(c) for c in person["categories"]),
                f"{latest['id']} {outcome}",
            ]
        )
    ambiguous = result["repeat_complainants"]["phone_matches_several"]
    how_people = how("repeat")
    if ambiguous:
        how_people += t(
            f"。另有 {ambiguous} 件投诉的电话对应多人，未并入",
            f". {ambiguous} more complaints have a phone of several people and were not joined",
        )
    change_headers = [t("本期", "this period"), t("上期", "previous"), t("变化", "change")]
    no_data = t(NO_PREVIOUS_DATA, "no data")  # never "+N" against a period the ledger holds nothing of

    def compared(row: dict) -> list:
        return [row["count"], *((no_data, no_data) if row["previous"] is None else (row["previous"], row["change"]))]

    groups = [
        [t(row["label"], GROUP_ENGLISH.get(row["code"], "unclassified")), *compared(row)]
        for row in result["categories"]["groups"]
    ]
    categories = [[category(row["code"]), *compared(row)] for row in result["categories"]["categories"]]

    def against_previous(key: str, title: str, label: str, rows: list, empty: str = "") -> Section:
        """The complaints of each category, this period against the previous one."""
        kinds = ["text", "int", "int", "int"]
        return Section(key, title, [label, *change_headers], kinds, rows, how("categories"), empty)

    share_headers = [
        t("件数", "complaints"),
        t("已受理", "accepted"),
        t("合理诉求", "reasonable"),
        t("合理诉求占比", "reasonable share"),
    ]
    unassigned = t("未指定", "none")

    def shares(key: str, title: str, label: str, name_of) -> Section:
        """Who, or which department, drew 2 or more complaints, and how many of them were reasonable."""
        rows = [
            [name_of(row), row["complaints"], row["accepted"], row["reasonable"], row["reasonable_share"]]
            for row in result[key]["rows"]
        ]
        kinds = ["text", "int", "int", "int", "percent"]
        return Section(key, title, [label, *share_headers], kinds, rows, how(key), t("无", "none"))

    timeliness = result["timeliness"]

    def timely(name: str, tally: dict) -> list:
        days = tally["handling_days"]
        return [
            name,
            tally["completed"],
            days["median"],
            days["p90"],
            days["max"],
            tally["acceptance"]["rate"],
            tally["completion"]["rate"],
            tally["callback"]["rate"],
            tally["extension"]["rate"],
        ]

    times = [timely(t("全部", "all"), timeliness["overall"])]
    times += [timely(row["department"] or unassigned, row) for row in timeliness["by_department"]]
    outcome = result["outcome"]
    outcome_how = {key: how(key) for key in ("satisfaction", "recomplaint", "unreasonable", "compensation")}
    results = [
        [
            t("满意率", "satisfaction"),
            outcome["satisfaction"]["rate"],
            t(
                f"满意 {outcome['satisfaction']['satisfied']} 次，不满意 {outcome['satisfaction']['dissatisfied']} 次"
                "；",
                f"content {outcome['satisfaction']['satisfied']}, not satisfied "
                f"{outcome['satisfaction']['dissatisfied']}; ",
            )
            + outcome_how["satisfaction"],
        ],
        [
            t("再投诉率", "re-complaint rate"),
            outcome["recomplaint"]["rate"],
            t(
                f"本期办结 {outcome['recomplaint']['completed']} 件，再投诉 {outcome['recomplaint']['recomplained']} "
                "件；",
                f"completed {outcome['recomplaint']['completed']}, re-complained "
                f"{outcome['recomplaint']['recomplained']}; ",
            )
            + outcome_how["recomplaint"],
        ],
        [
            t("无理投诉占比", "share unreasonable"),
            outcome["unreasonable"]["share"],
            t(
                f"本期接收 {outcome['unreasonable']['received']} 件，其中已受理 "
                f"{outcome['unreasonable']['accepted']} 件，"
                f"无理投诉 {outcome['unreasonable']['unreasonable']} 件；",
                f"received {outcome['unreasonable']['received']}, accepted {outcome['unreasonable']['accepted']}, "
                f"unreasonable {outcome['unreasonable']['unreasonable']}; ",
            )
            + outcome_how["unreasonable"],
        ],
        [
            t("赔偿金额（元）", "compensation (yuan)"),
            Decimal(outcome["compensation"]["total"]),
            t(
                f"共 {outcome['compensation']['complaints']} 件；",
                f"{outcome['compensation']['complaints']} complaints; ",
            )
            + outcome_how["compensation"],
        ],
    ]
    states = {state: (zh_label if zh else en_label) for state, (zh_label, en_label) in RECTIFICATION_STATES.items()}
    measures = [
        [
            item["id"],
            item["measure"],
            item["owner"] or "",
            item["due"] or "",
            item["done_on"] or "",
            states[item["state"]],
            item["days_late"],
        ]
        for item in result["rectifications"]["items"]
    ]
    counts = result["rectifications"]["counts"]
    times_how = t("；", "; ").join(
        f"{name}：{how(key)}" if zh else f"{english}: {how(key)}"
        for key, name, english in (
            ("handling", "办结用时", "days to completion"),
            ("acceptance", "受理及时率", "acceptance"),
            ("completion", "按期办结率", "completion"),
            ("callback", "回访及时率", "callback"),
            ("extension", "延期率", "extended"),
        )
    )
    return [
        # 多次投诉人, not 重复投诉人: 重复投诉 is CSA 9.1.1(c)'s refusal, and 再投诉 Firm 18(7)'s re-complaint.
        Section(
            "repeat_complainants",
            t("易诉人群：多次投诉人", "Repeat complainants (易诉人群)"),
            [
                t("投诉人", "complainant"),
                t("证件号码", "ID number"),
                t("电话", "phone"),
                t("件数", "complaints"),
                t("其中本期", "in period"),
                t("投诉编号", "numbers"),
                t("业务类别", "categories"),
                t("最近一件", "latest"),
            ],
            ["text", "text", "text", "int", "int", "text", "text", "text"],
            people,
            how_people,
            t("本期无多次投诉人", "no repeat complainants"),
        ),
        against_previous(
            "categories.groups",
            t("易诉问题：一级类别", "Categories, first level (易诉问题)"),
            t("一级类别", "category"),
            groups,
        ),
        against_previous(
            "categories",
            t("易诉问题：二级类别", "Categories, second level"),
            t("业务类别", "category"),
            categories,
            t("本期与上期均无投诉", "no complaints in either period"),
        ),
        shares(
            "respondents",
            t("被投诉人（2 件及以上）", "Respondents with 2 or more"),
            t("被投诉人", "respondent"),
            lambda row: row["name"],
        ),
        shares(
            "departments",
            t("责任部门（2 件及以上）", "Departments with 2 or more"),
            t("责任部门", "department"),
            lambda row: row["department"] or unassigned,
        ),
        # Short headers: the table fits 80 columns; the title and the rules say the rest.
        Section(
            "timeliness",
            t(
                "办理时效（用时为交易日；受理、办结、回访为按期比率）",
                "Timeliness (days are trading days; accept, complete and callback are on-time rates)",
            ),
            [
                t("责任部门", "department"),
                t("办结", "done"),
                t("中位数", "median"),
                t("P90", "p90"),
                t("最长", "max"),
                t("受理及时", "accept"),
                t("按期办结", "complete"),
                t("回访及时", "callback"),
                t("延期率", "extended"),
            ],
            ["text", "int", "days", "days", "days", "percent", "percent", "percent", "percent"],
            times,
            times_how,
        ),
        Section(
            "outcome",
            t("处理结果", "Outcome"),
            [t("指标", "figure"), t("数值", "value"), t("统计口径", "how counted")],
            ["text", "value", "text"],
            results,
            "",
        ),
        Section(
            "rectifications",
            t("整改跟踪", "Rectifications (整改)"),
            [
                t("投诉编号", "number"),
                t("改进措施", "measure"),
                t("责任人", "owner"),
                t("整改期限", "due"),
                t("完成日期", "done"),
                t("状态", "state"),
                t("逾期天数", "days late"),
            ],
            ["text", "text", "text", "date", "date", "text", "int"],
            measures,
            how("rectifications")
            + t(
                f"。已逾期 {counts['overdue']}，未到期 {counts['open']}，逾期完成 {counts['done_late']}，"
                f"按期完成 {counts['done']}，未定责任人和期限 {counts['untracked']}",
                f". Overdue {counts['overdue']}, not yet due {counts['open']}, done late {counts['done_late']}, "
                f"done on time {counts['done']}, no owner or date {counts['untracked']}",
            ),
            t("本期无整改措施", "no improvement measures"),
        ),
    ]


GROUP_ENGLISH = {
    "a": "brokerage",
    "b": "other business",
    "c": "suspected securities violation",
    "d": "suspected illegal securities activity",
    "e": "other",
}
