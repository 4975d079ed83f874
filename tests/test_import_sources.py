"""`import` of a real branch's files (issue 29): one sheet a year with 序号 restarting, a 12386 export that
overlaps the ledger, a WPS-saved CSV, the office's own words, and rows that changed since.

The sample files are written by sample_data/make_legacy.py (see there for each row's story); the smaller
files are built here, each for the one point it shows. Every expected figure was counted by hand from
the files' rows.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import dump, ledger_rows, table_rows

ROOT = Path(__file__).resolve().parent.parent
BRANCH = ROOT / "sample_data" / "branch-ledger.xlsx"
EXPORT = ROOT / "sample_data" / "12386-export-2025.csv"
WPS = ROOT / "sample_data" / "branch-ledger-2025-wps.csv"
HEADER = ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容", "是否受理", "受理时间", "处理人", "处理结果", "办结日期",
          "回访日期", "回访结果"]


@pytest.fixture(autouse=True)
def early_january(monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-01-08 09:00")


def show(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


def numbers(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [n for (n,) in conn.execute("SELECT id FROM complaints ORDER BY id")]
    finally:
        conn.close()


def events(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def recorded(text: str) -> list[str]:
    """The dump but for the audit events of the to-fix files written (CSA 7.8): what the imports recorded."""
    return [line for line in text.splitlines() if "'unmasked'" not in line and "sqlite_sequence" not in line]


def sheet(path: Path, *tables: tuple[str, list[list]]) -> Path:
    """A workbook of the given sheets, each a header row and its rows, under a merged title and subtitle."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in tables:
        ws = book.create_sheet(title)
        ws.append([f"营业部投诉台账 {title}"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        ws.append(["填表人：王芳"])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(rows[0]))
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def the_branch_in_full(cli, tmp_path) -> None:
    """As the README walks through it: both sheets, the one bad row fixed, the 12386 export, the year-end copy."""
    cli("import", BRANCH, "--sheet", "2024年")
    fix = tmp_path / "fix.xlsx"
    cli("import", BRANCH, "--sheet", "2025年", "--skip-bad", fix)
    book = openpyxl.load_workbook(fix)
    book.active["E2"] = "445202195610137024"  # typed again from the paper form, as text
    book.save(fix)
    cli("import", fix)
    cli("import", EXPORT)
    cli("import", WPS, "--update")


# -- 1. the identity of a row ----------------------------------------------------------------------


def test_each_years_sheet_restarts_its_numbering_and_neither_is_refused_nor_doubled(cli, db_path, tmp_path):
    first = cli("import", BRANCH, "--sheet", "2024年")
    assert "imported 6 complaint(s) from branch-ledger.xlsx (TS-2024-0001 … TS-2024-0006)" in first.stdout
    second = cli("import", BRANCH, "--sheet", "2025年", "--skip-bad", tmp_path / "fix.xlsx")
    # 序号 1 … 7 again: six new complaints of 2025 (row 5 is bad), none taken for a 2024 one
    assert "imported 6 complaint(s) from branch-ledger.xlsx (TS-2025-0001 … TS-2025-0006)" in second.stdout
    assert "changed since" not in second.stdout and "kept as the ledger has it" not in second.stderr
    assert (show(cli, "TS-2025-0001")["original_no"], show(cli, "TS-2025-0001")["original_scope"]) == ("1", 2025)
    before = dump(db_path)
    for name in ("2024年", "2025年"):
        again = cli("import", BRANCH, "--sheet", name, "--skip-bad", tmp_path / f"again-{name}.xlsx")
        assert "complaint(s) from" not in again.stdout
    assert recorded(dump(db_path)) == recorded(before)


def test_a_file_without_numbers_imported_twice_records_nothing_the_second_time(cli, db_path, tmp_path):
    data = tmp_path / "no-numbers.csv"
    data.write_text("投诉时间,投诉人,联系电话,投诉内容\n2025-03-03 10:00,王五,13512345678,要求解释扣费\n"
                    "2025-03-04 11:00,赵七,13612345678,要求退费\n", encoding="utf-8")
    assert "imported 2 complaint(s)" in cli("import", data).stdout
    resaved = tmp_path / "resaved.csv"  # the same rows, saved again in another order: another file
    resaved.write_text("投诉时间,投诉人,联系电话,投诉内容\n2025-03-04 11:00,赵七,13612345678,要求退费\n"
                       "2025-03-03 10:00,王五,13512345678,要求解释扣费\n", encoding="utf-8")
    before = dump(db_path)
    for path in (data, resaved):
        assert "2 row(s) were imported before and are unchanged" in cli("import", path).stdout
    assert dump(db_path) == before and numbers(db_path) == ["TS-2025-0001", "TS-2025-0002"]


def test_the_same_number_twice_in_one_sheet_is_a_bad_row_not_a_merge(cli, db_path, tmp_path):
    data = tmp_path / "twice.csv"
    data.write_text("序号,投诉时间,投诉人,联系电话,投诉内容\n1,2025-03-03 10:00,王五,13512345678,要求解释扣费\n"
                    "1,2025-03-05 10:00,赵七,13612345678,要求退费\n", encoding="utf-8")
    before = dump(db_path)
    result = cli("import", data, ok=False)
    assert result.exit_code == 1
    assert "row 3, 1 is also on row 2 of this file (TS-2025-0001); each complaint is one row" in result.stderr
    assert dump(db_path) == before


# -- 2. and 3. a 12386 export: what it is, and one complaint from two sources ---------------------------


@pytest.mark.backends
def test_a_12386_export_merges_into_the_complaints_it_shares_with_the_ledger(cli, db_path, tmp_path):
    cli("import", BRANCH, "--sheet", "2025年", "--skip-bad", tmp_path / "fix.xlsx")
    result = cli("import", EXPORT)
    assert "imported 3 complaint(s) from 12386-export-2025.csv (TS-2025-0007 … TS-2025-0009)" in result.stdout
    assert result.stdout.count("merged into") == 3
    assert "row 3 (12386-20250402-0021) merged into TS-2025-0002: 监管回复期限 2025-04-22，监管转办回复 2025-04-25" \
        in result.stdout
    assert "row 6 (12386-20251020-0233) merged into TS-2025-0005: 监管回复期限 2025-11-14" in result.stdout
    assert result.stderr == ""  # the platform words a result its own way: not a disagreement
    shared = show(cli, "TS-2025-0002")
    assert shared["reply_due"] == "2025-04-22" and shared["regulator_replied_at"] == "2025-04-25T00:00:00+08:00"
    assert shared["regulator_reply"]["note"] == "营业部已补发提醒并调整展期，投资者表示认可"
    assert shared["handler"] == "周志强" and shared["received_at"] == "2025-04-02T10:15:00+08:00"  # the ledger's own
    assert "regulator_reply" not in shared["unrecorded"]
    before = dump(db_path)
    assert "6 row(s) were imported before and are unchanged" in cli("import", EXPORT).stdout
    assert dump(db_path) == before
    assert len(cli("list").stdout.splitlines()) == 9  # 6 of the ledger + 3 tickets only the platform has: not 12


def test_every_row_of_a_12386_export_is_a_transfer_with_the_platforms_reply_date(cli):
    mapped = json.loads(cli("import", "--show-map", EXPORT, "--json").stdout)
    assert mapped["kind"] == "12386"
    assert {c["header"]: c["field"] for c in mapped["columns"]} == {
        "工单编号": "transfer_no", "登记时间": "received_at", "转办日期": "transferred_at", "投诉人": "name",
        "联系电话": "phone", "投诉内容": "request", "业务类别": "category", "办理时限": "reply_due",
        "办理状态": "transfer_status", "回复内容": "reply", "回复时间": "replied_at"}
    cli("import", EXPORT)
    tickets = [show(cli, f"TS-2025-000{n}") for n in range(1, 7)]
    assert {(t["channel"], t["source"]) for t in tickets} == {("regulator", "12386")}
    first = tickets[0]  # 12386-20250312-0009: transferred 03-12, to be answered by 03-28 (12 trading days)
    assert first["received_at"] == "2025-03-12T00:00:00+08:00"  # the branch's receipt: the 转办日期
    assert first["reply_due"] == "2025-03-28" and first["status"] == "closed"
    # Answered: its result is the reply, on the reply's day; its acceptance is known to have happened, not when.
    assert first["resolution"]["result"] == "已向投资者说明利率调整依据"
    assert first["resolved_at"] == first["regulator_replied_at"] == "2025-03-26T00:00:00+08:00"
    assert "accepted_at" in first["unrecorded"] and "callback" in first["unrecorded"]
    handled = tickets[4]  # 12386-20251020-0233, 办理中: accepted (when, not recorded), still open
    assert (handled["transfer_no"], handled["status"]) == ("12386-20251020-0233", "accepted")
    assert handled["reply_due"] == "2025-11-14"
    due = {d["kind"]: d["due"] for d in json.loads(cli("show", "TS-2025-0005", "--json").stdout)["deadlines"]}
    assert due["regulator_reply"] == "2025-11-14"  # the platform's own date, before the 20 trading days


def test_the_report_counts_an_unrecorded_acceptance_apart_never_as_on_time(cli, tmp_path):
    cli("import", EXPORT)
    out = tmp_path / "r.xlsx"
    cli("report", "--year", "2025", "--out", out)
    book = openpyxl.load_workbook(out)
    headline = {r[0]: r[1:3] for r in book["汇总"].iter_rows(values_only=True) if r[0] in ("受理及时率", "本期受理")}
    assert headline["受理及时率"] == ("—", "截至统计时点应作出的受理决定 0 件（本期作出 6 件，已过期限仍未作出 0 件，"
                                       "期限未到的不计）中，按期作出 0 件（CSA 9.1.2(a)）；受理时间未记载的 6 件不计")
    first = ledger_rows(book)[0]
    assert (first["受理决定"], first["受理决定日期"], first["投诉渠道"]) == ("受理", "未记载", "监管转办")


# -- 4. nothing invented ------------------------------------------------------------------------------


def test_each_step_is_told_by_the_old_ledgers_own_person_or_as_not_recorded(cli, tmp_path):
    data = tmp_path / "people.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容,受理人,受理时间,处理人,处理结果,办结日期,回访日期,回访结果,回访人\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,要求解释扣费,张三,2025-03-04,刘静,已解释,2025-03-10,"
                    "2025-03-12,满意,李娜\n"
                    "K-2,2025-03-05,赵七,13612345678,要求退费,,2025-03-06,刘静,已退费,2025-03-11,,,\n",
                    encoding="utf-8")
    cli("import", data)
    named = show(cli, "TS-2025-0001")
    assert (named["accepted_by"], named["resolved_by"], named["callbacks"][0]["by"]) == ("张三", "刘静", "李娜")
    assert named["closed_by"] == "未记载" and named["imported"]["by"] == "王芳"  # the importer, apart
    unnamed = show(cli, "TS-2025-0002")
    assert unnamed["accepted_by"] == "未记载" and unnamed["acceptor"] is None
    assert "callback" in unnamed["unrecorded"]  # not a missed callback
    text = cli("show", "TS-2025-0002").stdout
    assert "accepted by:                     not recorded" in text
    assert "王芳" not in text.replace("(imported by 王芳)", "")  # never "accepted by" the person importing
    assert "2025-03-05        registered by not recorded (imported by 王芳)" in text  # a day, not 00:00
    assert "time received:                   2025-03-05\n" in text
    deadlines = {d["kind"] for d in json.loads(cli("show", "TS-2025-0002", "--json").stdout)["deadlines"]}
    assert "callback" not in deadlines  # nothing owed that the old ledger does not tell of


