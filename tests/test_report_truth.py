"""The report tells one truth per fact (issue 26, point 7): each figure means one thing on every sheet.

One October 2026 ledger for the module, its reports exported once (trading days: 国庆 10-01..10-07, make-up
Saturday 10-10 a working day but no trading day; callbacks are due 2 working days after the result):

  0001 W  received Mon 10-12, accepted, improvement measure due Fri 10-23 (never done); resolved Tue 10-13;
          callback due Thu 10-15, called 10-14 satisfied: on time. Completion due T+20 = 11-09.
  0002 U  received 10-12, accepted, resolved Wed 10-14; callback due Fri 10-16: unreachable Thu 10-15,
          reached (satisfied) Mon 10-19: 1 working day late.
  0003 V  received 10-13, accepted, resolved Tue 10-20; callback due Thu 10-22, called 10-22 dissatisfied
          (on its due day: on time) -> re-complaint 0007 (Firm 18(7)).
  0004 X  received 10-14, accepted, resolved Thu 10-15; callback due Mon 10-19: unreachable Fri 10-16 and
          Mon 10-19, closed Tue 10-20 (two attempts on distinct working days).
  0005 R  received Thu 10-15, refused Fri 10-16 as a duplicate of W (CSA 9.1.1(c)).
  0006 Y  received Tue 10-20, typed in with --channel 自行受理, never decided: acceptance due T+3 = Fri 10-23.
  0007    V's re-complaint, received Thu 10-22, undecided: acceptance due 10-23, 10-26, 10-27 -> Tue 10-27.

Nothing was received in September: October has no previous period to compare with.
"""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest

from complaintctl.store.ledger import Ledger
from tests.conftest import RESOLVE, TEST_NOW, Cli, ledger_rows, register, table_rows

W, U, V, X, R, Y, V2 = (f"TS-2026-000{i}" for i in range(1, 8))


