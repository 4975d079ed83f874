"""One test of the allowed path and one of the refusal for each row of DOMAIN.md's lifecycle table.

Every refusal must print one line naming the rule, exit 1, and leave the ledger byte-for-byte as it was.
"""

import json


from tests.conftest import EXTEND, REGISTER_MINIMAL, RESOLVE, dump, register

import pytest

pytestmark = pytest.mark.backends  # each test on a branch's SQLite file and on a firm's PostgreSQL


def refused(cli, db_path, *args, rule: str, says: str = ""):
    before = dump(db_path)
    result = cli(*args, ok=False)
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("complaintctl: "), result.stderr
    assert rule in lines[0], lines[0]
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert dump(db_path) == before
    return lines[0]


def status(cli, number) -> str:
    return json.loads(cli("show", number, "--json").stdout)["status"]


def assigned(cli, received="2026-11-02") -> str:
    number = register(cli, received)
    cli("accept", number, "--at", received + " 15:00")
    cli("assign", number, "--handler", "赵六", "--dept", "运营部", "--at", received + " 16:00")
    return number


def resolved(cli, received="2026-11-02", *extra) -> str:
    number = register(cli, received, *extra)
    cli("accept", number, "--at", received + " 15:00")
    cli("assign", number, "--handler", "赵六", "--at", received + " 16:00")
    cli("resolve", number, "--result", "已退还差额", "--facts-found", "核实", "--cause", "系统设置错误",
        "--accountability", "提醒谈话", "--improvement", "复核流程", "--feedback-via", "phone",
        "--respondent-feedback-via", "phone", "--at", "2026-11-10")
    return number


def test_register_prints_the_number_and_needs_only_first_contact_facts(cli):
    first = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-20 09:30")
    second = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-20 10:30")
    assert first.stdout.strip() == "TS-2026-0001" and second.stdout.strip() == "TS-2026-0002"
    assert "acceptance decision" in first.stderr and "2026-11-25" in first.stderr
    assert status(cli, "TS-2026-0001") == "received"


def test_register_without_a_terminal_names_every_missing_field(cli, db_path):
    cli("config", "set", "branch", "测试营业部")
    message = refused(cli, db_path, "register", "--method", "phone", "--no-input", rule="cannot register")
    for option in ("--channel", "--name", "--phone", "--request"):
        assert option in message


def test_chinese_labels_work_wherever_a_code_does(cli):
    number = cli("register", "--method", "电话", "--channel", "监管转办", "--source", "12386", "--transfer-no", "T-1",
                 "--name", "李雷", "--phone", "13800000000", "--request", "x", "--category", "经纪业务-服务及费用类",
                 "--received-at", "2026-11-20").stdout.strip()
    record = json.loads(cli("show", number, "--json").stdout)
    assert (record["method"], record["channel"], record["category"]) == ("phone", "regulator", "a5")


def test_text_is_stored_exactly_as_typed(cli):
    text = '=HYPERLINK("x")\n第二行 "quotes" \'单引号\' 🙂'
    number = register(cli, "2026-11-20", "--request", text)
    assert json.loads(cli("show", number, "--json", "--unmask").stdout)["request"] == text


# -- acceptance (CSA 9.1.2) ------------------------------------------------------------------------

def test_accept_allowed_once_basic_facts_are_there(cli):
    number = register(cli, "2026-11-20")
    cli("accept", number, "--at", "2026-11-23")
    assert status(cli, number) == "accepted"


def test_accept_refused_naming_missing_basic_facts(cli, db_path):
    number = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-20").stdout.strip()
    message = refused(cli, db_path, "accept", number, rule="CSA 9.1.2(b), Firm 15")
    for option in ("--id-number", "--respondent", "--facts"):
        assert option in message