def test_a_callback_the_file_does_not_record_is_counted_apart_from_a_missed_one(cli, tmp_path):
    data = tmp_path / "callbacks.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容,受理时间,处理人,处理结果,办结日期,回访日期,回访结果\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,要求解释扣费,2025-03-04,刘静,已解释,2025-03-10,2025-03-12,满意\n"
                    "K-2,2025-03-05 10:00,赵七,13612345678,要求退费,2025-03-06,刘静,已退费,2025-03-11,,\n",
                    encoding="utf-8")
    cli("import", data)
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2025-03", "--out", out)
    book = openpyxl.load_workbook(out)
    rates = {r[0]: r[1:3] for r in book["汇总"].iter_rows(values_only=True) if r[0] == "回访及时率"}
    assert rates["回访及时率"] == (1, "回访期限在本期、截至统计时点已到期的 1 件（按期、超期回访或已过期限仍未回访，期限未到的"
                                   "不计）中，按期回访 1 件（未能联系的尝试不算回访；期限当日尚未回访的不计）；原台账未记载回访的 1 件不计")
    rows = ledger_rows(book)
    assert rows[1]["回访结果"] == "未记载"
    assert table_rows(book["超期与延期"]) == []
    detail = rows[0]
    assert detail["接收时间"].hour == 10 and book["投诉台账"]["C2"].number_format == "yyyy-mm-dd hh:mm"


def test_a_date_without_a_time_prints_as_the_day(cli, tmp_path):
    data = tmp_path / "day.csv"
    data.write_text("接收时间,投诉人,联系电话,投诉内容\n2025-03-05,赵七,13612345678,要求退费\n", encoding="utf-8")
    cli("import", data)
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2025-03", "--out", out)
    ws = openpyxl.load_workbook(out)["投诉台账"]
    headers = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=headers.index("接收时间") + 1)
    assert cell.number_format == "yyyy-mm-dd" and cell.value.date().isoformat() == "2025-03-05"


# -- 5. facts find their field ----------------------------------------------------------------------------


def test_a_group_row_is_a_group_and_major_complaint(cli):
    cli("import", BRANCH, "--sheet", "2024年")
    group = show(cli, "TS-2024-0004")  # 王建国等12人
    assert (group["name"], group["complainants"], group["group"], group["major"]) == ("王建国", 12, True, True)
    assert group["major_reason"] == "group-or-repeated" and "escalation" in group["unrecorded"]


def test_a_group_told_only_in_the_notes_is_a_group(cli, tmp_path):
    data = tmp_path / "notes.csv"
    data.write_text("接收时间,投诉人,联系电话,投诉内容,备注\n2025-03-05 10:00,赵七,13612345678,要求退费,群体投诉，共15人\n"
                    "2025-03-06 10:00,钱八,13612345679,要求退费,共3人来访\n", encoding="utf-8")
    cli("import", data)
    assert show(cli, "TS-2025-0001")["complainants"] == 15 and show(cli, "TS-2025-0001")["group"] is True
    assert show(cli, "TS-2025-0002")["complainants"] == 1  # "共3人" without 群体: not a count of complainants


