"""`import`: the sample old ledger and 12386 export, brought in all or nothing, checked like typed input.

sample_data/legacy-ledger.xlsx (see sample_data/make_legacy.py), rows as numbered in the file:
  1 title, 2–3 merged headers; 4 张伟 closed after a satisfied callback; 5 陈静 completed on Excel
  serial 45776 (2025-04-29), full-width phone; 6 刘洋 received on serial 45789 (2025-05-12), not
  accepted; 7 赵敏 via 12386, dissatisfied callback; 8 黄磊 wrong ID check digit (bad); 9 blank;
  10 吴芳 assigned, open; 11 郑强 completed 10-08 before its acceptance on 10-10 (bad); 12 冯雪
  received, undecided; 13 totals row.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import dump, ledger_rows

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "sample_data" / "legacy-ledger.xlsx"
TRANSFERS = ROOT / "sample_data" / "12386-transfers.csv"
BAD_LINES = [
    "row 8, 证件号码: the resident ID number's check digit is wrong; check the number for a typing slip (GB 11643)",
    "row 11, 办结时间 2025-10-08 is before 受理时间 2025-10-10 (CSA 9.4)",
]


@pytest.fixture(autouse=True)
def on_the_demo_day(monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 09:00")


def payloads(db: Path, kind: str) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE kind = ? ORDER BY id", (kind,))]
    finally:
        conn.close()


def recorded(db: Path) -> str:
    """The dump but for the audit events of the --skip-bad files written (CSA 7.8): what the import itself recorded."""
    return "\n".join(line for line in dump(db).splitlines()
                     if "'unmasked'" not in line and not line.startswith("INSERT INTO \"sqlite_sequence\""))


def test_show_map_names_the_column_each_field_comes_from(cli):
    result = cli("import", "--show-map", LEGACY, "--json")
    shown = json.loads(result.stdout)
    assert shown["header_row"] == 3  # below the title row and the merged group headers
    assert [(c["header"], c["field"]) for c in shown["columns"]] == [
        ("序号", "original_no"), ("投诉时间", "received_at"), ("客户姓名", "name"), ("证件号码", "id_number"),
        ("联系电话", "phone"), ("投诉方式", "method"), ("来源", "channel"), ("业务类别", "category"),
        ("投诉内容", "request"), ("被投诉人", "respondent"), ("是否受理", "accepted"), ("受理时间", "accepted_at"),
        ("处理人", "handler"), ("处理结果", "result"), ("办结时间", "resolved_at"), ("回访时间", "called_at"),
        ("回访结果", "callback_outcome"), ("备注", "note")]


def test_one_bad_row_and_nothing_is_recorded(cli, db_path):
    before = dump(db_path)
    result = cli("import", LEGACY, ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == BAD_LINES + [
        "complaintctl: 2 bad row(s) in legacy-ledger.xlsx; nothing was recorded (fix them, or --skip-bad OUT.xlsx "
        "to record the good rows)"]
    assert dump(db_path) == before


def test_dry_run_counts_what_would_be_recorded_and_changes_nothing(cli, db_path):
    before = dump(db_path)
    result = cli("import", LEGACY, "--dry-run", ok=False)
    assert result.exit_code == 1 and result.stderr.splitlines() == BAD_LINES
    assert result.stdout.splitlines() == [
        "dry run: would record 6 complaint(s) from legacy-ledger.xlsx: received 1, assigned 1, closed 3, rejected 1;"
        " nothing was changed",
        "not in the old ledger, marked 未记载: 受理人 6，回访 1，反馈方式 3，调查记录 3，监管转办回复 1，不予受理告知方式 1，"
        "转办工单号 1",
        "skipped 2 row(s) that are not complaints: 1 blank, 1 subtotal or total (row 13)"]
    assert dump(db_path) == before


def test_skip_bad_records_the_good_rows_and_the_fixed_ones_come_in_later(cli, db_path, tmp_path):
    bad = tmp_path / "bad.xlsx"
    result = cli("import", LEGACY, "--skip-bad", bad)
    assert "imported 6 complaint(s) from legacy-ledger.xlsx (TS-2025-0001 … TS-2025-0006)" in result.stdout
    assert result.stderr.splitlines() == BAD_LINES
    ws = openpyxl.load_workbook(bad).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-4:] == ("错误原因", "原行号", "原工作表", "原文件（SHA-256）")
    assert [r[0] for r in rows[1:]] == ["2025-005", "2025-007"]
    assert [r[-3:-1] for r in rows[1:]] == [(8, "2025年投诉台账"), (11, "2025年投诉台账")]
    # Fixed as the specialist would: the right check digit, the real completion date.
    ws["D2"] = "11010519491231002X"
    ws["O3"] = "2025/10/20"
    ws.parent.save(bad)
    again = cli("import", bad)
    assert "imported 2 complaint(s) from bad.xlsx (TS-2025-0007 … TS-2025-0008)" in again.stdout
    assert "ledger OK" in cli("verify").stdout


def test_each_row_becomes_its_events_at_their_own_dates_with_the_files_hash_and_row(cli, db_path):
    cli("import", LEGACY, "--skip-bad", db_path.parent / "bad.xlsx")
    first = json.loads(cli("show", "TS-2025-0001", "--json", "--unmask").stdout)
    assert first["status"] == "closed" and first["original_no"] == "2025-001"
    assert first["received_at"] == "2025-03-03T09:30:00+08:00" and first["phone"] == "13812345678"
    assert first["accepted_at"] == "2025-03-04T00:00:00+08:00" and first["handler"] == "王芳"
    assert first["resolved_at"] == "2025-03-20T00:00:00+08:00" and first["callbacks"][0]["outcome"] == "satisfied"
    assert (first["id_type"], first["id_number"]) == ("id_card", "11010519491231002X")
    assert first["acceptor"] is None and first["unrecorded"] == ["acceptor", "investigation", "feedback_via"]
    assert "investigation" not in first  # never invented
    second = json.loads(cli("show", "TS-2025-0002", "--json", "--unmask").stdout)
    assert second["phone"] == "13900011223"  # typed full-width
    assert second["resolved_at"] == "2025-04-29T00:00:00+08:00"  # Excel serial 45776
    third = json.loads(cli("show", "TS-2025-0003", "--json").stdout)
    assert third["status"] == "rejected" and third["received_at"] == "2025-05-12T00:00:00+08:00"  # serial 45789
    fourth = json.loads(cli("show", "TS-2025-0004", "--json").stdout)
    assert (fourth["channel"], fourth["source"], fourth["category"]) == ("regulator", "12386", "a3")
    sha = hashlib.sha256(LEGACY.read_bytes()).hexdigest()
    registered = payloads(db_path, "registered")
    assert [(p["original_no"], p["imported"]["row"]) for p in registered] == [
        ("2025-001", 4), ("2025-002", 5), ("2025-003", 6), ("2025-004", 7), ("2025-006", 10), ("2025-008", 12)]
    assert {p["imported"]["file_sha256"] for p in registered} == {sha}
    assert all(p["imported"]["file_sha256"] == sha for p in payloads(db_path, "resolved"))
    text = cli("show", "TS-2025-0001").stdout
    assert "2025-001" in text and "row 4 of the file with SHA-256 " + sha in text
    assert "content by a way not recorded" in text  # satisfied; the old ledger never said how, so not "by phone"


def test_importing_the_same_file_again_records_nothing(cli, db_path, tmp_path):
    cli("import", LEGACY, "--skip-bad", tmp_path / "bad.xlsx")
    before = recorded(db_path)
    again = cli("import", LEGACY, "--skip-bad", tmp_path / "bad2.xlsx")
    assert "6 row(s) were imported before and are unchanged: not recorded again" in again.stdout
    assert again.stdout.splitlines()[0].startswith("6 row(s) were imported before")
    assert recorded(db_path) == before


def test_a_row_changed_since_it_was_imported_is_reported_not_doubled(cli, db_path, tmp_path):
    cli("import", LEGACY, "--skip-bad", tmp_path / "bad.xlsx")
    changed = tmp_path / "changed.xlsx"
    shutil.copy(LEGACY, changed)
    book = openpyxl.load_workbook(changed)
    book.active["N4"] = "已调整费率"  # 张伟's result, edited since
    book.save(changed)
    before = recorded(db_path)
    result = cli("import", changed, "--skip-bad", tmp_path / "bad2.xlsx")
    # Never overwritten, never doubled: said, to be corrected by hand if the file is right (issue 29).
    assert ("row 4, TS-2025-0001 kept as the ledger has it: 处理结果: the ledger has 已按约定费率调整并退还差额, the file "
            "已调整费率; correct it by hand (complaintctl amend) if the file is right") in result.stderr
    assert "imported 0" not in result.stdout and recorded(db_path) == before  # the other rows: unchanged, skipped


def test_a_12386_export_in_gb18030_and_the_same_in_utf8_are_one_import(cli, db_path, tmp_path):
    result = cli("import", TRANSFERS)
    assert "imported 2 complaint(s) from 12386-transfers.csv (TS-2025-0001 … TS-2025-0002)" in result.stdout
    ticket = json.loads(cli("show", "TS-2025-0001", "--json").stdout)
    assert (ticket["channel"], ticket["source"], ticket["transfer_no"]) == ("regulator", "12386热线",
                                                                           "12386-20251106-0101")
    assert ticket["received_at"] == "2025-11-06T10:12:00+08:00" and ticket["name"] == "何平"
    utf8 = tmp_path / "12386-utf8.csv"
    utf8.write_text(TRANSFERS.read_bytes().decode("gb18030"), encoding="utf-8-sig")
    before = dump(db_path)
    again = cli("import", utf8)
    assert "2 row(s) were imported before and are unchanged" in again.stdout and dump(db_path) == before


def test_a_map_renames_columns_the_defaults_do_not_know(cli, tmp_path):
    data = tmp_path / "other.csv"
    data.write_text("单号,日期,客户,客户手机,诉求\nA-1,2025-02-03,王五,13512345678,要求解释扣费\n", encoding="utf-8")
    refused = cli("import", data, ok=False)
    assert refused.exit_code == 1 and "found no header row" in refused.stderr
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"单号" = "original_no"\n"日期" = "received_at"\n"客户" = "name"\n'
                       '"客户手机" = "phone"\n', encoding="utf-8")
    assert "imported 1 complaint(s)" in cli("import", data, "--map", mapping).stdout
    listed = cli("list").stdout.splitlines()
    assert listed[0].split("\t")[0] == "TS-2025-0001" and listed[0].split("\t")[-1] == "A-1"


@pytest.mark.parametrize("args, says", [
    (["nothing.xlsx"], "no such file"),
    ([str(ROOT / "README.md")], "import reads .xlsx, .xls, .xlsb, .ods, .csv or .txt (tab-separated) files"),
    ([str(LEGACY), "--sheet", "Sheet9"], "--sheet Sheet9: no such sheet"),
    ([str(LEGACY), "--map", "missing.toml"], "--map missing.toml: no such file"),
    ([str(LEGACY), "--skip-bad", "bad.csv"], "--skip-bad bad.csv: give a name ending in .xlsx"),
    ([str(LEGACY), "--skip-bad", "/nonexistent/dir/o.xlsx"], "folder /nonexistent/dir does not exist"),
    ([str(ROOT)], "is a folder; give the .xlsx or .csv file"),
])
def test_bad_requests_get_one_line_and_change_nothing(cli, db_path, args, says):
    before = dump(db_path)
    result = cli("import", *args, ok=False)
    assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert dump(db_path) == before


def test_the_report_shows_the_original_number_and_what_was_never_recorded(cli, tmp_path):
    cli("import", LEGACY, "--skip-bad", tmp_path / "bad.xlsx")
    out = tmp_path / "r.xlsx"
    cli("report", "--year", "2025", "--out", out)
    rows = ledger_rows(openpyxl.load_workbook(out))
    first = rows[0]
    assert (first["投诉编号"], first["原编号"]) == ("TS-2025-0001", "2025-001")
    assert (first["调查处理过程"], first["反馈方式"], first["受理人"]) == ("未记载", "未记载", "未记载")
    assert first["处理人"] == "王芳"
    second = rows[1]  # its 备注 was kept as a note: shown after the gap, not in its place
    assert second["调查处理过程"].startswith("未记载\n2025-04-08 ") and second["调查处理过程"].endswith("回访记录缺失")
    transferred = rows[3]  # 来源 12386 without a ticket number
    assert (transferred["投诉渠道"], transferred["转办工单号"]) == ("监管转办", "未记载")


def test_a_row_whose_handler_is_its_respondent_is_imported_as_it_was_and_flagged(cli, tmp_path):
    data = tmp_path / "old.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容,被投诉人,是否受理,受理时间,处理人\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,要求解释扣费,李　四,是,2025-03-04 10:00,李四\n"
                    "K-2,2025-03-05 10:00,赵七,13612345678,要求退费,钱八,是,2025-03-06 10:00,孙九\n",
                    encoding="utf-8")
    result = cli("import", data)
    assert "warning: CSA 7.7: row 2: the handler 李四 is the respondent (被投诉人); an upper level must reassign it" \
        in result.stderr
    assert "row 3" not in result.stderr
    flagged = json.loads(cli("show", "TS-2025-0001", "--json").stdout)
    assert flagged["handler"] == "李四" and flagged["handler_is_respondent"] is True
    assert json.loads(cli("show", "TS-2025-0002", "--json").stdout)["handler_is_respondent"] is False
    assert "CSA 7.7: the handler 李四 is the respondent (被投诉人) of this complaint" in cli("show", "TS-2025-0001").stdout


def test_files_that_are_too_large_or_broken_are_refused_in_one_line(cli, tmp_path, db_path):
    import zipfile

    far = tmp_path / "far.xlsx"  # a few KB that claims, and holds, a cell at XFD1048576
    book = openpyxl.Workbook()
    book.active["A1"] = "投诉人"
    book.active["XFD1048576"] = "x"
    book.save(far)
    assert far.stat().st_size < 10_000
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(LEGACY) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the XML
            target.writestr(item, data)
    wide_cell = tmp_path / "cell.csv"
    wide_cell.write_text("投诉人,投诉内容\n张三," + "长" * 200_000 + "\n", encoding="utf-8")
    before = dump(db_path)
    for path, says in ((far, "more than 200000 rows"), (broken, "cannot be read as an Excel workbook"),
                       (wide_cell, "cannot be read as CSV")):
        result = cli("import", path, ok=False)
        assert result.exit_code == 1, (path, result.exit_code, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and says in result.stderr, result.stderr
    assert dump(db_path) == before


def test_a_control_character_in_an_imported_cell_is_refused_with_its_row(cli, tmp_path):
    data = tmp_path / "esc.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,投诉内容\nK-1,2025-03-03 10:00,王\x1b[2J五,13512345678,要求解释扣费\n",
                    encoding="utf-8")
    result = cli("import", data, ok=False)
    assert result.exit_code == 1
    assert "row 2, 投诉人: holds a control character (\\x1b); a name, number or code is one line of plain " \
           "text (CSA 9.4)" in result.stderr
