"""Writing the report workbook with openpyxl's write-only (streaming) sheets.

Rows go to disk as they are made, so a quarter of 100,000 complaints needs little memory. Every
text is written as a string cell, never a formula, whatever it starts with.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from complaintctl.i18n import _
from complaintctl.progress import Listener
from complaintctl.report import (CALLBACK_COLUMNS, DELAY_COLUMNS, LEDGER_COLUMNS, YES, Column, Entry, Report,
                                 Summary)

FORMATS = {"datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "int": "0", "money": "#,##0.00",
           "percent": "0.0%"}
WIDTHS = {"text": 14, "long": 42, "datetime": 17, "date": 12, "int": 9, "money": 14, "percent": 10}
WIDER = {"id_number": 21, "respondent": 24, "category": 26, "reject_reason": 26, "source": 22,
         "transfer_no": 20, "complainant": 16}
MAX_TEXT = 32_767  # Excel's limit for one cell
RISKY_START = ("=", "+", "-", "@")  # what a spreadsheet would take for the start of a formula

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP = Alignment(wrap_text=True, vertical="top")
STYLED = ("long", "datetime", "date", "money", "percent")


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean(text: str) -> str:
    """Control characters Excel cannot store become U+FFFD; over-long text is cut with a marker."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)
    if len(text) > MAX_TEXT:
        marker = "…（超出单元格长度，全文见台账）"
        text = text[:MAX_TEXT - len(marker)] + marker
    return text


