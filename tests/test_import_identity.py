"""`import` puts each fact on its own complaint (issue 43): which row is which complaint, on evidence that
names the complaint, never on a row counter; tickets and IDs read however a spreadsheet kept them; rows
that are not complaints skipped and counted; a workbook form import does not read refused with the hint.

Every file is built here, as branches keep theirs, and imported through the command into a real ledger;
every expected number, name and line was worked out by hand from the rows written.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import ID_OK, dump

# Another valid resident ID (GB 11643's check digit worked by hand: 110105198001011238).
ID_OTHER = "110105198001011238"
EXPORT_HEADER = ["序号", "工单编号", "登记时间", "转办日期", "投诉人", "联系电话", "投诉内容", "办理时限", "办理状态",
                 "回复内容", "回复时间"]


@pytest.fixture(autouse=True)
def early_january(monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-01-08 09:00")


def write_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def workbook(path: Path, *sheets: tuple[str, list[list]]) -> Path:
    """Sheets as an office keeps them: a merged title, a 填表人 subtitle, then the header and the rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        ws.append([f"营业部投诉台账 {title}"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
        ws.append(["填表人：王芳"])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(rows[0]))
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def show(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


def numbers(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [n for (n,) in conn.execute("SELECT id FROM complaints ORDER BY id")]
    finally:
        conn.close()


def registrations(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE kind = 'registered' ORDER BY id")]
    finally:
        conn.close()


# -- 1. a 12386 export's 序号 counts its rows: it names no complaint --------------------------------------------

BRANCH_2025 = [
    ["序号", "投诉时间", "投诉人", "联系电话", "转办单号", "投诉内容"],
    [1, "2025-01-06 09:40", "孙丽", "13600001111", "", "客户经理服务态度差"],
    [2, "2025-02-14 15:00", "周强", "13822223333", "", "要求解除账户限制"],
    [3, "2025-04-02", "吴芳", "13611112222", "12386-20250402-0021", "两融合约展期未提醒"],
    [4, "2025-06-18 14:00", "郑强", "13911112222", "", "开户资料被要求重复提交"],
    [5, "2025-09-09 10:30", "冯雪", "13822229999", "", "营业部停车不便"],
    [6, "2025-11-25 13:20", "罗兰", "15800001111", "", "撤单未成功"],
]
# The platform's export of the same year: its 序号 is 1 … 6 in the order it lists its tickets. Only row 5
# (吴芳's ticket) is a complaint the branch's ledger holds, as its 序号 3.
EXPORT_2025 = [
    EXPORT_HEADER,
    [1, "12386-20250312-0009", "2025-03-11 16:02", "2025-03-12", "马超", "13300001111", "要求解释融资利率调整",
     "2025-03-28", "办理中", "", ""],
    [2, "12386-20250520-0044", "2025-05-19 09:00", "2025-05-20", "钱进", "13300002222", "要求说明佣金构成",
     "2025-06-10", "办理中", "", ""],
    [3, "12386-20250815-0150", "2025-08-14 11:45", "2025-08-15", "林涛", "13500002222", "行情软件闪退",
     "2025-09-05", "办理中", "", ""],
    [4, "12386-20250903-0161", "2025-09-02 10:00", "2025-09-03", "唐宁", "13500003333", "两融利率调整未告知",
     "2025-09-24", "办理中", "", ""],
    [5, "12386-20250402-0021", "2025-04-01 20:11", "2025-04-02", "吴芳", "13611112222", "两融合约展期未提醒",
     "2025-04-22", "已办结", "营业部已补发提醒并调整展期", "2025-04-25"],
    [6, "12386-20251103-0288", "2025-11-02 10:05", "2025-11-03", "高原", "13700003333", "基金赎回到账慢",
     "2025-11-21", "办理中", "", ""],
]


def test_a_12386_exports_row_numbers_never_merge_it_into_the_branchs_complaints(cli, db_path, tmp_path):
    cli("import", write_csv(tmp_path / "ledger-2025.csv", BRANCH_2025))
    result = cli("import", write_csv(tmp_path / "export-2025.csv", EXPORT_2025))
    # five tickets the branch never had: five new complaints, numbered in order of their 转办日期
    assert "imported 5 complaint(s) from export-2025.csv (TS-2025-0007 … TS-2025-0011)" in result.stdout
    # one ticket the ledger holds: merged by the ticket into 吴芳's, the ledger's 序号 3, never into its 序号 5
    assert result.stdout.count("merged into") == 1
    assert ("row 6 (12386-20250402-0021) merged into TS-2025-0003: 投诉渠道 regulator，转办来源 12386，监管回复期限 "
            "2025-04-22，受理 2025-04-02，办结 2025-04-25，监管转办回复 2025-04-25，归档 2025-04-25") in result.stdout
    assert result.stderr == ""
    names = {number: show(cli, number)["name"] for number in numbers(db_path)}
    assert names == {"TS-2025-0001": "孙丽", "TS-2025-0002": "周强", "TS-2025-0003": "吴芳", "TS-2025-0004": "郑强",
                     "TS-2025-0005": "冯雪", "TS-2025-0006": "罗兰", "TS-2025-0007": "马超", "TS-2025-0008": "钱进",
                     "TS-2025-0009": "林涛", "TS-2025-0010": "唐宁", "TS-2025-0011": "高原"}
    for number in ("TS-2025-0001", "TS-2025-0002", "TS-2025-0004", "TS-2025-0005", "TS-2025-0006"):
        record = show(cli, number)  # the branch's own: nothing of the platform's landed on them
        assert record.get("channel") != "regulator"
        assert "reply_due" not in record and "transfer_no" not in record
    assert show(cli, "TS-2025-0003")["regulator_replied_at"] == "2025-04-25T00:00:00+08:00"
    exported = show(cli, "TS-2025-0007")
    assert exported["transfer_no"] == "12386-20250312-0009" and exported.get("original_no") is None
    # and the branch's ledger, imported again, still meets only its own six rows
    again = cli("import", tmp_path / "ledger-2025.csv")
    assert "6 row(s) were imported before and are unchanged" in again.stdout and "merged" not in again.stdout


def test_a_12386_export_first_then_the_branchs_ledger_meets_only_by_ticket(cli, db_path, tmp_path):
    cli("import", write_csv(tmp_path / "export-2025.csv", EXPORT_2025))
    result = cli("import", write_csv(tmp_path / "ledger-2025.csv", BRANCH_2025))
    # 序号 1, 2, 4, 5, 6 of the branch are five new complaints; its 序号 3 is the ticket the export brought
    assert "imported 5 complaint(s) from ledger-2025.csv" in result.stdout
    # (the ledger's row says nothing the platform's ticket lacks: met, and nothing to add)
    assert "1 row(s) were imported before and are unchanged: not recorded again" in result.stdout
    assert "merged into" not in result.stdout
    # 吴芳's ticket came second by its 转办日期: TS-2025-0002, and she is on no other complaint
    assert [show(cli, n)["name"] for n in numbers(db_path)].count("吴芳") == 1
    assert len(numbers(db_path)) == 11 and result.stderr == ""


# -- 2. one ticket, however the file writes it -------------------------------------------------------------------

@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0)])
def test_a_ticket_written_four_ways_is_one_complaint(cli, db_path, tmp_path, order):
    written = [
        ("12386-202501050001", ID_OK),
        ("2025 0105 0001", "110105 19491231 002X"),
        ("２０２５０１０５０００１", "１１０１０５１９４９１２３１００２Ｘ"),
        ('="202501050001"', '="11010519491231002X"'),
    ]
    files = []
    for index, (ticket, id_number) in enumerate(written):
        files.append(write_csv(tmp_path / f"export-{index}.csv", [
            ["工单编号", "转办日期", "投诉人", "证件号码", "联系电话", "投诉内容", "办理时限", "办理状态"],
            [ticket, "2025-01-06", "孙丽", id_number, "13600001111", "要求退还多收佣金", "2025-01-24", "办理中"]]))
    first = cli("import", files[order[0]])
    assert "imported 1 complaint(s)" in first.stdout and first.stderr == ""
    for index in order[1:]:
        again = cli("import", files[index])
        assert "1 row(s) were imported before and are unchanged: not recorded again" in again.stdout, again.stdout
        assert again.stderr == ""
    assert numbers(db_path) == ["TS-2025-0001"]
    record = show(cli, "TS-2025-0001")
    # stored in one plain form: the first file's, without its spaces, full-width digits or ="…"
    assert record["transfer_no"] == {0: "12386-202501050001", 3: "202501050001"}[order[0]]
    assert record["id_number"] == ID_OK
    # the import record keeps the ticket as the file had it, when the file wrote it otherwise
    imported = registrations(db_path)[0]["imported"]
    if order[0] == 3:
        assert imported["as_written"] == {"transfer_no": '="202501050001"'}
    else:
        assert "as_written" not in imported


def test_a_ticket_with_spaces_is_stored_plain_and_kept_as_written_in_the_import_record(cli, db_path, tmp_path):
    data = write_csv(tmp_path / "export.csv", [
        ["工单编号", "转办日期", "投诉人", "联系电话", "投诉内容", "办理时限", "办理状态"],
        ["12386 2025 0105\t0001", "2025-01-06", "孙丽", "13600001111", "要求退还多收佣金", "2025-01-24", "办理中"]])
    cli("import", data)
    assert show(cli, "TS-2025-0001")["transfer_no"] == "12386-202501050001"
    assert registrations(db_path)[0]["imported"]["as_written"] == {"transfer_no": "12386 2025 0105\t0001"}


# -- 3. a complaint carried over into next year's sheet ----------------------------------------------------------

def test_a_row_carried_over_into_next_years_sheet_completes_last_years_complaint(cli, db_path, tmp_path):
    header = ["投诉时间", "投诉人", "联系电话", "投诉内容", "受理时间", "处理人", "处理结果", "办结日期"]
    book = workbook(tmp_path / "ledger.xlsx",
                    ("2023年", [["序号", *header],
                               [15, "2023-11-02 10:00", "何平", "13912345678", "要求核实开户时费率约定", "2023-11-03",
                                "王芳", "已核实并退还差额", "2023-11-20"],
                               [16, "2023-12-28 14:00", "罗兰", "15800001111", "撤单未成功", None, None, None, None]]),
                    ("2024年", [["编号", *header],
                               ["2023-16", "2023-12-28 14:00", "罗兰", "15800001111", "撤单未成功", "2023-12-29",
                                "周志强", "已查明撤单失败原因并说明", "2024-01-10"],
                               ["1", "2024-01-08 09:00", "孙丽", "13600001111", "客户经理服务态度差", None, None, None,
                                None]]))
    first = cli("import", book, "--sheet", "2023年")
    assert "imported 2 complaint(s) from ledger.xlsx (TS-2023-0001 … TS-2023-0002)" in first.stdout
    assert show(cli, "TS-2023-0002")["status"] == "received"  # still undecided when the year ended
    second = cli("import", book, "--sheet", "2024年")
    assert "imported 1 complaint(s) from ledger.xlsx (TS-2024-0001 … TS-2024-0001)" in second.stdout
    assert ("row 4 (2023-16) carried over from 2023: recorded on TS-2023-0002: 受理 2023-12-29，处理人 2023-12-29，"
            "办结 2024-01-10，归档 2024-01-10") in second.stdout
    assert second.stderr == ""
    assert numbers(db_path) == ["TS-2023-0001", "TS-2023-0002", "TS-2024-0001"]  # not a second 罗兰
    carried = show(cli, "TS-2023-0002")
    assert (carried["status"], carried["handler"]) == ("closed", "周志强")
    assert carried["accepted_at"] == "2023-12-29T00:00:00+08:00"
    assert carried["resolved_at"] == "2024-01-10T00:00:00+08:00"
    assert carried["original_no"] == "16"  # its own number, as its own year's sheet has it
    assert show(cli, "TS-2024-0001")["original_no"] == "1"  # 2024's 1 is not 2023's
    before = dump(db_path)
    third = cli("import", book, "--sheet", "2024年")
    assert "2 row(s) were imported before and are unchanged" in third.stdout and dump(db_path) == before


# -- 1. evidence that disagrees: a bad row naming both, never a merge ----------------------------------------------

LEDGER_WITH_IDS = [
    ["序号", "投诉时间", "投诉人", "证件号码", "联系电话", "转办单号", "投诉内容"],
    [1, "2025-03-03 10:00", "张伟", ID_OK, "13812345678", "12386-20250303-0001", "佣金费率高于约定"],
    [2, "2025-03-05 11:00", "黄磊", ID_OTHER, "13512345678", "12386-20250305-0002", "销户办理缓慢"],
]
LATER_HEADER = ["序号", "投诉时间", "投诉人", "证件号码", "联系电话", "转办单号", "投诉内容", "受理时间", "处理人",
                "处理结果", "办结日期"]


@pytest.mark.parametrize("row, says", [
    # 序号 1 with 黄磊's ID: the number says 张伟's complaint, the complainant 黄磊's
    ([1, "2025-03-05 11:00", "黄磊", ID_OTHER, "13512345678", "", "销户办理缓慢", "2025-03-06", "王芳", "已办结",
      "2025-03-20"],
     "row 2, 序号 1 of 2025 is TS-2025-0001, but this row's complainant is TS-2025-0002's (证件号码 differs from "
     "TS-2025-0001's); not merged: correct the number or the complainant"),
    # 序号 1 for someone the ledger has never had: by name and phone, not 张伟
    ([1, "2025-03-03 10:00", "张薇", "", "13800009999", "", "佣金费率高于约定", "2025-03-04", "王芳", "已办结",
      "2025-03-20"],
     "row 2, 序号 1 of 2025 is TS-2025-0001, but this row's complainant is not TS-2025-0001's (投诉人 differs); not "
     "merged: correct the number or the complainant"),
    # 序号 1 with 黄磊's ticket: the number and the ticket name two complaints
    ([1, "2025-03-03 10:00", "张伟", ID_OK, "13812345678", "12386-20250305-0002", "佣金费率高于约定", "2025-03-04",
      "王芳", "已办结", "2025-03-20"],
     "row 2, 序号 1 of 2025 is TS-2025-0001, but 转办单号 12386-20250305-0002 is TS-2025-0002; not merged: correct "
     "the one that is wrong"),
])
def test_a_number_and_a_complainant_that_disagree_are_a_bad_row_naming_both(cli, db_path, tmp_path, row, says):
    cli("import", write_csv(tmp_path / "ledger.csv", LEDGER_WITH_IDS))
    before = dump(db_path)
    result = cli("import", write_csv(tmp_path / "later.csv", [LATER_HEADER, row]), "--update", ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        says,
        "complaintctl: 1 bad row(s) in later.csv; nothing was recorded (fix them, or --skip-bad OUT.xlsx to record "
        "the good rows)"]
    assert dump(db_path) == before
    assert show(cli, "TS-2025-0001")["status"] == "received"


def test_the_same_number_in_a_12386_export_read_as_a_ledger_is_caught_by_the_complainant(cli, db_path, tmp_path):
    cli("import", write_csv(tmp_path / "ledger-2025.csv", BRANCH_2025))
    before = dump(db_path)
    # told it is a branch's ledger, the export's 序号 would be the branch's numbers: its people say otherwise
    result = cli("import", write_csv(tmp_path / "export-2025.csv", EXPORT_2025), "--kind", "ledger", ok=False)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == ("row 2, 序号 1 of 2025 is TS-2025-0001, but this row's complainant is not TS-2025-0001's "
                        "(投诉人 differs); not merged: correct the number or the complainant")
    # 吴芳's row: 序号 5 says 冯雪's complaint, the ticket and 吴芳 say TS-2025-0003
    assert lines[4] == ("row 6, 序号 5 of 2025 is TS-2025-0005, but 工单编号 12386-20250402-0021 is TS-2025-0003; "
                        "not merged: correct the one that is wrong")
    assert lines[-1].startswith("complaintctl: 6 bad row(s) in export-2025.csv; nothing was recorded")
    assert dump(db_path) == before


# -- 4. rows that are not complaints ------------------------------------------------------------------------------

def test_subtotals_totals_notes_and_signatures_are_skipped_and_counted(cli, db_path, tmp_path):
    header = ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容"]
    book = workbook(tmp_path / "ledger.xlsx", ("2025年", [
        header,                                                        # row 3
        [1, "2025-01-06 09:40", "孙丽", "13600001111", "客户经理服务态度差"],  # 4
        [2, "2025-02-14 15:00", "周强", "13822223333", "要求解除账户限制"],    # 5
        ["一季度小计", None, "2 件"],                                      # 6
        [None, None, None, None, None],                                # 7
        [3, "2025-04-02 10:15", "吴芳", "13611112222", "两融合约展期未提醒"],  # 8
        ["二季度小计", None, "1 件"],                                      # 9
        ["合计", None, "3 件"],                                           # 10
        ["注：本表按投诉时间登记，回访情况另见回访记录表。"],                      # 11
        ["填表人：王芳", None, "负责人：刘静", None, "日期：2026年1月5日"],       # 12
        ["审核：刘静"],                                                    # 13
    ]))
    result = cli("import", book)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "imported 3 complaint(s) from ledger.xlsx (TS-2025-0001 … TS-2025-0003): received 3",
        "not in the old ledger, marked 未记载: 受理人 3，业务类别 3，投诉渠道 3，投诉方式 3",
        "skipped 7 row(s) that are not complaints: 1 blank, 3 subtotal or total (row 6, 9, 10), 1 note (row 11), "
        "2 signature (row 12, 13)"]
    assert numbers(db_path) == ["TS-2025-0001", "TS-2025-0002", "TS-2025-0003"]