def test_a_refusals_notice_and_its_reason_written_in_the_result_are_kept(cli):
    cli("import", BRANCH, "--sheet", "2024年")
    refused = show(cli, "TS-2024-0003")
    assert refused["status"] == "rejected" and refused["rejection"]["notified_via"] == "phone"
    assert refused["rejection"]["note"] == "同一事实已于2024年5月答复，不予受理"
    assert "reject_notified_via" not in refused["unrecorded"]


def test_an_institutions_credit_code_goes_to_its_field(cli, tmp_path):
    data = tmp_path / "org.csv"
    data.write_text("接收时间,投诉人,机构名称,统一社会信用代码,联系电话,投诉内容\n"
                    "2025-03-05 10:00,赵七,深圳某某科技有限公司,91440300MA5DC0HX4R,13612345678,要求退费\n",
                    encoding="utf-8")
    cli("import", data)
    company = show(cli, "TS-2025-0001")
    assert (company["institution"], company["uscc"]) == ("深圳某某科技有限公司", "91440300MA5DC0HX4R")
    data.write_text(data.read_text(encoding="utf-8").replace("HX4R", "HX4W").replace("2025-03-05", "2025-03-06"),
                    encoding="utf-8")
    wrong = cli("import", data, ok=False)  # a wrong check character: refused in its own column
    assert wrong.exit_code == 1 and wrong.stderr.startswith("row 2, 统一社会信用代码: ")