class DetailSheet:
    """A streamed sheet with a styled, frozen, filtered header row and one template cell per column."""

    def __init__(self, workbook: Workbook, title: str, columns: list[Column]):
        self.ws = workbook.create_sheet(title)
        self.columns = columns
        self.rows = 0
        for index, column in enumerate(columns, 1):
            width = max(WIDER.get(column.key, WIDTHS[column.kind]), display_width(column.header) + 3)
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(self.ws, value=column.header)
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
            header.append(cell)
        self.ws.append(header)
        self.ws._values_to_row = self._cells  # see _cells
        # A styled cell for each column that needs one (dates, amounts, long text), reused for every row:
        # styling each cell anew is the slow part. Other values go in plain.
        self.templates = [self._template(c) if c.kind in STYLED else None for c in columns]

    def _template(self, column: Column, quote: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws)
        if column.kind == "long":
            cell.alignment = WRAP
        if column.kind in FORMATS:
            cell.number_format = FORMATS[column.kind]
        if quote:
            cell.quotePrefix = True  # shown and edited as text in Excel, WPS and LibreOffice
        return cell

    def append(self, row: dict) -> None:
        cells = []
        for column, template in zip(self.columns, self.templates):
            value = row.get(column.key)
            if value is None or value == "":
                cells.append(None)
                continue
            if isinstance(value, str):
                value = clean(value)
                if value.startswith(RISKY_START):
                    template = self._template(column, quote=True)
            if template is None:
                cells.append(value)
                continue
            template.value = value
            if template.data_type == "f":
                template.data_type = "s"  # text, never a formula (CSV/formula injection)
            cells.append(template)
        self.ws.append(cells)
        self.rows += 1

    def _cells(self, values, row_idx):
        """openpyxl's own WriteOnlyWorksheet._values_to_row, less its slow path for ready-made cells.

        openpyxl finds out that a value is already a cell by trying to store it as a value and
        catching the ValueError, whose message formats the cell: a third of the report's time.
        """
        plain = WriteOnlyCell(self.ws)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if isinstance(value, Cell):
                cell = value
            else:
                cell = plain
                cell.value = value
            cell.column = col_idx
            cell.row = row_idx
            yield cell

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def _cell(ws, value, *, bold: bool = False, fmt: str | None = None, size: int | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=clean(value) if isinstance(value, str) else value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if bold or size:
        cell.font = Font(bold=bold, size=size)
    if fmt:
        cell.number_format = fmt
    return cell


def _value_cell(ws, value):
    if value is None:
        return None
    if isinstance(value, str):
        return _cell(ws, value)
    if isinstance(value, float):
        return _cell(ws, value, fmt=FORMATS["percent"])
    if not isinstance(value, int):  # Decimal: yuan
        return _cell(ws, value, fmt=FORMATS["money"])
    return _cell(ws, value)


DAY_UNIT = {"trading": "个交易日", "working": "个工作日"}


def policy_text(policy) -> str:
    """A firm policy in one line, with the local regulator's basis when it gives more time than CSA's."""
    text = (f"受理决定{policy.acceptance_days}{DAY_UNIT[policy.acceptance_unit]}，"
            f"办结{policy.completion_days}{DAY_UNIT[policy.completion_unit]}，"
            f"延期每次≤{policy.extension_each_max}、合计≤{policy.extension_total_max}，"
            f"回访{policy.callback_days}{DAY_UNIT[policy.callback_unit]}")
    if policy.laxer_than_csa():
        return f"{text}；宽于标准时限，依据：{policy.basis}（CSA 9.2.2(c) 当地监管机构另行规定）"
    return f"{text}；不宽于标准时限"


def write_summary(ws, report: Report) -> dict[str, tuple[int, int, int]]:
    """The 汇总 sheet; returns where the chart data sit: name -> (first row, last row, columns)."""
    summary: Summary = report.summary
    period = report.period
    for letter, width in zip("ABCDEFGHIJKL", (34, 16, 40, 10, 10, 10, 10, 10, 10, 10, 10, 14)):
        ws.column_dimensions[letter].width = width
    rows: list[list] = []

    def add(*cells):
        rows.append(list(cells))

    interim = "（期间未结束，为期中数据）" if report.cutoff < period.end else ""
    add(_cell(ws, f"证券公司投诉处理情况汇总表（{period.label}）", bold=True, size=14))
    add(_cell(ws, "报告期间", bold=True), _cell(ws, f"{period.start} 至 {period.end}"))
    add(_cell(ws, "营业部", bold=True), _cell(ws, report.branch or "（未设置：complaintctl config set branch …）"))
    add(_cell(ws, "统计截至", bold=True), _cell(ws, report.cutoff, fmt=FORMATS["date"]),
        _cell(ws, f"按业务发生时间统计，截至当日终了的台账状态{interim}"))
    add(_cell(ws, "生成时间", bold=True), _cell(ws, report.generated_at, fmt=FORMATS["datetime"]))
    if report.unmasked:
        add(_cell(ws, "个人信息", bold=True), _cell(ws, "未脱敏"),
            _cell(ws, "按 --unmask 导出完整个人信息，已记入台账审计事件（CSA 7.8）"))
    else:
        add(_cell(ws, "个人信息", bold=True), _cell(ws, "已脱敏"),
            _cell(ws, "证件号码保留前6位和后4位，电话保留前3位和后4位，姓名仅保留姓氏（CSA 7.8）"))
    add(_cell(ws, "依据", bold=True), _cell(ws, "《证券公司投诉处理标准》9.2.3、9.4"))
    for policy in report.policies:
        add(_cell(ws, "时限政策", bold=True), _cell(ws, f"自{policy.effective_from}起接收的投诉：{policy_text(policy)}"))
    if report.provisional_years:
        years = "、".join(str(y) for y in sorted(report.provisional_years))
        add(_cell(ws, "期限暂定", bold=True), _cell(ws, YES),
            _cell(ws, f"{years}年节假日安排尚未导入，相关期限按周末推算，标“是”的期限为暂定"))
    for heading, items in summary.sections():
        add()
        add(_cell(ws, heading, bold=True), _cell(ws, "数值", bold=True), _cell(ws, "统计口径", bold=True))
        for label, value, how in items:
            add(_cell(ws, label), _value_cell(ws, value), _cell(ws, how) if how else None)
    where: dict[str, tuple[int, int, int]] = {}
    add()
    add(_cell(ws, "按业务类别（CSA 5.1，本期接收）", bold=True))
    add(_cell(ws, "一级类别", bold=True), _cell(ws, "件数", bold=True))
    for label, count in summary.groups.items():
        add(_cell(ws, label), _cell(ws, count))
    add()
    add(_cell(ws, "二级类别", bold=True), _cell(ws, "件数", bold=True))
    first = len(rows) + 1
    for label, count in summary.categories.items():
        add(_cell(ws, label), _cell(ws, count))
    where["categories"] = (first, len(rows), 1)
    if period.kind != "month":
        add()
        add(_cell(ws, "按月份", bold=True))
        add(*[_cell(ws, h, bold=True) for h in ("月份", *(label for _k, label in Summary.MONTH_COLUMNS))])
        first = len(rows) + 1
        month_rows = summary.month_rows()
        for values in month_rows:
            add(_cell(ws, values[0]), *[_value_cell(ws, v) for v in values[1:]])
        where["months"] = (first, len(rows), len(Summary.MONTH_COLUMNS))
        totals = [sum(column) for column in zip(*(values[1:] for values in month_rows))]
        add(_cell(ws, "合计", bold=True), *[_value_cell(ws, v) for v in totals])
    for cells in rows:
        ws.append(cells)
    return where



def _labels(chart: BarChart, summary_ws, first: int, last: int) -> None:
    """Category labels as text references (openpyxl's default numRef shows 1, 2, 3 in some readers)."""
    ref = str(Reference(summary_ws, min_col=1, min_row=first, max_row=last))
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=ref))
    chart.x_axis.delete = chart.y_axis.delete = False  # newer Excel hides axes left unset


