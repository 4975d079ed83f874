"""Every entry in its place in time (issue 26): the order of events, late entries, corrections of the
receipt, escalation owed until made, CSA 7.7 for every role, and the regulator's reply.

Dates are written by hand. 2026-09-01 is a Tuesday: acceptance is due T+3 = Fri 09-04, completion
T+20 = Wed 09-30 (Mid-Autumn Fri 09-25 is a holiday); a callback 2 working days after the result.
"""

import json

import openpyxl

from tests.conftest import EXTEND, FULL_FACTS, REGISTER_MINIMAL, RESOLVE, register
from tests.test_lifecycle import refused


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def resolved(cli, received="2026-09-01 10:00", resolved_at="2026-09-10 15:00", *extra) -> str:
    number = register(cli, received, *extra)
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", resolved_at)
    return number


# -- 1. each event is dated where it can have happened -------------------------------------------------

def test_a_callback_before_the_result_is_refused_naming_the_result(cli, db_path):
    number = resolved(cli, resolved_at="2026-10-08 16:00")
    refused(cli, db_path, "callback", number, "--outcome", "satisfied", "--at", "2026-09-28 10:30", rule="CSA 9.4",
            says="the callback dated 2026-09-28 10:30 is before TS-2026-0001 was resolved (2026-10-08 16:00)")
    # An unreachable attempt too: close would otherwise count it.
    refused(cli, db_path, "callback", number, "--outcome", "unreachable", "--at", "2026-10-08 15:59", rule="CSA 9.4",
            says="before TS-2026-0001 was resolved")
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-10-08 16:00")


def test_steps_before_the_state_change_that_made_them_possible_are_refused(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "调取录音", *EXTEND, "--at", "2026-09-02 09:00",
            rule="CSA 9.4", says="before TS-2026-0001 was accepted (2026-09-02 10:00)")
    refused(cli, db_path, "mark-unreasonable", number, "--evidence", "调查报告", "--approved-by", "陈经理",
            "--at", "2026-09-01 12:00", rule="CSA 9.4", says="before TS-2026-0001 was accepted (2026-09-02 10:00)")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-03 11:00")
    refused(cli, db_path, "investigate", number, "--facts-found", "核实", "--at", "2026-09-03 10:00", rule="CSA 9.4",
            says="before TS-2026-0001 was assigned (2026-09-03 11:00)")
    # A note may come earlier than the acceptance, never before the receipt.
    cli("note", number, "电话核实", "--at", "2026-09-01 15:00")


def test_a_regulator_reply_before_the_result_is_refused(cli, db_path):
    number = resolved(cli, "2026-09-01 10:00", "2026-09-10 15:00", "--channel", "regulator", "--source", "12386",
                      "--transfer-no", "GD2026090100012")
    refused(cli, db_path, "regulator-reply", number, "--at", "2026-09-09 10:00", rule="CSA 9.4",
            says="before TS-2026-0001 was resolved (2026-09-10 15:00)")
    cli("regulator-reply", number, "--at", "2026-09-10 16:00")


