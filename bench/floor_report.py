"""The report's floor: the same rows streamed straight from SQLite into an openpyxl write-only workbook.

Same scope, same sheets, same number of cells per row as `complaintctl report`, but no as-of fold,
no deadlines, no masking, no styles and no summary: what any export of these rows must cost.
Usage: floor_report.py LEDGER START END OUT.xlsx
"""

import json
import sqlite3
import sys

from openpyxl import Workbook

# The report's per-complaint sheets since issue 31 are the register (投诉台账, CSA 9.4) and the detail
# (台账明细): 12 and 32 columns, of which the report writes 11 and 25 cells a complaint on the benchmark's
# quarter (an empty cell is not written), as many as here.
REGISTER_CELLS, DETAIL_CELLS, DELAY_CELLS, CALLBACK_CELLS = 11, 25, 14, 15


def main(db: str, start: str, end: str, out: str) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    wb = Workbook(write_only=True)
    register, detail = wb.create_sheet("投诉台账"), wb.create_sheet("台账明细")
    delays, callbacks = wb.create_sheet("超期与延期"), wb.create_sheet("回访")
    register.append([f"c{i}" for i in range(REGISTER_CELLS)])
    detail.append([f"c{i}" for i in range(DETAIL_CELLS)])
    rows = conn.execute("SELECT record FROM complaints WHERE received_day <= ? AND (received_day >= ? OR "
                        "(received_day < ? AND (is_open = 1 OR ended_day >= ?))) ORDER BY received_day, year, seq",
                        (end, start, start, start))
    for (text,) in rows:
        record = json.loads(text)
        values = [v for v in record.values() if isinstance(v, (str, int))]
        register.append(values[:REGISTER_CELLS])
        detail.append(values[:DETAIL_CELLS])
        for extension in record.get("extensions", []):
            delays.append((list(extension.values()) * 3)[:DELAY_CELLS])
        for callback in record.get("callbacks", []):
            callbacks.append(([record["id"]] + [v for v in callback.values()] * 4)[:CALLBACK_CELLS])
    wb.save(out)


if __name__ == "__main__":
    main(*sys.argv[1:5])