def test_a_csv_with_notes_below_the_table_imports_without_skip_bad(cli, db_path, tmp_path):
    data = write_csv(tmp_path / "ledger.csv", [
        ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容"],
        ["1", "2025-01-06 09:40", "孙丽", "13600001111", "客户经理服务态度差"],
        ["说明：1. 投诉时间为首次接到投诉的时间", "", "", "", ""],
        ["备注：群体投诉另行登记", "", "", "", ""],
        ["制表人：王芳　审核人：刘静", "", "", "", ""]])
    result = cli("import", data)
    assert "imported 1 complaint(s) from ledger.csv" in result.stdout
    assert ("skipped 3 row(s) that are not complaints: 2 note (row 3, 4), 1 signature (row 5)"
            in result.stdout.splitlines())
    assert json.loads(cli("import", data, "--dry-run", "--json").stdout)["not_complaints"] == {
        "note": [3, 4], "signature": [5]}


# -- 7. a workbook form import does not read ---------------------------------------------------------------------

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # how an Excel 97-2003 workbook begins


def test_a_wps_et_workbook_is_refused_in_one_line_with_the_hint(cli, db_path, tmp_path):
    path = tmp_path / "old.et"
    path.write_bytes(OLE_HEADER)
    before = dump(db_path)
    result = cli("import", path, ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "complaintctl: old.et: this workbook form is not read; save it as .xlsx (WPS/Excel: 另存为 .xlsx) and import "
        "that; import reads .xlsx, .xls, .xlsb, .ods, .csv and .txt (tab-separated)"]
    assert dump(db_path) == before