def build(cli: Cli) -> None:
    cli("config", "set", "branch", "测试营业部")
    numbers = [register(cli, "2026-10-12 09:00"), register(cli, "2026-10-12 09:30"),
               register(cli, "2026-10-13 09:00"), register(cli, "2026-10-14 09:00"),
               register(cli, "2026-10-15 09:00"), register(cli, "2026-10-20 10:00", "--channel", "自行受理")]
    assert numbers == [W, U, V, X, R, Y]
    for number, day in ((W, "2026-10-12"), (U, "2026-10-12"), (V, "2026-10-13"), (X, "2026-10-14")):
        cli("accept", number, "--at", f"{day} 10:40")
        cli("assign", number, "--handler", "赵六", "--dept", "运营部", "--at", f"{day} 11:40")
    cli("investigate", W, "--improvement", "费率设置双人复核", "--improvement-owner", "孙八",
        "--improvement-due", "2026-10-23", "--at", "2026-10-12 14:00")
    cli("resolve", W, "--result", "已退还", *RESOLVE, "--at", "2026-10-13 10:00")
    cli("callback", W, "--outcome", "satisfied", "--at", "2026-10-14 10:00")
    cli("resolve", U, "--result", "已说明", *RESOLVE, "--at", "2026-10-14 10:00")
    cli("callback", U, "--outcome", "unreachable", "--at", "2026-10-15 10:00")
    cli("callback", U, "--outcome", "satisfied", "--at", "2026-10-19 10:00")
    cli("resolve", X, "--result", "已说明", *RESOLVE, "--at", "2026-10-15 10:00")
    cli("callback", X, "--outcome", "unreachable", "--at", "2026-10-16 10:00")
    cli("callback", X, "--outcome", "unreachable", "--at", "2026-10-19 10:00")
    cli("close", X, "--at", "2026-10-20 10:00")
    cli("reject", R, "--reason", "duplicate", "--original", W, "--notified-via", "sms", "--at", "2026-10-16 10:00")
    cli("resolve", V, "--result", "已说明", *RESOLVE, "--at", "2026-10-20 10:00")
    cli("callback", V, "--outcome", "dissatisfied", "--advised", "mediation", "--recomplain", "--note", "要求补偿",
        "--at", "2026-10-22 10:00")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The ledger above and every report the tests read, made once (the tests only read them)."""
    folder = tmp_path_factory.mktemp("truth")
    db = folder / "ledger.db"
    cli = Cli()
    found = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COMPLAINTCTL_DB", str(db))
        mp.setenv("COMPLAINTCTL_ARCHIVE", str(folder / "archive"))
        mp.setenv("COMPLAINTCTL_USER", "王芳")
        mp.setenv("COMPLAINTCTL_NOW", TEST_NOW)
        mp.delenv("COMPLAINTCTL_BRANCH", raising=False)
        Ledger(str(db), create=True).engine.dispose()
        build(cli)

        def export(name: str, *args: str):
            out = folder / f"{name}.xlsx"
            cli("report", *args, "--out", out)
            return openpyxl.load_workbook(out)

        found["october"] = export("october", "--month", "2026-10")
        found["as_of_21"] = export("as_of_21", "--month", "2026-10", "--as-of", "2026-10-21")
        found["as_of_23"] = export("as_of_23", "--month", "2026-10", "--as-of", "2026-10-23")
        found["q4"] = export("q4", "--quarter", "2026Q4")
        found["analyze"] = json.loads(cli("analyze", "--month", "2026-10", "--json").stdout)
        found["warn_23"] = json.loads(cli("warn", "--as-of", "2026-10-23", "--json", ok=False).stdout)
        # The morning of Fri 10-23, the day Y's acceptance and W's improvement measure are due.
        mp.setenv("COMPLAINTCTL_NOW", "2026-10-23 08:30")
        found["on_the_23rd"] = export("on_the_23rd", "--month", "2026-10")
    return found


def rows(ws) -> list[dict]:
    return table_rows(ws)


def ledger_of(wb) -> dict[str, dict]:
    return {r["投诉编号"]: r for r in ledger_rows(wb)}


def summary_of(wb) -> dict:
    figures = {}
    for row in wb["汇总"].iter_rows(values_only=True):
        if row and isinstance(row[0], str) and len(row) > 1:
            figures.setdefault(row[0].strip(), row[1])
    return figures


def texts(ws) -> list[str]:
    return [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]


# 1. An unreachable attempt is never 按期 (nor 超期): the deadline is judged by the first callback that reached.

def test_an_unreachable_callback_attempt_is_never_on_time(books):
    called = [(r["投诉编号"], r["回访日期"], r["回访结果"], r["是否按期回访"]) for r in rows(books["october"]["回访"])]
    assert called == [
        (W, datetime(2026, 10, 14), "满意", "按期"),
        (U, datetime(2026, 10, 15), "未能联系", "未能联系"),  # by the due day 10-16, but nobody answered
        (U, datetime(2026, 10, 19), "满意", "超期"),  # the first callback that reached him: after 10-16
        (V, datetime(2026, 10, 22), "不满意", "按期"),  # on the due day itself
        (X, datetime(2026, 10, 16), "未能联系", "未能联系"),
        (X, datetime(2026, 10, 19), "未能联系", "未能联系"),  # closed after two attempts: never 按期
    ]


# 2. A callback due after the as-of moment is not yet missed.

def test_a_callback_due_after_the_cutoff_is_not_counted_as_missed(books):
    s = summary_of(books["as_of_21"])
    # As of 10-21: W (due 10-15, on time), U (due 10-16, late) and X (due 10-19, never reached) were due;
    # V's callback is due only on 10-22.
    assert s["本期应回访（件）"] == 3
    assert s["回访及时率"] == pytest.approx(1 / 3)
    assert V not in {r["投诉编号"] for r in rows(books["as_of_21"]["回访"])}
    # At the end of October V's (made on its due day) counts, on time: W and V of W, U, V, X.
    october = summary_of(books["october"])
    assert (october["本期应回访（件）"], october["回访及时率"]) == (4, 0.5)


# 3. 期末超期: 否 once closed; otherwise it names the deadline passed and still owed.

def test_overdue_at_the_end_is_no_for_a_closed_complaint_and_names_the_deadline(books):
    ledger = ledger_of(books["october"])
    assert {number: row["期末超期"] for number, row in ledger.items()} == {
        W: "否", U: "否", V: "否",
        X: "否",  # its callback was never reached, but it was closed on 10-20 after two attempts
        R: "否", Y: "是（受理决定）", V2: "是（受理决定）"}
    assert (ledger[X]["状态"], ledger[Y]["是否按期"]) == ("已归档", "未办结（已超期）")
    notes = " ".join(t for t in texts(books["october"]["汇总"]) if t.startswith(("1.", "2.", "3.")))
    assert "期末超期" in notes and "已归档的投诉为“否”" in notes
    # X's missed callback is still listed as missed, counted up to its closing: Mon 10-19 -> Tue 10-20.
    late = {(r["投诉编号"], r["期限类别"]): r["超期（工作日）"] for r in rows(books["october"]["超期与延期"])
            if r["类型"] == "超期"}
    assert late[(X, "回访")] == 1


# 4. 合理诉求 / 无理投诉 label accepted complaints only.

def test_reasonable_counts_only_accepted_complaints(books):
    ledger = ledger_of(books["october"])
    assert {number: row["合理/无理"] for number, row in ledger.items()} == {
        W: "合理诉求", U: "合理诉求", V: "合理诉求", X: "合理诉求", R: "—", Y: "—", V2: "—"}
    s = summary_of(books["october"])
    assert (s["合理诉求"], s["无理投诉"], s["不予受理或待受理（不作认定）"]) == (4, 0, 3)


# 5. A complaint never accepted shows no completion deadline.

def test_a_complaint_never_accepted_shows_no_completion_deadline(books):
    ledger = ledger_of(books["october"])
    assert ledger[W]["办结期限"] == datetime(2026, 11, 9)  # T+20 trading days from 10-12
    assert (ledger[R]["办结期限"], ledger[Y]["办结期限"], ledger[V2]["办结期限"]) == (None, None, None)
    assert ledger[Y]["受理期限"] == datetime(2026, 10, 23)
    # Nor is it ever late on one.
    assert not [r for r in rows(books["october"]["超期与延期"]) if r["投诉编号"] in (R, Y, V2) and r["期限类别"] == "办结"]


# 6. Days late are 0 on the due day itself; on that day, while it runs, nothing is overdue.

def test_days_late_are_zero_on_the_due_day_itself(books):
    # As of Fri 10-23, a day already past: Y's acceptance, due that day and undecided, is overdue (DOMAIN: warn
    # --as-of a past day) by 0 trading days, as warn says it.
    late = [(r["投诉编号"], r["期限类别"], r["超期（交易日）"]) for r in rows(books["as_of_23"]["超期与延期"])
            if r["类型"] == "超期" and r["完成日期"] is None]
    assert (Y, "受理决定", 0) in late
    assert (Y, "acceptance", "overdue", 0) in [(i["id"], i["kind"], i["state"], i["days_left"])
                                               for i in books["warn_23"]]
    # W's improvement measure, due 10-23: 0 days late on the 分析 sheet.
    measure = [row for row in books["as_of_23"]["分析"].iter_rows(values_only=True) if row[0] == W]
    assert [(row[5], row[6]) for row in measure] == [("已逾期", 0)]
    # The full month: Y 5 trading days (10-26..10-30), 0007 due Tue 10-27: 3 (10-28..10-30); U's callback due
    # Fri 10-16, made Mon 10-19: 1 working day.
    october = {(r["投诉编号"], r["期限类别"]): r["超期（交易日）"] or r["超期（工作日）"]
               for r in rows(books["october"]["超期与延期"]) if r["类型"] == "超期"}
    assert october == {(U, "回访"): 1, (X, "回访"): 1, (Y, "受理决定"): 5, (V2, "受理决定"): 3}


def test_on_the_due_day_while_it_runs_nothing_is_overdue(books):
    wb = books["on_the_23rd"]
    assert ledger_of(wb)[Y]["期末超期"] == "否" and ledger_of(wb)[Y]["是否按期"] == "未办结"
    assert not [r for r in rows(wb["超期与延期"]) if r["投诉编号"] == Y]
    measure = [row for row in wb["分析"].iter_rows(values_only=True) if row[0] == W]
    assert [row[5] for row in measure] == ["未到期"]


# 7. A comparison with a period that holds no data says so.

def test_a_previous_period_without_data_says_so_not_plus_n(books):
    sheet = {row[0]: row[1:4] for row in books["october"]["分析"].iter_rows(values_only=True) if row[0]}
    assert sheet["经纪业务-服务及费用类"] == (7, "无上期数据", "无上期数据")  # not 0 and +7
    assert sheet["经纪业务投诉"] == (7, "无上期数据", "无上期数据")
    categories = books["analyze"]["categories"]  # analyze --json: null, not 0 and 7
    assert [(r["code"], r["count"], r["previous"], r["change"]) for r in categories["categories"]] == [
        ("a5", 7, None, None)]
    assert categories["previous_has_data"] is False
    (chart,) = books["october"]["分析"]._charts
    assert len(chart.series) == 1  # no bar for a previous period that holds nothing


# 8. 再投诉 (Firm 18(7)) and 重复投诉 refused (CSA 9.1.1(c)) are named apart.

def test_recomplaints_and_duplicate_refusals_are_named_apart(books):
    s = summary_of(books["october"])
    assert s["再投诉（回访不满意后，Firm 18(7)）"] == 1
    assert s["重复投诉不予受理（CSA 9.1.1(c)）"] == 1
    assert "重复投诉（再投诉）" not in s
    ledger = ledger_of(books["october"])
    assert ledger[V2]["再投诉的原投诉编号"] == V and ledger[R]["再投诉的原投诉编号"] is None
    assert ledger[R]["不予受理原因"] == f"c) 同一事实和理由重复投诉（原投诉 {W}）"
    months = list(books["q4"]["按月统计"].iter_rows(values_only=True))
    header = months[1]
    assert "再投诉" in header and "重复投诉" not in header
    october = next(row for row in months if row[0] == "2026年10月")
    assert october[header.index("再投诉")] == 1
    assert not [t for t in texts(books["october"]["分析"]) if "重复投诉人" in t]
    assert "易诉人群：多次投诉人" in texts(books["october"]["分析"])


# 9. 自行受理 is a channel: the report says 自行接收, and 自行受理 is still accepted as input.

def test_the_direct_channel_reads_as_received_not_accepted(books):
    s = summary_of(books["october"])
    assert s["其中自行接收"] == 7 and "其中自行受理" not in s
    ledger = ledger_of(books["october"])
    assert {row["投诉渠道"] for row in ledger.values()} == {"自行接收"}  # Y was typed in as 自行受理
    assert not [t for t in texts(books["october"]["投诉台账"]) if t == "自行受理"]