def write_charts(ws, summary_ws, where: dict[str, tuple[int, int, int]]) -> None:
    first, last, _columns = where["categories"]
    chart = BarChart()
    chart.type = "bar"  # horizontal: the category names are long
    chart.title = "本期接收投诉按业务类别（CSA 5.1）"
    chart.y_axis.title = "件数"
    chart.legend = None
    chart.add_data(Reference(summary_ws, min_col=2, min_row=first, max_row=last), titles_from_data=False)
    _labels(chart, summary_ws, first, last)
    chart.height, chart.width = 11, 22
    ws.add_chart(chart, "A1")
    if "months" in where:
        first, last, _columns = where["months"]
        chart = BarChart()
        chart.title = "按月份：接收与办结"
        chart.y_axis.title = "件数"
        header = first - 1
        for column in (2, 6):  # 接收, 办结
            chart.add_data(Reference(summary_ws, min_col=column, min_row=header, max_row=last),
                           titles_from_data=True)
        _labels(chart, summary_ws, first, last)
        chart.height, chart.width = 9, 22
        ws.add_chart(chart, "A24")


def write(report: Report, entries: Iterable[Entry], listener: Listener | None = None) -> Path:
    """Write everything to a temporary file beside the target; return its path."""
    path = report.path
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".partial")  # 0600
    os.close(fd)
    temp = Path(name)
    try:
        workbook = Workbook(write_only=True)
        summary_ws = workbook.create_sheet("汇总")
        ledger = DetailSheet(workbook, "投诉台账", LEDGER_COLUMNS)
        delays = DetailSheet(workbook, "超期与延期", DELAY_COLUMNS)
        callbacks = DetailSheet(workbook, "回访", CALLBACK_COLUMNS)
        charts_ws = workbook.create_sheet("图表")
        for entry in entries:
            ledger.append(entry.row)
            for row in entry.delays:
                delays.append(row)
            for row in entry.callbacks:
                callbacks.append(row)
        for sheet in (ledger, delays, callbacks):
            sheet.finish()
        if listener:
            listener(_("saving the workbook"), 0, None)
        where = write_summary(summary_ws, report)
        write_charts(charts_ws, summary_ws, where)
        workbook.save(temp)
        with temp.open("rb+") as f:
            os.fsync(f.fileno())
        if listener:
            listener(_("saving the workbook"), 1, 1)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp
