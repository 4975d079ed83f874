"""One story for every deadline and every rate, and no one checks their own work (issue 44, points 1 to 5).

Dates are written by hand. 2026-09-01 is a Tuesday: acceptance is due T+3 = Fri 09-04, completion T+20 = Wed 09-30
(Mid-Autumn Fri 09-25 is a holiday), and a transfer's reply to the regulator with it. 09-21 is a Monday: its
acceptance is due Thu 09-24. 09-28 is a Monday: its acceptance, T+3, falls after the National Day holiday (10-01 to
10-07), so it is not yet due at the end of Q3 (09-30).
"""

import json

import openpyxl
import pytest

from tests.conftest import EXTEND, RESOLVE, ledger_rows, register, table_rows
from tests.test_lifecycle import refused


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def summary_of(ws) -> dict:
    """The summary sheet as {item: value} (first occurrence of each item), and the how beside it."""
    figures = {}
    for row in ws.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and len(row) > 1:
            figures.setdefault(row[0].strip(), row[1:])
    return figures


def export(cli, tmp_path, *args, name="report.xlsx"):
    out = tmp_path / name
    cli("report", *args, "--out", out, "--force")
    return openpyxl.load_workbook(out)


def accepted(cli, received: str, *extra: str) -> str:
    number = register(cli, received, *extra)
    day = received[:10]
    cli("accept", number, "--at", f"{day} 15:00")
    cli("assign", number, "--handler", "赵六", "--at", f"{day} 16:00")
    return number


def warned(cli, day: str) -> list[dict]:
    result = cli("warn", "--as-of", day, "--json", ok=False)
    assert result.exit_code in (0, 3), result.stderr
    return json.loads(result.stdout)["reminders"] if result.stdout.strip().startswith("{") else json.loads(result.stdout)


# -- 1. a deadline once missed stays missed ------------------------------------------------------------------------


@pytest.mark.backends
def test_terminating_keeps_a_completion_already_missed(cli, tmp_path):
    number = accepted(cli, "2026-09-01 10:00")
    before = export(cli, tmp_path, "--quarter", "2026Q3", name="before.xlsx")
    cli("terminate", number, "--reason", "withdrawn", "--at", "2026-10-12 10:00")
    # show: the completion due 09-30 is still there, unmet and overdue.
    completion = [d for d in show(cli, number)["deadlines"] if d["kind"] == "completion"]
    assert [(d["due"], d["met_at"], d["state"]) for d in completion] == [("2026-09-30", None, "overdue")]
    # Every report, as of before or after the termination, lists the miss the same way.
    for wb in (before, export(cli, tmp_path, "--quarter", "2026Q3"), export(cli, tmp_path, "--month", "2026-10")):
        late = [r for r in table_rows(wb["超期与延期"]) if r["投诉编号"] == number and r["类型"] == "超期"]
        assert [(r["期限类别"], r["期限"].date().isoformat()) for r in late] == [("办结", "2026-09-30")], late
        row = next(r for r in ledger_rows(wb) if r["投诉编号"] == number)
        assert row["期末超期"] == "是（办结）", row["期末超期"]
    # warn, for a day after the termination, says so too.
    owed = [(r["id"], r["kind"], r["state"]) for r in warned(cli, "2026-10-20")]
    assert (number, "completion", "overdue") in owed


@pytest.mark.backends
def test_terminating_before_the_deadline_owes_no_completion(cli):
    number = accepted(cli, "2026-09-01 10:00")
    cli("terminate", number, "--reason", "withdrawn", "--at", "2026-09-10 10:00")
    assert [d["kind"] for d in show(cli, number)["deadlines"]] == ["acceptance"]
    assert [r for r in warned(cli, "2026-10-20") if r["id"] == number] == []


@pytest.mark.backends
def test_warn_lists_the_reply_a_refused_transfer_still_owes(cli):
    number = register(cli, "2026-09-01 10:00", "--channel", "regulator", "--source", "12386",
                      "--transfer-no", "12386-20260901-0001")
    cli("reject", number, "--reason", "not-customer", "--notified-via", "sms", "--at", "2026-09-02 10:00")
    owed = [(r["id"], r["kind"], r["state"], r["due"]) for r in warned(cli, "2026-10-12")]
    assert (number, "regulator_reply", "overdue", "2026-09-30") in owed


