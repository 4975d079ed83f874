"""The whole standard, not only its common path (issue 11): for each rule an allowed path and a refusal.

Every refusal goes through `refused`: one line on stderr citing the clause, exit 1, the ledger unchanged.
Dates are written out by hand; 2026-11-02 is a Monday, and November 2026 has no holiday.
"""

from __future__ import annotations

import re

import json

import openpyxl

from tests.conftest import EXTEND, RESOLVE, ledger_rows, register
from tests.test_lifecycle import refused


def show(cli, number, *extra) -> dict:
    return json.loads(cli("show", number, "--json", *extra).stdout)


def deadline(cli, number, kind) -> dict | None:
    return next((d for d in show(cli, number)["deadlines"] if d["kind"] == kind), None)


def assigned(cli, received="2026-11-02", *extra) -> str:
    number = register(cli, received, *extra)
    cli("accept", number, "--at", received + " 15:00")
    cli("assign", number, "--handler", "赵六", "--at", received + " 16:00")
    return number


def resolved(cli, received="2026-11-02", *extra) -> str:
    number = assigned(cli, received, *extra)
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-11-10 10:00")
    return number


def report_rows(cli, tmp_path, *period) -> tuple[dict, dict]:
    out = tmp_path / "r.xlsx"
    cli("report", *period, "--out", out, "--force")
    wb = openpyxl.load_workbook(out)
    summary = {row[0].strip(): row[1] for row in wb["汇总"].iter_rows(values_only=True) if row[0] and len(row) > 1}
    ledger = {r["投诉编号"]: r for r in ledger_rows(wb)}
    return summary, ledger


# -- classification (CSA 5.2, 5.3) ---------------------------------------------------------------------

def test_a_group_complaint_is_major(cli):
    number = register(cli, "2026-11-02 10:00", "--complainants", "12")
    record = show(cli, number)
    assert (record["group"], record["major"], record["major_reason"]) == (True, True, "group-or-repeated")


def test_a_group_complaint_cannot_be_marked_not_major(cli, db_path):
    number = register(cli, "2026-11-02 10:00", "--complainants", "12")
    refused(cli, db_path, "amend", number, "--not-major", rule="CSA 5.3(a)", says="always major")


def test_major_needs_a_reason_from_the_list(cli, db_path):
    refused(cli, db_path, "register", "--received-at", "2026-11-02", "--method", "phone", "--channel", "direct",
            "--name", "张三", "--phone", "13812345678", "--request", "x", "--major", "--no-input",
            rule="CSA 5.3(a)", says="--major-reason")
    refused(cli, db_path, "register", "--received-at", "2026-11-02", "--method", "phone", "--channel", "direct",
            "--name", "张三", "--phone", "13812345678", "--request", "x", "--major-reason", "big", "--no-input",
            rule="CSA 5.3(a)", says="funds-safety")
    refused(cli, db_path, "register", "--received-at", "2026-11-02", "--method", "phone", "--channel", "direct",
            "--name", "张三", "--phone", "13812345678", "--request", "x", "--major-reason", "other", "--no-input",
            rule="CSA 5.3(a)", says="--major-note")
    # A Chinese label is a code; a reason says that the complaint is major.
    number = register(cli, "2026-11-02 10:00", "--major-reason", "投资者资金安全")
    record = show(cli, number)
    assert (record["major"], record["major_reason"], record["group"]) == (True, "funds-safety", False)
    other = register(cli, "2026-11-02 11:00", "--major-reason", "other", "--major-note", "涉及媒体曝光")
    assert show(cli, other)["major_note"] == "涉及媒体曝光"


