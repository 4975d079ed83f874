"""A mistake is put right on the record (issue 42): a wrong entry is voided (作废), a step typed twice is
refused, and every figure follows.

Dates are written by hand. 2026-09-01 is a Tuesday: acceptance is due T+3 = Fri 09-04, completion T+20 =
Wed 09-30 (Mid-Autumn Fri 09-25 is a holiday); a callback is due 2 working days after the result.
"""

import json

import openpyxl
import pytest

from tests.conftest import FULL_FACTS, REGISTER_MINIMAL, RESOLVE, dump, register
from tests.test_lifecycle import refused
from tests.test_papers import reachable

pytestmark = pytest.mark.backends


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def resolved(cli, received="2026-09-01 10:00") -> str:
    number = register(cli, received)
    cli("accept", number, "--at", "2026-09-02 10:00")  # entry 2
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")  # entry 3
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-09-10 15:00")  # entry 4
    return number


def kinds(record: dict) -> list[tuple[int, str, bool]]:
    return [(e["n"], e["kind"], e["voided"] is not None) for e in record["events"]]


# -- show numbers the timeline ---------------------------------------------------------------------------

def test_show_numbers_the_timeline_and_json_gives_each_event_its_number(cli):
    number = resolved(cli)
    text = cli("show", number).stdout
    timeline = text[text.index("timeline:"):].splitlines()[1:]
    assert [line.split(".")[0].strip() for line in timeline] == ["1", "2", "3", "4"]
    assert timeline[3].startswith("  4. 2026-09-10 15:00  resolved by 王芳") and timeline[3].endswith(": 已退还差额")
    assert kinds(show(cli, number)) == [(1, "registered", False), (2, "accepted", False), (3, "assigned", False),
                                         (4, "resolved", False)]


# -- 2. a step typed twice --------------------------------------------------------------------------------