@pytest.mark.parametrize("cell", [445202195610137000, 4.45202195610137e17, "4.45202E+17"])
def test_an_id_that_excel_stored_as_a_number_is_refused_not_rounded(cli, db_path, tmp_path, cell):
    path = sheet(tmp_path / "ids.xlsx", ("2025", [["投诉时间", "投诉人", "证件号码", "联系电话", "投诉内容"],
                                                  ["2025-02-14 15:00", "周强", cell, "13822223333", "要求解除账户限制"]]))
    before = dump(db_path)
    result = cli("import", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("row 4, 证件号码: Excel stored this ID as a number and lost digits; format "
                                             "the column as text and type the number again")
    assert dump(db_path) == before


# -- 6. the office's words -----------------------------------------------------------------------------


def test_the_offices_own_words_are_understood(cli, tmp_path):
    data = tmp_path / "words.csv"
    data.write_text("接收时间,投诉人,证件类型,证件号码,联系电话,投诉方式,投诉渠道,投诉内容,是否受理,受理时间,处理人,处理结果,"
                    "办结日期,回访日期,回访结果,被投诉人\n"
                    "2025-03-03 10:00,王五,身份证,11010519491231002X,13512345678,来电,客户直接投诉,要求解释扣费,√,2025-03-04,"
                    "刘静,已解释,2025-03-10,2025-03-12,基本满意,/\n"
                    "2025-03-05 10:00,赵七,-,-,13612345678,来访,客户直接投诉,要求退费,√,2025-03-06,刘静,已退费,2025-03-11,"
                    "2025-03-13,未接通,-\n", encoding="utf-8")
    cli("import", data)
    first, second = show(cli, "TS-2025-0001"), show(cli, "TS-2025-0002")
    assert (first["method"], first["channel"], first["id_type"]) == ("phone", "direct", "id_card")
    assert first["callbacks"][0]["outcome"] == "satisfied" and "respondent" not in first
    assert second["method"] == "onsite" and second["callbacks"][0]["outcome"] == "unreachable"
    assert "id_number" not in second and "respondent" not in second  # "-" and "/": nothing written


def test_a_map_translates_the_values_of_any_other_word(cli, tmp_path):
    data = tmp_path / "own.csv"
    data.write_text("接收时间,投诉人,联系电话,投诉方式,投诉内容,回访结果,受理时间,处理结果,办结日期,回访日期\n"
                    "2025-03-03 10:00,王五,13512345678,电联,要求解释扣费,认可,2025-03-04,已解释,2025-03-10,2025-03-12\n",
                    encoding="utf-8")
    refused = cli("import", data, ok=False)
    assert "投诉方式: unknown value '电联'" in refused.stderr and "回访结果: unknown value '认可'" in refused.stderr
    mapping = tmp_path / "map.toml"
    mapping.write_text('[values]\n"电联" = "电话"\n\n[values.callback_outcome]\n"认可" = "满意"\n', encoding="utf-8")
    cli("import", data, "--map", mapping)
    taken = show(cli, "TS-2025-0001")
    assert taken["method"] == "phone" and taken["callbacks"][0]["outcome"] == "satisfied"


# -- 7. fixing in one pass --------------------------------------------------------------------------


def test_every_problem_of_every_row_is_listed(cli, tmp_path):
    rows = ["接收时间,投诉人,证件号码,联系电话,投诉方式,投诉内容"]
    rows += [f"2025-03-{day:02d} 10:00,王五,110105194912310021,13512345678,电联,要求解释扣费" for day in range(1, 26)]
    data = tmp_path / "many.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("import", data, ok=False)
    lines = result.stderr.splitlines()
    assert len(lines) == 26  # 25 rows, each on its own line, and the summary: none cut off after 20
    assert lines[24] == ("row 26, 证件号码: the resident ID number's check digit is wrong; check the number for a typing "
                         "slip (GB 11643); 投诉方式: unknown value '电联'; choose one of onsite (现场), phone (电话), "
                         "letter (信函), online (网络) (CSA 6)")


def test_show_map_names_unfilled_fields_and_map_keys_that_match_no_header(cli, tmp_path):
    data = sheet(tmp_path / "sub.xlsx", ("2025年", [["编号", "日期", "客户", "电话"],
                                                   ["A-1", "2025-02-03", "王五", "13512345678"]]))
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"日期" = "received_at"\n"客户名" = "name"\n', encoding="utf-8")
    shown = json.loads(cli("import", "--show-map", data, "--map", mapping, "--json").stdout)
    assert shown["header_row"] == 3  # under the merged title and the 填表人 subtitle, never either of them
    assert [c["header"] for c in shown["columns"]] == ["编号", "日期", "客户", "电话"]
    assert shown["unfilled"] == ["name", "request"] and shown["unmatched_map_keys"] == ["客户名"]
    text = cli("import", "--show-map", data, "--map", mapping).stdout
    assert "no column fills 投诉人 (name), 投诉内容 (request)" in text and "--map: '客户名' is no header of this file" in text
    refused = cli("import", data, "--map", mapping, ok=False)
    assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 2  # the unused map line, then the refusal
    assert refused.stderr.splitlines()[-1] == (
        "complaintctl: sub.xlsx: no column fills 投诉人 (name), 投诉内容 (request); `import --show-map` shows the "
        "columns, and --map names the one that holds it")


def test_a_row_fixed_in_the_to_fix_file_counts_as_done_when_the_original_comes_again(cli, db_path, tmp_path):
    fix = tmp_path / "fix.xlsx"
    cli("import", BRANCH, "--sheet", "2025年", "--skip-bad", fix)
    book = openpyxl.load_workbook(fix)
    header = [c.value for c in book.active[1]]
    assert header[-4:] == ["错误原因", "原行号", "原工作表", "原文件（SHA-256）"]
    book.active["E2"] = "445202195610137024"
    book.save(fix)
    assert "imported 1 complaint(s) from fix.xlsx" in cli("import", fix).stdout
    before = events(db_path)
    again = cli("import", BRANCH, "--sheet", "2025年")  # no --skip-bad needed: nothing is bad any more
    assert "1 bad row(s) were fixed and imported before from the to-fix file: not recorded again" in again.stdout
    assert "6 row(s) were imported before and are unchanged" in again.stdout and events(db_path) == before


# -- 8. a row that changed since ---------------------------------------------------------------------


def test_a_row_completed_since_is_reported_and_recorded_with_update(cli, db_path, tmp_path):
    cli("import", BRANCH, "--sheet", "2025年", "--skip-bad", tmp_path / "fix.xlsx")
    before = dump(db_path)
    told = cli("import", WPS)  # the year-end copy, saved by WPS: GB18030, CRLF
    assert ("row 7 (6) changed since it was imported as TS-2025-0005: 办结 2025-11-14，回访 2025-11-17，归档 2025-11-17; "
            "not recorded (--update records it)") in told.stdout
    assert "row 8 (7) changed since it was imported as TS-2025-0006" in told.stdout
    assert "imported 1 complaint(s) from branch-ledger-2025-wps.csv" in told.stdout  # row 2, bad in the workbook
    assert [line for line in dump(db_path).splitlines() if "TS-2025-0005" in line or "TS-2025-0006" in line] == \
        [line for line in before.splitlines() if "TS-2025-0005" in line or "TS-2025-0006" in line]
    updated = cli("import", WPS, "--update")
    assert ("row 7 (6) changed since it was imported as TS-2025-0005; recorded: 办结 2025-11-14，回访 2025-11-17，"
            "归档 2025-11-17") in updated.stdout
    done = show(cli, "TS-2025-0005")
    assert done["status"] == "closed" and done["resolved_at"] == "2025-11-14T00:00:00+08:00"
    assert done["resolved_by"] == "王芳" and done["callbacks"][0]["by"] == "李娜"
    assert "regulator_reply" in done["unrecorded"]  # the year-end copy does not say the platform was answered
    count = events(db_path)
    third = cli("import", WPS, "--update")
    assert "7 row(s) were imported before and are unchanged" in third.stdout and events(db_path) == count
    assert "ledger OK" in cli("verify").stdout


def test_a_changed_fact_is_reported_never_overwritten(cli, db_path, tmp_path):
    data = tmp_path / "v1.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容,受理时间,处理人,处理结果,办结日期\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,要求解释扣费,2025-03-04,刘静,已解释,2025-03-10\n",
                    encoding="utf-8")
    cli("import", data)
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容,受理时间,处理人,处理结果,办结日期\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,要求解释扣费,2025-03-04,刘静,已解释并退费,2025-03-10\n",
                    encoding="utf-8")
    before = dump(db_path)
    result = cli("import", data, "--update")
    assert result.stderr.splitlines() == [
        "row 2, TS-2025-0001 kept as the ledger has it: 处理结果: the ledger has 已解释, the file 已解释并退费; correct it "
        "by hand (complaintctl amend) if the file is right"]
    assert dump(db_path) == before