def test_representatives_of_a_group_met_in_person(cli, db_path):
    number = register(cli, "2026-11-02 10:00", "--method", "onsite", "--complainants", "15",
                      "--representative", "王五 13900001111", "--representative", "赵七：139-0000-2222",
                      "--representative", "钱八")
    assert show(cli, number)["representatives"] == [
        {"name": "王五", "phone": "139****1111"}, {"name": "赵七", "phone": "139****2222"},
        {"name": "钱八", "phone": None}]
    assert show(cli, number, "--unmask")["representatives"][1]["phone"] == "13900002222"
    six = [arg for i in range(6) for arg in ("--representative", f"代表{i}")]
    refused(cli, db_path, "amend", number, *six, rule="CSA 5.2", says="at most 5")
    refused(cli, db_path, "register", "--received-at", "2026-11-02", *REGISTER_ARGS, "--method", "onsite",
            "--representative", "王五", rule="CSA 5.2", says="10 or more")
    refused(cli, db_path, "register", "--received-at", "2026-11-02", *REGISTER_ARGS, "--method", "letter",
            "--complainants", "12", "--representative", "王五", rule="CSA 5.2", says="in person")


REGISTER_ARGS = ["--channel", "direct", "--name", "张三", "--phone", "13812345678", "--request", "x", "--no-input"]


# -- escalation is a deadline (CSA 9.1.2(c), 9.2.2(a)(2)) -------------------------------------------------------

def test_escalation_is_due_the_day_of_receipt_and_warn_lists_it(cli):
    number = register(cli, "2026-11-02 10:00", "--complainants", "12")
    due = deadline(cli, number, "escalation")
    assert (due["due"], due["met_at"]) == ("2026-11-02", None)
    morning = cli("warn", "--as-of", "2026-11-03", ok=False)
    assert morning.exit_code == 3 and f"{number}  escalation" in morning.stdout
    cli("escalate", number, "--to", "公司投诉工作小组", "--at", "2026-11-03 09:00")
    late = deadline(cli, number, "escalation")
    assert late["late"] is True and late["met_at"].startswith("2026-11-03T09:00")
    text = cli("show", number).stdout
    assert "escalation" in text and "LATE" in text.split("  escalation ")[1].splitlines()[0]


def test_escalation_is_due_the_day_a_complaint_is_marked_major(cli):
    number = register(cli, "2026-11-02 10:00")
    assert deadline(cli, number, "escalation") is None
    cli("amend", number, "--major-reason", "system-failure", "--at", "2026-11-05 09:00")
    assert deadline(cli, number, "escalation")["due"] == "2026-11-05"
    cli("escalate", number, "--to", "合规部", "--at", "2026-11-05 11:00")
    assert deadline(cli, number, "escalation")["late"] is False


def test_a_major_complaint_is_not_resolved_before_it_is_reported(cli, db_path):
    number = assigned(cli, "2026-11-02", "--major-reason", "funds-safety")
    refused(cli, db_path, "resolve", number, "--result", "已答复", *RESOLVE, "--at", "2026-11-10",
            rule="CSA 9.1.2(c)", says="escalate")
    cli("escalate", number, "--to", "合规部", "--at", "2026-11-02 17:00")
    cli("approve", number, "opinion", "--by", "刘经理", "--at", "2026-11-09")  # a major one's opinion (Firm 25)
    cli("resolve", number, "--result", "已答复", *RESOLVE, "--at", "2026-11-10")
    assert show(cli, number)["status"] == "resolved"


def test_the_report_counts_late_and_missing_escalations(cli, tmp_path):
    on_time = register(cli, "2026-11-02 10:00", "--complainants", "12")
    late = register(cli, "2026-11-03 10:00", "--major-reason", "funds-safety")
    register(cli, "2026-11-04 10:00", "--major-reason", "insider-manipulation")  # never reported
    cli("escalate", on_time, "--to", "合规部", "--at", "2026-11-02 11:00")
    cli("escalate", late, "--to", "合规部", "--at", "2026-11-06 11:00")
    summary, ledger = report_rows(cli, tmp_path, "--month", "2026-11")
    assert (summary["按时上报"], summary["超时上报"], summary["未上报（已超期）"]) == (1, 1, 1)
    assert ledger[late]["上报日期"].date().isoformat() == "2026-11-06"


# -- avoidance (CSA 7.7) on every path ---------------------------------------------------------------------