def test_an_escalation_is_dated_from_the_day_the_complaint_became_major(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("amend", number, "--major", "--major-reason", "funds-safety", "--at", "2026-09-07 09:00")
    refused(cli, db_path, "escalate", number, "--to", "公司投诉工作小组", "--at", "2026-09-04 17:00", rule="CSA 9.4",
            says="before TS-2026-0001 became major")
    cli("escalate", number, "--to", "公司投诉工作小组", "--at", "2026-09-07 08:00")  # the same day is in time


# -- 2. late entries are visible -----------------------------------------------------------------------

def test_a_late_entry_shows_both_times_in_text_and_json(cli, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-01 10:05")
    number = register(cli, "2026-09-01 10:00")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-08 09:30")
    cli("accept", number, "--at", "2026-09-02 10:00", "--late-reason", "受理单遗漏登记")
    events = show(cli, number)["events"]
    assert [(e["kind"], e["late_entry"]) for e in events] == [("registered", False), ("accepted", True)]
    assert events[1]["recorded_at"] == "2026-09-08T09:30:00+08:00"
    assert events[1]["payload"]["late_reason"] == "受理单遗漏登记"
    text = cli("show", number).stdout
    assert "  2. 2026-09-02 10:00  accepted by 王芳 [entered 2026-09-08 09:30: 受理单遗漏登记]" in text
    assert "registered by 王芳 [entered" not in text


def test_an_entry_dated_into_a_reported_period_needs_a_reason_and_the_next_report_lists_it(cli, db_path, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    first = register(cli, "2026-09-01 10:00")
    cli("accept", first, "--at", "2026-09-02 10:00")
    late = register(cli, "2026-09-21 10:00")  # acceptance due Thu 09-24
    cli("report", "--month", "2026-09", "--out", tmp_path / "sep-1.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-20 11:00")
    refused(cli, db_path, "accept", late, "--at", "2026-09-23 10:00", rule="CSA 9.4",
            says="this entry is dated 2026-09-23, within 2026-09, whose report was exported on 2026-10-09 by 王芳; "
                 "give --late-reason")
    refused(cli, db_path, "accept", late, "--at", "2026-09-23 10:00", "--late-reason", " ", rule="CSA 9.4",
            says="--late-reason may not be empty")
    cli("accept", late, "--at", "2026-09-23 10:00", "--late-reason", "受理审批单漏登，据审批单补录", "--by", "李娜")
    # Dated in a period not yet reported: no reason needed.
    cli("note", late, "补充说明", "--at", "2026-10-19 10:00")

    again = cli("report", "--month", "2026-09", "--out", tmp_path / "sep-2.xlsx", "--json")
    data = json.loads(again.stdout)
    assert data["previous_export"] == "2026-10-09T09:00:00+08:00"
    assert {"figure": "accepted", "before": 1, "now": 2} in data["changed_since_previous"]
    assert [(e["complaint"], e["kind"], e["reason"], e["by"]) for e in data["late_since_previous"]] == [
        ("TS-2026-0002", "accepted", "受理审批单漏登，据审批单补录", "李娜")]
    text = cli("report", "--month", "2026-09", "--out", tmp_path / "sep-3.xlsx").stdout
    assert "changed since the export of 2026-10-20 11:00 by 王芳" not in text  # nothing changed since sep-2
    assert "the same headline figures as the export of 2026-10-20 11:00" in text

    rows = list(openpyxl.load_workbook(tmp_path / "sep-2.xlsx")["补录与更正"].iter_rows(values_only=True))
    header = rows.index(("投诉编号", "事项", "业务发生时间", "录入时间", "影响期间", "补录原因", "录入人"))
    # The registrations typed on 10-09 are late entries too (dated 09-01 and 09-21), without a reason then needed.
    assert [(r[0], r[1], r[5]) for r in rows[header + 1:header + 3]] == [
        ("TS-2026-0001", "登记", "（未填写）"), ("TS-2026-0001", "受理", "（未填写）")]
    listed = next(r for r in rows[header + 1:] if r[0] == "TS-2026-0002" and r[1] == "受理")
    assert listed[0] == "TS-2026-0002" and listed[1] == "受理" and listed[4] == "2026-09"
    assert listed[5] == "受理审批单漏登，据审批单补录" and listed[6] == "李娜"
    assert str(listed[2]) == "2026-09-23 10:00:00" and str(listed[3]) == "2026-10-20 11:00:00"
    # The acceptance (09-23, in time: due 09-24) now counts in September.
    summary = {r[0].strip(): r[1] for r in openpyxl.load_workbook(tmp_path / "sep-2.xlsx")["汇总"].iter_rows(
        values_only=True) if r[0] and len(r) > 1}
    assert summary["本期受理"] == 2


def test_a_re_export_names_the_headline_rate_that_moved(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    on_time = register(cli, "2026-09-01 10:00")
    cli("accept", on_time, "--at", "2026-09-02 10:00")
    overdue = register(cli, "2026-09-01 11:00")  # due 09-04
    cli("accept", overdue, "--at", "2026-09-08 10:00")  # late
    cli("report", "--month", "2026-09", "--out", tmp_path / "a.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-21 09:00")
    third = register(cli, "2026-09-14 10:00", "--late-reason", "信函登记遗漏")
    cli("accept", third, "--at", "2026-09-15 10:00", "--late-reason", "信函登记遗漏")
    out = cli("report", "--month", "2026-09", "--out", tmp_path / "b.xlsx").stdout
    assert "changed since the export of 2026-10-09 09:00 by 王芳:" in out
    assert "    受理及时率: 50.00% → 66.67%" in out
    assert "    本期接收投诉: 2 → 3" in out
    assert "TS-2026-0003 accepted dated 2026-09-15 10:00, entered 2026-10-21 09:00 by 王芳: 信函登记遗漏" in out


# -- 3. correcting the time of receipt ------------------------------------------------------------------

def test_a_receipt_correction_that_moves_a_passed_deadline_needs_a_reason(cli, db_path, monkeypatch):
    # Registered on 09-03 as received 09-01 (acceptance due Fri 09-04); the receipt is never moved after the
    # registration itself (issue 44), so the correction to 09-03 10:00 stays before it.
    number = cli("register", "--received-at", "2026-09-01 10:00", "--at", "2026-09-03 12:00", *REGISTER_MINIMAL,
                 *FULL_FACTS).stdout.strip()
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-10 09:00")
    refused(cli, db_path, "amend", number, "--received-at", "2026-09-03 10:00", rule="CSA 9.4",
            says="moves its acceptance decision deadline from 2026-09-04 to 2026-09-08, and 2026-09-04 had already "
                 "passed when this is typed (today is 2026-09-10); give --reason")
    cli("amend", number, "--received-at", "2026-09-03 10:00", "--reason", "信封邮戳为 9 月 3 日")
    assert show(cli, number)["deadlines"][0]["due"] == "2026-09-08"


def test_a_receipt_correction_before_any_deadline_passed_needs_no_reason(cli, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-01 12:00")
    number = register(cli, "2026-09-01 10:00")
    cli("amend", number, "--received-at", "2026-09-01 09:00")
    assert show(cli, number)["received_at"] == "2026-09-01T09:00:00+08:00"


# -- 4. escalation is owed until it is made -------------------------------------------------------------

def test_not_major_needs_a_reason_and_keeps_the_escalation_that_was_due(cli, db_path):
    number = register(cli, "2026-09-01 10:00", "--major", "--major-reason", "funds-safety")
    refused(cli, db_path, "amend", number, "--not-major", "--at", "2026-09-03 10:00", rule="CSA 5.3, 9.1.2(c)",
            says="saying it is not (--not-major) needs --reason")
    cli("amend", number, "--not-major", "--reason", "核实后不涉及资金安全", "--at", "2026-09-03 10:00")
    record = show(cli, number)
    assert record["major"] is False
    escalation = [d for d in record["deadlines"] if d["kind"] == "escalation"]
    assert escalation == [{"kind": "escalation", "due": "2026-09-01", "original_due": "2026-09-01", "met_at": None,
                           "late": False, "provisional": False, "unit": "calendar", "state": "overdue",
                           "moved_by_correction": None}]


def test_a_group_complaint_cannot_be_said_not_major(cli, db_path):
    number = register(cli, "2026-09-01 10:00", "--complainants", "12")
    refused(cli, db_path, "amend", number, "--not-major", "--reason", "x", rule="CSA 5", says="always major")


def test_terminate_and_reject_keep_a_pending_escalation_and_close_waits_for_it(cli, db_path):
    group = register(cli, "2026-09-01 10:00", "--complainants", "12")
    cli("accept", group, "--at", "2026-09-02 10:00")
    cli("terminate", group, "--reason", "withdrawn", "--at", "2026-09-03 10:00")
    assert [d["kind"] for d in show(cli, group)["deadlines"] if d["met_at"] is None] == ["escalation"]
    refused(cli, db_path, "close", group, "--at", "2026-09-04 10:00", rule="CSA 9.1.2(c)",
            says="became a major complaint on 2026-09-01 and was never reported")
    cli("escalate", group, "--to", "公司投诉工作小组", "--at", "2026-09-04 09:00")
    cli("close", group, "--at", "2026-09-04 10:00")

    major = register(cli, "2026-09-01 11:00", "--major", "--major-reason", "funds-safety")
    cli("reject", major, "--reason", "not-customer", "--notified-via", "phone", "--at", "2026-09-02 10:00")
    refused(cli, db_path, "close", major, "--at", "2026-09-04 10:00", rule="CSA 9.1.2(c)", says="never reported")


def test_a_complaint_made_major_after_its_result_still_owes_the_escalation(cli, db_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")
    cli("amend", number, "--major", "--major-reason", "litigation-reputation", "--at", "2026-09-14 10:00")
    refused(cli, db_path, "close", number, "--at", "2026-09-14 11:00", rule="CSA 9.1.2(c)",
            says="became a major complaint on 2026-09-14")
    cli("escalate", number, "--to", "公司投诉工作小组", "--at", "2026-09-14 10:30")
    cli("close", number, "--at", "2026-09-14 11:00")
    assert show(cli, number)["status"] == "closed"


# -- 6. CSA 7.7 covers every role --------------------------------------------------------------------

def test_the_respondent_may_take_no_step_and_approve_nothing(cli, db_path):
    fresh = register(cli, "2026-09-01 10:00")  # the respondent is 李四
    refused(cli, db_path, "reject", fresh, "--reason", "not-customer", "--notified-via", "phone", "--by", "李四",
            rule="CSA 7.7", says="the person refusing it (--by) 李四 is the respondent")
    cli("accept", fresh, "--at", "2026-09-02 10:00")
    refused(cli, db_path, "assign", fresh, "--handler", "赵六", "--by", "李　四", rule="CSA 7.7",
            says="the person assigning it (--by)")
    cli("assign", fresh, "--handler", "赵六", "--at", "2026-09-02 11:00")
    refused(cli, db_path, "extend", fresh, "--days", "5", "--reason", "调取录音", "--approved-by", "李四",
            "--notified-via", "phone", rule="CSA 7.7", says="the approver (--approved-by) 李四 is the respondent")
    refused(cli, db_path, "extend", fresh, "--days", "5", "--reason", "调取录音", *EXTEND, "--by", "李四",
            rule="CSA 7.7", says="the person asking for it (--by)")
    refused(cli, db_path, "mark-unreasonable", fresh, "--evidence", "调查报告", "--approved-by", "李四",
            rule="CSA 7.7", says="the approver (--approved-by)")
    refused(cli, db_path, "mark-unreasonable", fresh, "--evidence", "调查报告", "--approved-by", "陈经理",
            "--by", "李四", rule="CSA 7.7", says="the person labelling it (--by)")
    refused(cli, db_path, "reclassify", fresh, "--category", "a1", "--reason", "x", "--by", "李四", rule="CSA 7.7")


def test_a_handler_never_approves_their_own_extension(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "调取录音", "--approved-by", "赵 六",
            "--notified-via", "phone", "--at", "2026-09-20 10:00", rule="CSA 7.7, 9.2.2(d)",
            says="the approver 赵 六 is the handler of TS-2026-0001")


# -- 8. a regulator transfer always gets its reply ---------------------------------------------------

TRANSFER = ("--channel", "regulator", "--source", "12386", "--transfer-no", "GD2026090100012")


def test_a_refused_transfer_still_owes_the_regulator_reply_and_close_waits_for_it(cli, db_path):
    number = cli("register", "--received-at", "2026-09-01 10:00", *REGISTER_MINIMAL[:2], *REGISTER_MINIMAL[4:],
                 "--channel", "regulator", "--source", "12386", "--transfer-no", "GD2026090100012",
                 *FULL_FACTS).stdout.strip()
    cli("reject", number, "--reason", "not-customer", "--notified-via", "phone", "--at", "2026-09-02 10:00")
    pending = [d["kind"] for d in show(cli, number)["deadlines"] if d["met_at"] is None]
    assert pending == ["regulator_reply"]
    assert [d["due"] for d in show(cli, number)["deadlines"] if d["kind"] == "regulator_reply"] == ["2026-09-30"]
    refused(cli, db_path, "close", number, "--at", "2026-09-03 10:00", rule="CSA 9.2.2(e)",
            says="regulator-reply")
    refused(cli, db_path, "regulator-reply", number, "--at", "2026-09-02 09:00", rule="CSA 9.4",
            says="before TS-2026-0001 was refused")
    cli("regulator-reply", number, "--at", "2026-09-03 09:00")
    cli("close", number, "--at", "2026-09-03 10:00")


def test_a_ticket_number_already_held_is_named(cli):
    first = register(cli, "2026-09-01 10:00", *TRANSFER)
    result = cli("register", "--received-at", "2026-09-02 10:00", *REGISTER_MINIMAL, *FULL_FACTS, *TRANSFER)
    assert (f"CSA 9.2.2(e): transfer ticket GD2026090100012 is already held by {first}" in result.stderr)
    assert result.stdout.strip() == "TS-2026-0002"


def test_a_decision_after_the_acceptance_deadline_says_it_is_late(cli):
    number = register(cli, "2026-09-01 10:00")  # due 09-04
    result = cli("accept", number, "--at", "2026-09-07 10:00")
    assert "CSA 9.1.2(a): decided after the acceptance deadline (受理期限 2026-09-04); recorded as late" in result.stderr
    other = register(cli, "2026-09-01 11:00")
    result = cli("reject", other, "--reason", "not-customer", "--notified-via", "phone", "--at", "2026-09-04 17:00")
    assert "acceptance deadline" not in result.stderr


def test_the_demo_has_one_late_entry_with_a_reason_and_octobers_report_lists_it(cli, tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 18:00")  # the demo's day
    cli("demo", "--scenario", Path(__file__).resolve().parent.parent / "sample_data" / "demo.json")
    late = [(r["id"], e["at"], e["recorded_at"], e["payload"].get("late_reason"))
            for r in json.loads(cli("list", "--json").stdout)
            for e in show(cli, r["id"])["events"] if e["late_entry"]]
    assert late == [("TS-2026-0021", "2026-10-23T15:00:00+08:00", "2026-11-20T09:40:00+08:00",
                     "调查当日未登记，据调查工作底稿补录")]
    cli("report", "--month", "2026-10", "--out", tmp_path / "oct.xlsx")
    rows = list(openpyxl.load_workbook(tmp_path / "oct.xlsx")["补录与更正"].iter_rows(values_only=True))
    listed = [r for r in rows if r[0] == "TS-2026-0021"]
    assert [(r[1], r[4], r[5], r[6]) for r in listed] == [("备注", "2026-10", "调查当日未登记，据调查工作底稿补录", "周志强")]


# -- what a first review found ----------------------------------------------------------------------

def test_a_registration_typed_in_after_the_export_needs_a_reason_whatever_its_at_says(cli, db_path, tmp_path,
                                                                                    monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    register(cli, "2026-09-01 10:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "sep.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-20 11:00")
    refused(cli, db_path, "register", "--received-at", "2026-09-15 10:00", "--at", "2026-10-20 11:00",
            *REGISTER_MINIMAL, *FULL_FACTS, rule="CSA 9.4", says="this entry is dated 2026-09-15, within 2026-09")
    cli("register", "--received-at", "2026-09-15 10:00", "--at", "2026-10-20 11:00", *REGISTER_MINIMAL, *FULL_FACTS,
        "--late-reason", "信函漏登")
    cli("report", "--month", "2026-09", "--out", tmp_path / "sep-2.xlsx")
    rows = list(openpyxl.load_workbook(tmp_path / "sep-2.xlsx")["补录与更正"].iter_rows(values_only=True))
    assert [(r[0], r[1], str(r[2]), r[5]) for r in rows if r[0] == "TS-2026-0002"] == [
        ("TS-2026-0002", "登记", "2026-09-15 10:00:00", "信函漏登")]


def test_a_late_amendment_takes_late_reason_and_keeps_no_reason_when_not_late(cli, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    number = register(cli, "2026-09-01 10:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "sep.xlsx")
    refused(cli, db_path, "amend", number, "--facts", "补充", "--at", "2026-09-02 10:00", rule="CSA 9.4",
            says="give --late-reason")
    cli("amend", number, "--facts", "补充", "--at", "2026-09-02 10:00", "--late-reason", "漏登补录")
    cli("amend", number, "--address", "深圳市福田区", "--reason", "投诉人来电补充")  # today: not late
    payloads = [e["payload"] for e in show(cli, number)["events"] if e["kind"] == "amended"]
    assert payloads[0]["late_reason"] == "漏登补录"
    assert "late_reason" not in payloads[1] and payloads[1]["reason"] == "投诉人来电补充"


def test_the_respondent_may_neither_unmark_a_major_complaint_nor_end_it(cli, db_path):
    number = register(cli, "2026-09-01 10:00", "--major", "--major-reason", "funds-safety")
    cli("accept", number, "--at", "2026-09-02 10:00")
    refused(cli, db_path, "amend", number, "--not-major", "--reason", "不涉及", "--by", "李四", rule="CSA 7.7",
            says="the person saying it is not major (--by) 李四 is the respondent")
    refused(cli, db_path, "terminate", number, "--reason", "withdrawn", "--by", "李四", rule="CSA 7.7",
            says="the person ending it (--by)")


def test_a_terminated_transfer_still_owes_the_regulator_reply(cli, db_path):
    number = register(cli, "2026-09-01 10:00", *TRANSFER)
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("terminate", number, "--reason", "withdrawn", "--at", "2026-09-03 10:00")
    assert [(d["kind"], d["due"]) for d in show(cli, number)["deadlines"] if d["met_at"] is None] == [
        ("regulator_reply", "2026-09-30")]
    refused(cli, db_path, "close", number, "--at", "2026-09-04 10:00", rule="CSA 9.2.2(e)")
    cli("regulator-reply", number, "--at", "2026-09-04 09:00")
    cli("close", number, "--at", "2026-09-04 10:00")


def test_a_complaint_never_accepted_has_no_completion_deadline(cli):
    number = register(cli, "2026-09-01 10:00")
    assert [d["kind"] for d in show(cli, number)["deadlines"]] == ["acceptance"]
    kinds = {item["kind"] for item in json.loads(cli("warn", "--as-of", "2026-10-30", "--json", ok=False).stdout)}
    assert kinds == {"acceptance"}


def test_a_calendar_correction_after_the_export_is_named_when_the_period_is_exported_again(cli, tmp_path,
                                                                                          monkeypatch):
    # Received Tue 09-01, due Wed 09-30; resolved Thu 10-08: late. A closure of 09-28…09-30 makes it due 10-12.
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-02 09:00")
    resolved(cli, "2026-09-01 10:00", "2026-10-08 16:00")
    first = json.loads(cli("report", "--month", "2026-10", "--out", tmp_path / "a.xlsx", "--json").stdout)
    assert first["completed_late"] == 1
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 10:00")
    cli("calendar", "add-closure", "2026-09-28", "--to", "2026-09-30", "--note", "交易所休市公告",
        "--reason", "公告当时未录入")
    again = cli("report", "--month", "2026-10", "--out", tmp_path / "b.xlsx").stdout
    assert "    其中超期办结: 1 → 0" in again
    assert "  calendar corrections since then:" in again
    assert "    2026-09-28…2026-09-30 closure, entered 2026-11-20 10:00 by 王芳: 交易所休市公告; 公告当时未录入" in again
    rows = list(openpyxl.load_workbook(tmp_path / "b.xlsx")["补录与更正"].iter_rows(values_only=True))
    assert any(r[0] == "2026-09-28 至 2026-09-30（3 天）" and r[1] == "交易所休市" for r in rows)


def test_a_re_export_compares_only_with_an_export_as_of_the_same_day(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    register(cli, "2026-09-01 10:00")
    cli("report", "--month", "2026-09", "--as-of", "2026-09-10", "--out", tmp_path / "a.xlsx")
    data = json.loads(cli("report", "--month", "2026-09", "--out", tmp_path / "b.xlsx", "--json").stdout)
    assert data["previous_export"] is None and data["changed_since_previous"] == []


def test_a_dated_write_finds_the_exports_through_their_index_not_by_reading_every_event(cli, db_path, backend,
                                                                                         tmp_path, monkeypatch):
    """Every dated write asks which reports it falls into (CSA 9.4). With `ORDER BY id`, SQLite walked all
    6 million events of the 1M-complaint benchmark ledger for that: 1.8 s on each `accept --at` (issue 33)."""
    import sqlite3

    import pytest

    from complaintctl.store.late import EXPORTS_SQL

    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    for day in ("2026-09-01 10:00", "2026-09-02 10:00", "2026-09-03 10:00"):
        register(cli, day)
    cli("report", "--month", "2026-08", "--out", tmp_path / "aug.xlsx")
    cli("report", "--month", "2026-09", "--out", tmp_path / "sep.xlsx")
    conn = sqlite3.connect(db_path)
    plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {EXPORTS_SQL}"))
    assert "ix_events_exported" in plan, plan
    from complaintctl.store.late import exports
    from complaintctl.store.ledger import Ledger

    with Ledger(db_path).reading() as reader:
        found = exports(reader)
    assert [e.code for e in found] == ["2026-08", "2026-09"]  # oldest first, sorted by the event's id
    assert found[0].event < found[1].event


def test_a_complaint_number_is_found_through_the_primary_key_in_a_branch_file(cli, db_path, backend):
    """Every command on a complaint first finds its branch; in a branch's own file by the key (issue 33)."""
    import sqlite3

    import pytest

    from complaintctl.store.ledger import NUMBER_IN_FILE_SQL

    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    number = register(cli, "2026-09-01 10:00")
    conn = sqlite3.connect(db_path)
    plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {NUMBER_IN_FILE_SQL}", (number,)))
    assert plan.startswith("SEARCH complaints") and "id=?" in plan, plan
    assert json.loads(cli("show", number, "--json").stdout)["id"] == number
