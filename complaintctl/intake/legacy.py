"""Bringing an old ledger in: a hand-kept 投诉台账 workbook, or a 12386 export, as complaints.

Each row goes through the same checks as typed input (ID check digits, codes, dates, the order of
events) and becomes the events its columns imply, each at its own date: registered at receipt,
accepted or rejected, assigned, resolved, called back, closed. What the old ledger never recorded
(an investigation record, a feedback channel, a handler) is marked 未记载 on the complaint, never
invented, and never a reason to refuse the row. Every event carries the source file's SHA-256 and
row number; the row's own number is kept as 原编号.

Every problem of a row is kept, not only its first, so a file is fixed in one pass. Which complaint a
row is, and what it adds to one already in the ledger, is `complaintctl.intake.matching`'s part; recording is
all or nothing there: one bad row and nothing is recorded, unless the caller asks to record the good
ones and set the bad ones aside.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable

from complaintctl.rules import clock, codes, identity
from complaintctl.rules.complaint import FIELD_BY_NAME, UNRECORDED_ACTOR, parse_fields
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _, chinese
from complaintctl.store.ledger import sha256_file
from complaintctl.steps.lifecycle import keep_until
from complaintctl.progress import Listener, counted
from complaintctl.intake import wording

# Who complained, as a row or a later source gives it: name or institution, the ID, and how to reach them.
COMPLAINANT_FIELDS = ("name", "institution", "uscc", "id_type", "id_number", "phone", "address")

# Headers a 9.4 ledger commonly uses, normalised (see `_key`), and the field each one fills ("": a
# column read by no field, such as the 错误原因 of a to-fix file).
HEADERS = {
    "投诉编号": "original_no",
    "序号": "original_no",
    "编号": "original_no",
    "原编号": "original_no",
    "投诉时间": "received_at",
    "接收时间": "received_at",
    "投诉日期": "received_at",
    "接收日期": "received_at",
    "登记时间": "received_at",
    "来电时间": "received_at",
    "来电日期": "received_at",
    "来访时间": "received_at",
    "来访日期": "received_at",
    "来信日期": "received_at",
    "投诉人": "name",
    "客户姓名": "name",
    "投诉人姓名": "name",
    "姓名": "name",
    "客户名称": "name",
    "投诉人数": "complainants",
    "人数": "complainants",
    "机构名称": "institution",
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "证件类型": "id_type",
    "证件号码": "id_number",
    "身份证号码": "id_number",
    "身份证号": "id_number",
    "证件号": "id_number",
    "联系电话": "phone",
    "手机号码": "phone",
    "手机": "phone",
    "手机号": "phone",
    "联系方式": "phone",
    "电话": "phone",
    "联系地址": "address",
    "地址": "address",
    "联系地址/住所": "address",
    "投诉方式": "method",
    "投诉渠道": "channel",
    "来源": "channel",
    "投诉来源": "channel",
    "转办单号": "transfer_no",
    "转办工单号": "transfer_no",
    "工单号": "transfer_no",
    "工单编号": "transfer_no",
    "转办日期": "transferred_at",
    "转办时间": "transferred_at",
    "交办日期": "transferred_at",
    "办理时限": "reply_due",
    "回复期限": "reply_due",
    "答复期限": "reply_due",
    "办理期限": "reply_due",
    "办理状态": "transfer_status",
    "工单状态": "transfer_status",
    "回复内容": "reply",
    "答复内容": "reply",
    "回复时间": "replied_at",
    "回复日期": "replied_at",
    "答复时间": "replied_at",
    "被投诉人": "respondent",
    "被投诉部门": "respondent_dept",
    "业务类别": "category",
    "投诉类别": "category",
    "投诉类型": "category",
    "投诉内容": "request",
    "投诉请求": "request",
    "诉求": "request",
    "投诉事项": "request",
    "投诉事由": "request",
    "事实与理由": "facts",
    "主要事实与理由": "facts",
    "登记人": "registrar",
    "受理时间": "accepted_at",
    "受理日期": "accepted_at",
    "是否受理": "accepted",
    "受理决定": "accepted",
    "不予受理原因": "reject_reason",
    "不予受理理由": "reject_reason",
    "受理人": "acceptor",
    "告知方式": "reject_notified_via",
    "不予受理告知方式": "reject_notified_via",
    "处理人": "handler",
    "责任部门": "dept",
    "处理部门": "dept",
    "调查处理过程": "investigation",
    "处理过程": "investigation",
    "处理结果": "result",
    "办结时间": "resolved_at",
    "办结日期": "resolved_at",
    "反馈方式": "feedback_via",
    "答复方式": "feedback_via",
    "回访时间": "called_at",
    "回访日期": "called_at",
    "回访结果": "callback_outcome",
    "回访人": "caller",
    "备注": "note",
    # The 12386 platform's own words for its tickets (诉求 for 投诉).
    "诉求编号": "transfer_no",
    "诉求人": "name",
    "诉求人姓名": "name",
    "诉求内容": "request",
    "诉求类型": "category",
    "办结时限": "reply_due",
    "处理情况": "transfer_status",
    "满意度": "callback_outcome",
    # A call centre's own ticket (KF…): the branch's record of the call, never a regulator's ticket.
    "客服工单号": "call_centre_no",
    "客服编号": "call_centre_no",
    "客服单号": "call_centre_no",
    "客服工单编号": "call_centre_no",
    # A time of day kept in its own column beside its date (接收日期 | 接收时间, 日期 | 时间).
    "投诉时刻": "received_time",
    # What `import --skip-bad` adds to the rows it gives back: where each came from, and what was wrong.
    "原行号": "source_row",
    "原工作表": "source_sheet",
    "原文件": "source_sha256",
    "错误原因": "",
}
FIELDS = sorted({v for v in HEADERS.values() if v})
REQUIRED = ("received_at", "name", "request")  # without these a row is not a complaint
FIELD_LABELS = {"received_at": "投诉时间", "name": "投诉人", "request": "投诉内容"}
# Rows of a sheet that are not complaints, told by their first filled cell (NFKC, no spaces): a subtotal or
# total (合计, 一季度小计, 2024年合计：8件), a note under the table (注：…, 说明：…, 备注：…), and the signatures
# (填表人：… 负责人：…, 制表, 审核). A complaint's row begins with its number, date or complainant.
NOT_COMPLAINTS = (
    (
        "total",
        re.compile(
            r"(?:小计|合计|总计|共计).*|[^，,。；;：:]{1,8}?(?:小计|合计|总计|共计)(?:[:：(（\d].*)?", re.DOTALL
        ),
    ),
    ("note", re.compile(r"(?:注|说明|备注|附注)(?:\d+|[①-⑩])?[:：.．、].*", re.DOTALL)),
    (
        "signature",
        # With its colon (填表人：王芳): a complaint's own text may begin 审核开户资料… or 营业部负责人未回复….
        re.compile(
            r"(?:(?:填表|填报|制表|审核|复核|经办|[^，,。；;：:]{0,6}?负责)人?|签字|签名|盖章)[:：].*", re.DOTALL
        ),
    ),
)
YES_WORDS = {"是", "受理", "已受理", "同意受理", "y", "yes", "1", "true", "√", "✓", "✔", "☑"}
NO_WORDS = {"否", "不予受理", "不受理", "n", "no", "0", "false", "×", "✗", "✘", "☒"}
# What offices write in a cell that holds nothing: read as empty.
BLANK_WORDS = {"/", "-", "--", "—", "——", "无", "n/a", "#n/a", "空", "暂无"}
REGULATOR_SOURCES = ("12386", "证监会", "证监局", "监管", "协会")
# A 12386 ticket's 办理状态: answered (the reply went back on the platform), or being handled.
ANSWERED = {"已办结", "办结", "已回复", "已答复", "已完成", "已处理", "已反馈"}
IN_HAND = {"办理中", "处理中", "已受理", "已签收", "已接收", "未办结", "待办理", "待处理"}
SUBTITLE = re.compile(r"[:：]\s*\S")  # 填表人：张三, 单位：… above a ledger's header: a label with its value
KINDS = ("ledger", "12386")  # a branch's own ledger, or the 12386 platform's export of its tickets
GROUP_SIZE = re.compile(r"\s*等\s*(\d+)\s*(?:人|名)\s*$")  # 王建国等12人: the first name of a group
NOTED_SIZE = re.compile(r"共\s*(\d+)\s*(?:人|名)")  # 备注 群体投诉，共12人


GROUP_WORDS = re.compile(r"(?:情况|信息|记录|详情|事项)$")  # 回访情况: the group heading's stem is 回访


def _key(header: object) -> str:
    """A header as compared: NFKC, no spaces or line breaks, no trailing notes in brackets or colons."""
    text = clock.typed(str(header or ""))
    text = re.sub(r"\s+", "", text)
    return re.sub(r"[（(][^）)]*[）)]$|[:：]$", "", text)


# -- reading the file ----------------------------------------------------------------------------


@dataclass
class Table:
    path: Path
    sha256: str
    headers: list[str]  # as written in the file, one per column
    header_row: int  # 1-based row number of the header
    rows: list[tuple[int, list]]  # (row number in the file, values) for each data row
    sheet: str | None = None  # the sheet read, for a workbook
    # The rows that are not complaints, by kind ("blank", and each of NOT_COMPLAINTS): their row numbers.
    skipped: dict[str, list[int]] = field(default_factory=dict)

    @property
    def skipped_blank(self) -> int:
        return len(self.skipped.get("blank", []))

    @property
    def skipped_totals(self) -> int:
        return len(self.skipped.get("total", []))

    @property
    def sheet_year(self) -> int | None:
        """The year a sheet is named for (2025年投诉台账, 2025): where 序号 restarts each year."""
        years = set(re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", self.sheet or ""))
        return int(years.pop()) if len(years) == 1 else None


# What import reads at most (README "Bringing an old ledger in"): enough for decades of a branch's
# ledger, and a refusal in one line, not gigabytes of memory, for a file that is larger or lies about its size.
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL = 100_000  # characters in one CSV field; a ledger field is checked against its own limit later
MAX_FILE = 200 * 1024 * 1024  # bytes of a CSV file, or of all an .xlsx's parts once unpacked


def _too_large(path: Path, what: str) -> ComplaintError:
    return ComplaintError(
        _("{path}: {what}; import reads at most {rows} rows of {columns} columns, {mb} MB").format(
            path=path.name, what=what, rows=MAX_ROWS, columns=MAX_COLUMNS, mb=MAX_FILE // (1024 * 1024)
        )
    )


def _bounded(rows, path: Path) -> list[list]:
    """The rows, each without its trailing empty cells, refused past the bounds."""
    found = []
    for row in rows:
        values = list(row)
        while values and values[-1] in (None, ""):
            values.pop()
        if len(values) > MAX_COLUMNS:
            raise _too_large(path, _("a row has {n} columns").format(n=len(values)))
        found.append(values)
        if len(found) > MAX_ROWS:
            raise _too_large(path, _("more than {n} rows").format(n=MAX_ROWS))
    return found


def _csv_rows(path: Path) -> list[list]:
    """A CSV in UTF-8 (with or without a BOM), GB18030 (Excel and WPS on Chinese Windows) or UTF-16 (WPS's
    "Unicode text"), its fields parted by commas, tabs or semicolons, whichever the first line uses."""
    if path.stat().st_size > MAX_FILE:
        raise _too_large(path, _("the file is {mb} MB").format(mb=path.stat().st_size // (1024 * 1024)))
    encoding = _encoding_of(path)
    csv.field_size_limit(MAX_CELL)
    try:
        # Read as it is parsed: a 50 MB cell is refused at 100,000 characters, not after the file is in memory.
        with path.open(encoding=encoding, newline="") as f:
            first = f.readline(MAX_CELL)
            f.seek(0)
            delimiter = max(",\t;", key=first.count) if first else ","
            return _bounded(csv.reader(f, delimiter=delimiter), path)
    except csv.Error as exc:  # a field past MAX_CELL, a NUL byte: not a ledger's CSV
        raise ComplaintError(_("{path} cannot be read as CSV ({exc})").format(path=path.name, exc=exc)) from None


def _encoding_of(path: Path) -> str:
    """UTF-8 (with or without a BOM), else GB18030: the first that decodes the whole file, read a block at a time."""
    import codecs

    with path.open("rb") as f:
        if f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ComplaintError(_("{path}: not UTF-8 or GB18030 text").format(path=path))  # a binary file named .csv


# Workbooks import does not read, each saved as .xlsx in a moment: WPS's own form, Apple's.
OTHER_WORKBOOKS = (".et", ".numbers")
# Read through python-calamine (pyproject.toml says why): Excel 97-2003's binary form, Excel's binary
# workbook, LibreOffice's. .xlsx stays with openpyxl, which writes the report too.
CALAMINE_WORKBOOKS = (".xls", ".xlsb", ".ods")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Excel 97-2003 (.xls) or WPS (.et) workbook


def _save_as_xlsx(path: Path) -> ComplaintError:
    return ComplaintError(
        _(
            "{path}: this workbook form is not read; save it as .xlsx (WPS/Excel: 另存为 .xlsx) and import "
            "that; import reads .xlsx, .xls, .xlsb, .ods, .csv and .txt (tab-separated)"
        ).format(path=path.name)
    )


@dataclass
class Sheet:
    """A sheet of a workbook as import found it: its rows (without trailing blank ones), whether it is hidden,
    and whether it was read, or why not."""

    name: str
    rows: int
    hidden: bool
    read: bool = False
    why: str | None = None  # a key of `sheet_reasons()`
    like: str | None = None  # headers_differ: the sheet read whose headers these are not


def sheet_reasons() -> dict[str, str]:
    """Why a sheet was not read, in the user's words."""
    return {
        "hidden": _("hidden (--sheet NAME reads it)"),
        "empty": _("empty"),
        "no_header": _("no header row"),
        "headers_differ": _("headers differ from {sheet}'s"),
        "not_named": _("not named by --sheet"),
    }