def test_names_are_compared_as_people_type_them(cli, db_path):
    number = register(cli, "2026-11-02 10:00", "--respondent", "刘洋")
    cli("accept", number, "--at", "2026-11-02 15:00")
    for typed in ("刘　洋", "刘 洋", " 刘洋 "):
        line = refused(cli, db_path, "assign", number, "--handler", typed, rule="CSA 7.7", says="respondent")
        assert typed.strip() in line  # the name as typed, the ideographic space shown, not escaped
    latin = register(cli, "2026-11-02 11:00", "--respondent", "Liu Yang")
    cli("accept", latin, "--at", "2026-11-02 15:00")
    refused(cli, db_path, "assign", latin, "--handler", "ＬＩＵ　ＹＡＮＧ", rule="CSA 7.7")
    cli("assign", number, "--handler", "刘阳", "--at", "2026-11-02 16:00")  # another person


def test_the_respondent_cannot_be_changed_to_the_acceptor_or_handler(cli, db_path):
    number = assigned(cli)  # accepted by 王芳 (COMPLAINTCTL_USER), handled by 赵六
    refused(cli, db_path, "amend", number, "--respondent", "赵　六", rule="CSA 7.7", says="赵六")
    refused(cli, db_path, "amend", number, "--respondent", "王芳", rule="CSA 7.7", says="王芳")
    cli("amend", number, "--respondent", "孙七")
    assert show(cli, number)["respondent"] == "孙七"


def test_the_respondent_does_not_resolve_investigate_or_call_back(cli, db_path):
    number = assigned(cli)  # respondent 李四
    refused(cli, db_path, "investigate", number, "--facts-found", "x", "--by", "李四", rule="CSA 7.7")
    refused(cli, db_path, "resolve", number, "--result", "x", *RESOLVE, "--by", "李 四", rule="CSA 7.7")
    cli("resolve", number, "--result", "已答复", *RESOLVE, "--by", "赵六", "--at", "2026-11-10")
    refused(cli, db_path, "callback", number, "--outcome", "satisfied", "--by", "李四", rule="CSA 7.7")
    cli("callback", number, "--outcome", "satisfied", "--by", "刘静", "--at", "2026-11-11")


def test_a_respondent_who_registers_a_complaint_records_it_and_is_told(cli, db_path):
    result = cli("register", "--received-at", "2026-11-02 10:00", "--by", "李四", "--method", "phone",
                 "--channel", "direct", "--name", "张三", "--phone", "13812345678", "--request", "x",
                 "--respondent", "李四", "--no-input")
    number = result.stdout.strip()
    assert "CSA 7.7" in result.stderr and "upper level" in result.stderr
    assert show(cli, number)["status"] == "received"
    cli("amend", number, "--id-number", "11010519491231002X", "--facts", "y", "--category", "a5")
    refused(cli, db_path, "accept", number, "--by", "李四", rule="CSA 7.7")
    cli("accept", number, "--by", "王芳", "--at", "2026-11-02 15:00")


# -- the investigation record (CSA 9.2.2(b)) ----------------------------------------------------------------

def test_investigate_from_assignment_until_close_and_later_values_supersede(cli, db_path):
    number = register(cli, "2026-11-02 10:00")
    cli("accept", number, "--at", "2026-11-02 15:00")
    refused(cli, db_path, "investigate", number, "--facts-found", "x", rule="CSA 9.2.2(b)", says="assign")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-02 16:00")
    refused(cli, db_path, "investigate", number, rule="CSA 9.2.2(b)", says="--facts-found")
    refused(cli, db_path, "investigate", number, "--cause", "  ", rule="CSA 9.2.2(b)", says="empty")
    cli("investigate", number, "--facts-found", "初步核实", "--at", "2026-11-03 10:00")
    cli("investigate", number, "--facts-found", "调取录音后核实", "--cause", "费率设置错误",
        "--accountability", "提醒谈话", "--improvement", "复核流程", "--suggestions", "加强培训",
        "--at", "2026-11-04 10:00")
    record = show(cli, number)
    assert record["investigation"] == {"facts_found": "调取录音后核实", "cause": "费率设置错误",
                                       "accountability": "提醒谈话", "improvement": "复核流程", "suggestions": "加强培训"}
    kept = [e["payload"].get("facts_found") for e in record["events"] if e["kind"] == "investigated"]
    assert kept == ["初步核实", "调取录音后核实"]  # the superseded value stays in the trail
    text = cli("show", number).stdout
    assert re.search(r"cause and internal control: +费率设置错误", text)


def test_resolve_waits_for_the_facts_and_the_cause(cli, db_path):
    number = assigned(cli)
    feedback = ["--feedback-via", "phone", "--respondent-feedback-via", "phone"]
    refused(cli, db_path, "resolve", number, "--result", "x", *feedback, rule="CSA 9.2.2(b)",
            says="--facts-found and --cause")
    cli("investigate", number, "--facts-found", "核实", "--at", "2026-11-03")
    refused(cli, db_path, "resolve", number, "--result", "x", *feedback, rule="CSA 9.2.2(b)", says="--cause")
    cli("investigate", number, "--cause", "系统设置错误", "--at", "2026-11-04")
    cli("resolve", number, "--result", "已退还", *feedback, "--at", "2026-11-10")
    cli("investigate", number, "--improvement", "月度复核", "--at", "2026-11-11")  # still open until closed
    assert show(cli, number)["investigation"]["improvement"] == "月度复核"


def test_the_report_carries_the_investigation_record(cli, tmp_path):
    number = resolved(cli)
    cli("investigate", number, "--suggestions", "加强双录检查", "--at", "2026-11-11")
    _, ledger = report_rows(cli, tmp_path, "--month", "2026-11")
    text = ledger[number]["调查处理过程"]
    assert "投诉事实及经过：核实委托记录与录音" in text and "投诉原因及内控分析：营业部执行环节未按约定设置" in text
    assert "相关工作建议：加强双录检查" in text
    assert ledger[number]["反馈方式"] == "投诉人：电话；被投诉人：电话"


# -- feedback (CSA 9.2.1(d), 9.3, 9.2.2(d)) ---------------------------------------------------------------------

def test_resolve_says_how_both_sides_heard(cli, db_path):
    number = assigned(cli)
    facts = ["--facts-found", "核实", "--cause", "设置错误"]
    refused(cli, db_path, "resolve", number, "--result", "x", *facts, rule="CSA 9.3", says="--feedback-via")
    refused(cli, db_path, "resolve", number, "--result", "x", *facts, "--feedback-via", "phone",
            rule="CSA 9.3", says="--respondent-feedback-via")
    cli("resolve", number, "--result", "x", *facts, "--feedback-via", "电话", "--respondent-feedback-via", "现场",
        "--at", "2026-11-10")
    resolution = show(cli, number)["resolution"]
    assert (resolution["feedback_via"], resolution["respondent_feedback_via"]) == ("phone", "onsite")


def test_extension_needs_approval_and_the_complainant_told(cli, db_path):
    number = assigned(cli)  # T+20 = 2026-11-30
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "调取录音", "--notified-via", "phone",
            rule="CSA 9.2.2(d)", says="--approved-by")
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "调取录音", "--approved-by", "陈经理",
            "--at", "2026-11-20", rule="CSA 9.2.1(d)", says="2026-11-30")
    cli("extend", number, "--days", "5", "--reason", "调取录音", *EXTEND, "--at", "2026-11-20")
    assert show(cli, number)["extensions"][0]["notified_via"] == "phone"


def test_a_progress_note_by_the_original_deadline_tells_the_complainant(cli):
    number = assigned(cli)
    cli("note", number, "已告知调查进展", "--kind", "progress", "--at", "2026-11-25")
    cli("extend", number, "--days", "5", "--reason", "调取录音", "--approved-by", "陈经理", "--at", "2026-11-26")
    assert deadline(cli, number, "completion")["due"] == "2026-12-07"


