"""Writing the report workbook with openpyxl's write-only (streaming) sheets, laid out to print.

Rows go to disk as they are made, so a quarter of 100,000 complaints needs little memory. Every
text is written as a string cell, never a formula, whatever it starts with. Every sheet prints on
A4, one page wide, with its header row on every page and a header and footer naming the branch,
the period, the page ("第 &P 页 共 &N 页") and when it was generated. Row heights are set from the
wrapped line count, because neither LibreOffice nor WPS fits them when a file is opened.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from complaintctl.rules import clock
from complaintctl.i18n import _
from complaintctl.progress import Listener
from complaintctl.outputs.rows import (
    CALLBACK_COLUMNS,
    DELAY_COLUMNS,
    DETAIL_COLUMNS,
    REGISTER_COLUMNS,
    Column,
    Entry,
    local,
    shown_columns,
)
from complaintctl.outputs.report import Report
from complaintctl.outputs.summary import Summary

FORMATS = {"datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "int": "0", "money": "#,##0.00", "percent": "0.0%"}
# Column widths in Excel's units (about one Latin character; a Chinese character takes two), as
# narrow as their values allow. Headers wrap. The ledger prints across several A4 pages at a fixed 80 % (8.8 pt),
# each page led by the complaint number (DetailSheet), not squeezed onto one page at 3 pt.
WIDTHS = {"text": 9, "long": 22, "datetime": 15.5, "date": 10.5, "int": 5.5, "money": 9, "percent": 8}
WIDER = {
    "id": 13,
    "id_number": 19.5,
    "phone": 12,
    "address": 14,
    "respondent": 12,
    "category": 14,
    "category_group": 10,
    "reject_reason": 13,
    "transfer_no": 13,
    "complainant": 8,
    "feedback": 12,
    "investigation": 30,
    "result": 22,
    "reason": 26,
    "note": 20,
    "complainant_basics": 19.5,
    "branch": 10,
}
NARROW = {
    "decision": 6,
    "method": 5,
    "status": 7,
    "overdue_at_end": 9,
    "group": 5,
    "major": 5,
    "provisional": 5,
    "due_in_period": 5,
    "type": 5,
    "scope": 8,
    "acceptor": 7,
    "handler": 7,
    "caller": 7,
    "on_time": 17,
    "callback": 17,
    "outcome": 7,
    "deadline": 8,
    "agent": 8,
    "legal_rep": 8,
}
MAX_TEXT = 32_767  # Excel's limit for one cell
RISKY_START = ("=", "+", "-", "@")  # what a spreadsheet would take for the start of a formula

DEFAULT_ROW_PT = 15.0  # Excel's default row; the summary-like sheets set it on every row, so pages break where counted
PORTRAIT_PT = (
    700.0  # A4 portrait less its margins and what LibreOffice gives the header and footer inside them, in points
)
# Points per line of 11-point text, Chinese included: Noto Sans CJK, what LibreOffice prints Chinese in on
# Linux, takes 1.45 em a line (15.9 pt), Excel's and WPS's 等线 less; at 14.5 the last line of a cell was cut.
LINE_PT = 16.0
MAX_LINES = 15  # rows stay readable on screen; the cell still holds the whole text

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SIGN_LINE = Border(bottom=Side(style="thin", color="000000"))
FONT = "Calibri"  # named on every font: a cell font without a name prints in LibreOffice's serif
HEADER_FONT = Font(name=FONT, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
TOP_WRAP = Alignment(wrap_text=True, vertical="top")
NUMBER_ALIGN = Alignment(horizontal="right", vertical="top")
HOW_ALIGN = Alignment(wrap_text=True, horizontal="left", vertical="top", indent=1)  # a gap after the number


def with_login(actor: str, login: str | None) -> str:
    """Who typed it (--by), and on a firm ledger the database login the server recorded beside it."""
    return f"{actor}（登录 {login}）" if login else actor


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters are two wide.

    Counted from its UTF-8 length, at C speed: a CJK character is 3 bytes and 2 columns, ASCII 1 and 1.
    """
    size = len(text)
    return size + (len(text.encode("utf-8")) - size) // 2


def line_room(width: float) -> float:
    """What a line holds in a column `width` units wide, in display_width's columns."""
    return max(1.0, (width - 1.5) * 0.9)  # cell padding; Chinese line breaking leaves the ends of lines short