@pytest.mark.parametrize("name, what", [("old.xls", "a workbook"), ("old.ods", "a workbook"),
                                        ("saved-as-xls.xlsx", "an Excel 97-2003 workbook (.xls) named .xlsx")])
def test_a_broken_xls_or_ods_is_refused_in_one_line(cli, db_path, tmp_path, name, what):
    """.xls and .ods are read (tests/test_import_review.py); one that is only an OLE header is refused, in one line."""
    path = tmp_path / name
    path.write_bytes(OLE_HEADER)
    before = dump(db_path)
    result = cli("import", path, ok=False)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"complaintctl: {name} cannot be read as {what} (") and line.endswith(
        "); open it and save it as .xlsx"), line
    assert dump(db_path) == before


@pytest.mark.parametrize("carried", ["TS-2023-0016", "No.2023-16", "(2023)16号", "2023016"])
def test_a_carried_over_number_written_with_a_prefix_names_last_years_complaint(cli, db_path, tmp_path, carried):
    """Review of issue 43: a number that names its year, however written, is that year's (it made a second
    complaint when written TS-2023-0016)."""
    header = ["投诉时间", "投诉人", "联系电话", "投诉内容", "受理时间", "处理人", "处理结果", "办结日期"]
    book = workbook(tmp_path / "ledger.xlsx",
                    ("2023年", [["序号", *header],
                               [16, "2023-12-28 14:00", "罗兰", "15800001111", "撤单未成功", None, None, None, None]]),
                    ("2024年", [["编号", *header],
                               [carried, "2023-12-28 14:00", "罗兰", "15800001111", "撤单未成功", "2023-12-29",
                                "周志强", "已查明撤单失败原因并说明", "2024-01-10"]]))
    cli("import", book, "--sheet", "2023年")
    cli("import", book, "--sheet", "2024年")
    assert numbers(db_path) == ["TS-2023-0001"]
    assert show(cli, "TS-2023-0001")["status"] == "closed"