# -- callbacks (Firm 18(5), CSA 9.3(b)) ---------------------------------------------------------------------------

def test_a_dissatisfied_callback_records_what_was_advised(cli, db_path):
    number = resolved(cli)
    refused(cli, db_path, "callback", number, "--outcome", "dissatisfied", rule="CSA 9.3(b)", says="--advised")
    refused(cli, db_path, "callback", number, "--outcome", "dissatisfied", "--advised", "complain-more",
            rule="CSA 9.3(b)", says="mediation")
    refused(cli, db_path, "callback", number, "--outcome", "satisfied", "--advised", "mediation", rule="CSA 9.3(b)")
    cli("callback", number, "--outcome", "dissatisfied", "--advised", "仲裁", "--at", "2026-11-11")
    assert show(cli, number)["callbacks"][0]["advised"] == ["arbitration"]
    assert "advised arbitration" in cli("show", number).stdout


def test_an_unreachable_attempt_does_not_meet_the_callback_deadline(cli):
    number = resolved(cli)  # resolved 2026-11-10: callback due 2026-11-12
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-11 10:00")
    assert deadline(cli, number, "callback")["met_at"] is None
    assert f"{number}  callback" in cli("warn", "--as-of", "2026-11-13", ok=False).stdout
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-11-13 10:00")
    met = deadline(cli, number, "callback")
    assert met["met_at"].startswith("2026-11-13") and met["late"] is True