# -- 2. every rate counts what was due by the cut-off; 3. a regulator's share is by the recorded source -------------


def q3_ledger(cli) -> dict[str, str]:
    """A, S on time; B's completion and T's completion and reply missed at the end of 09-30; C never decided past
    09-24; D received 09-28, its decision not yet due. S came from 深圳证监局 with a ticket that looks like 12386's."""
    a = accepted(cli, "2026-09-01 10:00")
    b = accepted(cli, "2026-09-01 10:30")
    t = accepted(cli, "2026-09-01 11:00", "--channel", "regulator", "--source", "12386",
                 "--transfer-no", "12386-20260901-0001")
    s = accepted(cli, "2026-09-01 11:30", "--channel", "regulator", "--source", "深圳证监局",
                 "--transfer-no", "12386-20260901-0002")
    c = register(cli, "2026-09-21 10:00")
    d = register(cli, "2026-09-28 10:00")
    for number in (a, s):
        cli("resolve", number, "--result", "已说明", *RESOLVE, "--at", "2026-09-10 15:00")
        cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")
    cli("regulator-reply", s, "--at", "2026-09-11 11:00")
    return {"A": a, "B": b, "T": t, "S": s, "C": c, "D": d}


@pytest.mark.backends
def test_every_rate_counts_what_is_overdue_and_leaves_out_what_is_not_yet_due(cli, tmp_path):
    q3_ledger(cli)
    figures = summary_of(export(cli, tmp_path, "--quarter", "2026Q3")["汇总"])
    # 4 decisions made on time, C's missed, D's not yet due: 4 / 5 (today's code said 4 / 4).
    assert figures["受理及时率"][0] == pytest.approx(0.8)
    assert "已过期限仍未作出 1 件" in figures["受理及时率"][1] and "期限未到的不计" in figures["受理及时率"][1]
    # A and S completed on time; B's and T's completion missed: 2 / 4 (today's code said 2 / 2).
    assert figures["按期办结率"][0] == pytest.approx(0.5)
    assert "已过办结期限仍未办结 2 件" in figures["按期办结率"][1]
    # S replied on time; T's reply missed: 1 / 2 (today's code said 1 / 1).
    assert figures["监管转办回复及时率"][0] == pytest.approx(0.5)
    assert "已过回复期限仍未回复 1 件" in figures["监管转办回复及时率"][1]
    assert figures["回访及时率"][0] == pytest.approx(1.0) and "期限未到的不计" in figures["回访及时率"][1]
    # 3. By 转办来源: T from 12386, S from 深圳证监局, whatever S's ticket looks like.
    assert figures["12386转办占比"][0] == pytest.approx(1 / 6)
    assert figures["其他监管转办占比"][0] == pytest.approx(1 / 6)


@pytest.mark.backends
def test_a_terminated_complaints_missed_completion_counts_in_the_rate(cli, tmp_path):
    a = accepted(cli, "2026-09-01 10:00")
    cli("resolve", a, "--result", "已说明", *RESOLVE, "--at", "2026-09-10 15:00")
    b = accepted(cli, "2026-09-01 10:30")
    cli("terminate", b, "--reason", "withdrawn", "--at", "2026-10-12 10:00")
    for period in (("--quarter", "2026Q3"), ("--year", "2026")):
        figures = summary_of(export(cli, tmp_path, *period)["汇总"])
        assert figures["按期办结率"][0] == pytest.approx(0.5), period


# -- 4. time --------------------------------------------------------------------------------------------------------


