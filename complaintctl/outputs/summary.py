"""The 汇总 sheet's figures, counted from the rows as they are written: every figure is what the
detail sheets imply."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from complaintctl.rules import clock, codes
from complaintctl.rules.period import Period
from complaintctl.outputs.rows import (
    ACCEPTED,
    AFTER_EXTENSION,
    IN_PERIOD,
    LATE,
    NOT_LABELLED,
    ON_TIME,
    PENDING,
    PENDING_OVERDUE,
    REASONABLE,
    REJECTED,
    TERMINATED,
    UNDECIDED,
    UNREASONABLE,
    UNRECORDED,
    YES,
    Entry,
    channel_label,
)


# -- the summary ------------------------------------------------------------------------------------


class Summary:
    """Counts the rows as they are written: every figure is what the detail sheets imply."""

    def __init__(self, period: Period):
        self.period = period
        self.n: dict[str, int] = {}
        self.categories: dict[str, int] = {label: 0 for label, _en in codes.CATEGORIES.entries.values()}
        self.groups: dict[str, int] = {label: 0 for label in codes.CATEGORY_GROUPS.values()}
        self.reject_reasons: dict[str, int] = {label: 0 for label, _en in codes.REJECT_REASONS.entries.values()}
        self.compensation = Decimal("0.00")
        self.claimed = Decimal("0.00")  # 涉及金额 of the complaints received in the period
        self.by_month: dict[tuple[int, int], dict[str, int]] = {m: {} for m in period.months()}
        self.extended: set[str] = set()
        self.due_callbacks: set[str] = set()  # 本期应回访: due in the period, by the cut-off
        self.counted_callbacks: set[str] = set()  # of those, met or missed at the cut-off: 回访及时率's denominator
        self.due_callbacks_on_time: set[str] = set()
        self.rows = 0

    def _count(self, key: str, day: date | datetime | None = None, amount: int = 1) -> None:
        self.n[key] = self.n.get(key, 0) + amount
        if day is not None:
            month = self.by_month[(day.year, day.month)]
            month[key] = month.get(key, 0) + amount

    def add(self, entry: Entry) -> None:
        row, period, record = entry.row, self.period, entry.record
        self.rows += 1
        received = row["received_at"]
        if row["scope"] == IN_PERIOD:
            self._count("received", received)
            self._count(f"channel:{row['channel']}", received)
            self._count(f"method:{row['method']}", received)
            self.categories[row["category"]] = self.categories.get(row["category"], 0) + 1
            self.groups[row["category_group"]] = self.groups.get(row["category_group"], 0) + 1
            for column in ("group", "major"):
                self._count(row[column])
            # CSA 5.4 labels accepted complaints only; refused and undecided ones are counted apart.
            self._count(row["reasonable"] if row["reasonable"] != NOT_LABELLED else "not_labelled")
            if row["parent"]:
                self._count("recomplaints", received)
            if record.get("channel") == "regulator":  # the association counts 12386 apart from other regulators
                # By the recorded source (转办来源), never by the look of the ticket number (DOMAIN).
                self._count("via_12386" if "12386" in (record.get("source") or "") else "via_other_regulator")
            if record.get("amount"):
                self.claimed += Decimal(record["amount"])
        else:
            self._count("carried_over")
        decided = row["_decided_day"]
        if decided in period:
            self._count("accepted" if row["decision"] == ACCEPTED else "rejected", decided)
            if row["_decided_late"]:
                self._count("decided_late", decided)
            if row.get("_decided_unrecorded"):
                self._count("decided_unrecorded", decided)
            if row["decision"] == REJECTED:
                self.reject_reasons[codes.REJECT_REASONS.label(row["_reject_code"])] += 1
                if row["_reject_code"] == "duplicate":
                    self._count("duplicates", decided)
        if row["_terminated_on"] in period:
            self._count("terminated", row["_terminated_on"])
        if row["_escalation"] is not None and row["_escalation"] != "pending":
            self._count(f"escalation:{row['_escalation']}")
        if row["_unreached"] and any(c.get("called_on") in period for c in entry.callbacks):
            self._count("unreached")
        replied = clock.day_of(record["regulator_replied_at"]) if record.get("regulator_replied_at") else None
        if replied in period:
            self._count("regulator_replied")
            if row["reply_due"] is not None and replied <= row["reply_due"]:
                self._count("regulator_replied_on_time")
        for callback in record.get("callbacks", []):  # CSA 9.3(b): told of mediation after a dissatisfied callback
            if "mediation" in (callback.get("advised") or ()) and clock.day_of(callback["at"]) in period:
                self._count("advised_mediation")
        if row["resolved_on"] in period:
            settled = (record.get("resolution") or {}).get("settled")
            self._count({True: "settled", False: "not_settled"}.get(settled, "settled_unrecorded"))
            if row["callback"] == UNRECORDED:
                self._count("callback_unrecorded", row["resolved_on"])
            self._count("completed", row["resolved_on"])
            self._count(f"completed:{row['on_time']}", row["resolved_on"])
            if row["compensation"] is not None:
                self.compensation += row["compensation"]
                month = self.by_month[(row["resolved_on"].year, row["resolved_on"].month)]
                month["compensation"] = month.get("compensation", Decimal("0.00")) + row["compensation"]
        if row["decision"] == UNDECIDED:
            self._count("undecided_at_end")
        # DOMAIN: a rate's denominator. A step not done and past due at the cut-off counts as missed.
        for kind in row["_owed"]:
            self._count(f"missed:{kind}")
        if row["on_time"] in (PENDING, PENDING_OVERDUE):
            self._count("open_at_end")
            if row["_overdue"]:
                self._count("open_overdue_at_end")
        for delay in entry.delays:
            if delay["type"] == "延期" and delay["requested_on"] in period:
                self._count("extensions", delay["requested_on"])
                self._count("extension_days", amount=delay["extension_days"])
                self.extended.add(delay["id"])
        for callback in entry.callbacks:
            if callback["due_in_period"] == YES:
                self.due_callbacks.add(callback["id"])
            if callback["_counted"]:
                self.counted_callbacks.add(callback["id"])
                if callback["_met_on_time"]:
                    self.due_callbacks_on_time.add(callback["id"])
            if callback.get("called_on") in period:
                self._count("callbacks", callback["called_on"])
                self._count(f"callback:{callback['outcome']}", callback["called_on"])

    def get(self, key: str) -> int:
        return self.n.get(key, 0)

    # What the report's words mean where a reader could take them two ways: the 汇总 sheet's 说明.
    NOTES = (
        "期末超期：截至统计时点已过期限、仍未完成的事项，“是”后括号内为期限类别（受理决定、办结、回访、监管转办回复、"
        "重大投诉上报）；截至统计时点已归档的投诉为“否”。期限在统计截至日当天的，当天结束后才算超期。",
        "超期天数：自期限次日起，按该期限的单位（交易日、工作日或自然日）计至完成日，未完成的计至归档日或统计截至日；"
        "期限当日为 0（统计截至日即期限日、当天已过仍未完成的，列为超期 0 天，与 warn 相同）。",
        "回访：未能联系的回访尝试不算回访，“是否按期回访”列为“未能联系”，是否按期看第一次联系上投诉人的回访"
        "（Firm 18(5)）；回访及时率只计截至统计时点已到期的回访。",
        "及时率（受理、办结、回访、监管转办回复）：分母为截至统计时点已到期的全部事项，即按期完成、超期完成和已过期限仍未"
        "完成（计为超期）的；期限未到、尚未完成的不计。",
        "合理诉求、无理投诉（CSA 5.4）：仅对已受理的投诉认定；不予受理、待受理的投诉在台账“合理/无理”列为“—”，不计入。",
        "办结期限：仅对已受理的投诉列出（CSA 9.2.2(c)）。",
        "再投诉（Firm 18(7)）：回访不满意后提出的新投诉，台账“再投诉的原投诉编号”列注明原投诉；重复投诉（CSA "
        "9.1.1(c)）："
        "就已受理或答复的同一事实和理由再次投诉、不予受理的，“不予受理原因”列注明原投诉。二者分别统计。",
        "投诉渠道“自行接收”：投诉人直接向本机构提出的投诉（CSA 6 所称“自行受理”），不表示已受理；是否受理见“受理决定"
        "”。",
    )

    @property
    def satisfaction(self) -> float | None:
        """满意 / (满意 + 不满意): a callback that reached no one gives no opinion."""
        satisfied, dissatisfied = self.get("callback:满意"), self.get("callback:不满意")
        return satisfied / (satisfied + dissatisfied) if satisfied + dissatisfied else None

    # How each headline rate is counted, without this period's figures (the 分支机构 sheet's notes).
    RATE_RULES = {
        "受理及时率": "按期作出的受理决定 ÷（本期作出的受理决定 + 截至统计时点已过期限仍未作出的）（CSA 9.1.2(a)）",
        "按期办结率": "按期或延期后按期办结 ÷（本期办结 + 截至统计时点已过办结期限仍未办结的）（CSA 9.2.2(c)(d)）",
        "回访及时率": "按期回访 ÷ 回访期限在本期、截至统计时点已到期的投诉（未能联系不算回访）",
        "满意率": "回访满意 ÷（满意 + 不满意）",
    }

    def headline(self) -> list[tuple[str, float | str, str]]:
        """The four rates a manager reads first: (name, rate or "—" when nothing was due, how it is counted)."""
        g = self.get
        decided = g("accepted") + g("rejected")
        completed = g("completed")
        undecided, unfinished = g("missed:acceptance"), g("missed:completion")
        on_time = g(f"completed:{ON_TIME}") + g(f"completed:{AFTER_EXTENSION}")
        due, called = len(self.counted_callbacks), len(self.due_callbacks_on_time)
        unknown = g("decided_unrecorded")  # an imported decision whose day the old ledger does not give
        judged = decided - unknown
        satisfied, dissatisfied = g("callback:满意"), g("callback:不满意")

        def rate(part: int, whole: int) -> float | str:
            return part / whole if whole else "—"

        return [
            (
                "受理及时率",
                rate(judged - g("decided_late"), judged + undecided),
                f"截至统计时点应作出的受理决定 {judged + undecided} 件（本期作出 {decided} 件，已过期限仍未作出 "
                f"{undecided} 件，期限未到的不计）中，按期作出 {judged - g('decided_late')} 件（CSA 9.1.2(a)）"
                + (f"；受理时间未记载的 {unknown} 件不计" if unknown else ""),
            ),
            (
                "按期办结率",
                rate(on_time, completed + unfinished),
                f"截至统计时点应办结的 {completed + unfinished} 件（本期办结 {completed} 件，已过办结期限仍未办结 "
                f"{unfinished} 件，期限未到的不计）中，按期或延期后按期 {on_time} 件（CSA 9.2.2(c)(d)）",
            ),
            (
                "回访及时率",
                rate(called, due),
                f"回访期限在本期、截至统计时点已到期的 {due} 件（按期、超期回访或已过期限仍未回访，期限未到的不计）中，"
                f"按期回访 {called} 件（未能联系的尝试不算回访；期限当日尚未回访的不计）"
                + (f"；原台账未记载回访的 {g('callback_unrecorded')} 件不计" if g("callback_unrecorded") else ""),
            ),
            (
                "满意率",
                rate(satisfied, satisfied + dissatisfied),
                f"本期回访满意 {satisfied} 次，不满意 {dissatisfied} 次；满意 ÷（满意 + 不满意）",
            ),
        ]

    def industry(self) -> list[tuple[str, str, object, str]]:
        """(key for --json, name, value, how it is counted)."""
        # The figures the association's quarterly releases give, as this ledger can count them (issue 31).
        g = self.get
        decided, completed, received = g("accepted") + g("rejected"), g("completed"), g("received")
        to_handle = g("carried_over") + g("accepted")
        told = g("settled") + g("not_settled")
        unreplied = g("missed:regulator_reply")  # DOMAIN: a rate's denominator

        def rate(part: int, whole: int) -> float | str:
            return part / whole if whole else "—"

        return [
            (
                "completion_rate",
                "办结率",
                rate(completed, to_handle),
                f"本期办结 {completed} 件 ÷ 应办理 {to_handle} 件（上期结转与本期受理）",
            ),
            (
                "settlement_rate",
                "和解率",
                rate(g("settled"), told),
                f"本期办结中达成和解 {g('settled')} 件 ÷ 记录了是否和解的 {told} 件"
                + (f"；未记载 {g('settled_unrecorded')} 件不计" if g("settled_unrecorded") else ""),
            ),
            (
                "rejection_rate",
                "不予受理率",
                rate(g("rejected"), decided),
                f"本期不予受理 {g('rejected')} 件 ÷ 本期作出的受理决定 {decided} 件",
            ),
            (
                "share_12386",
                "12386转办占比",
                rate(g("via_12386"), received),
                f"本期接收中经12386转办 {g('via_12386')} 件 ÷ 本期接收 {received} 件",
            ),
            (
                "share_other_regulators",
                "其他监管转办占比",
                rate(g("via_other_regulator"), received),
                f"本期接收中其他监管机构或组织转办 {g('via_other_regulator')} 件 ÷ 本期接收 {received} 件",
            ),
            (
                "regulator_reply_on_time_rate",
                "监管转办回复及时率",
                rate(g("regulator_replied_on_time"), g("regulator_replied") + unreplied),
                f"截至统计时点应回复监管转办 {g('regulator_replied') + unreplied} 件（本期回复 "
                f"{g('regulator_replied')} 件，已过回复期限仍未回复 {unreplied} 件，期限未到的不计）中，"
                f"不晚于回复期限 {g('regulator_replied_on_time')} 件（CSA 9.2.2(e)）",
            ),
            (
                "advised_mediation",
                "告知可申请调解（次）",
                g("advised_mediation"),
                "本期回访不满意时告知可申请调解的次数（CSA 9.3(b)）",
            ),
            ("amount_claimed", "投诉涉及金额（元）", self.claimed, "本期接收投诉登记的涉及金额合计"),
            ("compensation_paid", "赔偿（补偿）金额（元）", self.compensation, "办结日期在本期的赔偿（补偿）合计"),
        ]

    def sections(self) -> list[tuple[str, list[tuple[str, object, str]]]]:
        """(heading, [(item, value, how it is counted)]) for the summary sheet."""
        g = self.get
        channels = [
            (f"  其中{channel_label(code)}", g(f"channel:{channel_label(code)}"), "投诉渠道（CSA 6）")
            for code in codes.CHANNELS.entries
        ]
        methods = [(f"  {label}", g(f"method:{label}"), "投诉方式") for label, _en in codes.METHODS.entries.values()]
        reasons = [
            (f"  {codes.REJECT_ITEMS[code]}) {label}", self.reject_reasons[label], "CSA 9.1.1")
            for code, (label, _en) in codes.REJECT_REASONS.entries.items()
        ]
        outcomes = [
            (f"  {label}", g(f"callback:{label}"), "本期回访中的结果")
            for label, _en in codes.CALLBACK_OUTCOMES.entries.values()
        ]
        return [
            (
                "投诉接收",
                [
                    ("本期接收投诉", g("received"), "接收时间在本期"),
                    *channels,
                    ("按投诉方式", None, ""),
                    *methods,
                    ("上期结转", g("carried_over"), "本期前接收、本期初尚未办结或归档"),
                ],
            ),
            (
                "受理情况",
                [
                    ("本期受理", g("accepted"), "受理决定日期在本期"),
                    ("本期不予受理", g("rejected"), "受理决定日期在本期"),
                    *reasons,
                    ("超期作出受理决定", g("decided_late"), "本期作出、晚于受理期限的受理决定"),
                    ("期末待受理决定", g("undecided_at_end"), "截至统计时点"),
                ],
            ),
            (
                "办结情况",
                [
                    ("本期办结", g("completed"), "办结日期在本期"),
                    (f"  其中{ON_TIME}", g(f"completed:{ON_TIME}"), "不晚于原办结期限"),
                    (f"  其中{AFTER_EXTENSION}", g(f"completed:{AFTER_EXTENSION}"), "晚于原期限、不晚于延期后期限"),
                    (f"  其中{LATE}", g(f"completed:{LATE}"), "晚于办结期限"),
                    (f"本期{TERMINATED}", g("terminated"), "撤回或进入调解、仲裁、诉讼，未出处理结果，CSA 9.1.1(d)"),
                    ("期末未办结", g("open_at_end"), "截至统计时点未办结、未不予受理、未终止"),
                    ("  其中已超期", g("open_overdue_at_end"), "有已过期未完成的期限（台账“期末超期”列注明期限）"),
                    ("本期延期（次）", g("extensions"), "延期申请日期在本期，CSA 9.2.2(d)"),
                    ("本期延期（件）", len(self.extended), ""),
                    ("本期延期天数合计", g("extension_days"), ""),
                    ("本期赔偿金额（元）", self.compensation, "办结日期在本期的赔偿"),
                ],
            ),
            (
                "投诉性质（本期接收）",
                [
                    ("个体投诉", g("个体"), "CSA 5.2，投诉人数 < 10"),
                    ("群体投诉", g("群体"), "CSA 5.2，投诉人数 ≥ 10"),
                    ("重大投诉", g("重大"), "CSA 5.3，群体投诉均为重大投诉"),
                    ("一般投诉", g("一般"), "CSA 5.3"),
                    (REASONABLE, g(REASONABLE), "CSA 5.4，仅对已受理的投诉认定"),
                    (UNREASONABLE, g(UNREASONABLE), "CSA 5.4，仅对已受理的投诉认定"),
                    ("  不予受理或待受理（不作认定）", g("not_labelled"), "截至统计时点未受理"),
                ],
            ),
            (
                "再投诉与重复投诉",
                [
                    (
                        "再投诉（回访不满意后，Firm 18(7)）",
                        g("recomplaints"),
                        "本期接收、因回访不满意提出并关联原投诉的新投诉，照常受理办理",
                    ),
                    (
                        "重复投诉不予受理（CSA 9.1.1(c)）",
                        g("duplicates"),
                        "本期以同一事实和理由重复投诉为由不予受理的，即上文 c) 项；台账注明原投诉编号",
                    ),
                ],
            ),
            (
                "重大投诉上报",
                [
                    ("按时上报", g("escalation:on_time"), "成为重大投诉当日上报，CSA 9.1.2(c)"),
                    ("超时上报", g("escalation:late"), "晚于成为重大投诉当日"),
                    ("未上报（已超期）", g("escalation:missing"), "截至统计时点"),
                ],
            ),
            (
                "回访情况",
                [
                    ("本期应回访（件）", len(self.due_callbacks), "回访期限在本期、不晚于统计截至日"),
                    ("本期已回访（次）", g("callbacks"), "回访日期在本期，含未能联系的尝试"),
                    *outcomes,
                    ("无法联系（件）", g("unreached"), "本期有回访尝试、截至统计时点均未能联系"),
                    ("满意率", "—" if self.satisfaction is None else self.satisfaction, "满意 ÷（满意 + 不满意）"),
                ],
            ),
        ]

    MONTH_COLUMNS = (
        ("received", "接收"),
        (f"channel:{codes.CHANNELS.label('regulator')}", "其中监管转办"),
        ("accepted", "受理"),
        ("rejected", "不予受理"),
        ("completed", "办结"),
        (f"completed:{LATE}", "其中超期办结"),
        ("extensions", "延期（次）"),
        ("callbacks", "回访（次）"),
        ("callback:满意", "回访满意"),
        ("recomplaints", "再投诉"),
        ("compensation", "赔偿金额（元）"),
    )

    def month_rows(self, cutoff: date) -> list[list[object]]:
        """One row per month; a month that begins after the cut-off has no figures yet: "—"."""
        rows = []
        for (year, month), counts in self.by_month.items():
            if date(year, month, 1) > cutoff:
                rows.append([f"{year}年{month}月", *("—" for _key in self.MONTH_COLUMNS)])
                continue
            rows.append(
                [
                    f"{year}年{month}月",
                    *(
                        counts.get(key, Decimal("0.00") if key == "compensation" else 0)
                        for key, _label in self.MONTH_COLUMNS
                    ),
                ]
            )
        return rows
