"""What an import would do, before it is recorded (`import --dry-run --review OUT.xlsx`): a workbook to read and print.

Its rows and figures are the import's own, taken inside the import's transaction before it is rolled back
(`matching.record`'s `inspect`): the review and the import cannot disagree. Personal data is masked as the
report masks it (CSA 7.8), so writing it records nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from complaintctl.rules import clock, identity

ROW_HEADERS = ("工作表", "行号", "处理", "投诉编号", "投诉人", "投诉时间", "说明")
FIGURE_HEADERS = ("年度", "接收", "受理", "不予受理", "办结", "终止处理", "年末未办结")
SHEET_HEADERS = ("工作表", "行数", "是否读取", "原因")
# What the import does with a row, in the review's words.
OUTCOMES = {
    "new": "新增",
    "same": "相同，不再记录",
    "merged": "合并",
    "carried": "续转",
    "changed": "已变更",
    "skipped": "跳过",
    "bad": "错误",
    "fixed_before": "已由待修正文件导入",
}
# Long runs of digits in free text (an ID number or phone quoted in a bad row's reason): masked as such.
DIGITS = re.compile(r"(?<![\dA-Za-z])\d{7,17}[\dXx](?![\dA-Za-z])")


@dataclass
class Row:
    sheet: str | None
    row: int | str
    outcome: str  # a key of OUTCOMES
    number: str | None = None
    complainant: str | None = None  # already masked
    received: str | None = None
    note: str = ""


def masked_text(text: str) -> str:
    """Free text with ID numbers and phone numbers in it masked."""

    def mask(match: re.Match) -> str:
        value = match.group(0)
        return identity.mask_id(value) if len(value) >= 15 else identity.mask_phone(value)

    return DIGITS.sub(mask, text or "")


def complainant(fields: dict) -> str | None:
    """The row's complainant as the report shows one: an institution in full, a person by surname."""
    if fields.get("institution"):
        return fields["institution"]
    return identity.mask_name(fields.get("name"))


def year_figures(session, branch: str, years: list[int]) -> dict[int, dict[str, int]]:
    """For each year, what the ledger holds as the import leaves it (read in its transaction): received, accepted,
    refused, completed and terminated in the year, and open at its end (neither refused, completed nor
    terminated by then), counted by the days the report counts them (Shanghai time)."""
    found = {
        year: dict.fromkeys(("received", "accepted", "rejected", "completed", "terminated", "open"), 0)
        for year in years
    }
    rows = session.connection().exec_driver_sql("SELECT record FROM complaints WHERE branch = ?", (branch,))

    def day(record: dict, name: str) -> date | None:
        return clock.day_of(record[name]) if record.get(name) else None

    for (body,) in rows:
        record = json.loads(body)
        if record.get("status") == "voided":
            continue
        received = day(record, "received_at")
        ended = [d for d in (day(record, n) for n in ("rejected_at", "resolved_at", "terminated_at")) if d]
        for name, key in (
            ("received_at", "received"),
            ("accepted_at", "accepted"),
            ("rejected_at", "rejected"),
            ("resolved_at", "completed"),
            ("terminated_at", "terminated"),
        ):
            on = day(record, name)
            if on is not None and on.year in found:
                found[on.year][key] += 1
        for year in years:
            end = date(year, 12, 31)
            if received <= end and not any(d <= end for d in ended):
                found[year]["open"] += 1
    return found


def write(
    path: Path,
    rows: list[Row],
    figures: dict[int, dict[str, int]],
    sheets: list[tuple[str, int, bool, str]],
    *,
    source: str,
    generated: str,
    bad_rows: int,
) -> None:
    """The review workbook: 逐行处理 (every row of the file), 导入后数字 (each year's figures), 工作表 (the sheets)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    from complaintctl import scratch
    from complaintctl.outputs.workbook import clean

    def page(ws, title: str, widths: list[int]) -> None:
        """A4 landscape, one page wide, the header row on every page (as the report prints)."""
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_title_rows = "1:1"
        ws.freeze_panes = "A2"
        ws.oddHeader.center.text = f"导入预览：{source}（{title}）"[:250]
        ws.oddFooter.left.text = f"生成时间 {generated}"
        ws.oddFooter.center.text = "第 &P 页 共 &N 页"
        ws.oddFooter.right.text = "个人信息已脱敏"
        for index, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + index)].width = width
        for cell in ws[1]:
            cell.font = Font(bold=True)

    def text(value):
        return clean(value) if isinstance(value, str) else value

    book = Workbook()
    ws = book.active
    ws.title = "逐行处理"
    ws.append(ROW_HEADERS)
    wrap = Alignment(wrap_text=True, vertical="top")
    for item in rows:
        ws.append(
            [
                text(item.sheet or ""),
                item.row,
                OUTCOMES[item.outcome],
                item.number or "",
                text(item.complainant or ""),
                item.received or "",
                text(item.note),
            ]
        )
        for cell in ws[ws.max_row]:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type  # '=…' stays text
            cell.alignment = wrap
    page(ws, "逐行处理", [12, 8, 16, 16, 14, 18, 70])
    figures_ws = book.create_sheet("导入后数字")
    figures_ws.append(FIGURE_HEADERS)
    for year, counts in sorted(figures.items()):
        figures_ws.append(
            [
                year,
                counts["received"],
                counts["accepted"],
                counts["rejected"],
                counts["completed"],
                counts["terminated"],
                counts["open"],
            ]
        )
    figures_ws.append([])
    figures_ws.append(
        ["说明：台账按此文件导入后各年度的数字（含台账已有的投诉），与 report --year 的同名数字按同一口径计。"]
    )
    if bad_rows:
        figures_ws.append(
            [f"有 {bad_rows} 行错误：直接导入时什么也不记录；以上数字是只导入其余各行（--skip-bad）后的数字。"]
        )
    page(figures_ws, "导入后数字", [10, 10, 10, 10, 10, 10, 12])
    if sheets:
        sheets_ws = book.create_sheet("工作表")
        sheets_ws.append(SHEET_HEADERS)
        for name, count, read, why in sheets:
            sheets_ws.append([text(name), count, "是" if read else "否", text(why)])
        page(sheets_ws, "工作表", [16, 10, 10, 40])
    temp = scratch.file_beside(path)
    try:
        with scratch.private_sheets():
            book.save(temp)
        os.replace(temp, path)
    finally:
        scratch.release(temp)