def test_closing_a_complaint_never_reached_needs_attempts_on_two_working_days(cli, db_path, tmp_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-11 10:00")
    refused(cli, db_path, "close", number, "--at", "2026-11-11 17:00", rule="Firm 18(5)", says="2 different working")
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-11 16:00")  # the same day counts once
    refused(cli, db_path, "close", number, "--at", "2026-11-11 17:00", rule="Firm 18(5)", says="there are 1")
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-14 10:00")  # a Saturday: not a working day
    refused(cli, db_path, "close", number, "--at", "2026-11-14 17:00", rule="Firm 18(5)")
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-16 10:00")
    cli("close", number, "--at", "2026-11-16 17:00")
    summary, _ = report_rows(cli, tmp_path, "--month", "2026-11")
    assert summary["无法联系（件）"] == 1


def test_the_number_of_attempts_is_a_policy_setting(cli, db_path):
    cli("policy", "set", "--effective-from", "2026-11-01", "--unreachable-attempts", "3", "--at", "2026-10-30")
    number = resolved(cli)
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-11 10:00")
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-11-12 10:00")
    refused(cli, db_path, "close", number, "--at", "2026-11-12 17:00", rule="Firm 18(5)", says="at least 3")


# -- refusals, re-complaints, ending without a result --------------------------------------------------------

def test_a_duplicate_points_to_the_complaint_it_repeats(cli, db_path):
    first = register(cli, "2026-11-02 10:00")
    repeat = register(cli, "2026-11-05 10:00")
    told = ["--notified-via", "sms", "--at", "2026-11-05 15:00"]
    refused(cli, db_path, "reject", repeat, "--reason", "duplicate", *told, rule="CSA 9.1.1(c)", says="--original")
    refused(cli, db_path, "reject", repeat, "--reason", "duplicate", "--original", "TS-2026-0099", *told,
            rule="CSA 9.1.1(c)", says="unknown")
    refused(cli, db_path, "reject", repeat, "--reason", "duplicate", "--original", first, *told,
            rule="CSA 9.1.1(c)", says="never accepted")
    refused(cli, db_path, "reject", repeat, "--reason", "duplicate", "--original", repeat, *told,
            rule="CSA 9.1.1(c)", says="this complaint")
    cli("accept", first, "--at", "2026-11-02 15:00")
    cli("reject", repeat, "--reason", "duplicate", "--original", first, *told)
    assert show(cli, repeat)["rejection"]["original"] == first


def test_register_links_a_re_complaint_to_its_parent(cli, db_path):
    first = resolved(cli)
    refused(cli, db_path, "register", "--received-at", "2026-11-20", "--method", "phone", *REGISTER_ARGS,
            "--parent", "TS-2026-0099", rule="Firm 18(7)", says="unknown")
    again = register(cli, "2026-11-20 10:00", "--parent", first.lower())
    assert show(cli, again)["parent"] == first


def test_terminate_ends_an_accepted_complaint_without_a_result(cli, db_path, tmp_path):
    received = register(cli, "2026-11-02 10:00")
    refused(cli, db_path, "terminate", received, "--reason", "withdrawn", rule="CSA 9.1.1(d)", says="accept")
    number = assigned(cli, "2026-11-03")
    refused(cli, db_path, "terminate", number, "--reason", "bored", rule="CSA 9.1.1(d)", says="withdrawn")
    refused(cli, db_path, "terminate", number, "--reason", "other", rule="CSA 9.1.1(d)", says="--note")
    cli("terminate", number, "--reason", "in-proceedings", "--note", "投诉人已申请仲裁", "--at", "2026-11-10")
    record = show(cli, number)
    assert record["status"] == "terminated" and record["termination"]["reason"] == "in-proceedings"
    assert [d["kind"] for d in record["deadlines"]] == ["acceptance"]  # completion ended with it
    assert number not in cli("warn", "--as-of", "2026-12-31", ok=False).stdout
    refused(cli, db_path, "resolve", number, "--result", "x", *RESOLVE, rule="CSA 9.2.2(c)", says="ended without a result")
    summary, ledger = report_rows(cli, tmp_path, "--month", "2026-11")
    assert (summary["本期终止处理"], summary["本期办结"]) == (1, 0)
    assert ledger[number]["是否按期"] == "终止处理" and ledger[number]["处理结果"].startswith("终止处理：进入调解、仲裁、诉讼程序")
    cli("close", number, "--at", "2026-11-11", "--late-reason", "归档手续补录")  # November was already reported
    assert show(cli, number)["status"] == "closed"


def test_accept_waits_for_a_category(cli, db_path):
    number = cli("register", "--received-at", "2026-11-02", "--method", "phone", *REGISTER_ARGS,
                 "--id-number", "11010519491231002X", "--respondent", "李四", "--facts", "y").stdout.strip()
    refused(cli, db_path, "accept", number, rule="CSA 5.1", says="--category")
    cli("amend", number, "--category", "a5")
    cli("accept", number)


# -- institutions (Firm 15(一)) and the complainant's details ---------------------------------------------

def test_show_and_report_carry_address_agent_and_legal_representative(cli, tmp_path):
    number = cli("register", "--method", "letter", "--channel", "direct", "--institution", "某某投资有限公司",
                 "--uscc", "91350100M000100Y43", "--address", "福州市鼓楼区某路1号", "--request", "x", "--facts", "y",
                 "--respondent-dept", "机构业务部", "--legal-rep", "陈立", "--legal-rep-id-number",
                 "11010519491231002X", "--legal-rep-phone", "13900001111", "--agent-name", "黄律师",
                 "--agent-id-number", "440305198005060018", "--agent-phone", "13900002222", "--agent-authorized",
                 "--category", "b1", "--received-at", "2026-11-02").stdout.strip()
    cli("accept", number, "--at", "2026-11-02 15:00")
    record = show(cli, number)
    assert (record["legal_rep_id_number"], record["legal_rep_phone"]) == ("110105********002X", "139****1111")
    text = cli("show", number).stdout
    assert re.search(r"legal representative: +陈立", text) and re.search(r"agent's name: +黄律师", text)
    _, ledger = report_rows(cli, tmp_path, "--month", "2026-11")
    row = ledger[number]
    assert row["法定代表人"] == "陈*，110105********002X，139****1111"
    assert row["代理人"].startswith("黄**，440305") and "13900002222" not in row["代理人"]
    assert row["联系地址/住所"] and "1号" not in row["联系地址/住所"]