def test_institution_needs_uscc_and_legal_representative(cli, db_path):
    number = cli("register", "--method", "letter", "--channel", "direct", "--institution", "某某投资有限公司",
                 "--uscc", "91350100M000100Y43", "--address", "福州市某路1号", "--request", "x", "--facts", "y",
                 "--respondent-dept", "机构业务部", "--category", "b1", "--received-at", "2026-11-20").stdout.strip()
    refused(cli, db_path, "accept", number, rule="Firm 15", says="--legal-rep")
    cli("amend", number, "--legal-rep", "陈立")
    # Firm 15(一): the legal representative's ID (checked) and contact too.
    refused(cli, db_path, "accept", number, rule="Firm 15", says="--legal-rep-id-number")
    refused(cli, db_path, "amend", number, "--legal-rep-id-number", "110105194912310021", rule="",
            says="--legal-rep-id-number")  # a wrong check digit
    cli("amend", number, "--legal-rep-id-number", "11010519491231002X", "--legal-rep-phone", "0591-87654321")
    cli("accept", number)
    assert status(cli, number) == "accepted"


def test_agent_without_authorisation_cannot_be_accepted(cli, db_path):
    number = register(cli, "2026-11-20", "--agent-name", "黄律师", "--agent-id-number", "440305198005060018",
                      "--agent-phone", "13900001111")
    refused(cli, db_path, "accept", number, rule="Firm 15", says="no-authorization")
    cli("amend", number, "--agent-authorized")
    cli("accept", number)


def test_accept_twice_is_refused(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("accept", number)
    refused(cli, db_path, "accept", number, rule="CSA 9.1.2", says="accepted")


def test_acceptor_may_not_be_the_respondent(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "accept", number, "--by", "李四", rule="CSA 7.7")


# -- refusal (CSA 9.1.1, Firm 17) ------------------------------------------------------------------

def test_reject_with_reason_and_notification(cli):
    number = register(cli, "2026-11-20")
    cli("reject", number, "--reason", "not-customer", "--notified-via", "短信")
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["status"] == "rejected" and record["rejection"]["notified_via"] == "sms"
    assert [d["kind"] for d in record["deadlines"]] == ["acceptance"]


def test_reject_without_notification_owes_the_notice(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "reject", number, "--reason", "because", "--notified-via", "sms", rule="CSA 9.1.1",
            says="not-customer")
    # Issue 30: the refusal notice itself may tell it, later; until then it is owed, and closing waits for it.
    told = cli("reject", number, "--reason", "not-customer")
    assert "Firm 17: the complainant is still to be told of the refusal and its reason" in told.stderr
    refused(cli, db_path, "close", number, rule="Firm 17", says="was refused but the complainant was never told")


# -- assignment and avoidance (CSA 9.2.2(a), 7.7) ------------------------------------------------------

def test_assign_and_reassign(cli):
    number = assigned(cli)
    cli("assign", number, "--handler", "钱七", "--at", "2026-11-03")
    assert json.loads(cli("show", number, "--json").stdout)["handler"] == "钱七"


def test_handler_may_not_be_the_respondent(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("accept", number)
    refused(cli, db_path, "assign", number, "--handler", "李四", rule="CSA 7.7", says="respondent")


def test_assign_before_acceptance_is_refused(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "assign", number, "--handler", "赵六", rule="CSA 9.2.2(a)", says="accept")


# -- escalation (CSA 9.1.2(c)) ---------------------------------------------------------------------

def test_group_complaint_prompts_escalation_and_records_it(cli):
    number = register(cli, "2026-11-20", "--complainants", "12")
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["group"] is True
    reminder = cli("accept", number)
    assert "CSA 9.1.2(c)" in reminder.stderr
    cli("escalate", number, "--to", "公司投诉工作小组")
    assert json.loads(cli("show", number, "--json").stdout)["escalations"][0]["to"] == "公司投诉工作小组"


def test_escalating_a_closed_complaint_is_refused(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("reject", number, "--reason", "not-customer", "--notified-via", "sms")
    cli("close", number)
    refused(cli, db_path, "escalate", number, "--to", "x", rule="CSA 9.4", says="closed")


# -- extension (CSA 9.2.2(d)) ----------------------------------------------------------------------

def test_extension_rules(cli, db_path):
    number = assigned(cli, "2026-11-02")  # T+20 = 2026-11-30
    refused(cli, db_path, "extend", number, "--days", "25", "--reason", "x", *EXTEND, rule="CSA 9.2.2(d)",
            says="at most 20 trading days; this one asks 25")
    cli("extend", number, "--days", "15", "--reason", "调取录音", *EXTEND, "--at", "2026-11-20")
    refused(cli, db_path, "extend", number, "--days", "10", "--reason", "x", *EXTEND, "--at", "2026-11-20",
            rule="CSA 9.2.2(d)", says="extensions may total at most 20 trading days; this one would make 25")
    # Completion is now 2026-12-21; a request dated after it is too late.
    refused(cli, db_path, "extend", number, "--days", "5", "--reason", "x", *EXTEND, "--at", "2026-12-22",
            rule="CSA 9.2.2(d)", says="2026-12-21")


# -- resolution, interim feedback, regulator reply ------------------------------------------------

def test_resolve_and_progress_note(cli, db_path):
    number = assigned(cli)
    cli("note", number, "已告知调查进展", "--kind", "progress", "--at", "2026-11-05")
    late = cli("resolve", number, "--result", "已答复", *RESOLVE, "--at", "2026-12-01")  # T+20 was 2026-11-30
    assert "late" in late.stderr
    record = json.loads(cli("show", number, "--json").stdout)
    completion = next(d for d in record["deadlines"] if d["kind"] == "completion")
    assert record["status"] == "resolved" and completion["late"] is True
    assert record["notes"][0]["kind"] == "progress"


def test_a_note_may_predate_the_last_status_change_but_not_the_receipt(cli, db_path):
    number = assigned(cli, "2026-11-02")  # assigned on 2026-11-02 16:00
    cli("note", number, "接收当日已电话联系", "--at", "2026-11-02 11:00")
    refused(cli, db_path, "note", number, "x", "--at", "2026-11-01", rule="", says="before TS-2026-0001 was received")


def test_resolve_before_assignment_is_refused(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("accept", number)
    refused(cli, db_path, "resolve", number, "--result", "x", *RESOLVE, rule="CSA 9.2.2(c)", says="assign")


def test_regulator_reply_only_for_transferred_complaints(cli, db_path):
    direct = resolved(cli)
    refused(cli, db_path, "regulator-reply", direct, rule="CSA 9.2.2(e)")
    transferred = resolved(cli, "2026-11-02", "--channel", "regulator", "--source", "12386", "--transfer-no", "Z-9")
    cli("regulator-reply", transferred, "--at", "2026-11-11")
    refused(cli, db_path, "regulator-reply", transferred, rule="CSA 9.2.2(e)", says="already")


# -- callback, re-complaint, frequency -------------------------------------------------------------

def test_dissatisfied_callback_records_advice_and_opens_a_linked_recomplaint(cli):
    number = resolved(cli)
    result = cli("callback", number, "--outcome", "不满意", "--advised", "调解", "--advised", "litigation",
                 "--recomplain", "--at", "2026-11-11")
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["callbacks"][0]["advised"] == ["mediation", "litigation"]  # CSA 9.3(b), as told
    child = record["recomplaints"][0]
    assert child in result.stdout
    child_record = json.loads(cli("show", child, "--json").stdout)
    assert child_record["parent"] == number and child_record["status"] == "received"


def test_callback_before_resolution_is_refused(cli, db_path):
    number = assigned(cli)
    refused(cli, db_path, "callback", number, "--outcome", "satisfied", rule="Firm 18(5)")
    refused(cli, db_path, "callback", number, "--outcome", "happy", rule="Firm 18(5)", says="satisfied")


def test_third_callback_in_a_quarter_warns(cli):
    first, second = resolved(cli), resolved(cli)
    cli("callback", first, "--outcome", "unreachable", "--at", "2026-11-11 10:00")
    cli("callback", first, "--outcome", "satisfied", "--at", "2026-11-11 15:00")
    third = cli("callback", second, "--outcome", "satisfied", "--at", "2026-11-12")
    assert "Callback rules 4(3)" in third.stderr and "callback 3" in third.stderr


# -- unreasonable, reclassify, attach, close -------------------------------------------------------

def test_mark_unreasonable_only_after_acceptance(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "mark-unreasonable", number, "--evidence", "录音", "--approved-by", "负责人",
            rule="CSA 9.1.4(a)(3)")
    cli("accept", number)
    cli("mark-unreasonable", number, "--evidence", "录音", "--approved-by", "负责人")
    assert json.loads(cli("show", number, "--json").stdout)["unreasonable"]["approved_by"] == "负责人"


def test_reclassify_keeps_the_reason_and_amend_cannot_change_category(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "amend", number, "--category", "a1", rule="CSA 5", says="reclassify")
    cli("reclassify", number, "--category", "a1", "--reason", "实为权限问题")
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["category"] == "a1" and record["reclassifications"][0]["from"] == "a5"


def test_attach_copies_the_file_and_records_its_hash(cli, archive, tmp_path):
    import hashlib

    number = register(cli, "2026-11-20")
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF fake audio")
    cli("attach", number, recording, "--kind", "recording")
    item = json.loads(cli("show", number, "--json").stdout)["attachments"][0]
    assert item["sha256"] == hashlib.sha256(b"RIFF fake audio").hexdigest()
    stored = archive / item["stored_as"]
    assert stored.read_bytes() == b"RIFF fake audio"


def test_close_needs_callback_and_regulator_reply(cli, db_path):
    number = resolved(cli, "2026-11-02", "--channel", "regulator", "--source", "12386", "--transfer-no", "Z-1")
    refused(cli, db_path, "close", number, rule="Firm 18(5)")
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-11-11")
    refused(cli, db_path, "close", number, rule="CSA 9.2.2(e)")
    cli("regulator-reply", number, "--at", "2026-11-11")
    cli("close", number, "--at", "2026-11-12")
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["status"] == "closed"
    refused(cli, db_path, "note", number, "late note", rule="CSA 9.4", says="closed")


def test_dates_are_checked(cli, db_path):
    number = register(cli, "2026-11-20")
    refused(cli, db_path, "accept", number, "--at", "2026-11-19", rule="", says="before TS-2026-0001 was received")
    refused(cli, db_path, "accept", number, "--at", "2026-02-30", rule="", says="not a real date")
    refused(cli, db_path, "accept", number, "--at", "2030-01-01", rule="", says="future")
    refused(cli, db_path, "accept", number, "--at", "20/11/2026", rule="", says="2026/11/20, 2026.11.20, 20261120, 2026年11月20日")


def test_unknown_complaint_number(cli, db_path):
    register(cli, "2026-11-20")
    refused(cli, db_path, "accept", "TS-2026-0999", rule="", says="unknown complaint number")
    refused(cli, db_path, "show", "hello", rule="", says="TS-2026-0001")


def test_amend_keeps_old_and_new_values_and_moves_deadlines(cli, db_path, monkeypatch):
    # Registered on 11-23 as received 11-20: the receipt is never moved after the registration itself (issue 44).
    number = register(cli, "2026-11-20", "--at", "2026-11-23 09:00")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-23 12:00")  # typed before any deadline passed: no reason needed
    cli("amend", number, "--received-at", "2026-11-23", "--phone", "13900000000")
    events = json.loads(cli("show", number, "--json", "--unmask").stdout)["events"]
    changes = events[-1]["payload"]["changes"]
    assert changes["phone"] == ["13812345678", "13900000000"]
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["deadlines"][0]["due"] == "2026-11-26"
    refused(cli, db_path, "amend", number, "--id-number", "110105194912310021", rule="GB 11643")