def test_a_complaint_whose_words_begin_like_a_signature_or_a_total_is_imported(cli, db_path, tmp_path):
    """Review of issue 43: 审核开户资料过慢 is a complaint, not a 审核 signature; …合计(500元) with a day is not a total."""
    path = write_csv(tmp_path / "ledger.csv", [
        ["投诉内容", "投诉人", "投诉时间", "联系电话"],
        ["审核开户资料过慢", "张三", "2025-03-05 10:00", "13812345678"],
        ["营业部负责人未回复投诉", "李四", "2025-03-06 10:00", "13912345678"],
        ["客户要求退还合计(500元)", "王五", "2025-03-07 10:00", "13712345678"],
        ["填表人：王芳", "负责人：陈建华", None, None],
        ["合计：3件", None, None, None],
    ])
    out = cli("import", path).stdout
    assert len(numbers(db_path)) == 3
    assert "skipped 2 row(s) that are not complaints: 1 subtotal or total (row 6), 1 signature (row 5)" in out


def test_a_branch_form_in_its_own_words_lands_each_fact_on_its_own_person(cli, tmp_path):
    """Tried by hand at the end of issue 42's session: 来访日期 | 来访时间, 客户姓名, 手机, 证件号, 投诉事项, a
    hidden old sheet, a refusal and a withdrawal said in 处理结果; each fact on its own complainant."""
    book = openpyxl.Workbook()
    old = book.active
    old.title, old.sheet_state = "2024年(旧)", "hidden"
    old.append(["序号", "日期", "客户", "内容"])
    old.append([1, "2024-05-01", "旧客户", "旧投诉"])
    ws = book.create_sheet("2025年")
    ws.append(["营业部客户投诉登记表（2025）"])
    ws.append(["编号", "来访日期", "来访时间", "客户姓名", "手机", "证件号", "投诉事项", "处理结果", "备注"])
    ws.append(["2025-002", "2025/04/08", "14:00", "林木", "13600002222", "", "佣金过高",
               "不予受理：非本营业部客户，已电话告知", ""])
    ws.append(["2025-003", "2025/05/12", "10:15", "黄河", "13700003333", "", "要求赔偿", "客户撤回投诉", ""])
    ws.append(["合计", "2件"])
    ws.append(["填表人：王芳", "负责人：陈建华"])
    book.save(tmp_path / "wps-2025.xlsx")
    out = cli("import", tmp_path / "wps-2025.xlsx").stdout
    assert "2024年(旧) (2 rows) not read: hidden" in out
    first, second = show(cli, "TS-2025-0001"), show(cli, "TS-2025-0002")
    assert (first["name"], first["phone"], first["request"]) == ("林木", "13600002222", "佣金过高")
    assert (first["status"], first["received_at"]) == ("rejected", "2025-04-08T14:00:00+08:00")
    assert (first["rejection"]["reason"], first["rejection"]["notified_via"]) == ("not-customer", "phone")
    assert (second["name"], second["status"], second["received_at"]) == ("黄河", "terminated",
                                                                         "2025-05-12T10:15:00+08:00")
    assert second["termination"]["reason"] == "withdrawn"