@pytest.mark.backends
def test_moving_the_receipt_out_of_an_exported_month_needs_a_late_reason_and_is_listed(cli, tmp_path, db_path,
                                                                                         monkeypatch):
    # Received Fri 10-30, typed in on Tue 11-03; acceptance due Wed 11-04, or Fri 11-06 from Mon 11-02: on the
    # morning of 11-04 no deadline has passed, so only the export asks for a reason.
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-03 09:00")
    number = cli("register", "--received-at", "2026-10-30 10:00", "--at", "2026-11-03 09:00",
                 "--method", "phone", "--channel", "direct", "--name", "张三", "--phone", "13812345678",
                 "--request", "退还多收佣金").stdout.strip()
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-03 10:00")
    assert summary_of(export(cli, tmp_path, "--month", "2026-10")["汇总"])["本期接收投诉"][0] == 1
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-04 09:00")
    refused(cli, db_path, "amend", number, "--received-at", "2026-11-02 10:00", rule="CSA 9.4",
            says="from 2026-10-30 to 2026-11-02 moves it out of 2026-10")
    cli("amend", number, "--received-at", "2026-11-02 10:00", "--late-reason", "登记时误记接收日期")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-04 10:00")
    wb = export(cli, tmp_path, "--month", "2026-10")
    assert summary_of(wb["汇总"])["本期接收投诉"][0] == 0
    rows = [r for r in wb["补录与更正"].iter_rows(values_only=True) if r and str(r[0]).endswith(number)]
    assert len(rows) == 1, rows
    assert rows[0][4] == "2026-10" and "接收时间 2026-10-30 → 2026-11-02：登记时误记接收日期" in rows[0][5], rows


def test_the_receipt_is_never_moved_after_the_registration_itself(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    refused(cli, db_path, "amend", number, "--received-at", "2026-09-01 11:00", "--reason", "更正", rule="CSA 9.4",
            says="after the registration of TS-2026-0001 itself")


def test_show_lists_the_timeline_in_business_order_keeping_each_entrys_number(cli):
    number = accepted(cli, "2026-09-01 10:00")
    cli("note", number, "当日电话补充说明", "--at", "2026-09-01 12:00")  # typed after the decision, dated before it
    events = show(cli, number)["events"]
    assert [(e["n"], e["kind"]) for e in events] == [(1, "registered"), (4, "noted"), (2, "accepted"),
                                                     (3, "assigned")]
    text = cli("show", number).stdout
    assert text.index("  4. 2026-09-01 12:00") < text.index("  2. 2026-09-01 15:00")
    cli("void", number, "4", "--reason", "记错了投诉")
    voided = [e for e in show(cli, number)["events"] if e["n"] == 4]
    assert voided[0]["kind"] == "noted" and voided[0]["voided"]["reason"] == "记错了投诉"


# -- 5. no one approves or checks their own work ----------------------------------------------------------------------


def test_the_one_who_asks_for_an_extension_does_not_approve_it(cli, db_path):
    number = accepted(cli, "2026-09-01 10:00")
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "等待交易日志", "--by", "陈经理",
            "--approved-by", "陈经理", "--notified-via", "phone", "--at", "2026-09-10 10:00", rule="CSA 7.7",
            says="陈经理 asks for this extension of TS-2026-0001 and may not approve it too")


def test_an_approval_stops_counting_once_its_approver_handles_the_complaint(cli, db_path):
    number = accepted(cli, "2026-09-01 10:00")
    cli("approve", number, "compensation", "--by", "孙经理", "--amount", "500", "--at", "2026-09-08 10:00")
    cli("assign", number, "--handler", "孙经理", "--at", "2026-09-08 11:00")
    refused(cli, db_path, "resolve", number, "--result", "已补偿", *RESOLVE, "--compensation", "500",
            "--at", "2026-09-10 15:00", rule="Firm 25")


def test_the_handler_neither_labels_their_complaint_unreasonable_nor_approves_the_label(cli, db_path):
    number = accepted(cli, "2026-09-01 10:00")
    for by, approver in (("赵六", "合规负责人"), ("王芳", "赵六")):
        refused(cli, db_path, "mark-unreasonable", number, "--evidence", "调查报告", "--by", by,
                "--approved-by", approver, "--at", "2026-09-08 10:00", rule="CSA 7.7",
                says="赵六 is the handler of TS-2026-0001")
    cli("mark-unreasonable", number, "--evidence", "调查报告", "--by", "王芳", "--approved-by", "合规负责人",
        "--at", "2026-09-08 10:00")


