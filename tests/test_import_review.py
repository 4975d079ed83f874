"""Issue 43, points 3, 7 and 8: which sheets of a workbook are read, .xls read as it is, and a dry run's review.

Every workbook is built here as branches keep theirs (a hidden draft sheet first, a sheet a year, a 合计 and a
signature row), except the .xls, made by tests/fixtures/make_xls.py with xlwt and committed. Each is imported
through the command into a real SQLite ledger; every expected figure, number and cell was counted by hand
from the rows written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import dump

HEADER = ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容", "是否受理", "处理人", "处理结果", "办结日期"]
XLS = Path(__file__).parent / "fixtures" / "ledger-2003.xls"


def book(path: Path, *sheets: tuple[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


DRAFT = ("草稿", [HEADER, [1, "2024-01-05 09:00", "错人", "13800000000", "草稿里的行", "是", "李四", "已解决",
                           "2024-01-10"]])
Y2023 = ("2023年", [
    HEADER,
    [1, "2023-03-01 09:00", "张三", "13812345678", "佣金过高", "是", "李四", "已退还", "2023-03-10"],
    [2, "2023-12-20 10:00", "王五", "13912345678", "服务态度", "是", "李四", None, None],
    [3, "2023-05-01 10:00", "赵六", "13712345678", "不相关", "否", None, None, None],
    ["合计：3件"],
])
Y2024 = ("2024年", [
    HEADER,
    ["2023-2", "2023-12-20 10:00", "王五", "13912345678", "服务态度", "是", "李四", "已道歉", "2024-01-08"],
    [1, "2024-02-01 09:00", "钱七", "13612345678", "行情卡顿", "是", "李四", None, None],
])
BAD_AND_SKIPPED = [
    [2, "2024-02-03 09:00", None, None, None, None, None, None, None],  # no complainant, no request: bad
    [None],
    ["填表人：张三 负责人：李四"],
]


def md5(path: Path) -> str:
    """The ledger file's bytes, once what earlier commands committed is in it: SQLite moves committed pages from
    its write-ahead log into the file when it sees fit, so a file read without a checkpoint may change later
    with nothing new committed."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    return hashlib.md5(path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).hexdigest()


