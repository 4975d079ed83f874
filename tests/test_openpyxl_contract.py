"""The one place complaintctl leans on openpyxl's private code, pinned so an upgrade cannot change it unseen.

`workbook.fast_cells` replaces `WriteOnlyWorksheet._values_to_row` on the report's detail
sheets: openpyxl's own version recognises a ready-styled cell only by failing to store it as a
value and formatting the error, which cost a third of a large report's time. If openpyxl changes
that method, these tests fail: re-read the new version, carry any change into `fast_cells`, and pin
the new text here. That the detail sheets' cells keep their styles and types through `fast_cells` is
checked on a real report in test_report.py (`test_the_sheets_are_formatted_for_reading`, `test_text_that_looks_like_a_formula_is_written_as_text`).
"""

from __future__ import annotations

import hashlib
import inspect
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

PINNED = "1730ae9899d3178898eaa3b405451f088a5b1ee5a44cee58ffece9d3cdc23e95"  # openpyxl 3.1.5


def test_openpyxl_still_has_the_method_the_report_replaces_unchanged():
    source = inspect.getsource(WriteOnlyWorksheet._values_to_row)
    assert hashlib.sha256(source.encode()).hexdigest() == PINNED, source
    assert "self._values_to_row(" in inspect.getsource(WriteOnlyWorksheet._write_rows)  # still what append uses