# -- the files of a real branch, read as a specialist would, counted by hand -------------------------------


def test_the_2024_and_2025_reports_agree_with_a_count_made_by_hand(cli, tmp_path):
    the_branch_in_full(cli, tmp_path)
    figures = {}
    for year in (2024, 2025):
        out = tmp_path / f"{year}.xlsx"
        cli("report", "--year", str(year), "--out", out)
        summary = openpyxl.load_workbook(out)["汇总"]
        figures[year] = {r[0].strip(): r[1] for r in summary.iter_rows(values_only=True) if isinstance(r[0], str)}
    # 2024: six rows of sheet 2024年; one a 12386 transfer; 王建国等12人 a group; 刘洋 refused; 黄磊 completed in 2025.
    assert [figures[2024][k] for k in ("本期接收投诉", "其中自行接收", "其中监管转办", "本期受理", "本期不予受理",
                                       "本期办结", "期末未办结", "群体投诉", "重大投诉")] == [6, 5, 1, 5, 1, 4, 1, 1, 1]
    # callbacks due in 2024: 张伟 (satisfied), 王建国 (satisfied), 赵敏 (未接通); 陈静's is not in the ledger
    assert [figures[2024][k] for k in ("本期应回访（件）", "满意", "未能联系", "回访及时率")] == [3, 2, 1, 2 / 3]
    # 2025: seven rows of sheet 2025年 and three tickets only the 12386 export has (three more are the same
    # complaints as ledger rows 3, 4, 6): 10, not 13. Regulator transfers: rows 3, 4, 6 and the three tickets.
    assert [figures[2025][k] for k in ("本期接收投诉", "其中自行接收", "其中监管转办", "上期结转", "本期受理", "本期不予受理",
                                       "本期办结", "期末未办结")] == [10, 4, 6, 1, 9, 1, 10, 0]
    # callbacks reached in 2025: rows 1, 2, 3, 6, 7 and 黄磊's (2024 row 6); row 4 and the 3 tickets: not recorded
    assert [figures[2025][k] for k in ("本期应回访（件）", "满意", "回访及时率", "受理及时率")] == [6, 6, 1, 1]
    # two complainants are never one repeat complainant because their complaint came in twice
    analysis = json.loads(cli("analyze", "--year", "2025", "--json").stdout)
    assert analysis["repeat_complainants"]["people"] == []


def test_a_wps_unicode_text_file_reads_as_well(cli, tmp_path):
    data = tmp_path / "wps.txt"
    rows = [HEADER[:5], ["1", "2025-03-03 10:00", "王五", "13512345678", "要求解释扣费"]]
    with data.open("w", encoding="utf-16", newline="") as f:
        csv.writer(f, delimiter="\t", lineterminator="\r\n").writerows(rows)
    assert "imported 1 complaint(s) from wps.txt" in cli("import", data).stdout