def test_a_second_satisfied_callback_the_same_day_is_refused_naming_the_first(cli, db_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")
    refused(cli, db_path, "callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:05", rule="CSA 9.4",
            says=f"{number}: entry 5 already records the callback, the same on the same day (2026-09-11 10:00, "
                 "by 王芳); if a second one is real, run it again with --again")
    assert len(show(cli, number)["callbacks"]) == 1
    # A second one that is real: said so.
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 16:00", "--again")
    assert len(show(cli, number)["callbacks"]) == 2


def test_the_same_handler_assigned_again_the_same_day_is_refused(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--dept", "运营部", "--at", "2026-09-02 11:00")
    refused(cli, db_path, "assign", number, "--handler", "赵六", "--dept", "运营部", "--at", "2026-09-02 11:30",
            rule="CSA 9.4", says="entry 3 already records the assignment")
    # Another department is another fact: a real reassignment.
    cli("assign", number, "--handler", "赵六", "--dept", "合规部", "--at", "2026-09-02 11:30")
    assert [a["dept"] for a in show(cli, number)["assignments"]] == ["运营部", "合规部"]


def test_the_same_note_twice_the_same_day_is_refused_but_not_the_next_day(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("note", number, "电话核实", "--at", "2026-09-01 15:00")
    refused(cli, db_path, "note", number, "电话核实", "--at", "2026-09-01 17:00", rule="CSA 9.4",
            says="entry 2 already records the note")
    cli("note", number, "电话核实", "--at", "2026-09-02 09:00")
    assert len(show(cli, number)["notes"]) == 2


def test_a_new_attempt_after_an_unreachable_one_is_not_a_repeat(cli):
    number = resolved(cli)
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-09-11 10:00")
    cli("callback", number, "--outcome", "unreachable", "--at", "2026-09-11 15:00")
    assert [c["outcome"] for c in show(cli, number)["callbacks"]] == ["unreachable", "unreachable"]


# -- 1. void ----------------------------------------------------------------------------------------------

def test_a_voided_callback_stays_on_record_marked_and_counts_nowhere(cli, monkeypatch):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")  # entry 5
    assert show(cli, number)["deadlines"][-1]["met_at"] is not None
    out = cli("void", number, "5", "--reason", "回访记在了错误的投诉上", "--at", "2026-09-11 11:00").stdout
    assert out.startswith(f"{number} entry voided: resolved; callback due 2026-09-14")
    record = show(cli, number)
    assert record["callbacks"] == []
    assert record["events"][4]["voided"] == {"at": "2026-09-11T11:00:00+08:00", "by": "王芳",
                                             "reason": "回访记在了错误的投诉上"}
    assert kinds(record)[-2:] == [(5, "called_back", True), (6, "voided", False)]
    callback = [d for d in record["deadlines"] if d["kind"] == "callback"][0]
    assert callback["due"] == "2026-09-14" and callback["met_at"] is None
    text = cli("show", number).stdout
    line = [t for t in text.splitlines() if t.startswith("  5. ")][0]
    assert line.startswith("  5. 2026-09-11 10:00  callback by 王芳")
    assert line.endswith(": content  [VOIDED 2026-09-11 11:00 by 王芳: 回访记在了错误的投诉上]")
    line = [t for t in text.splitlines() if t.startswith("  6. ")][0]
    assert line.startswith("  6. 2026-09-11 11:00  voided by 王芳")
    assert line.endswith(": entry 5 (callback): 回访记在了错误的投诉上")
    # warn owes the callback again, as of the day after
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-14 09:00")
    assert "callback" in cli("warn", "--as-of", "2026-09-14").stdout
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-14 08:50")
    assert cli("verify").exit_code == 0


def test_an_entry_that_later_entries_rest_on_is_voided_only_after_them(cli, db_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")  # entry 5
    refused(cli, db_path, "void", number, "4", "--reason", "结果录错", rule="CSA 9.4",
            says=f"entry 4 of {number} (the resolution) cannot be voided before what rests on it: entry 5 (the callback); "
                 "void those first")
    refused(cli, db_path, "void", number, "2", "--reason", "x", rule="CSA 9.4",
            says="cannot be voided before what rests on it: entry 3 (the assignment)")
    cli("void", number, "5", "--reason", "回访录错")
    cli("void", number, "4", "--reason", "结果录错")
    record = show(cli, number)
    assert record["status"] == "assigned" and "resolution" not in record
    completion = [d for d in record["deadlines"] if d["kind"] == "completion"][0]
    assert completion["due"] == "2026-09-30" and completion["met_at"] is None
    assert cli("verify").exit_code == 0


def test_a_closed_complaint_is_reopened_only_by_voiding_its_closing_first(cli, db_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")  # entry 5
    cli("close", number, "--at", "2026-09-11 11:00")  # entry 6
    refused(cli, db_path, "void", number, "5", "--reason", "x", rule="CSA 9.4", says="entry 6 (closing)")
    cli("void", number, "6", "--reason", "归档过早")
    assert show(cli, number)["status"] == "resolved"


def test_voiding_the_registration_voids_the_complaint_and_keeps_its_number(cli, tmp_path, monkeypatch):
    first = register(cli, "2026-09-01 10:00")
    result = cli("register", "--received-at", "2026-09-01 10:00", *REGISTER_MINIMAL, *FULL_FACTS)
    twice = result.stdout.strip()  # the same complaint, typed twice: told, not refused
    assert (f"{first} holds the same complainant's same request, received the same day; if {twice} was registered "
            f"twice by mistake, void it: `complaintctl void {twice} 1 --reason ...`") in result.stderr
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-01 10:30")
    cli("void", twice, "1", "--reason", f"重复登记，同{first}")
    record = show(cli, twice)
    assert record["status"] == "voided" and record["deadlines"] == []
    assert cli("show", twice).stdout.startswith(f"{twice}  voided")
    assert register(cli, "2026-09-01 10:20") == "TS-2026-0003"  # the number stays taken
    result = cli("accept", twice, ok=False)
    assert result.exit_code == 1 and f"{twice}'s registration was voided" in result.stderr
    # counts nowhere: not owed in warn, not in the month's report
    assert twice not in cli("warn", "--as-of", "2026-09-01").stdout
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    numbers = [row[0].value for row in wb["投诉台账"].iter_rows(min_row=2) if row[0].value]
    assert twice not in numbers and first in numbers and "TS-2026-0003" in numbers
    assert cli("verify").exit_code == 0


def test_the_respondent_may_not_void(cli, db_path):
    number = resolved(cli)
    refused(cli, db_path, "void", number, "4", "--reason", "x", "--by", "李四", rule="CSA 7.7",
            says="the person voiding it (--by) 李四 is the respondent")


def test_a_void_is_never_voided_and_an_entry_is_voided_once(cli, db_path):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")  # entry 5
    cli("void", number, "5", "--reason", "录错")  # entry 6
    refused(cli, db_path, "void", number, "6", "--reason", "撤销作废", rule="CSA 9.4",
            says=f"entry 6 of {number} is a void; a void is never voided")
    refused(cli, db_path, "void", number, "5", "--reason", "again", rule="CSA 9.4",
            says=f"entry 5 of {number} (the callback) was already voided")
    refused(cli, db_path, "void", number, "9", "--reason", "x", rule="CSA 9.4",
            says=f"{number} has no entry 9: its timeline has entries 1 to 6")
    refused(cli, db_path, "void", number, "5", "--reason", " ", rule="CSA 9.4", says="a void needs --reason")


def test_a_void_dated_before_the_entry_it_voids_is_refused(cli, db_path):
    number = resolved(cli)
    refused(cli, db_path, "void", number, "4", "--reason", "x", "--at", "2026-09-10 14:00", rule="CSA 9.4",
            says="the void dated 2026-09-10 14:00 is before the entry it voids (2026-09-10 15:00)")


def test_a_letter_sent_on_a_voided_entry_is_named(cli, tmp_path):
    cli("config", "set", "branch", "深圳某某路证券营业部")
    reachable(cli)
    for key, value in (("branch-phone", "0755-83210000"), ("branch-address", "深圳市福田区"), ("contact", "王芳")):
        cli("config", "set", key, value)
    number = resolved(cli)
    cli("letter", "opinion", number, "--out", tmp_path / "opinion.docx", "--sent-via", "letter",
        "--at", "2026-09-10 16:00")
    result = cli("void", number, "4", "--reason", "结果录错")
    assert "投诉处理意见书 sent 2026-09-10" in result.stderr
    assert "stated what entry 4 recorded" in result.stderr


# -- into a period already exported ---------------------------------------------------------------

def test_a_void_into_an_exported_month_needs_a_late_reason_and_the_re_export_names_it(cli, db_path, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-01 12:00")
    first = register(cli, "2026-09-01 10:00")
    twice = register(cli, "2026-09-01 10:00")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "a.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-21 09:00")
    refused(cli, db_path, "void", twice, "1", "--reason", "重复登记", rule="CSA 9.4",
            says=f"{twice}: entry 1 (the registration) is dated 2026-09-01, within 2026-09, whose report was "
                 "exported on 2026-10-09 by 王芳; voiding it changes those figures: give --late-reason")
    cli("void", twice, "1", "--reason", f"重复登记，同{first}", "--late-reason", "复核台账时发现")
    out = cli("report", "--month", "2026-09", "--out", tmp_path / "b.xlsx").stdout
    assert "changed since the export of 2026-10-09 09:00 by 王芳:" in out
    assert "    本期接收投诉: 2 → 1" in out
    assert (f"{twice} void of entry 1 (registered) dated 2026-09-01 10:00, entered 2026-10-21 09:00 by 王芳: "
            f"重复登记，同{first}（复核台账时发现）") in out
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    rows = [[c for c in row] for row in wb["补录与更正"].iter_rows(values_only=True)]
    listed = [row for row in rows if str(row[0]).endswith(twice)]
    assert listed and listed[0][1] == "作废：登记（第1条）"
    assert listed[0][5] == f"重复登记，同{first}（复核台账时发现）"
    assert cli("verify").exit_code == 0


def test_a_void_typed_the_same_day_is_listed_in_the_month_it_corrects(cli, tmp_path, monkeypatch):
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-09-11 11:00")
    cli("void", number, "5", "--reason", "回访录错")  # dated and typed on 09-11: no late entry, still a correction
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    listed = [row for row in wb["补录与更正"].iter_rows(values_only=True) if str(row[0]).endswith(number)]
    assert [row[1] for row in listed if row[1].startswith("作废")] == ["作废：回访（第5条）"]


def test_a_refused_void_changes_nothing(cli, db_path):
    number = resolved(cli)
    before = dump(db_path)
    assert cli("void", number, "4", "--reason", "x", "--by", "李四", ok=False).exit_code == 1
    assert cli("void", number, "0", "--reason", "x", ok=False).exit_code == 1
    assert cli("void", number, "x", "--reason", "x", ok=False).exit_code == 2
    assert dump(db_path) == before


def test_voiding_a_receipt_correction_that_later_entries_come_before_is_refused(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("amend", number, "--received-at", "2026-09-01 09:00", "--reason", "来电记录显示 9 点来电")  # entry 2
    cli("note", number, "9点半回拨客户", "--at", "2026-09-01 09:30")  # entry 3: before the first receipt
    refused(cli, db_path, "void", number, "2", "--reason", "x", rule="CSA 9.4",
            says=f"voiding entry 2 of {number} puts its receipt back to 2026-09-01 10:00, after entry 3")
    cli("void", number, "3", "--reason", "回拨记在了错误的投诉上")
    cli("void", number, "2", "--reason", "9 点的来电是另一位客户")
    assert show(cli, number)["received_at"] == "2026-09-01T10:00:00+08:00"


# -- what a review found (issue 42): each a void that would have broken a rule still standing --------------

def test_the_investigation_that_set_a_measure_is_voided_only_after_the_rectification(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    cli("investigate", number, "--improvement", "复核流程", "--improvement-owner", "运营部", "--improvement-due",
        "2026-12-31", "--at", "2026-09-03 10:00")  # entry 4
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-09-10 15:00")  # entry 5
    cli("rectified", number, "--note", "已整改", "--at", "2026-09-11 10:00")  # entry 6
    refused(cli, db_path, "void", number, "4", "--reason", "错", rule="CSA 9.4",
            says="cannot be voided before what rests on it: entry 6 (the rectification)")
    cli("void", number, "6", "--reason", "尚未整改")
    assert show(cli, number)["rectification"].get("done_at") is None


def test_a_re_export_after_voiding_a_rectification_names_it(cli, tmp_path, monkeypatch):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    cli("investigate", number, "--improvement", "复核流程", "--improvement-owner", "运营部", "--improvement-due",
        "2026-12-31", "--at", "2026-09-03 10:00")
    cli("rectified", number, "--note", "已整改", "--at", "2026-09-11 10:00")  # entry 5
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "a.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-21 09:00")
    cli("void", number, "5", "--reason", "尚未整改", "--late-reason", "复核发现")
    out = cli("report", "--month", "2026-09", "--out", tmp_path / "b.xlsx").stdout
    assert f"{number} void of entry 5 (rectification done) dated 2026-09-11 10:00" in out


def test_voiding_a_receipt_correction_that_moves_the_complaint_into_an_exported_month_needs_a_reason(
        cli, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-02 10:00")
    number = cli("register", "--received-at", "2026-10-30 09:00", "--at", "2026-11-02 09:00", *REGISTER_MINIMAL,
                 *FULL_FACTS).stdout.strip()  # typed in on 11-02, the receipt written down as 10-30
    cli("amend", number, "--received-at", "2026-11-01 09:00", "--reason", "记错了日期")  # entry 2: out of October
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-05 10:00")
    cli("report", "--month", "2026-10", "--out", tmp_path / "a.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 10:00")
    refused(cli, db_path, "void", number, "2", "--reason", "原日期无误", rule="CSA 9.4",
            says=f"{number}: voiding entry 2 (the amendment) moves the receipt to or from 2026-10-30, within 2026-10, "
                 "whose report was exported on 2026-11-05")
    cli("void", number, "2", "--reason", "原日期无误", "--late-reason", "复核发现")
    out = cli("report", "--month", "2026-10", "--out", tmp_path / "b.xlsx").stdout
    assert "    本期接收投诉: 0 → 1" in out
    assert f"{number} void of entry 2 (amended)" in out


def test_the_amendment_an_acceptance_stands_on_is_voided_only_after_the_acceptance(cli, db_path):
    result = cli("register", "--received-at", "2026-09-01 10:00", "--at", "2026-09-01 10:00", *REGISTER_MINIMAL)
    number = result.stdout.strip()
    cli("amend", number, *FULL_FACTS, "--at", "2026-09-01 11:00")  # entry 2
    cli("accept", number, "--at", "2026-09-02 10:00")  # entry 3
    refused(cli, db_path, "void", number, "2", "--reason", "错", rule="CSA 9.1.2(b), Firm 15",
            says=f"entry 2 of {number} gave")
    cli("void", number, "3", "--reason", "受理过早")
    cli("void", number, "2", "--reason", "资料记错")
    assert show(cli, number)["status"] == "received"


def test_an_approval_a_result_or_a_later_extension_stands_on_is_voided_after_them(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    cli("approve", number, "compensation", "--by", "刘总", "--amount", "500", "--at", "2026-09-03 10:00")  # 4
    cli("resolve", number, "--result", "已补偿", *RESOLVE, "--compensation", "500", "--at", "2026-09-10 15:00")
    refused(cli, db_path, "void", number, "4", "--reason", "审批记错", rule="CSA 9.4",
            says="cannot be voided before what rests on it: entry 5 (the resolution)")


def test_an_earlier_extension_is_voided_only_after_the_later_one(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-02 11:00")
    cli("extend", number, "--days", "10", "--reason", "调取录音", "--approved-by", "刘总", "--notified-via",
        "phone", "--at", "2026-09-20 10:00")  # entry 4: due 09-30 → 10-21 (National Day 10-01…10-07)
    cli("extend", number, "--days", "5", "--reason", "再调取", "--approved-by", "刘总", "--notified-via",
        "phone", "--at", "2026-09-21 10:00")  # entry 5
    refused(cli, db_path, "void", number, "4", "--reason", "错", rule="CSA 9.4",
            says="cannot be voided before what rests on it: entry 5 (the extension request)")


def test_the_same_extension_twice_the_same_day_is_refused_and_a_handler_assigned_back_is_not(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("accept", number, "--at", "2026-09-02 10:00")
    cli("assign", number, "--handler", "赵六", "--dept", "运营部", "--at", "2026-09-02 11:00")
    cli("assign", number, "--handler", "钱七", "--dept", "运营部", "--at", "2026-09-02 12:00")
    cli("assign", number, "--handler", "赵六", "--dept", "运营部", "--at", "2026-09-02 15:00")  # back: real
    extend = ["extend", number, "--days", "5", "--reason", "调取录音", "--approved-by", "刘总", "--notified-via",
              "phone"]
    cli(*extend, "--at", "2026-09-20 10:00")  # entry 6
    refused(cli, db_path, *extend, "--at", "2026-09-20 10:05", rule="CSA 9.4",
            says="entry 6 already records the extension request")


def test_a_voided_complaint_holds_no_ticket_and_is_no_original_of_a_repeat(cli, db_path):
    transfer = ["--channel", "regulator", "--source", "12386", "--transfer-no", "202609010001"]
    first = register(cli, "2026-09-01 10:00", *transfer)
    cli("accept", first, "--at", "2026-09-02 10:00")
    cli("void", first, "1", "--reason", "登记在了错误的营业部")
    again = cli("register", "--received-at", "2026-09-01 10:00", "--at", "2026-09-01 10:30", *REGISTER_MINIMAL,
                *FULL_FACTS, *transfer)
    assert "already held" not in again.stderr
    repeat = again.stdout.strip()
    refused(cli, db_path, "reject", repeat, "--reason", "duplicate", "--original", first, "--notified-via",
            "phone", "--at", "2026-09-02 11:00", rule="CSA 9.1.1(c)", says=f"--original {first} was never accepted")


def test_voiding_a_re_complaint_names_the_link_on_its_original(cli):
    number = resolved(cli)
    cli("callback", number, "--outcome", "dissatisfied", "--advised", "mediation", "--recomplain",
        "--at", "2026-09-11 10:00")
    child = show(cli, number)["recomplaints"][0]
    result = cli("void", child, "1", "--reason", "客户并未再投诉")
    assert f"{child} was the re-complaint of {number}, whose timeline still links it" in result.stderr
    cli("void", number, "6", "--reason", "再投诉记错")
    assert show(cli, number).get("recomplaints", []) == []


def test_voiding_a_callback_names_the_record_form_sent_with_it(cli, tmp_path):
    cli("config", "set", "branch", "深圳某某路证券营业部")
    reachable(cli)
    number = resolved(cli)
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-09-11 10:00")  # entry 5
    cli("letter", "record", number, "--out", tmp_path / "record.docx", "--sent-via", "letter",
        "--at", "2026-09-11 11:00")
    result = cli("void", number, "5", "--reason", "回访记错")
    assert "客户投诉登记及处理单 sent 2026-09-11" in result.stderr


def test_a_ticket_typed_another_way_at_register_is_told_as_held(cli):
    first = register(cli, "2026-09-01 10:00", "--channel", "regulator", "--source", "12386",
                     "--transfer-no", "202609010001")
    for typed in ("12386-202609010001", "２０２６０９０１０００１", "2026 0901 0001"):
        result = cli("register", "--received-at", "2026-09-01 10:00", "--at", "2026-09-01 10:30",
                     *REGISTER_MINIMAL, "--channel", "regulator", "--source", "12386", "--transfer-no", typed)
        told = [line for line in result.stderr.splitlines() if "is already held by" in line]
        assert told and f"{first}" in told[0], typed
    assert show(cli, "TS-2026-0003")["transfer_no"] == "202609010001"  # the full-width one, stored plain


def test_voiding_todays_entry_of_a_complaint_received_in_an_exported_month_needs_no_late_reason(
        cli, tmp_path, monkeypatch):
    number = resolved(cli)  # received 2026-09-01, resolved 09-10
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-09 09:00")
    cli("report", "--month", "2026-09", "--out", tmp_path / "a.xlsx")
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-10-09 08:30", "--late-reason", "回访单迟交")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-10-12 09:00")
    cli("note", number, "电话回访记录", "--at", "2026-10-12 08:00")  # entry 6, in October: not exported
    assert cli("void", number, "6", "--reason", "记错了投诉").exit_code == 0