def test_the_respondent_touches_nothing_of_the_complaint_against_them(cli, db_path, tmp_path):
    number = accepted(cli, "2026-09-01 10:00", "--major-reason", "funds-safety")  # respondent 李四
    paper = tmp_path / "说明.txt"
    paper.write_text("说明", encoding="utf-8")
    for args in (("amend", number, "--facts", "并无此事"), ("note", number, "我已解释过"),
                 ("escalate", number, "--to", "公司投诉工作小组"), ("attach", number, str(paper), "--kind", "document"),
                 ("void", number, "3", "--reason", "录错")):
        refused(cli, db_path, *args, "--by", "李四", "--at", "2026-09-02 17:00", rule="CSA 7.7",
                says="李四 is the respondent (被投诉人) of TS-2026-0001")
    cli("escalate", number, "--to", "公司投诉工作小组", "--at", "2026-09-01 17:00")
    cli("terminate", number, "--reason", "withdrawn", "--at", "2026-09-03 10:00")
    refused(cli, db_path, "close", number, "--by", "李四", "--at", "2026-09-03 11:00", rule="CSA 7.7",
            says="李四 is the respondent (被投诉人) of TS-2026-0001")


def test_a_callback_by_the_handler_warns_by_default_and_is_refused_when_the_policy_says_no(cli, db_path):
    first = accepted(cli, "2026-09-01 10:00")
    cli("resolve", first, "--result", "已说明", *RESOLVE, "--at", "2026-09-10 15:00")
    done = cli("callback", first, "--outcome", "satisfied", "--by", "赵六", "--at", "2026-09-11 10:00")
    assert "Firm 18(5)" in done.stderr and "赵六" in done.stderr
    cli("policy", "set", "--effective-from", "2026-09-14", "--at", "2026-09-14 09:00", "--callback-by-handler", "no")
    refused(cli, db_path, "policy", "set", "--effective-from", "2026-09-15", "--at", "2026-09-14 09:00",
            "--callback-by-handler", "maybe", rule="Firm 18(5)", says="choose warn or no")
    second = accepted(cli, "2026-09-14 10:00")
    cli("resolve", second, "--result", "已说明", *RESOLVE, "--at", "2026-09-18 15:00")
    refused(cli, db_path, "callback", second, "--outcome", "satisfied", "--by", "赵六", "--at", "2026-09-21 10:00",
            rule="Firm 18(5)", says="policy callback-by-handler is no")
    cli("callback", second, "--outcome", "satisfied", "--by", "钱七", "--at", "2026-09-21 10:00")


def test_a_policy_dated_into_an_exported_period_needs_a_late_reason(cli, tmp_path, db_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-03 10:00")
    register(cli, "2026-10-12 10:00")
    export(cli, tmp_path, "--month", "2026-10")
    refused(cli, db_path, "policy", "set", "--effective-from", "2026-11-10", "--at", "2026-10-20 10:00",
            "--callback-by-handler", "no", rule="CSA 9.4", says="within 2026-10, whose report was exported on 2026-11-03")
    cli("policy", "set", "--effective-from", "2026-11-10", "--at", "2026-10-20 10:00", "--callback-by-handler", "no",
        "--late-reason", "10月20日会议决定，今日补录")
    assert cli("verify").exit_code == 0


@pytest.mark.backends
def test_list_open_shows_what_refused_and_terminated_complaints_still_owe(cli):
    transfer = register(cli, "2026-09-01 10:00", "--channel", "regulator", "--source", "12386",
                        "--transfer-no", "12386-20260901-0001")
    cli("reject", transfer, "--reason", "not-customer", "--notified-via", "sms", "--at", "2026-09-02 10:00")
    late = accepted(cli, "2026-09-01 11:00")
    cli("terminate", late, "--reason", "withdrawn", "--at", "2026-10-12 10:00")
    early = accepted(cli, "2026-09-01 12:00")
    cli("terminate", early, "--reason", "withdrawn", "--at", "2026-09-10 10:00")
    plain = register(cli, "2026-09-01 13:00")
    cli("reject", plain, "--reason", "not-customer", "--notified-via", "sms", "--at", "2026-09-02 10:00")
    shown = cli("list", "--open").stdout
    assert transfer in shown and late in shown
    assert early not in shown and plain not in shown