def cells(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def numbers(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [n for (n,) in conn.execute("SELECT id FROM complaints ORDER BY id")]
    finally:
        conn.close()


# -- 3. sheets -------------------------------------------------------------------------------------------------

def test_a_hidden_first_sheet_is_not_read_and_the_year_sheets_are_read_together(cli, db_path, tmp_path):
    path = book(tmp_path / "ledger.xlsx", DRAFT, Y2023, Y2024, hidden=("草稿",))
    result = json.loads(cli("import", path, "--json").stdout)
    assert result["sheets"] == [
        {"name": "草稿", "rows": 2, "hidden": True, "read": False, "why": "hidden"},
        {"name": "2023年", "rows": 5, "hidden": False, "read": True, "why": None},
        {"name": "2024年", "rows": 3, "hidden": False, "read": True, "why": None},
    ]
    # 张三 and 赵六 and 王五 from 2023 (numbered by receipt), 钱七 from 2024; 王五's 2024 row is carried over.
    assert result["numbers"] == ["TS-2023-0001", "TS-2023-0002", "TS-2023-0003", "TS-2024-0001"]
    assert [c["number"] for c in result["carried_over"]] == ["TS-2023-0003"]
    assert result["not_complaints"] == {"total": ["2023年!5"]}
    assert "错人" not in json.dumps(json.loads(cli("show", "TS-2024-0001", "--json", "--unmask").stdout),
                                  ensure_ascii=False)
    assert numbers(db_path) == ["TS-2023-0001", "TS-2023-0002", "TS-2023-0003", "TS-2024-0001"]


def test_a_hidden_sheet_is_read_when_named(cli, db_path, tmp_path):
    path = book(tmp_path / "ledger.xlsx", DRAFT, Y2023, hidden=("草稿",))
    result = json.loads(cli("import", path, "--sheet", "草稿", "--json").stdout)
    assert result["numbers"] == ["TS-2024-0001"]
    assert [(s["name"], s["read"], s["why"]) for s in result["sheets"]] == [("草稿", True, None),
                                                                          ("2023年", False, "not_named")]


def test_the_import_says_which_sheets_it_read_and_why_not_the_others(cli, db_path, tmp_path):
    other = ("投诉统计", [["投诉时间", "投诉人", "投诉内容"], ["2024-05-01 09:00", "孙八", "另一张表"]])
    empty = ("Sheet3", [])
    path = book(tmp_path / "ledger.xlsx", DRAFT, Y2024, other, empty, hidden=("草稿",))
    result = cli("import", path)
    assert result.stdout.splitlines()[0] == (
        "sheets: 草稿 (2 rows) not read: hidden (--sheet NAME reads it); 2024年 (3 rows) read; 投诉统计 (2 rows) "
        "not read: headers differ from 2024年's; Sheet3 (0 rows) not read: empty")
    assert numbers(db_path) == ["TS-2023-0001", "TS-2024-0001"]  # 王五 (received 2023) and 钱七; never 孙八


def test_show_map_lists_the_sheets_with_their_rows(cli, db_path, tmp_path):
    path = book(tmp_path / "ledger.xlsx", DRAFT, Y2023, Y2024, hidden=("草稿",))
    before = dump(db_path)
    shown = json.loads(cli("import", path, "--show-map", "--json").stdout)
    assert [(s["name"], s["rows"], s["read"]) for s in shown["sheets"]] == [("草稿", 2, False), ("2023年", 5, True),
                                                                          ("2024年", 3, True)]
    text = cli("import", path, "--show-map").stdout
    assert "草稿" in text and "no: hidden (--sheet NAME reads it)" in text
    assert dump(db_path) == before


def test_a_workbook_of_hidden_sheets_only_is_refused_in_one_line(cli, db_path, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    draft = wb.create_sheet("草稿")
    for row in DRAFT[1]:
        draft.append(row)
    draft.sheet_state = "hidden"
    wb.save(tmp_path / "hidden.xlsx")
    before = dump(db_path)
    result = cli("import", tmp_path / "hidden.xlsx", ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "complaintctl: hidden.xlsx: no visible sheet holds rows; --sheet NAME reads a hidden one (草稿)"]
    assert dump(db_path) == before


# -- 7. .xls read through python-calamine ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ledger-2003.xls", "saved-as.xlsx"])
def test_an_xls_workbook_is_imported_as_it_is(cli, db_path, tmp_path, name):
    """Also when it was renamed .xlsx: read by what its bytes are."""
    path = tmp_path / name
    shutil.copy(XLS, path)
    result = json.loads(cli("import", path, "--json").stdout)
    assert result["numbers"] == ["TS-2024-0001", "TS-2024-0002", "TS-2024-0003"]
    assert result["by_status"] == {"assigned": 1, "closed": 1, "rejected": 1}
    assert result["not_complaints"] == {"total": [5]}
    assert [(s["name"], s["read"]) for s in result["sheets"]] == [("草稿", False), ("2024年", True)]
    first = json.loads(cli("show", "TS-2024-0001", "--json", "--unmask").stdout)
    assert (first["name"], first["phone"], first["received_at"][:16]) == ("张三", "13812345678", "2024-03-04T09:30")
    assert first["resolved_at"][:10] == "2024-03-12"
    refused = json.loads(cli("show", "TS-2024-0002", "--json").stdout)
    assert refused["status"] == "rejected"


# -- 8. see before it is recorded ------------------------------------------------------------------------------

def test_a_dry_run_review_records_nothing_and_tells_every_row_and_the_years_figures(cli, db_path, tmp_path):
    path = book(tmp_path / "ledger.xlsx", DRAFT, Y2023, (Y2024[0], Y2024[1] + BAD_AND_SKIPPED), hidden=("草稿",))
    cli("import", path, "--sheet", "2023年")  # 张三 TS-2023-0001, 赵六 TS-2023-0002, 王五 TS-2023-0003
    before = md5(db_path)
    review = tmp_path / "review.xlsx"
    result = cli("import", path, "--dry-run", "--review", review, ok=False)
    assert result.exit_code == 1  # a bad row: the real import would record nothing without --skip-bad
    assert md5(db_path) == before
    assert "2023 would then hold: received 3, accepted 2, refused 1, completed 1, terminated 0, open at year end 1" \
        in result.stdout
    assert "2024 would then hold: received 1, accepted 1, refused 0, completed 1, terminated 0, open at year end 1" \
        in result.stdout
    rows = cells(review, "逐行处理")
    assert rows[0] == ("工作表", "行号", "处理", "投诉编号", "投诉人", "投诉时间", "说明")
    assert [r[:6] for r in rows[1:]] == [
        ("2023年", 2, "相同，不再记录", "TS-2023-0001", "张*", "2023-03-01 09:00"),
        ("2023年", 3, "相同，不再记录", "TS-2023-0003", "王*", "2023-12-20 10:00"),
        ("2023年", 4, "相同，不再记录", "TS-2023-0002", "赵*", "2023-05-01 10:00"),
        ("2023年", 5, "跳过", None, None, None),
        ("2024年", 2, "续转", "TS-2023-0003", "王*", "2023-12-20 10:00"),
        ("2024年", 3, "新增", "TS-2024-0001", "钱*", "2024-02-01 09:00"),
        ("2024年", 4, "错误", None, None, "2024-02-03 09:00"),
        ("2024年", 5, "跳过", None, None, None),
        ("2024年", 6, "跳过", None, None, None),
    ]
    notes = [r[6] for r in rows[1:]]
    assert notes[0] == "与 TS-2023-0001 相同：已导入过，不再记录"
    assert notes[3] == "跳过：小计或合计行"
    assert notes[4] == "上年续转的投诉 TS-2023-0003（2023 年）：记录 办结 2024-01-08，归档 2024-01-08"
    assert notes[5].startswith("新增为 TS-2024-0001，状态：处理中")
    assert notes[6].startswith("投诉人: missing")
    assert notes[7:] == ["跳过：空行", "跳过：签名行（填表人、负责人）"]
    figures = cells(review, "导入后数字")
    assert figures[:3] == [("年度", "接收", "受理", "不予受理", "办结", "终止处理", "年末未办结"),
                           (2023, 3, 2, 1, 1, 0, 1), (2024, 1, 1, 0, 1, 0, 1)]
    assert [r[:3] for r in cells(review, "工作表")] == [("工作表", "行数", "是否读取"), ("草稿", 2, "否"),
                                                      ("2023年", 5, "是"), ("2024年", 6, "是")]
    everything = json.dumps([cells(review, s) for s in ("逐行处理", "导入后数字", "工作表")], ensure_ascii=False)
    for personal in ("张三", "王五", "钱七", "13912345678", "13612345678", "错人"):
        assert personal not in everything  # masked (CSA 7.8), and the hidden draft never read
    wb = openpyxl.load_workbook(review)
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    # Then the real import (the good rows, as --skip-bad records them): the report counts what the review said.
    cli("import", path, "--skip-bad", tmp_path / "fix.xlsx")
    for year, expected in ((2023, (3, 2, 1, 1, 0, 1)), (2024, (1, 1, 0, 1, 0, 1))):
        report = json.loads(cli("report", "--year", str(year), "--out", tmp_path / f"r{year}.xlsx", "--json").stdout)
        assert tuple(report[k] for k in ("received", "accepted", "rejected", "completed", "terminated",
                                         "open_at_end")) == expected


def test_a_dry_run_then_the_import_give_the_same_figures_on_an_xls(cli, db_path, tmp_path):
    before = dump(db_path)
    result = cli("import", XLS, "--dry-run", "--review", tmp_path / "review.xlsx")
    assert dump(db_path) == before
    # 张三 closed in March, 赵六 refused, 钱七 received 27 December and still being handled at year end.
    assert "2024 would then hold: received 3, accepted 2, refused 1, completed 1, terminated 0, open at year end 1" \
        in result.stdout
    assert cells(tmp_path / "review.xlsx", "导入后数字")[1] == (2024, 3, 2, 1, 1, 0, 1)
    cli("import", XLS)
    report = json.loads(cli("report", "--year", "2024", "--out", tmp_path / "r.xlsx", "--json").stdout)
    assert (report["received"], report["accepted"], report["rejected"], report["completed"],
            report["open_at_end"]) == (3, 2, 1, 1, 1)


@pytest.mark.parametrize("args, says", [
    (["--review", "r.xlsx"], "--review r.xlsx needs --dry-run: it shows what the import would do"),
    (["--dry-run", "--review", "r.csv"], "--review r.csv: give a name ending in .xlsx"),
    (["--dry-run", "--review", "/nonexistent/dir/r.xlsx"], "--review /nonexistent/dir/r.xlsx: folder /nonexistent/dir "
                                                           "does not exist"),
])
def test_a_review_that_cannot_be_written_is_refused_in_one_line(cli, db_path, tmp_path, args, says):
    path = book(tmp_path / "ledger.xlsx", Y2023)
    before = dump(db_path)
    result = cli("import", path, *args, ok=False)
    assert result.exit_code == 1 and result.stderr.splitlines() == [f"complaintctl: {says}"], result.stderr
    assert dump(db_path) == before


def test_an_existing_review_is_kept_unless_forced(cli, db_path, tmp_path):
    path = book(tmp_path / "ledger.xlsx", Y2023)
    review = tmp_path / "review.xlsx"
    review.write_bytes(b"mine")
    result = cli("import", path, "--dry-run", "--review", review, ok=False)
    assert result.stderr.splitlines() == [f"complaintctl: {review} already exists; kept as it is (use --force to "
                                          "replace it)"]
    assert review.read_bytes() == b"mine"
    cli("import", path, "--dry-run", "--review", review, "--force")
    assert cells(review, "导入后数字")[1] == (2023, 3, 2, 1, 1, 0, 1)


def test_the_review_says_what_a_12386_export_merges_and_what_it_adds(cli, db_path, tmp_path):
    from tests.test_import_identity import BRANCH_2025, EXPORT_2025, write_csv

    cli("import", write_csv(tmp_path / "ledger-2025.csv", BRANCH_2025))
    before = md5(db_path)
    cli("import", write_csv(tmp_path / "export-2025.csv", EXPORT_2025), "--dry-run", "--review", tmp_path / "r.xlsx")
    assert md5(db_path) == before
    rows = cells(tmp_path / "r.xlsx", "逐行处理")
    # Five tickets the branch never had, numbered by their 转办日期; 吴芳's (row 6) merged by its ticket.
    assert [r[1:5] for r in rows[1:]] == [
        (2, "新增", "TS-2025-0007", "马*"),
        (3, "新增", "TS-2025-0008", "钱*"),
        (4, "新增", "TS-2025-0009", "林*"),
        (5, "新增", "TS-2025-0010", "唐*"),
        (6, "合并", "TS-2025-0003", "吴*"),
        (7, "新增", "TS-2025-0011", "高*"),
    ]
    assert rows[5][6] == ("合并入 TS-2025-0003：投诉渠道 regulator，转办来源 12386，监管回复期限 2025-04-22，受理 2025-04-02，"
                          "办结 2025-04-25，监管转办回复 2025-04-25，归档 2025-04-25")


def test_the_review_says_a_row_changed_since_and_whether_it_would_be_recorded(cli, db_path, tmp_path):
    cli("import", book(tmp_path / "ledger.xlsx", Y2023))
    title, rows = Y2023
    later = [*rows[:2], [2, "2023-12-20 10:00", "王五", "13912345678", "服务态度", "是", "李四", "已道歉", "2023-12-28"],
             *rows[3:]]
    path = book(tmp_path / "ledger-later.xlsx", (title, later))
    for extra, told in (((), "不记录（--update 才记录）"), (("--update",), "将记录")):
        review = tmp_path / f"r{len(extra)}.xlsx"
        cli("import", path, "--dry-run", "--review", review, *extra)
        found = cells(review, "逐行处理")
        assert [r[2:4] for r in found[1:]] == [("相同，不再记录", "TS-2023-0001"), ("已变更", "TS-2023-0003"),
                                               ("相同，不再记录", "TS-2023-0002"), ("跳过", None)]
        assert found[2][6] == f"自导入为 TS-2023-0003 后已变更：办结 2023-12-28，归档 2023-12-28，{told}"
        # with --update the change is counted: 王五's complaint completed in 2023, none open at its end
        assert cells(review, "导入后数字")[1] == ((2023, 3, 2, 1, 2, 0, 0) if extra else (2023, 3, 2, 1, 1, 0, 1))


def ods(path: Path, title: str, rows: list[list]) -> Path:
    """A LibreOffice (.ods) workbook written by hand, as the OpenDocument format gives it: text cells, and each
    time of receipt a date cell."""
    import zipfile
    from datetime import datetime
    from xml.sax.saxutils import escape

    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value:%Y-%m-%d %H:%M}</text:p></table:table-cell>")
        if isinstance(value, int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(cell(v) for v in row)}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{title}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def test_an_ods_workbook_is_imported(cli, db_path, tmp_path):
    from datetime import datetime

    path = ods(tmp_path / "ledger.ods", "2024年", [
        ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容", "是否受理", "处理人", "处理结果", "办结日期"],
        [1, datetime(2024, 3, 4, 9, 30), "张三", "13812345678", "佣金收取过高", "是", "李四", "已退还",
         datetime(2024, 3, 12)],
        [2, datetime(2024, 5, 6, 15, 0), "钱七", "13612345678", "行情软件卡顿", "是", "李四", None, None],
    ])
    result = json.loads(cli("import", path, "--json").stdout)
    assert result["numbers"] == ["TS-2024-0001", "TS-2024-0002"]
    assert result["by_status"] == {"assigned": 1, "closed": 1}
    first = json.loads(cli("show", "TS-2024-0001", "--json", "--unmask").stdout)
    assert (first["name"], first["received_at"][:16], first["resolved_at"][:10]) == ("张三", "2024-03-04T09:30",
                                                                                     "2024-03-12")