def _trimmed(rows: list[list]) -> list[list]:
    while rows and _blank(rows[-1]):
        rows.pop()
    return rows


def _xlsx_sheets(path: Path) -> list[tuple[str, bool, list[list]]]:
    """Each sheet of an .xlsx: (name, hidden, rows)."""
    import zipfile

    from openpyxl import load_workbook

    with path.open("rb") as f:
        if f.read(len(OLE_MAGIC)) == OLE_MAGIC:  # an .xls renamed .xlsx: read as what it is
            return _calamine_sheets(path, renamed=True)
    try:
        with zipfile.ZipFile(path) as archive:  # a small file may unpack to gigabytes (shared strings, sheets)
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_FILE:
            raise _too_large(path, _("its parts unpack to {mb} MB").format(mb=unpacked // (1024 * 1024)))
        book = load_workbook(path, read_only=True, data_only=True)
    except ComplaintError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted parts (workbook.xml, styles.xml, the zip): whatever fails, unreadable
        raise ComplaintError(
            _("{path} cannot be read as an Excel workbook ({exc})").format(
                path=path, exc=str(exc) or type(exc).__name__
            )
        ) from None
    found, total = [], 0
    try:
        for ws in book.worksheets:
            ws.reset_dimensions()  # the file's own <dimension> may claim A1:XFD1048576: read what is there
            # One row past the bound: openpyxl fills missing rows up to max_row, so a stray far cell shows as too many.
            rows = ws.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
            try:
                values = _trimmed(_bounded(rows, path))
            except ComplaintError:
                raise
            except Exception as exc:  # noqa: BLE001 - untrusted XML: whatever the parser raises, the file is unreadable
                raise ComplaintError(
                    _("{path} cannot be read as an Excel workbook ({exc})").format(
                        path=path.name, exc=type(exc).__name__
                    )
                ) from None
            total += len(values)
            if total > MAX_ROWS:
                raise _too_large(path, _("more than {n} rows").format(n=MAX_ROWS))
            found.append((ws.title, ws.sheet_state != "visible", values))
    finally:
        book.close()
    return found


def _calamine_sheets(path: Path, renamed: bool = False) -> list[tuple[str, bool, list[list]]]:
    """Each sheet of an .xls, .xlsb or .ods, read by python-calamine: (name, hidden, rows)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if path.stat().st_size > MAX_FILE:
        raise _too_large(path, _("the file is {mb} MB").format(mb=path.stat().st_size // (1024 * 1024)))
    found, total = [], 0
    try:
        with path.open("rb") as f:  # told by its bytes, not its name: an .xls renamed .xlsx is read as .xls
            book = CalamineWorkbook.from_filelike(f)
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # a chart or macro sheet holds no rows
            rows = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
            values = _trimmed(_bounded(([None if v == "" else v for v in row] for row in rows), path))
            total += len(values)
            if total > MAX_ROWS:
                raise _too_large(path, _("more than {n} rows").format(n=MAX_ROWS))
            found.append((meta.name, meta.visible != SheetVisibleEnum.Visible, values))
    except ComplaintError:
        raise
    except Exception as exc:  # noqa: BLE001 - an untrusted binary workbook: whatever the reader raises, unreadable
        what = _("an Excel 97-2003 workbook (.xls) named .xlsx") if renamed else _("a workbook")
        raise ComplaintError(
            _("{path} cannot be read as {what} ({exc}); open it and save it as .xlsx").format(
                path=path.name, what=what, exc=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            )
        ) from None
    return found


def _empty(value: object) -> bool:
    return value is None or str(value).strip() == ""


def _blank(values: list) -> bool:
    return all(_empty(v) for v in values)


def read_tables(
    path: str | Path, sheet: str | None = None, renames: dict[str, str] | None = None
) -> tuple[list[Table], list[Sheet]]:
    """The tables import reads from the file, and each sheet of a workbook with whether it was read, or why not.

    A CSV is one table. Of a workbook, the sheet `--sheet` names (hidden or not); else every visible sheet whose
    columns fill the same fields as the first one's, in the same order (one ledger kept a sheet a year: 2023年,
    2024年). A hidden sheet is never read unless named: it is last year's copy, or a draft.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ComplaintError(_("{path} is a folder; give the .xlsx or .csv file to import").format(path=path))
    if not path.is_file():
        raise ComplaintError(_("no such file: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return [_table(path, _csv_rows(path), None, renames)], []
    if suffix in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(path)
    elif suffix in CALAMINE_WORKBOOKS:
        sheets = _calamine_sheets(path)
    elif suffix in OTHER_WORKBOOKS:
        raise _save_as_xlsx(path)
    else:
        raise ComplaintError(
            _("{path}: import reads .xlsx, .xls, .xlsb, .ods, .csv or .txt (tab-separated) files").format(
                path=path.name
            )
        )
    infos = [Sheet(name, len(rows), hidden) for name, hidden, rows in sheets]
    if sheet is not None:
        if sheet not in [info.name for info in infos]:
            raise ComplaintError(
                _("--sheet {sheet}: no such sheet in {path}; it has {names}").format(
                    sheet=sheet, path=path.name, names="、".join(info.name for info in infos)
                )
            )
        for info, (name, _hidden, rows) in zip(infos, sheets):
            if name == sheet:
                table = _table(path, rows, name, renames)
                info.read = True
            else:
                info.why = "hidden" if info.hidden else "not_named"
        return [table], infos
    tables: list[Table] = []
    failure = None
    for info, (name, hidden, rows) in zip(infos, sheets):
        if hidden:
            info.why = "hidden"
            continue
        if not rows:
            info.why = "empty"
            continue
        try:
            table = _table(path, rows, name, renames)
        except ComplaintError as exc:
            info.why, failure = "no_header", failure or exc
            continue
        if tables and _fields(table, renames) != _fields(tables[0], renames):
            info.why, info.like = "headers_differ", tables[0].sheet
            continue
        tables.append(table)
        info.read = True
    if not tables:
        if failure is not None:
            raise failure
        raise ComplaintError(
            _("{path}: no visible sheet holds rows; --sheet NAME reads a hidden one ({names})").format(
                path=path.name, names="、".join(info.name for info in infos if info.hidden) or "-"
            )
        )
    return tables, infos


def _fields(table: Table, renames: dict[str, str] | None) -> list:
    """The fields a table's columns fill, in order: two sheets of one ledger fill the same."""
    found = [target for _header, target in column_map(table, renames or {})]
    while found and found[-1] is None:
        found.pop()
    return found


def read_table(path: str | Path, sheet: str | None = None, renames: dict[str, str] | None = None) -> Table:
    """The first table import reads from the file (see `read_tables`)."""
    return read_tables(path, sheet, renames)[0][0]


def _table(path: Path, rows: list[list], title: str | None, renames: dict[str, str] | None) -> Table:
    """The rows under the header row: found as the row that names the most known columns."""
    names = {**HEADERS, **{_key(k): v for k, v in (renames or {}).items()}}

    def score(headers: list) -> int:
        return len({names[_key(v)] for v in headers if names.get(_key(v))})

    def combined(upper: list, lower: list) -> list:
        """Two header rows as one: a merged group header above its columns (投诉人信息 over 客户姓名, 证件号码),
        and a header merged down both rows (投诉时间), which is read from the upper row. A title or a
        subtitle (填表人：…, 单位：…) is never a header: a row of one or two cells is not taken for one."""
        width = max(len(upper), len(lower))
        upper, lower = upper + [None] * (width - len(upper)), lower + [None] * (width - len(lower))
        if sum(1 for a in upper if not _empty(a)) <= 2:
            return lower
        found, group = [], None
        for a, b in zip(upper, lower):
            if not _empty(a):
                group = a if not _empty(b) and not SUBTITLE.search(str(a)) else None
            elif _empty(b):
                group = None  # a merged cell's continuation stands over something; nothing here
            if _empty(b):
                found.append(a if not _empty(a) and not SUBTITLE.search(str(a)) else b)
                continue
            # 回访情况 over 日期 | 结果: the group's stem and the column's generic word make 回访日期, 回访结果.
            stem = GROUP_WORDS.sub("", _key(group)) if group is not None else ""
            joined = stem + _key(b)
            found.append(joined if stem and _key(b) != joined and names.get(joined) else b)
        return found

    best, best_score, depth = None, 1, 1
    for index, values in enumerate(rows[:15]):
        candidates = [(score(values), 1, values)]
        if index + 1 < len(rows):
            pair = combined(values, rows[index + 1])
            candidates.append((score(pair), 2, pair))
        for points, rows_used, headers_found in candidates:
            if points > best_score:
                best, best_score, depth, found = index, points, rows_used, headers_found
    if best is None:
        raise ComplaintError(
            _(
                "{path}: found no header row naming at least two known columns (such as 投诉时间, "
                "投诉人, 投诉内容); `import --show-map` shows what is recognised, and --map renames "
                "the rest"
            ).format(path=path.name)
        )
    headers = [str(v).strip() if v is not None else "" for v in found]
    best += depth - 1  # the data start below the last header row
    table = Table(path, sha256_file(path), headers, best + 1, [], sheet=title)
    for number, values in enumerate(rows[best + 1 :], best + 2):
        kind = not_a_complaint(values)
        if kind:
            table.skipped.setdefault(kind, []).append(number)
            continue
        table.rows.append((number, list(values) + [None] * (len(headers) - len(values))))
    return table


def not_a_complaint(values: list) -> str | None:
    """What a row that is not a complaint is (blank, total, note or signature); None for any other row."""
    first = next((v for v in values if not _empty(v)), None)
    if first is None:
        return "blank"
    if not isinstance(first, str):
        return None  # a number or a date: a complaint's 序号 or time of receipt
    text = "".join(clock.typed(first).split())
    kind = next((kind for kind, pattern in NOT_COMPLAINTS if pattern.fullmatch(text)), None)
    if kind in ("total", "note") and any(_gives_a_day(v) for v in values):
        return None  # a row that gives a day is a complaint's (its receipt), whatever its first words say
    return kind


def _gives_a_day(value) -> bool:
    if isinstance(value, (date, datetime)):
        return True
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        clock.parse_date(value.strip().split()[0])
    except ComplaintError:
        return False
    return True


@dataclass
class Mapping:
    """A `--map` file: `[columns]` renames headers to fields ("" ignores a column); `[values]` translates the
    office's own words ("电联" = "电话") in every column, and `[values.FIELD]` (or `[values."header"]`) in one."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # "" for every column

    def words(self, column: str) -> dict[str, str]:
        return {**self.values.get("", {}), **self.values.get(column, {})}


def load_map(path: str | Path | None) -> Mapping:
    if path is None:
        return Mapping()
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ComplaintError(_("--map {path}: no such file").format(path=path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ComplaintError(_("--map {path}: not valid TOML ({exc})").format(path=path, exc=exc)) from None
    columns = data.get("columns", {})
    unknown = sorted({str(v) for v in columns.values() if v and v not in FIELDS})
    if unknown:
        raise ComplaintError(
            _("--map {path}: unknown field {field}; fields are {fields}").format(
                path=path, field=", ".join(unknown), fields=", ".join(FIELDS)
            )
        )
    values: dict[str, dict[str, str]] = {}
    for key, value in (data.get("values") or {}).items():
        if isinstance(value, dict):  # [values.method]: that column's words
            values[_key(key)] = {clock.typed(str(k)): str(v) for k, v in value.items()}
        else:  # a word translated wherever it appears
            values.setdefault("", {})[clock.typed(str(key))] = str(value)
    return Mapping({str(k): str(v) for k, v in columns.items()}, values)


def column_letter(index: int) -> str:
    """A column's letter as a spreadsheet shows it: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


LETTER = re.compile(r"[A-Za-z]{1,3}")
NTH = re.compile(r"(.+?)#(\d{1,3})")  # 日期#2: the second column headed 日期
# Headers that say only what kind of value a column holds (日期, 时间): read by the column before them, a group.
GENERIC = {"日期": "date", "时间": "time"}
# The field a generic 日期 column takes after a column of each field (回访结果 | 日期 is the callback's day).
DATE_AFTER = {
    "callback_outcome": "called_at",
    "caller": "called_at",
    "result": "resolved_at",
    "handler": "accepted_at",
    "accepted": "accepted_at",
    "acceptor": "accepted_at",
    "reply": "replied_at",
    "transfer_no": "transferred_at",
}


def _by_position(table: Table, renames: dict[str, str]) -> dict[int, str]:
    """The columns a map names by letter ("F" = "called_at") or by header and place ("日期#2" = "called_at")."""
    found: dict[int, str] = {}
    keys = [_key(h) for h in table.headers]
    for key, target in renames.items():
        plain = clock.typed(str(key)).strip()
        if LETTER.fullmatch(plain) and _key(plain) not in keys:
            index = 0
            for char in plain.upper():
                index = index * 26 + ord(char) - ord("A") + 1
            if index <= len(keys):
                found[index - 1] = target
        elif nth := NTH.fullmatch(plain):
            same = [i for i, k in enumerate(keys) if k == _key(nth.group(1))]
            if 0 < int(nth.group(2)) <= len(same):
                found[same[int(nth.group(2)) - 1]] = target
    return found


def column_map(table: Table, renames: dict[str, str]) -> list[tuple[str, str | None]]:
    """(header in the file, field it fills or None) for each column: the map `import --show-map` prints.

    A map may name a column by its letter ("F") or by its header and place ("日期#2"): a repeated generic
    header. A generic 日期 takes its field from the column before it (回访结果 | 日期: the callback's day),
    and a time column (时间, 接收时间) beside its date column (日期, 接收日期) joins that date."""
    names = {**HEADERS, **{_key(k): v for k, v in renames.items() if not _positional(k, table)}}
    placed = _by_position(table, renames)
    taken: set[str] = set(v for v in placed.values() if v)
    direct = {names.get(_key(h)) for h in table.headers}
    result: list[tuple[str, str | None]] = []
    for index, header in enumerate(table.headers):
        if index in placed:
            result.append((header, placed[index] or None))
            continue
        key = _key(header)
        target = names.get(key) or None
        before = result[-1][1] if result else None
        if target is None and GENERIC.get(key) == "date" and before in DATE_AFTER:
            target = DATE_AFTER[before]
        elif target is None and GENERIC.get(key) == "date" and "received_at" not in direct | taken:
            target = "received_at"
        if target is None and GENERIC.get(key) == "time" and before == "received_at":
            target = "received_time"  # 日期 | 时间
        if target == "received_at" and "received_at" in taken and key.endswith("时间"):
            target = "received_time"  # 接收日期 | 接收时间: the time of the day before it
        if target in taken:  # a second column for the same field is not guessed at
            target = None
        if target:
            taken.add(target)
        result.append((header, target))
    return result


def _positional(key: str, table: Table) -> bool:
    plain = clock.typed(str(key)).strip()
    keys = {_key(h) for h in table.headers}
    return bool(LETTER.fullmatch(plain) and _key(plain) not in keys or NTH.fullmatch(plain))


def unread(table: Table, mapping: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(column letter, header) of each column no field reads whose header another column shares (a second
    日期): said, so it is never dropped unseen, with the map line that reads it."""
    counts = Counter(_key(h) for h in table.headers if h)
    return [
        (column_letter(i), header)
        for i, (header, target) in enumerate(mapping)
        if not target and header and counts[_key(header)] > 1 and any(_key(h) == _key(header) and t for h, t in mapping)
    ]


def unfilled(mapping: list[tuple[str, str | None]]) -> list[str]:
    """The fields every complaint needs that no column fills (the time of receipt may be a 12386 转办日期)."""
    filled = {target for _header, target in mapping if target}
    if "transferred_at" in filled:
        filled.add("received_at")
    return [name for name in REQUIRED if name not in filled]


def unmatched(table: Table, renames: Mapping) -> list[str]:
    """The map's `[columns]` and `[values."header"]` keys that name no header of the file (a typo, or
    another file's)."""
    present = {_key(h) for h in table.headers}
    keys = [*renames.columns, *(k for k in renames.values if k and k not in FIELDS)]

    def named(key: str) -> bool:
        if key in renames.columns and _positional(key, table):
            return bool(_by_position(table, {key: "x"}))  # a letter within the file's columns, a 日期#2 it has
        return _key(key) in present

    return [key for key in keys if not named(key)]


def table_kind(mapping: list[tuple[str, str | None]]) -> str:
    """A 12386 export names its tickets (工单编号) with the platform's dates or state, and never a branch's
    own handling (是否受理, 处理人, 处理结果); anything else is a branch's ledger."""
    filled = {target for _header, target in mapping if target}
    platform = "transfer_no" in filled and filled & {"transferred_at", "transfer_status", "reply"}
    branch = filled & {"accepted", "accepted_at", "handler", "result", "resolved_at"}
    return "12386" if platform and not branch else "ledger"


# -- one row: its values, then its events ------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What every row of one file shares: the file, what kind of file it is, and who brings it in."""

    sha256: str
    kind: str  # see KINDS
    importer: str
    sheet_year: int | None = None  # the year a sheet is named for: where its 序号 restarts
    sheet: str | None = None  # a workbook's sheet: rows are numbered within it


@dataclass
class Planned:
    """A row made ready: the registration's fields and the events after it, or what is wrong with it.

    Each step is (kind, when, payload, who): who is the old ledger's own person where a column names
    one, else 未记载; the person importing is in the payload's `imported`, apart.
    """

    row: int
    values: dict
    fields: dict = field(default_factory=dict)
    steps: list[tuple[str, datetime, dict, str]] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    status: str = "received"
    error: str | None = None
    digest: str = ""
    registrar: str = UNRECORDED_ACTOR
    origin: dict = field(default_factory=dict)  # the file, row, kind and importer: every event's `imported`
    headers: dict = field(default_factory=dict)  # field -> the file's header it was under
    carried: int | None = None  # the year of a number carried over from an earlier year's sheet (2023-16)
    # The facts read from the row's words (处理结果, 备注), by kind (see TEXT_FACTS): what the summary counts.
    read: Counter = field(default_factory=Counter)
    call_centre: str | None = None  # a call centre's own ticket (KF…, 客服工单号), kept as a note


def _moment(value: object, header: str) -> datetime:
    """A date or time as an old ledger holds it: a date cell, an Excel serial number, or text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=clock.SHANGHAI) if value.tzinfo is None else value.astimezone(clock.SHANGHAI)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), clock.SHANGHAI)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 20_000 < value < 80_000:  # 1954 … 2119: anything else is not a date
            raise ComplaintError(_("{header}: {value} is not a date").format(header=header, value=value))
        day = datetime(1899, 12, 30) + timedelta(days=float(value))  # Excel's serial day 0
        return day.replace(tzinfo=clock.SHANGHAI, microsecond=0)
    return clock.parse_at(str(value), header)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or number typed into a number cell
    text = str(value).strip()
    return text or None


def _category(text: str) -> str:
    """A category by code, full label, or a second-level label alone (服务及费用类) when unambiguous."""
    try:
        return codes.CATEGORIES.parse(text)
    except ComplaintError:
        plain = clock.typed(text)
        found = [code for code, (zh, _en) in codes.CATEGORIES.entries.items() if zh.endswith(plain)]
        if len(found) == 1:
            return found[0]
        raise


def _channel(text: str, given: dict) -> None:
    """自行受理 / 监管转办, or a source such as 12386 that says the complaint was transferred."""
    try:
        given["channel"] = codes.CHANNELS.parse(text)
    except ComplaintError:
        if any(word in clock.typed(text) for word in REGULATOR_SOURCES):
            given["channel"], given["source"] = "regulator", text
        else:
            raise


def _where(column: str, exc: ComplaintError) -> str:
    """`证件号码: check digit is wrong (GB 11643)`: the file's column, the problem, the rule."""
    message = re.sub(r"^--[\w-]+\s*[:：]\s*", "", exc.message)
    if column and message.startswith(column):
        message = message[len(column) :].lstrip(":： ")
    text = f"{column}: {message}" if column else message
    return f"{text} ({exc.rule})" if exc.rule else text


# The old ledger's free-text columns; every other value is a name, number, code or date.
MULTILINE = frozenset({"request", "facts", "result", "note", "investigation", "reject_reason", "address"})


class _Row:
    """One row's values by field, and every problem found in it, each naming its column."""

    def __init__(self, values: dict, headers: dict):
        self.values, self.headers = values, headers
        self.errors: list[str] = []

    def has(self, name: str) -> bool:
        return not _empty(self.values.get(name))

    def column(self, name: str) -> str:
        return self.headers.get(name) or (FIELD_BY_NAME[name].label if name in FIELD_BY_NAME else name)

    def refuse(self, name: str | None, exc: ComplaintError) -> None:
        self.errors.append(_where(self.column(name) if name else "", exc))

    def text(self, name: str, parse=None):
        """The cell as text (parsed, if asked), held to what typed text is held to (complaint.checked_text):
        a name, number or code is one line without control characters; free text may keep its newlines.
        None when the cell is empty, or wrong: then its problem is kept, and the row goes on being checked."""
        from complaintctl.rules.complaint import checked_text

        text = _text(self.values.get(name))
        if text is None:
            return None
        try:
            checked_text(text, self.column(name), multiline=name in MULTILINE)
            return parse(text) if parse else text
        except ComplaintError as exc:
            self.refuse(name, exc)
            return None

    def at(self, name: str) -> datetime | None:
        if not self.has(name):
            return None
        try:
            return _moment(self.values[name], self.column(name))
        except ComplaintError as exc:
            self.refuse(name, exc)
            return None


# Columns that hold identifiers: a number cell there lost its last digits in Excel (15 significant digits).
ID_COLUMNS = ("id_number", "uscc", "transfer_no", "original_no")
# How each identifier's text is made plain before it is read (identity.written_plain): ="…", a leading
# apostrophe, full-width digits, spaces and tabs are how a spreadsheet kept it, not part of it. A phone
# loses only the text marks: its spaces are read by its own check.
PLAIN = {
    "id_number": identity.written_plain,
    "uscc": identity.written_plain,
    "transfer_no": identity.plain_ticket,
    "original_no": identity.written_plain,
    "phone": identity.unwrapped,
}
AS_WRITTEN = ("transfer_no", "original_no")  # kept in the import record as the file had them, when made plain
# A branch's own number carried over into a later year's sheet: 2023-16, 2023年第16号 (2023's 16).
# A number that names its year: 2023-16, 2023年16号, TS-2023-0016, NO.2023-16, (2023)16号, 2023016 (the year
# and three or more digits run together).
CARRIED = re.compile(r"(?:[A-Z]{1,4}[-_.]?)?[(（]?((?:19|20)\d\d)(?:[)）]|[-_/.—]|年)?(?:第)?(?<=[^\d])?0*(\d{1,6})号?")
COUNTED = re.compile(r"(?:第)?0*(\d{1,9})号?")


def number_key(number: str, scope: int) -> tuple[int, str]:
    """A branch's own number as compared within its year's numbering: 16, 016 and 第16号 are one, and
    2023-16 is 2023's 16 in whichever year's sheet it appears (a complaint open at the year's end)."""
    plain = identity.written_plain(str(number)).upper()
    carried = CARRIED.fullmatch(plain)
    if carried:
        return int(carried.group(1)), str(int(carried.group(2)))
    counted = COUNTED.fullmatch(plain)
    return (int(scope), str(int(counted.group(1)))) if counted else (int(scope), plain)


def _made_plain(values: dict) -> tuple[dict, dict]:
    """The row's values with each identifier made plain; and the text of those changed, as the file had it."""
    changed, written = {}, {}
    for name, plain in PLAIN.items():
        value = values.get(name)
        if isinstance(value, str) and value.strip():
            made = plain(value) or None
            if made != value.strip():
                changed[name] = made
                if name in AS_WRITTEN:
                    written[name] = value
    return ({**values, **changed} if changed else values), written


CALL_CENTRE = re.compile(r"KF[\s\-_]*\d", re.IGNORECASE)  # a call centre's ticket: KF20251203001


def _joined(row: "_Row", day: datetime | None) -> datetime | None:
    """The time of receipt with its time column (时间, 接收时间 beside 日期, 接收日期) joined to its day."""
    if day is None or not row.has("received_time") or (day.hour, day.minute) != (0, 0):
        return day
    value = row.values["received_time"]
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        seconds = round(value * 86400)  # Excel keeps a time as a fraction of a day
        value = time(seconds // 3600 % 24, seconds // 60 % 60)
    if not isinstance(value, time):
        text = clock.typed(str(value))
        found = re.fullmatch(r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})?\s*(?:[:：分]\s*\d{0,2}\s*秒?)?", text)
        if not found or int(found.group(1)) > 23 or int(found.group(2) or 0) > 59:
            row.refuse("received_time", ComplaintError(_("{value!r} is not a time of day").format(value=text)))
            return day
        value = time(int(found.group(1)), int(found.group(2) or 0))
    return day.replace(hour=value.hour, minute=value.minute)


SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def _lost_digits(name: str, value: object) -> bool:
    """Whether Excel kept this identifier as a number: an ID card's 18 digits always lose the last three; a
    序号 or ticket number only past 15 digits, or when it shows as 4.45202E+17."""
    if isinstance(value, str):
        return bool(SCIENTIFIC.fullmatch(clock.typed(value)))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return name in ("id_number", "uscc") or abs(value) >= 10**15


def plan_row(number: int, values: dict, headers: dict, source: Source) -> Planned:
    """Check one row and work out its events; every problem becomes part of `error`, naming its column and rule.

    `values` and `headers` are keyed by field: the cell's value, and the header it was under.
    """
    planned = Planned(number, values, headers=headers)
    values, written = _made_plain(values)
    row = _Row(values, headers)
    origin = {
        "file_sha256": source.sha256,
        **({"sheet": source.sheet} if source.sheet else {}),
        "row": number,
        "by": source.importer,
        "kind": source.kind,
        **({"as_written": written} if written else {}),
    }
    mark = {"imported": origin}
    planned.origin = origin
    for name in ID_COLUMNS:
        if row.has(name) and _lost_digits(name, values[name]):
            row.refuse(
                name,
                ComplaintError(
                    _(
                        "Excel stored this ID as a number and lost digits; format the column as "
                        "text and type the number again"
                    )
                ),
            )
            values = {**values, name: None}
            row.values = values
    missing = [name for name in REQUIRED if not (row.has(name) or name == "received_at" and row.has("transferred_at"))]
    for name in missing:
        row.refuse(
            name, ComplaintError(_("missing; every complaint needs its time of receipt, complainant and request"))
        )
    # A 12386 ticket reaches the branch on its 转办日期: the deadlines count from then, not from the call to 12386.
    received = row.at("transferred_at") or _joined(row, row.at("received_at"))
    call_centre = row.text("call_centre_no")
    ticket = row.text("transfer_no")
    if ticket and CALL_CENTRE.match(clock.typed(ticket)):
        # A call centre's KF… number in the ticket column: the call centre's, never the regulator's.
        call_centre = call_centre or ticket
        values = {**values, "transfer_no": None}
        row.values = values
    if call_centre:
        planned.call_centre = clock.typed(call_centre)
    fields: dict = {"received_at": clock.iso(received)} if received else {}
    if source.kind == "12386":
        fields.update(channel="regulator", source="12386")
    row.text("channel", lambda text: _channel(text, fields))
    if row.has("category"):
        fields["category"] = row.text("category", _category)
    name = row.text("name")
    if name and (size := GROUP_SIZE.search(name)):  # 王建国等12人
        fields["complainants"] = int(size.group(1))
        values = {**values, "name": name[: size.start()].strip() or name}
        row.values = values
    if row.has("complainants"):
        count = row.text("complainants", lambda text: parse_fields({"complainants": text})["complainants"])
        if count:
            fields["complainants"] = count
    note = row.text("note")
    if "complainants" not in fields and note and "群体" in note and (size := NOTED_SIZE.search(note)):
        fields["complainants"] = int(size.group(1))  # 备注 群体投诉，共12人
    for name in (
        *COMPLAINANT_FIELDS,
        "method",
        "transfer_no",
        "respondent",
        "respondent_dept",
        "request",
        "facts",
        "source",
    ):
        value = fields.get(name) if name in ("source",) and fields.get(name) else row.text(name)
        if value is None:
            continue
        try:
            fields.update(parse_fields({name: value}, fields))
        except ComplaintError as exc:
            row.refuse(name, exc)
    if row.has("reply_due"):
        due = row.at("reply_due")
        if due is not None:
            fields["reply_due"] = due.date().isoformat()
    if fields.get("id_number") and not fields.get("id_type"):
        fields["id_type"] = "id_card"  # checked as a resident ID, as registration does
    if fields.get("complainants", 1) >= 10:
        fields.setdefault("major_reason", "group-or-repeated")
    unrecorded = [name for name in ("method", "channel", "category") if not fields.get(name)]
    if not fields.get("phone") and not fields.get("address"):
        unrecorded.append("phone")
    if fields.get("channel") == "regulator" and not fields.get("transfer_no"):
        unrecorded.append("transfer_no")
    fields["acceptor"] = row.text("acceptor")  # None: not the person importing, but unknown
    if not fields["acceptor"]:
        unrecorded.append("acceptor")
    planned.registrar = row.text("registrar") or UNRECORDED_ACTOR
    status = _plan_steps(row, planned, fields, unrecorded, received, source, mark) if received else "received"
    if received and fields.get("reply_due") and date.fromisoformat(fields["reply_due"]) < received.date():
        row.refuse(
            "reply_due",
            ComplaintError(
                _("{due} is before the complaint reached the branch ({received})").format(
                    due=fields["reply_due"], received=received.date()
                ),
                "CSA 9.2.2(e)",
            ),
        )
    if row.has("source_row") and row.has("source_sha256"):  # a row given back by --skip-bad, fixed
        sheet = _text(values.get("source_sheet"))
        fields["fixed_from"] = {
            "file_sha256": str(values["source_sha256"]).strip(),
            **({"sheet": sheet} if sheet else {}),
            "row": int(float(values["source_row"])),
        }
    if row.errors:
        planned.error = "；".join(dict.fromkeys(row.errors)) if chinese() else "; ".join(dict.fromkeys(row.errors))
        return planned
    scope = source.sheet_year or received.year
    # The branch's own number: a 12386 export's 序号 only counts its rows, and names no complaint.
    original = row.text("original_no") if source.kind != "12386" else None
    if original:
        year, _number = number_key(original, scope)
        planned.carried = year if year != scope else None
        if planned.carried:
            origin["carried"] = year  # told by a later year's sheet: its next version is that sheet's again
        scope = year
    planned.fields = {
        **fields,
        "original_no": original,
        "original_scope": scope,
        "unrecorded": unrecorded,
        **mark,
    }
    planned.unrecorded, planned.status = unrecorded, status
    planned.digest = hashlib.sha256(
        json.dumps({k: str(v) for k, v in sorted(values.items())}, ensure_ascii=False).encode()
    ).hexdigest()
    origin["digest"] = planned.digest
    return planned


def _plan_steps(
    row: _Row, planned: Planned, fields: dict, unrecorded: list[str], received: datetime, source: Source, mark: dict
) -> str:
    """The events after the registration that the row's columns imply, in order; the status they leave."""
    steps = planned.steps
    acceptor = fields["acceptor"] or UNRECORDED_ACTOR
    handler = row.text("handler")
    decided_at = row.at("accepted_at")
    state = clock.typed(row.text("transfer_status") or "")
    answered, in_hand = state in ANSWERED, state in IN_HAND
    reply, replied = row.text("reply"), row.at("replied_at")
    result, resolved = row.text("result"), row.at("resolved_at")
    if source.kind == "12386" and answered:
        # The platform says the ticket was answered: its reply is the result sent back, on the reply's day.
        if replied is None:
            row.refuse(
                "transfer_status",
                ComplaintError(
                    _("{state}, but no 回复时间 says when the reply was given; add that column, or --map it").format(
                        state=state
                    )
                ),
            )
            return "received"
        result, resolved = result or reply or state, resolved or replied
    note = row.text("note")
    decided = None
    # A refusal written only in words: 处理结果 不予受理：…, or 备注 when there is no result.
    refused_in_words = wording.refused(result) or not result and wording.refused(note)
    if row.has("accepted"):
        word = clock.typed(row.text("accepted") or "").lower()
        if word in YES_WORDS | NO_WORDS:
            decided = word in YES_WORDS
            if decided and wording.refused(result):  # 是否受理 是, 处理结果 不予受理…: only the office knows which
                row.refuse(
                    "accepted",
                    ComplaintError(
                        _("{value!r}, but {column} says it was not accepted ({result!r}); correct one of them").format(
                            value=row.text("accepted"), column=row.column("result"), result=result
                        )
                    ),
                )
        else:
            row.refuse(
                "accepted", ComplaintError(_("{value!r} is neither 是 nor 否").format(value=row.text("accepted")))
            )
    elif refused_in_words:
        decided = False
        planned.read["refusal"] += 1
    elif decided_at is not None or handler or result or resolved or answered or in_hand:
        decided = True  # a complaint that was handled was accepted
    if row.has("note"):
        steps.append(("noted", received, {"kind": "internal", "text": row.text("note"), **mark}, UNRECORDED_ACTOR))
    if planned.call_centre:  # kept as the call centre's number, apart from the regulator ticket
        text = "客服工单号 {number}".format(number=planned.call_centre)
        steps.append(("noted", received, {"kind": "internal", "text": text, **mark}, UNRECORDED_ACTOR))
    if decided is None:
        return "received"
    at = decided_at or received
    timing = {} if decided_at else {"time_unrecorded": True}
    if decided_at is None:
        unrecorded.append("accepted_at")  # when it was decided is not known: never "at once"
    if decided is False:
        # The reason, where the old ledger wrote it: its own column, else the result (without the word 不予受理
        # itself), else the notes; the first that gives a ground of CSA 9.1.1, else f) with the words kept.
        said = [text for text in (row.text("reject_reason"), result, note) if text]
        code = next((found for text in said if (found := wording.ground(text))), "other")
        # f): the words kept as written, the first that says more than 不予受理 itself.
        reason = (
            None if code != "other" else next((t for t in said if wording.reason_text(t)), said[0] if said else None)
        )
        via = row.text("reject_notified_via", codes.NOTIFY_VIA.parse)
        if not via and (via := wording.told_via(note, result)):
            planned.read["notice"] += 1  # 备注 已电话告知
        if not via:
            unrecorded.append("reject_notified_via")
        steps.append(
            (
                "rejected",
                at,
                {"reason": code, "note": reason if code == "other" else None, "notified_via": via, **timing, **mark},
                acceptor,
            )
        )
        _check_order(received, steps, row)
        return "rejected"
    steps.append(("accepted", at, {**timing, **mark}, acceptor))
    status = "accepted"
    if handler:
        steps.append(("assigned", at, {"handler": handler, "dept": row.text("dept"), **mark}, UNRECORDED_ACTOR))
        status = "assigned"
    else:
        unrecorded.append("handler")
    words = wording.extension(note, result)
    if words:
        days, told, text = words
        via = wording.extension_via(text)
        steps.append(
            (
                "extended",
                at,
                {
                    "days": days,
                    "reason": text,
                    "approved_by": UNRECORDED_ACTOR,
                    **({"notified_via": via} if via else {}),
                    **({"notified": True} if told or via else {}),
                    "time_unrecorded": True,
                    **mark,
                },
                UNRECORDED_ACTOR,
            )
        )
        unrecorded.append("extended_at")  # the day it was asked for is not in the file
        planned.read["extension"] += 1
    if wording.withdrawn(result, note):
        # 客户撤诉, 客户撤回投诉: ended without a result (终止处理), never completed; on the day the file gives, if any.
        ended_at = resolved or at
        steps.append(
            (
                "terminated",
                ended_at,
                {
                    "reason": "withdrawn",
                    # the words that say so, and a result written beside them (kept: never a completion)
                    "note": "；".join(t for t in (result, note) if t),
                    **({} if resolved else {"time_unrecorded": True}),
                    **mark,
                },
                handler or UNRECORDED_ACTOR,
            )
        )
        if not resolved:
            unrecorded.append("terminated_at")
        planned.read["withdrawal"] += 1
        _check_order(received, steps, row)
        return "terminated"
    if (result is None) != (resolved is None):
        row.refuse(
            "result" if result is None else "resolved_at",
            ComplaintError(_("a result needs its completion date, and a completion date its result")),
        )
        return status
    if resolved is not None:
        investigation = row.text("investigation")
        via = row.text("feedback_via", codes.FEEDBACK_VIA.parse)
        steps.append(
            (
                "resolved",
                resolved,
                {
                    "result": result,
                    **({"facts_found": investigation} if investigation else {}),
                    **({"feedback_via": via} if via else {}),
                    **mark,
                },
                handler or UNRECORDED_ACTOR,
            )
        )
        if not investigation:
            unrecorded.append("investigation")
        if not via:
            unrecorded.append("feedback_via")
        ended = resolved
        if reply and replied is not None or source.kind == "12386" and answered:
            steps.append(
                (
                    "regulator_replied",
                    replied,
                    {"note": reply, "transfer_no": fields.get("transfer_no"), "source": fields.get("source"), **mark},
                    UNRECORDED_ACTOR,
                )
            )
            ended = max(ended, replied)
        elif fields.get("channel") == "regulator":
            unrecorded.append("regulator_reply")
        if row.has("callback_outcome") or row.has("called_at"):
            if not row.has("callback_outcome"):
                row.refuse(
                    "called_at", ComplaintError(_("a callback date needs its outcome (满意, 不满意 or 未能联系)"))
                )
            else:
                outcome = row.text("callback_outcome", codes.CALLBACK_OUTCOMES.parse)
                called = row.at("called_at")
                if outcome and called is not None:
                    steps.append(
                        (
                            "called_back",
                            called,
                            {"outcome": outcome, "method": None, **mark},
                            row.text("caller") or UNRECORDED_ACTOR,
                        )
                    )
                    ended = max(ended, called)
                elif outcome:
                    # An outcome without its day: the callback's day is 未记载, never the completion day.
                    unrecorded.append("callback")
                    told = "{column}：{outcome}（回访日期未记载）".format(
                        column=row.column("callback_outcome"), outcome=codes.CALLBACK_OUTCOMES.label(outcome)
                    )
                    steps.insert(0, ("noted", received, {"kind": "internal", "text": told, **mark}, UNRECORDED_ACTOR))
        elif said := wording.callback(note, result):
            # 12月5日电话回访，客户满意: the day written (its year from the row), and the outcome; no day, 未记载.
            told, outcome, method, text = said
            day = wording.day_in_context(told, resolved.date()) if told else None
            if day is not None and outcome:
                called = datetime.combine(day, time(0, 0), clock.SHANGHAI)
                steps.append(
                    (
                        "called_back",
                        called,
                        {"outcome": outcome, "method": method, "note": text, **mark},
                        row.text("caller") or UNRECORDED_ACTOR,
                    )
                )
                ended = max(ended, called)
                planned.read["callback"] += 1
            else:
                unrecorded.append("callback")  # told of, but its day (or outcome) is not in the file
                planned.read["callback_undated"] += 1
        else:
            unrecorded.append("callback")  # not a missed callback: one the old ledger does not tell of
        if fields.get("complainants", 1) >= 10:
            unrecorded.append("escalation")
        # The old ledger says it was completed: closed then, so no callback is owed today.
        steps.append(("closed", ended, {"keep_until": keep_until(ended.date()).isoformat(), **mark}, UNRECORDED_ACTOR))
        status = "closed"
    _check_order(received, steps, row)
    return status


STEP_FIELD = {
    "extended": "accepted_at",
    "terminated": "resolved_at",
    "accepted": "accepted_at",
    "rejected": "accepted_at",
    "assigned": "accepted_at",
    "resolved": "resolved_at",
    "called_back": "called_at",
    "regulator_replied": "replied_at",
}


def _check_order(received: datetime, steps: list, row: _Row) -> None:
    """Nothing before the receipt; each status change not before the one before it (as typed input is held)."""

    def column(kind: str) -> str:
        if kind == "called_back" and not row.headers.get("called_at"):  # a callback read from 备注 or 处理结果
            return row.column("note" if row.has("note") else "result")
        return row.column(STEP_FIELD.get(kind, "received_at"))

    previous, previous_kind = received, "registered"
    for kind, at, _payload, _actor in steps:
        if at.date() < previous.date():
            row.refuse(
                None,
                ComplaintError(
                    _("{column} {at} is before {previous_column} {previous}").format(
                        column=column(kind),
                        at=at.date(),
                        previous_column=column(previous_kind),
                        previous=previous.date(),
                    ),
                    "CSA 9.4",
                ),
            )
            return
        if kind != "noted":
            previous, previous_kind = max(previous, at), kind


def plan(
    table: Table, renames: Mapping, *, importer: str, kind: str | None = None, listener: Listener | None = None
) -> list[Planned]:
    """Every data row of the table, checked and planned: the office's words read, blank marks emptied."""
    mapping = column_map(table, renames.columns)
    headers = {target: header for header, target in mapping if target}
    source = Source(table.sha256, kind or table_kind(mapping), importer, table.sheet_year, table.sheet)
    words = {target: renames.words(target) | renames.words(_key(header)) for header, target in mapping if target}
    result = []
    for number, cells in counted(table.rows, listener, _("checking rows"), len(table.rows), every=256):
        by_field = {}
        for (header, target), value in zip(mapping, cells):
            if not target:
                continue
            if isinstance(value, str):
                plain = clock.typed(value)
                value = words[target].get(plain, value)
                if plain.lower() in BLANK_WORDS:
                    value = None
            by_field[target] = value
        result.append(plan_row(number, by_field, headers, source))
    return result


# -- what the rows say, all together ---------------------------------------------------------------


def gaps(planned: Iterable[Planned]) -> dict[str, int]:
    """How many rows lack each thing an old ledger may not have recorded (marked 未记载)."""
    return dict(Counter(name for item in planned for name in item.unrecorded))


def handled_by_respondent(planned: list[Planned]) -> list[tuple[int, str]]:
    """(row, handler) of each row whose handler is its respondent: an old ledger may say so, and the
    import records it as it was, but CSA 7.7 says an upper level must reassign it (shown by `show` too)."""
    from complaintctl.rules.identity import same_person

    found = []
    for plan in planned:
        handlers = [payload.get("handler") for kind, _at, payload, _actor in plan.steps if kind == "assigned"]
        if handlers and same_person(handlers[-1], plan.fields.get("respondent")):
            found.append((plan.row, handlers[-1]))
    return found