def line_count(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` units wide."""
    room = line_room(width)
    if "\n" not in text and len(text) * 2 <= room:  # the common case, without measuring each character
        return 1
    return sum(max(1, math.ceil(display_width(line) / room)) for line in text.split("\n"))


def row_height(lines: int, most: int = MAX_LINES) -> float:
    return min(lines, most) * LINE_PT + 3


# The register prints its texts whole up to Excel's tallest row, 409 pt: 25 lines. A longer text stays whole in
# its cell (and in the ledger) but prints cut at the row's foot.
WHOLE_LINES = int((409 - 3) / LINE_PT)


def clean(text: str) -> str:
    """Control characters Excel cannot store become U+FFFD; over-long text is cut with a marker."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(text) > MAX_TEXT:
        marker = "…（超出单元格长度，全文见台账）"
        text = text[: MAX_TEXT - len(marker)] + marker
    return text


def _page(ws, report: Report, title: str, *, landscape: bool, title_rows: str | None = None) -> None:
    """A4, one page wide, header row repeated; header and footer say whose, which period, which page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if landscape else Worksheet.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = _header_text(report.branch or "")
    ws.oddHeader.center.text = _header_text(f"{title}（{report.period.label}）")
    ws.oddHeader.right.text = f"统计截至 {report.cutoff}"
    ws.oddFooter.left.text = f"生成时间 {report.generated_at:%Y-%m-%d %H:%M}"
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.right.text = "个人信息未脱敏" if report.unmasked else "个人信息已脱敏"


# An A4 landscape page across, in Excel's column width units at 100%: 842 pt less 0.4 in margins each side,
# at about 5.7 pt a unit (Calibri 11: 64 px for 8.43 units at 96 dpi; Carlito renders the same).
# Text is 11 pt; at least 8 pt printed needs a scale of 0.73 or more.
PAGE_UNITS = (842 - 2 * 0.4 * 72) / 5.7
MIN_SCALE = 8 / 11
PRINT_SCALE = 80  # per cent: 11 pt text prints at 8.8 pt


def pages_across(widths: list[float]) -> int:
    """How many pages wide a sheet of these column widths prints so that its text stays 8 pt or more."""
    return max(1, math.ceil(sum(widths) * MIN_SCALE / PAGE_UNITS))


def bands_across(widths: list[float], room: float) -> list[int]:
    """The first column of each page across: as few pages as fit `room` units each, the widest of them as
    narrow as the columns allow (filled greedily, the last page held 3 of 30 columns). The first column,
    the complaint number, is printed again at the left of every page after the first; a column too wide
    for a page with it has a page of its own."""

    def starts(cap: float) -> list[int]:
        found, used = [1], 0.0
        for number, width in enumerate(widths, 1):
            if used + width > cap and number > found[-1]:
                found.append(number)
                used = widths[0]
            used += width
        return found

    fewest = len(starts(room))
    low, high = 0.0, room  # a wider cap never needs more pages: the narrowest one that needs no more
    for _step in range(40):
        middle = (low + high) / 2
        low, high = (low, middle) if len(starts(middle)) <= fewest else (middle, high)
    return starts(high)


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a code (&P, &N) in a page header or footer


def _widths(ws, widths: list[float]) -> None:
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width


def _append(ws, number: int, cells: list, height: float | None = None) -> None:
    """Append row `number`, `height` points high when given (its row_dimensions are read as it is written)."""
    if height:
        ws.row_dimensions[number].height = height
    ws.append(cells)
    if height:
        del ws.row_dimensions[number]  # written: a streamed sheet of 100,000 rows keeps none in memory


class ReadyCell(Cell):
    """A cell made and styled before it is appended to a streamed sheet, as every cell of ours is.

    openpyxl's streamed sheet learns that an appended value is a ready cell by failing to store it as
    a value, and the error it then discards names the cell: its coordinate, formatted for each of the
    report's half a million cells, was a third of a large report's time. A ReadyCell names itself in
    no time. (It replaces an override of openpyxl's private `_values_to_row`, issue 33.)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<ReadyCell>"


def ready_cell(ws, value=None) -> ReadyCell:
    return ReadyCell(ws, value=value)


class DetailSheet:
    """A streamed sheet with a frozen, filtered header row and one template cell per column.

    Its grid prints as thin lines (printGridLines) rather than a border on every cell: empty cells
    are then not written at all, which keeps a quarter of 100,000 complaints fast.
    """

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: list[Column],
        report: Report,
        widths: list[float] | None = None,
        most_lines: int = MAX_LINES,
    ):
        self.ws = workbook.create_sheet(title)
        self.most_lines = most_lines

        self.columns = columns
        self.rows = 0
        self.widths = widths or [column_width(c) for c in columns]
        _widths(self.ws, self.widths)
        self.ws.freeze_panes = "B2"  # the header row and the complaint number stay in view
        # Wide sheets print across as many pages as keep the text at 8 pt or more (issue 31), each page led by
        # the complaint number; the pages of one stretch of rows come first, then the next rows ("over, then down").
        _page(self.ws, report, title, landscape=True, title_rows="1:1")
        self.bands = [1]  # the first column of each page across
        if pages_across(self.widths) > 1:  # printed at a fixed 80 %: 8.8 pt, across as many pages as it takes
            self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
            self.ws.page_setup.scale = PRINT_SCALE
            self.ws.print_title_cols = "A:A"
            self.ws.page_setup.pageOrder = "overThenDown"
            # Our own breaks between pages across, so the sign-off can be written where each page begins.
            self.bands = bands_across(self.widths, PAGE_UNITS * 100 / PRINT_SCALE * 0.98)
            for number in self.bands[1:]:
                self.ws.col_breaks.append(Break(id=number - 1))
        self.ws.print_options.gridLines = True
        header = []
        texts = [header_lines(c.header, w) for c, w in zip(columns, self.widths)]
        for text in texts:
            cell = ready_cell(self.ws, value=text)
            cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGN, BOX
            header.append(cell)
        lines = max(line_count(t, w) for t, w in zip(texts, self.widths))
        _append(self.ws, 1, header, row_height(lines))
        # One styled cell per column, reused for every row: styling each cell anew is the slow part.
        self.templates = [self._template(c) for c in columns]
        self.wraps = [c.kind not in FORMATS for c in columns]
        self.rooms = [line_room(w) for w in self.widths]
        self.days = [self._template(Column(c.key, c.header, "date")) for c in columns]
        self.provisional = self._template(Column("due", "", "date"))
        self.provisional.number_format = PROVISIONAL_FORMAT

    def _template(self, column: Column, quote: bool = False) -> ReadyCell:
        cell = ready_cell(self.ws)
        if column.kind in FORMATS:
            cell.number_format = FORMATS[column.kind]
            cell.alignment = NUMBER_ALIGN
        else:
            cell.alignment = TOP_WRAP
        if quote:
            cell.quotePrefix = True  # shown and edited as text in Excel, WPS and LibreOffice
        return cell

    def append(self, row: dict) -> None:
        cells = []
        lines = 1
        for column, template, width, room, wraps, day in zip(
            self.columns, self.templates, self.widths, self.rooms, self.wraps, self.days
        ):
            value = row.get(column.key)
            if value is None or value == "":
                cells.append(None)
                continue
            if isinstance(value, str):
                value = clean(value)
                if value.startswith(RISKY_START):
                    template = self._template(column, quote=True)
                if wraps and (len(value) * 2 > room or "\n" in value):  # line_count's own quick case, inline
                    lines = max(lines, line_count(value, width))
            elif column.key in DUE_KEYS and (
                column.key in row.get("provisional_due", ()) if "provisional_due" in row else row.get("provisional")
            ):
                template = self.provisional  # the due date printed 2027-01-05（暂定）, still a date
            elif column.kind == "datetime" and isinstance(value, datetime) and value.hour == value.minute == 0:
                # A day without a time (an old ledger's date cell, a date typed alone): the day, never 00:00.
                template = day

            # A row is written as it is appended, so each column's template can carry the next row's value.
            template.value = value
            if template.data_type == "f":
                template.data_type = "s"  # text, never a formula (CSV/formula injection)
            cells.append(template)
        self.rows += 1
        _append(self.ws, self.rows + 1, cells, row_height(lines, self.most_lines) if lines > 1 else None)

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        # After one empty row, the sheet's sign-off and the place for the seal: on its last printed page.
        # A sheet printed across several pages has it on each, so its last page has it too: merged across
        # that page's columns and wrapped to them. The number column printed again at each page's left
        # stays empty, or its cut-off copy would start every page.
        self.ws.append([])
        number = self.rows + 3
        ends = [*(start - 1 for start in self.bands[1:]), len(self.columns)]
        starts = [2 if len(self.bands) > 1 else 1, *self.bands[1:]]
        row: list = [None] * len(self.columns)
        lines = 1
        for start, end in zip(starts, ends):
            width = sum(self.widths[start - 1 : end])
            sign = ready_cell(self.ws, value=sign_off_lines(width))
            sign.alignment = Alignment(vertical="bottom", wrap_text=True)
            row[start - 1] = sign
            if end > start:
                self.ws.merged_cells.add(f"{get_column_letter(start)}{number}:{get_column_letter(end)}{number}")
            lines = max(lines, line_count(sign.value, width))
        _append(self.ws, number, row, 24 + LINE_PT * lines)
        self.ws.print_area = f"A1:{last}{number}"  # the table's columns only


# A deadline that depends on a year whose holiday schedule is not imported yet (CSA 12.1: counted on
# weekends only for now): its date cell says so, in place of a 期限暂定 column empty in most reports.
PROVISIONAL_FORMAT = 'yyyy-mm-dd"（暂定）"'
DUE_KEYS = {"acceptance_due", "completion_due", "due"}


# The sign-off under each printed sheet: who compiled, checked and answers for it, the day, and the seal.
SIGN_OFF_LINE = "编制人：＿＿＿＿＿　复核人：＿＿＿＿＿　负责人：＿＿＿＿＿　日期：＿＿＿＿＿　（盖章）"


def sign_off_lines(width: float) -> str:
    """The sign-off for a span `width` units wide: broken between its entries where it does not fit on one
    line, so that a narrow page's copy never splits 日期 from its colon or （盖章） from its bracket."""
    room = line_room(width)
    lines: list[str] = []
    for entry in SIGN_OFF_LINE.split("　"):
        if lines and display_width(f"{lines[-1]}　{entry}") <= room:
            lines[-1] += "　" + entry
        else:
            lines.append(entry)
    return "\n".join(lines)


def header_lines(header: str, width: float) -> str:
    """A column header broken where a reader expects: before its bracketed unit, never leaving a lone
    bracket or full stop on a line of its own (赔偿金额（元）, not 赔偿金额（元 / ）)."""
    header = header.rstrip("。")
    if display_width(header) <= width - 1.5 or len(header) <= 3:  # 受理人 stays whole: its column widens
        return header
    if "（" in header and not header.startswith("（"):
        head, unit = header.split("（", 1)
        return f"{head}\n（{unit}"
    if "/" in header:  # 个体/群体, 联系地址/住所: at the slash
        head, rest = header.split("/", 1)
        return f"{head}/\n{rest}"
    for word in ("的", "与"):  # 再投诉的/原投诉编号
        if word in header[1:-1]:
            head, rest = header.split(word, 1)
            return f"{head}{word}\n{rest}"
    # Chinese terms pair their characters: 受理/决定, 法定/代表人, 本期/应回访, 受理决定/日期, 是否按期/回访.
    middle = {4: 2, 5: 2, 6: 4}.get(len(header), (len(header) + 1) // 2)
    return f"{header[:middle]}\n{header[middle:]}"


def column_width(column: Column) -> float:
    """As narrow as its values allow, and wide enough for each line of its header (broken by header_lines)."""
    width = NARROW.get(column.key) or WIDER.get(column.key) or WIDTHS[column.kind]
    return max(width, max(display_width(line) for line in header_lines(column.header, width).split("\n")) + 1.5)


def register_widths(columns: list[Column]) -> list[float]:
    """投诉台账's widths: one A4 landscape page across at 8 pt or more (a scale of at least 8/11), the long
    texts sharing what the short columns leave, the investigation most."""
    short = [column_width(c) for c in columns]
    room = PAGE_UNITS / MIN_SCALE * 0.98 - sum(w for c, w in zip(columns, short) if c.kind != "long")
    shares = {"request": 0.22, "facts": 0.24, "investigation": 0.30, "result": 0.24}
    return [room * shares[c.key] if c.kind == "long" else w for c, w in zip(columns, short)]


def _cell(
    ws,
    value,
    *,
    bold: bool = False,
    fmt: str | None = None,
    size: int | None = None,
    align: Alignment | None = None,
    border: Border | None = BOX,
    fill: PatternFill | None = None,
) -> ReadyCell:
    cell = ready_cell(ws, value=clean(value) if isinstance(value, str) else value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if bold or size:
        cell.font = Font(name=FONT, bold=bold, size=size)
    if fmt:
        cell.number_format = fmt
    if align is not None:
        cell.alignment = align
    if border is not None:
        cell.border = border
    if fill is not None:
        cell.fill = fill
    return cell


def _number(ws, value, *, bold: bool = False) -> ReadyCell:
    """A figure, right-aligned: counts as integers, yuan with two decimals, rates as percentages."""
    fmt = None
    if isinstance(value, float):
        fmt = FORMATS["percent"]
    elif isinstance(value, Decimal):
        fmt = FORMATS["money"]
    return _cell(ws, value, fmt=fmt, bold=bold, align=NUMBER_ALIGN)


DAY_UNIT = {"trading": "个交易日", "working": "个工作日"}


def policy_text(policy) -> str:
    """A firm policy in one line, with the local regulator's basis when it gives more time than CSA's."""
    text = (
        f"受理决定{policy.acceptance_days}{DAY_UNIT[policy.acceptance_unit]}，"
        f"办结{policy.completion_days}{DAY_UNIT[policy.completion_unit]}，"
        f"延期每次≤{policy.extension_each_max}、合计≤{policy.extension_total_max}，"
        f"回访{policy.callback_days}{DAY_UNIT[policy.callback_unit]}"
    )
    if policy.laxer_than_csa():
        return f"{text}；宽于标准时限，依据：{policy.basis}（CSA 9.2.2(c) 当地监管机构另行规定）"
    return f"{text}；不宽于标准时限"


class Rows:
    """A streamed sheet written top to bottom, knowing its row numbers (for merges, breaks and charts)."""

    def __init__(self, ws, widths: list[float], page_pt: float = 0):
        self.ws = ws
        self.widths = widths
        self.n = 0
        self.page_pt = page_pt  # printable height of a page, to keep a table on one
        self.used = 0.0  # points used on the current page
        _widths(ws, widths)

    def keep_together(self, rows: int, points: float = 0.0) -> None:
        """Start a new page unless `rows` more one-line rows and `points` more fit on this one (a table is
        not cut from its heading)."""
        if not self.fits(rows * DEFAULT_ROW_PT + points) and self.n:
            self.new_page()

    def fits(self, points: float) -> bool:
        """Whether `points` more fit on the current page (always, on a sheet not laid out in pages)."""
        return not self.page_pt or self.used + points <= self.page_pt

    def new_page(self) -> None:
        self.ws.row_breaks.append(Break(id=self.n))
        self.used = 0.0

    def height(self, cells, merge_from: int | None = None) -> float:
        """A row's height: as tall as its longest wrapped text. Written on every row, one line's too:
        LibreOffice's own default row is taller with Chinese text, and its page breaks would not be ours."""
        lines = 1
        spans = list(self.widths)
        if merge_from is not None:
            spans[merge_from - 1] = sum(self.widths[merge_from - 1 :])
        for cell, width in zip(cells, spans):
            if cell is not None and isinstance(cell.value, str) and cell.alignment.wrap_text:
                lines = max(lines, line_count(cell.value, width))
        return row_height(lines) if lines > 1 else DEFAULT_ROW_PT

    def add(self, *cells, height: float | None = None, merge_from: int | None = None) -> int:
        """Append a row; `merge_from` merges its columns from that one to the last. Returns its number."""
        self.n += 1
        if height is None:
            height = self.height(cells, merge_from)
        if merge_from is not None:
            self.ws.merged_cells.add(
                f"{get_column_letter(merge_from)}{self.n}:{get_column_letter(len(self.widths))}{self.n}"
            )
            # The cells a merge covers carry its border, so the merged box is drawn whole.
            border = BOX if cells[-1].border.left.style else None
            cells = (*cells, *(_cell(self.ws, None, border=border) for _ in range(len(self.widths) - len(cells))))
        _append(self.ws, self.n, list(cells), height)
        self.used += height or DEFAULT_ROW_PT
        return self.n

    def blank(self) -> None:
        self.add()


def write_summary(ws, report: Report) -> None:
    """The 汇总 sheet: what the period was, the four rates, every figure with how it is counted, sign-off
    with the ledger's chain heads; and those heads in the workbook's properties (`write_properties`)."""
    summary: Summary = report.summary
    period = report.period
    _page(ws, report, "投诉处理情况汇总表", landscape=False)
    sheet = Rows(ws, [32, 11, 46], page_pt=PORTRAIT_PT)

    def label(name: str) -> ReadyCell:
        return _cell(ws, name, bold=True, align=TOP_WRAP)

    def text(value: str) -> ReadyCell:
        return _cell(ws, value, align=TOP_WRAP)

    sheet.add(
        _cell(
            ws,
            f"证券公司投诉处理情况汇总表（{period.label}）",
            bold=True,
            size=14,
            align=Alignment(horizontal="center", vertical="center"),
            border=None,
        ),
        height=28,
        merge_from=1,
    )
    interim = "（期间未结束，为期中数据）" if report.cutoff < period.end else ""
    facts = [
        ("报告期间", f"{period.start} 至 {period.end}"),
        ("营业部", report.branch or "（未设置：complaintctl config set branch …）"),
        ("统计截至", report.cutoff, f"按业务发生时间统计，截至当日终了的台账状态{interim}"),
        ("生成时间", report.generated_at, ""),
        (
            "个人信息",
            "未脱敏：按 --unmask 导出完整个人信息，已记入台账审计事件（CSA 7.8）"
            if report.unmasked
            else "已脱敏：证件号码保留前6位和后4位，电话保留前3位和后4位，姓名仅保留姓氏（CSA 7.8）",
        ),
        ("依据", "《证券公司投诉处理标准》9.2.3、9.4"),
    ]
    facts += [("时限政策", f"自{p.effective_from}起接收的投诉：{policy_text(p)}") for p in report.policies]
    if report.provisional_years:
        years = "、".join(str(y) for y in sorted(report.provisional_years))
        facts.append(("期限暂定", f"是：{years}年节假日安排尚未导入，相关期限按周末推算，标（暂定）的期限为暂定"))
    for name, value, *note in facts:
        if note:  # a date or time, kept as one for whoever reads the file with a program
            kind = "date" if name == "统计截至" else "datetime"
            day = _cell(ws, value, fmt=FORMATS[kind], align=Alignment(horizontal="left", vertical="top"))
            if note[0]:
                sheet.add(label(name), day, _cell(ws, note[0], align=HOW_ALIGN))
            else:
                sheet.add(label(name), day, merge_from=2)
        else:
            sheet.add(label(name), text(value), merge_from=2)

    def table(heading: str, rows: list[tuple[str, object, str]], value_header: str = "数值") -> None:
        lines = [
            (_cell(ws, item, align=TOP_WRAP), _number(ws, value), _cell(ws, how or None, align=HOW_ALIGN))
            for item, value, how in rows
        ]
        sheet.keep_together(2, sum(sheet.height(cells) for cells in lines))
        sheet.blank()
        sheet.add(
            _cell(ws, heading, bold=True, fill=SECTION_FILL, align=TOP_WRAP),
            _cell(ws, value_header, bold=True, fill=SECTION_FILL, align=NUMBER_ALIGN),
            _cell(ws, "统计口径", bold=True, fill=SECTION_FILL, align=HOW_ALIGN),
        )
        for cells in lines:
            sheet.add(*cells)

    table("主要指标", summary.headline(), "比率")
    sign_off(sheet, ws)  # on the page with the headline rates, where a reader signs for them (issue 31)
    table("行业通报口径指标", [(name, value, how) for _key, name, value, how in summary.industry()], "数值")
    for heading, items in summary.sections():
        table(heading, items)
    groups = [(name, count, "本期接收，CSA 5.1") for name, count in summary.groups.items()]
    table("按一级类别（本期接收）", groups, "件数")
    categories = [(name, count, "") for name, count in summary.categories.items()]
    table("按二级类别（本期接收）", categories, "件数")

    sheet.keep_together(2 + 3 * len(Summary.NOTES))  # a note wraps onto two or three lines
    sheet.blank()
    sheet.add(_cell(ws, "说明", bold=True, fill=SECTION_FILL, align=TOP_WRAP), merge_from=1)
    for number, note in enumerate(Summary.NOTES, 1):
        sheet.add(_cell(ws, f"{number}. {note}", align=TOP_WRAP), merge_from=1)

    sign_off(sheet, ws)  # and on the sheet's last page
    write_anchors(sheet, ws, report)
    write_properties(ws.parent, report)


def sign_off(sheet: Rows, ws) -> None:
    """签字确认: lines for who compiled, checked and answers for the figures and the day, and beside them
    the place for the seal, kept on one page."""
    sheet.keep_together(2 + 4 * 2)
    sheet.blank()
    sheet.add(
        _cell(ws, "签字确认", bold=True, border=None),
        _cell(ws, None, border=None),
        _cell(ws, "（盖章）", align=Alignment(horizontal="center", vertical="top"), border=None),
    )
    for role in ("编制人", "复核人", "负责人", "日期"):
        sheet.add(
            _cell(ws, f"{role}：", align=Alignment(horizontal="right", vertical="bottom"), border=None),
            _cell(ws, None, border=SIGN_LINE),
            _cell(ws, None, border=None),
            height=30,
        )


def _anchors_shown(report: Report) -> list:
    """The chains whose heads the sheet prints: a branch's file has one; a firm report, the firm's own ('')
    and each branch it covers. The workbook's properties carry every chain's."""
    return [a for a in report.anchors if not report.firm or a.branch == "" or a.branch in report.branches]


def write_anchors(sheet: Rows, ws, report: Report) -> None:
    """Below the signatures, the chain heads the export saw (complaintctl/anchor.py): whoever keeps the
    signed report can later check that the ledger still holds them (`verify --anchor` this file)."""
    shown = _anchors_shown(report)
    if not shown:
        return
    sheet.keep_together(3 + 2 * len(shown))
    sheet.blank()
    for head in shown:
        chain = "台账链头" if not report.firm else ("全公司链头" if not head.branch else f"分支机构 {head.branch} 链头")
        sheet.add(
            _cell(
                ws,
                f"{chain}：事件 #{head.id} / 共 {head.count} 条 / SHA-256 前 16 位 {head.sha256[:16]}",
                align=TOP_WRAP,
                border=None,
            ),
            merge_from=1,
        )
        sheet.add(_cell(ws, head.line(), size=8, align=TOP_WRAP, border=None), merge_from=1)
    sheet.add(
        _cell(
            ws,
            "核对：complaintctl verify --anchor 本报告文件（或上列 complaintctl-anchor 行）。"
            "导出后台账如被改写、删除或截断，核对不通过（退出码 5）。",
            align=TOP_WRAP,
            border=None,
        ),
        merge_from=1,
    )


def write_properties(workbook: Workbook, report: Report) -> None:
    """Every chain's head in the workbook's properties, where Excel and LibreOffice keep them when the file
    is saved again: the custom property `complaintctl-anchor` and the description (备注)."""
    from openpyxl.packaging.custom import StringProperty

    from complaintctl.rules.anchor import PROPERTY

    lines = "\n".join(head.line() for head in report.anchors)
    if not lines:
        return
    workbook.custom_doc_props.append(StringProperty(name=PROPERTY, value=lines))
    workbook.properties.description = f"台账链头（导出时），以 complaintctl verify --anchor 本文件 核对：\n{lines}"


def write_months(ws, report: Report) -> None:
    """The 按月统计 sheet of a quarter or year: every figure by month, with their totals."""
    _page(ws, report, "按月统计", landscape=True, title_rows="2:2")
    columns = Summary.MONTH_COLUMNS
    sheet = Rows(ws, [12, *(14 if key == "compensation" else 9 for key, _label in columns)])
    sheet.add(
        _cell(
            ws, f"按月统计（{report.period.label}，单位：件；赔偿金额单位：元）", bold=True, border=None, align=TOP_WRAP
        ),
        merge_from=1,
    )
    header = [
        _cell(ws, "月份", bold=True, fill=HEADER_FILL, align=HEADER_ALIGN),
        *(
            _cell(
                ws,
                header_lines(name, width),
                bold=True,
                fill=HEADER_FILL,
                align=Alignment(wrap_text=True, horizontal="right", vertical="center"),
            )
            for (_key, name), width in zip(columns, sheet.widths[1:])
        ),
    ]
    sheet.add(*header)
    rows = report.summary.month_rows(report.cutoff)
    for values in rows:
        sheet.add(_cell(ws, values[0]), *(_number(ws, v) for v in values[1:]))
    counted = [values for values in rows if values[1] != "—"]
    totals = [sum(column) for column in zip(*(values[1:] for values in counted))] if counted else []
    sheet.add(_cell(ws, "合计", bold=True), *(_number(ws, v, bold=True) for v in totals))
    sheet.blank()
    sheet.add(_cell(ws, "“—”：该月在统计截至日之后，尚无数据。", border=None))
    sheet.add(
        _cell(
            ws,
            "再投诉：回访不满意后提出的新投诉（Firm 18(7)）；以重复投诉为由不予受理的（CSA 9.1.1(c)）计入“不予受理”。",
            border=None,
        )
    )


# The steps of a complaint as the ledger names them, for the 补录与更正 sheet.
EVENT_KINDS = {
    "registered": "登记",
    "amended": "补正",
    "accepted": "受理",
    "rejected": "不予受理",
    "assigned": "派发",
    "escalated": "重大投诉上报",
    "extended": "延期",
    "noted": "备注",
    "resolved": "办结",
    "regulator_replied": "监管转办回复",
    "called_back": "回访",
    "marked_unreasonable": "认定无理投诉",
    "reclassified": "重新分类",
    "attached": "附件",
    "closed": "归档",
    "recomplained": "再投诉",
    "investigated": "调查记录",
    "terminated": "终止处理",
    "rectified": "整改完成",
    "approved": "审批",
    "letter_sent": "文书送达",
    "voided": "作废",
}


def entry_kind(e) -> str:
    """What a late entry was, as the 补录与更正 sheet names it: a void names the entry it took back."""
    if e.voided:
        n, kind = e.voided
        return f"作废：{EVENT_KINDS.get(kind, kind)}（第{n}条）"
    return EVENT_KINDS.get(e.kind, e.kind)


def write_corrections(ws, report: Report) -> None:
    """The 补录与更正 sheet: entries typed in later than the day they are dated, and calendar corrections,
    that touch the period (dated in it, or typed in it about an earlier one) — what an inspector must see
    was added afterwards (CSA 9.4; DOMAIN: a late entry, calendar corrections)."""
    _page(ws, report, "补录与更正", landscape=True)
    sheet = Rows(ws, [16, 18, 17, 17, 10, 40, 10])  # 事项 holds a void's 作废：回访（第7条） on one line
    branch_of = (lambda e: f"{e.branch}/{e.complaint}") if report.firm else (lambda e: e.complaint)

    def header(*names: str) -> None:
        sheet.add(*(_cell(ws, name, bold=True, fill=HEADER_FILL, align=HEADER_ALIGN) for name in names))

    sheet.add(
        _cell(ws, f"补录与更正（{report.period.label}）", bold=True, size=14, border=None), height=24, merge_from=1
    )
    sheet.blank()
    sheet.add(
        _cell(ws, "一、补录与作废：录入日期晚于业务发生日期的记录，及作废的记录", bold=True, border=None), merge_from=1
    )
    header("投诉编号", "事项", "业务发生时间", "录入时间", "影响期间", "补录原因", "录入人")
    for e in report.late_entries:
        happened = clock.day_of(e.at)
        reason = e.reason or "（未填写）"
        sheet.add(
            _cell(ws, branch_of(e)),
            _cell(ws, entry_kind(e)),
            _cell(ws, local(e.at), fmt=FORMATS["datetime"]),
            _cell(ws, local(e.recorded_at), fmt=FORMATS["datetime"]),
            _cell(ws, f"{happened.year}-{happened.month:02d}"),
            _cell(ws, reason, align=TOP_WRAP),
            _cell(ws, with_login(e.actor, e.login)),
        )
    if not report.late_entries:
        sheet.add(_cell(ws, "本期无补录。", border=None), merge_from=1)
    sheet.blank()
    sheet.add(_cell(ws, "二、交易日历更正（移动期限的节假日、调休与休市更正）", bold=True, border=None), merge_from=1)
    header("所更正的日期", "类别", "更正时间", "录入时间", "录入人", "依据与原因", "影响期间")
    for c in report.calendar_corrections:
        days = c["days"]
        span = days[0] if len(days) == 1 else f"{days[0]} 至 {days[-1]}（{len(days)} 天）"
        why = (
            "；".join(
                part
                for part in (c.get("note") and f"依据：{c['note']}", c.get("reason") and f"原因：{c['reason']}")
                if part
            )
            or "（未记载）"
        )
        sheet.add(
            _cell(ws, span, align=TOP_WRAP),
            _cell(ws, c["kind"]),
            _cell(ws, local(c["at"]), fmt=FORMATS["datetime"]),
            _cell(ws, local(c["recorded_at"]), fmt=FORMATS["datetime"]),
            _cell(ws, with_login(c["by"], c.get("login"))),
            _cell(ws, why, align=TOP_WRAP),
            _cell(ws, None),
        )
    if not report.calendar_corrections:
        sheet.add(_cell(ws, "本期无日历更正。", border=None), merge_from=1)
    sheet.blank()
    for note in (
        "补录：业务发生在前、录入在后的记录；其“影响期间”的统计数字在录入后才包含该记录。"
        "录入时该期间的报告已导出的，必须填写补录原因。",
        "本表列出业务发生在本期、或录入在本期的补录；从旧台账导入的历史记录不列入。",
        "作废：记错的记录不删除，由其后的作废记录注明原因；被作废的记录不计入任何统计数字。"
        "作废一行的“业务发生时间”是被作废记录的时间，其“影响期间”的数字在作废后不再包含该记录。",
        "日历更正改变交易日、工作日的计数，从而移动期限；更正已过去的日期须说明原因。",
    ):
        sheet.add(_cell(ws, note, align=TOP_WRAP, border=None), merge_from=1)


def with_branch(columns: list[Column], report: Report) -> list[Column]:
    """A firm report's detail sheets say which branch each complaint is from, beside its number."""
    if not report.firm:
        return columns
    return [columns[0], Column("branch", "分支机构"), *columns[1:]]


BRANCH_FIGURES = [
    ("received", "本期接收"),
    ("carried_over", "上期结转"),
    ("accepted", "本期受理"),
    ("rejected", "不予受理"),
    ("completed", "本期办结"),
    ("completed:超期", "超期办结"),
    ("open_at_end", "期末未办结"),
    ("open_overdue_at_end", "其中已超期"),
]


def write_branches(ws, report: Report) -> None:
    """The 分支机构 sheet of a firm report: each branch's figures and rates, counted as the firm's (CSA 8.1.3)."""
    _page(ws, report, "分支机构", landscape=True, title_rows="2:2")
    headline = [name for name, _rate, _how in report.summary.headline()]
    sheet = Rows(ws, [8, 22, *(8 for _ in BRANCH_FIGURES), *(9 for _ in headline)])
    sheet.add(
        _cell(ws, f"各分支机构投诉处理情况（{report.period.label}，单位：件）", bold=True, border=None, align=TOP_WRAP),
        merge_from=1,
    )
    wrap = Alignment(wrap_text=True, horizontal="center", vertical="center")
    sheet.add(
        *(
            _cell(ws, name, bold=True, fill=HEADER_FILL, align=wrap)
            for name in ("代码", "分支机构", *(label for _key, label in BRANCH_FIGURES), *headline)
        ),
        height=30,
    )

    def figures(summary: Summary) -> list:
        return [summary.get(key) for key, _label in BRANCH_FIGURES] + [rate for _n, rate, _h in summary.headline()]

    for code, name in report.branches.items():
        sheet.add(
            _cell(ws, code), _cell(ws, name, align=TOP_WRAP), *(_number(ws, v) for v in figures(report.by_branch[code]))
        )
    sheet.add(
        _cell(ws, "合计", bold=True), _cell(ws, ""), *(_number(ws, v, bold=True) for v in figures(report.summary))
    )
    sheet.blank()
    for name, rule in Summary.RATE_RULES.items():
        sheet.add(_cell(ws, f"{name}：{rule}；“—”：该分支机构本期无可计数的投诉。", border=None), merge_from=1)
    sheet.add(_cell(ws, "合计行为所列全部分支机构之和；各项口径与汇总表相同。", border=None), merge_from=1)


CM_PER_ROW = 0.53  # a default row (15 points) in centimetres


def _integer_ticks(axis, largest: int) -> None:
    """Whole-number ticks from 0 (a count of complaints is never 0.5)."""
    step = 1
    while largest / step > 10:
        step *= 5 if str(step)[0] == "1" else 2
    axis.scaling.min = 0
    axis.majorUnit = step
    axis.number_format = "0"
    axis.delete = False


def _bar_chart(title: str, horizontal: bool) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    # The figure on each bar, and nothing else (LibreOffice would add the category and series names).
    chart.dataLabels = DataLabelList(
        showVal=True, showCatName=False, showSerName=False, showLegendKey=False, showPercent=False
    )
    chart.x_axis.delete = chart.y_axis.delete = False  # newer Excel hides axes left unset
    return chart


def write_charts(ws, report: Report) -> None:
    """The 图表 sheet: the categories received (only those with complaints, each labelled) with their
    figures beside, and for a quarter or year the months received and completed, each chart under its own
    table and on a page of its own."""
    _page(ws, report, "图表", landscape=False)
    widths = [34, 10, 10]
    sheet = Rows(ws, widths)
    label = report.period.label
    # Broken before its bracket, to the width of the table it titles (the third column is the months').
    title = header_lines(f"本期接收投诉按业务类别（{label}，单位：件）", sum(widths[:2]))
    sheet.add(_cell(ws, title, bold=True, border=None, align=TOP_WRAP), merge_from=1)
    sheet.add(
        _cell(ws, "业务类别", bold=True, fill=HEADER_FILL, align=HEADER_ALIGN),
        _cell(ws, "件数", bold=True, fill=HEADER_FILL, align=NUMBER_ALIGN),
    )
    shown = sorted(
        ((name, count) for name, count in report.summary.categories.items() if count), key=lambda item: -item[1]
    )
    first = sheet.n + 1
    for name, count in shown:
        sheet.add(_cell(ws, name), _number(ws, count))
    last = sheet.n
    if not shown:
        sheet.add(_cell(ws, "本期无接收投诉", border=None))
    below = sheet.n + 2
    if shown:
        chart = _bar_chart(f"{label}接收投诉按业务类别（件）", horizontal=True)
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last), titles_from_data=False)
        _labels(chart, ws, 1, first, last)
        chart.x_axis.scaling.orientation = "maxMin"  # the largest at the top, as in the table...
        chart.y_axis.crosses = "max"  # ...and the figures' axis still at the bottom
        _integer_ticks(chart.y_axis, max(count for _name, count in shown))
        chart.height, chart.width = max(6.0, 2.5 + 0.8 * len(shown)), 17.0  # cm: room for every label
        ws.add_chart(chart, f"A{below}")
        below += math.ceil(chart.height / CM_PER_ROW) + 1
    if report.period.kind != "month":
        _month_chart(ws, sheet, report, below)


MONTH_CHART_HEADER = (("月份", HEADER_ALIGN), ("接收", NUMBER_ALIGN), ("办结", NUMBER_ALIGN))


def _month_chart(ws, sheet: Rows, report: Report, below: int) -> None:
    """A quarter's or year's months, received and completed: a table of its own and its chart, on a new
    page. The months are 1月 … 12月, the title naming the year (labels of 2026年10月, from 按月统计,
    wrapped on three lines under each bar)."""
    while sheet.n < below - 1:
        sheet.blank()
    sheet.new_page()
    title = header_lines(f"本期按月接收与办结（{report.period.label}，单位：件）", sum(sheet.widths))
    sheet.add(_cell(ws, title, bold=True, border=None, align=TOP_WRAP), merge_from=1)
    header = sheet.add(
        *(_cell(ws, name, bold=True, fill=HEADER_FILL, align=align) for name, align in MONTH_CHART_HEADER)
    )
    rows = report.summary.month_rows(report.cutoff)
    keys = [key for key, _label in Summary.MONTH_COLUMNS]
    received, completed = (1 + keys.index(key) for key in ("received", "completed"))
    for (_year, month), values in zip(report.period.months(), rows):
        sheet.add(_cell(ws, f"{month}月"), _number(ws, values[received]), _number(ws, values[completed]))
    last = sheet.n
    if any(values[received] == "—" for values in rows):
        sheet.add(_cell(ws, "“—”：该月在统计截至日之后，尚无数据。", border=None), merge_from=1)
    chart = _bar_chart(f"{report.period.label}按月接收与办结（件）", horizontal=False)
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=header, max_row=last), titles_from_data=True)
    _labels(chart, ws, 1, header + 1, last)
    counts = [v for values in rows for v in (values[received], values[completed]) if isinstance(v, int)]
    _integer_ticks(chart.y_axis, max(counts, default=0))
    chart.height, chart.width = 10.0, 17.0
    ws.add_chart(chart, f"A{sheet.n + 2}")


ANALYSIS_WIDTHS = [26, 30, 13, 11, 11, 18, 18, 18, 9]  # the widest table (timeliness) has 9 columns
LANDSCAPE_PT = 455.0  # A4 landscape less its margins, header and footer, in points
DATE_ALIGN = Alignment(horizontal="center", vertical="top")


def write_analysis(ws, report: Report) -> None:
    """The 分析 sheet: `analyze`'s tables, each with how it is counted, and a chart of the categories
    against the previous period (CSA 8.1.7(c), 11, 8.2.4)."""
    from complaintctl.outputs.analysis import sections

    analysis = report.analysis
    _page(ws, report, "投诉分析", landscape=True)
    sheet = Rows(ws, ANALYSIS_WIDTHS, page_pt=LANDSCAPE_PT)
    sheet.add(
        _cell(
            ws,
            f"投诉分析：易诉人群、易诉问题（{report.period.label}，统计截至 {report.cutoff}）",
            bold=True,
            size=14,
            border=None,
        ),
        height=28,
        merge_from=1,
    )
    privacy = "个人信息未脱敏（--unmask，已记入审计事件）" if report.unmasked else "个人信息已脱敏"
    sheet.add(
        _cell(
            ws,
            f"依据：CSA 8.1.7(c)、11、8.2.4。对比期：{analysis.previous.label}；多次投诉人统计区间："
            f"{analysis.start} 至 {report.cutoff}；与汇总表按同一台账状态统计；{privacy}。",
            align=TOP_WRAP,
            border=None,
        ),
        merge_from=1,
    )
    wrap_center = Alignment(wrap_text=True, horizontal="center", vertical="center")
    chart_rows = None
    for section in sections(analysis, zh=True):
        sheet.keep_together(len(section.rows) + 4)
        sheet.blank()
        sheet.add(_cell(ws, section.title, bold=True, fill=SECTION_FILL, align=TOP_WRAP), merge_from=1)
        if not section.rows:
            sheet.add(_cell(ws, section.empty, align=TOP_WRAP), merge_from=1)
        else:
            last_merge = 3 if section.key == "outcome" else None  # its third column is words: all the width left
            headers = [header_lines(name, width) for name, width in zip(section.headers, ANALYSIS_WIDTHS)]

            def header_row() -> None:
                cells = (_cell(ws, name, bold=True, fill=HEADER_FILL, align=wrap_center) for name in headers)
                sheet.add(*cells, merge_from=last_merge)

            header_row()
            first = sheet.n + 1
            columns = [_AnalysisColumn(ws, kind) for kind in section.kinds]
            for row in section.rows:
                cells = [column(value) for column, value in zip(columns, row)]
                height = sheet.height(cells, last_merge)
                # A table longer than the page goes on with its header again (the chart's table is one page).
                if not sheet.fits(height) and section.key != "categories":
                    sheet.new_page()
                    header_row()
                sheet.add(*cells, height=height, merge_from=last_merge)
            if section.key == "categories":  # the second level: charted against the previous period, if any
                chart_rows = (first - 1, sheet.n)
                largest = max(v for row in section.rows for v in row[1:3] if isinstance(v, int))
        if section.how:
            sheet.add(_cell(ws, f"统计口径：{section.how}", align=HOW_ALIGN, border=None), merge_from=1)
    if chart_rows:
        header, last = chart_rows
        ws.row_breaks.append(Break(id=sheet.n + 1))  # the chart on a page of its own
        compared = analysis.previous_has_data  # else 上期 says 无上期数据: nothing to draw
        title = f"{report.period.label}与{analysis.previous.label}" if compared else report.period.label
        chart = _bar_chart(f"{title}接收投诉按业务类别（件）", horizontal=True)
        for column in (2, 3) if compared else (2,):  # 本期, 上期
            chart.add_data(Reference(ws, min_col=column, min_row=header, max_row=last), titles_from_data=True)
        _labels(chart, ws, 1, header + 1, last)
        chart.x_axis.scaling.orientation = "maxMin"  # the table's order, top down...
        chart.y_axis.crosses = "max"  # ...with the figures' axis at the bottom
        _integer_ticks(chart.y_axis, largest)
        chart.height, chart.width = max(7.0, 3.0 + 1.1 * (last - header)), 24.0  # cm: two bars per category
        ws.add_chart(chart, f"A{sheet.n + 3}")


class _AnalysisColumn:
    """A column of an analysis table: one styled cell for its values and one for its "—", reused row after
    row like the detail sheets' templates (a row is written as it is added; styling each cell anew is slow)."""

    def __init__(self, ws, kind: str):
        self.ws, self.kind = ws, kind
        self.dash = _cell(ws, "—", align=NUMBER_ALIGN)
        align = {"date": DATE_ALIGN, "text": TOP_WRAP}.get(kind, NUMBER_ALIGN)
        self.template = _cell(ws, None, align=align, fmt=FORMATS["int"] if kind == "int" else None)
        self.percent = _cell(ws, None, align=NUMBER_ALIGN, fmt=FORMATS["percent"])
        self.money = _cell(ws, None, align=NUMBER_ALIGN, fmt=FORMATS["money"])

    def __call__(self, value) -> ReadyCell:
        if value is None or (value == "" and self.kind != "text"):
            return self.dash
        if isinstance(value, Decimal):
            cell = self.money
        elif self.kind == "percent" or (self.kind == "value" and isinstance(value, float)):
            cell = self.percent
        else:
            cell = self.template  # a median of days may be a half: General shows 15.5, and 24 as 24
        cell.value = clean(value) if isinstance(value, str) else value
        if cell.data_type == "f":
            cell.data_type = "s"  # text, never a formula
        return cell


def _labels(chart: BarChart, ws, column: int, first: int, last: int) -> None:
    """Category labels as text references (openpyxl's default numRef shows 1, 2, 3 in some readers)."""
    ref = str(Reference(ws, min_col=column, min_row=first, max_row=last))
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=ref))


def write(report: Report, entries: Iterable[Entry], listener: Listener | None = None) -> Path:
    """Write everything to a temporary file beside the target; return its path.

    No copy of the data outlives a crash (CSA 7.8). The export event holds the file's SHA-256, so it is
    recorded after the write (`report.publish`, which may wait for the write lock), and only then is the
    file renamed into place. Until then the workbook is a scratch file (complaintctl.scratch): 0600,
    named `.NAME.xlsx.<random>.scratch`, locked by this process for as long as it runs; openpyxl's own
    temporary sheet files sit in a locked scratch folder of the system's temporary directory. A run
    killed at any moment (while writing, or while waiting for the lock) leaves them behind, and the next
    `report` into the same folder removes them before it writes anything, since their lock is free.
    """
    from contextlib import ExitStack

    from complaintctl import scratch

    path = report.path
    temp = scratch.file_beside(path)  # sweeps what killed runs left in this folder first
    sheets = ExitStack()
    try:
        sheets.enter_context(scratch.private_sheets())
        workbook = Workbook(write_only=True)
        summary_ws = workbook.create_sheet("汇总")
        months_ws = workbook.create_sheet("按月统计") if report.period.kind != "month" else None
        branches_ws = workbook.create_sheet("分支机构") if report.firm else None
        analysis_ws = workbook.create_sheet("分析")

        def columns(listed: list[Column]) -> list[Column]:
            return with_branch(shown_columns(listed, report.present, report.extension_unit), report)

        register = columns(REGISTER_COLUMNS)
        ledger = DetailSheet(
            workbook, "投诉台账", register, report, widths=register_widths(register), most_lines=WHOLE_LINES
        )
        details = DetailSheet(workbook, "台账明细", columns(DETAIL_COLUMNS), report)
        delays = DetailSheet(workbook, "超期与延期", columns(DELAY_COLUMNS), report)
        callbacks = DetailSheet(workbook, "回访", columns(CALLBACK_COLUMNS), report)
        corrections_ws = workbook.create_sheet("补录与更正")
        charts_ws = workbook.create_sheet("图表")
        for entry in entries:
            ledger.append(entry.row)
            details.append(entry.row)
            for row in entry.delays:
                delays.append(row)
            for row in entry.callbacks:
                callbacks.append(row)
        for sheet in (ledger, details, delays, callbacks):
            sheet.finish()
        if listener:
            listener(_("saving the workbook"), 0, None)
        write_summary(summary_ws, report)
        if months_ws is not None:
            write_months(months_ws, report)
        if branches_ws is not None:
            write_branches(branches_ws, report)
        write_analysis(analysis_ws, report)
        write_charts(charts_ws, report)
        write_corrections(corrections_ws, report)
        workbook.save(temp)
        with temp.open("rb+") as f:
            os.fsync(f.fileno())
        if listener:
            listener(_("saving the workbook"), 1, 1)
    except BaseException:
        scratch.release(temp)
        raise
    finally:
        sheets.close()  # openpyxl's sheet files: read into the workbook by now
    return temp
