"""Bringing an old ledger in: a hand-kept 投诉台账 workbook, or a 12386 export, as complaints.

Each row goes through the same checks as typed input (ID check digits, codes, dates, the order of
events) and becomes the events its columns imply, each at its own date: registered at receipt,
accepted or rejected, assigned, resolved, called back, closed. What the old ledger never recorded
(an investigation record, a feedback channel, a handler) is marked 未记载 on the complaint, never
invented, and never a reason to refuse the row. Every event carries the source file's SHA-256 and
row number; the row's own number is kept as 原编号.

All or nothing: one bad row and nothing is recorded, unless the caller asks to record the good
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

from complaintctl import clock, codes
from complaintctl.complaint import FIELD_BY_NAME, apply, format_id, parse_fields
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _
from complaintctl.ledger import Ledger, sha256_file
from complaintctl.lifecycle import _known_branch, _warm, keep_until
from complaintctl.progress import Listener, counted

# Headers a 9.4 ledger commonly uses, normalised (see `_key`), and the field each one fills.
HEADERS = {
    "投诉编号": "original_no", "序号": "original_no", "编号": "original_no", "原编号": "original_no",
    "投诉时间": "received_at", "接收时间": "received_at", "投诉日期": "received_at", "接收日期": "received_at",
    "登记时间": "received_at",
    "投诉人": "name", "客户姓名": "name", "投诉人姓名": "name", "姓名": "name",
    "证件类型": "id_type", "证件号码": "id_number", "身份证号码": "id_number", "身份证号": "id_number",
    "联系电话": "phone", "手机号码": "phone", "联系方式": "phone",
    "联系地址": "address", "地址": "address", "联系地址/住所": "address",
    "投诉方式": "method", "投诉渠道": "channel", "来源": "channel", "投诉来源": "channel",
    "转办单号": "transfer_no", "转办工单号": "transfer_no", "工单号": "transfer_no",
    "被投诉人": "respondent", "被投诉部门": "respondent_dept",
    "业务类别": "category", "投诉类别": "category", "投诉类型": "category",
    "投诉内容": "request", "投诉请求": "request", "诉求": "request",
    "事实与理由": "facts", "主要事实与理由": "facts",
    "受理时间": "accepted_at", "受理日期": "accepted_at", "是否受理": "accepted", "受理决定": "accepted",
    "不予受理原因": "reject_reason", "受理人": "acceptor",
    "处理人": "handler", "责任部门": "dept", "处理部门": "dept",
    "调查处理过程": "investigation", "处理过程": "investigation",
    "处理结果": "result", "办结时间": "resolved_at", "办结日期": "resolved_at",
    "回访时间": "called_at", "回访日期": "called_at", "回访结果": "callback_outcome",
    "备注": "note",
}
FIELDS = sorted(set(HEADERS.values()))
REQUIRED = ("received_at", "name", "request")  # without these a row is not a complaint
# What an old ledger may simply not have: marked 未记载, never invented, never a reason to refuse.
UNRECORDED_LABELS = {"method": "投诉方式", "channel": "投诉渠道", "phone": "联系方式", "category": "业务类别",
                     "acceptor": "受理人", "handler": "处理人", "investigation": "调查记录",
                     "feedback_via": "反馈方式", "reject_notified_via": "不予受理告知方式",
                     "transfer_no": "转办工单号"}
TOTALS = re.compile(r"^(合计|总计|小计|共计)")
YES_WORDS = {"是", "受理", "已受理", "y", "yes", "1", "true"}
NO_WORDS = {"否", "不予受理", "不受理", "n", "no", "0", "false"}
REGULATOR_SOURCES = ("12386", "证监会", "证监局", "监管", "协会")
MAX_ERRORS_SHOWN = 20


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
    skipped_blank: int = 0
    skipped_totals: int = 0


# What import reads at most (README "Bringing an old ledger in"): enough for decades of a branch's
# ledger, and a refusal in one line, not gigabytes of memory, for a file that is larger or lies about its size.
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL = 100_000  # characters in one CSV field; a ledger field is checked against its own limit later
MAX_FILE = 200 * 1024 * 1024  # bytes of a CSV file, or of all an .xlsx's parts once unpacked


def _too_large(path: Path, what: str) -> ComplaintError:
    return ComplaintError(_("{path}: {what}; import reads at most {rows} rows of {columns} columns, {mb} MB").format(
        path=path.name, what=what, rows=MAX_ROWS, columns=MAX_COLUMNS, mb=MAX_FILE // (1024 * 1024)))


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
    """A CSV in UTF-8 (with or without a BOM) or GB18030, what Excel on Chinese Windows writes."""
    if path.stat().st_size > MAX_FILE:
        raise _too_large(path, _("the file is {mb} MB").format(mb=path.stat().st_size // (1024 * 1024)))
    encoding = _encoding_of(path)
    csv.field_size_limit(MAX_CELL)
    try:
        # Read as it is parsed: a 50 MB cell is refused at 100,000 characters, not after the file is in memory.
        with path.open(encoding=encoding, newline="") as f:
            return _bounded(csv.reader(f), path)
    except csv.Error as exc:  # a field past MAX_CELL, a NUL byte: not a ledger's CSV
        raise ComplaintError(_("{path} cannot be read as CSV ({exc})").format(path=path.name, exc=exc)) from None


def _encoding_of(path: Path) -> str:
    """UTF-8 (with or without a BOM), else GB18030: the first that decodes the whole file, read a block at a time."""
    import codecs

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


def _xlsx_rows(path: Path, sheet: str | None) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:  # a small file may unpack to gigabytes (shared strings, sheets)
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_FILE:
            raise _too_large(path, _("its parts unpack to {mb} MB").format(mb=unpacked // (1024 * 1024)))
        book = load_workbook(path, read_only=True, data_only=True)
    except ComplaintError:
        raise
    except Exception as exc:  # noqa: BLE001 - untrusted parts (workbook.xml, styles.xml, the zip): whatever fails, unreadable
        raise ComplaintError(_("{path} cannot be read as an Excel workbook ({exc})").format(
            path=path, exc=str(exc) or type(exc).__name__)) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise ComplaintError(_("--sheet {sheet}: no such sheet in {path}; it has {names}").format(
                sheet=sheet, path=path.name, names="、".join(book.sheetnames)))
        ws.reset_dimensions()  # the file's own <dimension> may claim A1:XFD1048576: read what is there
        # One row past the bound: openpyxl fills missing rows up to max_row, so a stray far cell shows as too many.
        rows = ws.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
        try:
            return _bounded(rows, path)
        except ComplaintError:
            raise
        except Exception as exc:  # noqa: BLE001 - untrusted XML: whatever the parser raises, the file is unreadable
            raise ComplaintError(_("{path} cannot be read as an Excel workbook ({exc})").format(
                path=path.name, exc=type(exc).__name__)) from None
    finally:
        book.close()


def _blank(values: list) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def read_table(path: str | Path, sheet: str | None = None, renames: dict[str, str] | None = None) -> Table:
    """The file's rows under its header row: found as the row that names the most known columns."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ComplaintError(_("{path} is a folder; give the .xlsx or .csv file to import").format(path=path))
    if not path.is_file():
        raise ComplaintError(_("no such file: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, sheet)
    else:
        raise ComplaintError(_("{path}: import reads .xlsx or .csv files").format(path=path.name))
    names = {**HEADERS, **{_key(k): v for k, v in (renames or {}).items()}}

    def score(headers: list) -> int:
        return len({names[_key(v)] for v in headers if names.get(_key(v))})

    def combined(upper: list, lower: list) -> list:
        """Two header rows as one: a merged group header above, its columns named below."""
        width = max(len(upper), len(lower))
        upper, lower = upper + [None] * (width - len(upper)), lower + [None] * (width - len(lower))
        return [b if names.get(_key(b)) else (a if a is not None else b) for a, b in zip(upper, lower)]

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
        raise ComplaintError(_("{path}: found no header row naming at least two known columns (such as 投诉时间, "
                               "投诉人, 投诉内容); `import --show-map` shows what is recognised, and --map renames "
                               "the rest").format(path=path.name))
    headers = [str(v).strip() if v is not None else "" for v in found]
    best += depth - 1  # the data start below the last header row
    table = Table(path, sha256_file(path), headers, best + 1, [])
    for number, values in enumerate(rows[best + 1:], best + 2):
        if _blank(values):
            table.skipped_blank += 1
            continue
        first = next((str(v).strip() for v in values if v is not None and str(v).strip()), "")
        if TOTALS.match(first):
            table.skipped_totals += 1
            continue
        table.rows.append((number, list(values) + [None] * (len(headers) - len(values))))
    return table


def load_map(path: str | Path | None) -> dict[str, str]:
    """A TOML map: `[columns]` with "header in the file" = "field" ("" to ignore a column)."""
    if path is None:
        return {}
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ComplaintError(_("--map {path}: no such file").format(path=path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ComplaintError(_("--map {path}: not valid TOML ({exc})").format(path=path, exc=exc)) from None
    columns = data.get("columns", {})
    unknown = sorted({v for v in columns.values() if v and v not in FIELDS})
    if unknown:
        raise ComplaintError(_("--map {path}: unknown field {field}; fields are {fields}").format(
            path=path, field=", ".join(unknown), fields=", ".join(FIELDS)))
    return {str(k): str(v) for k, v in columns.items()}


def column_map(table: Table, renames: dict[str, str]) -> list[tuple[str, str | None]]:
    """(header in the file, field it fills or None) for each column: the map `import --show-map` prints."""
    names = {**HEADERS, **{_key(k): v for k, v in renames.items()}}
    taken: set[str] = set()
    result = []
    for header in table.headers:
        target = names.get(_key(header)) or None
        if target in taken:  # a second column for the same field is not guessed at
            target = None
        if target:
            taken.add(target)
        result.append((header, target))
    return result


# -- one row: its values, then its events ------------------------------------------------------------


@dataclass
class Planned:
    """A row made ready: the registration's fields and the events after it, or what is wrong with it."""

    row: int
    values: dict
    fields: dict = field(default_factory=dict)
    steps: list[tuple[str, datetime, dict]] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    status: str = "received"
    error: str | None = None
    digest: str = ""


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
        message = message[len(column):].lstrip(":： ")
    text = f"{column}: {message}" if column else message
    return f"{text} ({exc.rule})" if exc.rule else text


# The old ledger's free-text columns; every other value is a name, number, code or date.
MULTILINE = frozenset({"request", "facts", "result", "note", "investigation", "reject_reason", "address"})


class _Row:
    """One row's values by field, remembering which header each came from for messages."""

    def __init__(self, values: dict, headers: dict):
        self.values, self.headers = values, headers
        self.column = ""

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and str(value).strip() != ""

    def text(self, name: str) -> str | None:
        """The cell as text, held to what typed text is held to (complaint.checked_text): a name, number or
        code is one line without control characters; free text may keep its newlines and tabs."""
        from complaintctl.complaint import checked_text

        text = _text(self.values.get(name))
        if text is not None:
            self.column = self.headers.get(name, name)
            checked_text(text, self.column, multiline=name in MULTILINE)
        return text

    def at(self, name: str) -> datetime | None:
        if not self.has(name):
            return None
        self.column = self.headers[name]
        return _moment(self.values[name], self.column)

    def parsed(self, name: str, parse):
        self.column = self.headers.get(name, name)
        return parse(self.text(name))


def plan_row(number: int, values: dict, headers: dict, *, file_sha: str) -> Planned:
    """Check one row and work out its events; a refusal becomes `error`, naming the column and rule.

    `values` and `headers` are keyed by field: the cell's value, and the header it was under.
    """
    planned = Planned(number, values)
    row = _Row(values, headers)
    source = {"imported": {"file_sha256": file_sha, "row": number}}
    try:
        for name in REQUIRED:
            if not row.has(name):
                row.column = headers.get(name, FIELD_BY_NAME[name].label)
                raise ComplaintError(_("missing; every complaint needs its time of receipt, complainant and request"))
        received = row.at("received_at")
        fields: dict = {"received_at": clock.iso(received)}
        if row.has("channel"):
            row.parsed("channel", lambda text: _channel(text, fields))
        if row.has("category"):
            fields["category"] = row.parsed("category", _category)
        for name in ("name", "id_type", "id_number", "phone", "address", "method", "transfer_no",
                     "respondent", "respondent_dept", "request", "facts", "source"):
            if name in fields or row.has(name):
                value = fields.get(name) or row.text(name)
                fields.update(row.parsed(name, lambda _text: parse_fields({name: value}, fields)))
        if fields.get("channel") == "regulator":
            fields.setdefault("source", "监管转办")
        if fields.get("id_number") and not fields.get("id_type"):
            fields["id_type"] = "id_card"  # checked as a resident ID, as registration does
        row.column = ""
        unrecorded = [name for name in ("method", "channel", "category") if not fields.get(name)]
        if not fields.get("phone") and not fields.get("address"):
            unrecorded.append("phone")
        if fields.get("channel") == "regulator" and not fields.get("transfer_no"):
            unrecorded.append("transfer_no")
        fields["acceptor"] = row.text("acceptor")  # None: not the person importing, but unknown
        if not fields["acceptor"]:
            unrecorded.append("acceptor")
        steps = planned.steps
        decided_at = row.at("accepted_at")
        decided = None
        if row.has("accepted"):
            row.column = headers["accepted"]
            word = clock.typed(row.text("accepted")).lower()
            if word not in YES_WORDS | NO_WORDS:
                raise ComplaintError(_("{value!r} is neither 是 nor 否").format(value=row.text("accepted")))
            decided = word in YES_WORDS
        elif decided_at is not None or row.has("handler") or row.has("result"):
            decided = True  # a complaint that was handled was accepted
        status = "received"
        if decided is False:
            reason = row.text("reject_reason")
            code = "other"
            if reason:
                try:
                    code = codes.REJECT_REASONS.parse(reason)
                except ComplaintError:
                    code = "other"
            steps.append(("rejected", decided_at or received,
                          {"reason": code, "note": reason if code == "other" else None, **source}))
            unrecorded.append("reject_notified_via")
            status = "rejected"
        elif decided:
            at = decided_at or received
            steps.append(("accepted", at, dict(source)))
            status = "accepted"
            if row.has("handler"):
                steps.append(("assigned", at, {"handler": row.text("handler"), "dept": row.text("dept"), **source}))
                status = "assigned"
            else:
                unrecorded.append("handler")
            resolved = row.at("resolved_at")
            if row.has("result") != (resolved is not None):
                row.column = headers.get("result") or headers.get("resolved_at", "")
                raise ComplaintError(_("a result needs its completion date, and a completion date its result"))
            if resolved is not None:
                investigation = row.text("investigation")
                steps.append(("resolved", resolved, {"result": row.text("result"),
                                                      **({"facts_found": investigation} if investigation else {}),
                                                      **source}))
                if not investigation:
                    unrecorded.append("investigation")
                unrecorded.append("feedback_via")
                ended = resolved
                if row.has("callback_outcome") or row.has("called_at"):
                    if not row.has("callback_outcome"):
                        row.column = headers["called_at"]
                        raise ComplaintError(_("a callback date needs its outcome (满意, 不满意 or 未能联系)"))
                    outcome = row.parsed("callback_outcome", codes.CALLBACK_OUTCOMES.parse)
                    ended = row.at("called_at") or resolved
                    steps.append(("called_back", ended, {"outcome": outcome, "method": None, **source}))
                # The old ledger says it was completed: closed then, so no callback is owed today.
                steps.append(("closed", ended, {"keep_until": keep_until(ended.date()).isoformat(), **source}))
                status = "closed"
        if row.has("note"):
            steps.insert(0, ("noted", received, {"kind": "internal", "text": row.text("note"), **source}))
        row.column = ""
        _check_order(received, steps, headers)
        planned.fields = {**fields, "original_no": row.text("original_no"), "unrecorded": unrecorded, **source}
        planned.unrecorded, planned.status = unrecorded, status
        planned.digest = hashlib.sha256(json.dumps(
            {k: str(v) for k, v in sorted(values.items())}, ensure_ascii=False).encode()).hexdigest()
    except ComplaintError as exc:
        planned.error = _where(row.column, exc)
    return planned


STEP_FIELD = {"accepted": "accepted_at", "rejected": "accepted_at", "assigned": "accepted_at",
              "resolved": "resolved_at", "called_back": "called_at"}


def _check_order(received: datetime, steps: list[tuple[str, datetime, dict]], headers: dict) -> None:
    """Nothing before the receipt; each step not before the one before it (as typed input is held)."""
    def column(kind: str) -> str:
        return headers.get(STEP_FIELD.get(kind, "received_at"), kind)

    previous, previous_kind = received, "registered"
    for kind, at, _payload in steps:
        if at.date() < previous.date():
            raise ComplaintError(_("{column} {at} is before {previous_column} {previous}").format(
                column=column(kind), at=at.date(), previous_column=column(previous_kind),
                previous=previous.date()), "CSA 9.4")
        previous, previous_kind = max(previous, at), kind


def plan(table: Table, renames: dict[str, str], listener: Listener | None = None) -> list[Planned]:
    """Every data row of the table, checked and planned."""
    mapping = column_map(table, renames)
    headers = {target: header for header, target in mapping if target}
    result = []
    for number, values in counted(table.rows, listener, _("checking rows"), len(table.rows), every=256):
        by_field = {target: value for (header, target), value in zip(mapping, values) if target}
        result.append(plan_row(number, by_field, headers, file_sha=table.sha256))
    return result


# -- recording -----------------------------------------------------------------------------------


@dataclass
class Imported:
    recorded: list[Planned] = field(default_factory=list)
    already: list[Planned] = field(default_factory=list)  # imported before, unchanged
    bad: list[Planned] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


class _Earlier:
    """Complaints earlier imports made, by the row's key: its 原编号, or its ticket and time of receipt.

    Read once (one scan of the ledger), then kept up to date as rows are recorded.
    """

    def __init__(self, session, ledger: Ledger):
        self.known: dict[tuple, tuple[str, str | None]] = {}
        field = ledger.backend.json_text
        rows = session.connection().exec_driver_sql(
            f"SELECT id, {field('record', 'original_no')}, {field('record', 'transfer_no')}, received_at, "
            f"{field('record', 'import_digest')} FROM complaints "
            f"WHERE branch = ? AND {field('record', 'imported')} IS NOT NULL", (ledger.branch,))
        for number, original, ticket, received, digest in rows:
            self.add(number, original, ticket, received, digest)

    @staticmethod
    def key(original: str | None, ticket: str | None, received: str) -> tuple | None:
        if original:
            return ("original", original)
        return ("ticket", ticket, received) if ticket else None

    def add(self, number: str, original, ticket, received: str, digest) -> None:
        key = self.key(original, ticket, received)
        if key:
            self.known[key] = (number, digest)

    def find(self, fields: dict) -> tuple[str, str | None] | None:
        key = self.key(fields.get("original_no"), fields.get("transfer_no"), fields["received_at"])
        return self.known.get(key) if key else None


class _Abandon(Exception):
    """Leaves the import's transaction, rolling it back."""


def record(ledger: Ledger, planned: list[Planned], *, by: str, skip_bad: bool = False,
           dry_run: bool = False, listener: Listener | None = None, finish=None) -> Imported:
    """Record every good row in one transaction; with any bad row, nothing (unless `skip_bad`).

    A dry run goes through the same steps, in a transaction that is then rolled back. `finish(session,
    done)` runs in the same transaction once the rows are in, when rows were skipped as bad: the file
    that gives them back is on record with the rows, or neither is.
    """
    done = Imported(bad=[p for p in planned if p.error])
    if done.bad and not skip_bad and not dry_run:
        return done
    _warm(ledger)
    try:
        with ledger.transaction() as session:
            if ledger.firm:
                _known_branch(session, ledger.branch)
            earlier, numbers, chain = _Earlier(session, ledger), _Numbers(session, ledger.branch), ledger.chain(session)
            # Numbered in order of receipt, as they would have been had they been registered here.
            good = sorted((p for p in planned if not p.error), key=lambda p: (p.fields["received_at"], p.row))
            for item in counted(good, listener, _("importing rows"), len(good), every=256):
                _record_row(chain, item, by, done, earlier, numbers)
            if dry_run or (done.bad and not skip_bad):
                raise _Abandon  # a dry run, or a row found doubled while recording: nothing is kept
            if finish is not None and done.bad:
                finish(session, done)
    except _Abandon:
        pass
    return done


def _record_row(chain, item: Planned, by: str, done: Imported, earlier: _Earlier, numbers: "_Numbers") -> None:
    found = earlier.find(item.fields)
    if found is not None:
        number, digest = found
        if digest == item.digest:
            done.already.append(item)
        else:
            item.error = _("{key} was imported before as {number}, from a different version of this row; "
                           "it is not imported twice").format(
                key=item.fields.get("original_no") or item.fields.get("transfer_no"), number=number)
            done.bad.append(item)
        return
    fields = {**item.fields, "import_digest": item.digest}
    received = fields["received_at"]
    year, seq = numbers.next(clock.day_of(received).year)
    payload = {"id": format_id(year, seq), "year": year, "seq": seq, **fields}
    complaint = apply(None, "registered", payload, received, by)
    chain.save(complaint, chain.append(complaint["id"], "registered", received, by, payload), new=True)
    for kind, at, step in item.steps:
        at_text = clock.iso(at)
        complaint = apply(complaint, kind, step, at_text, by)
        chain.save(complaint, chain.append(complaint["id"], kind, at_text, by, step), new=False)
    earlier.add(complaint["id"], fields.get("original_no"), fields.get("transfer_no"), received, item.digest)
    done.recorded.append(item)
    done.numbers.append(complaint["id"])


class _Numbers:
    """The next complaint number of each year, as registration gives it (read once, then counted)."""

    def __init__(self, session, branch: str):
        rows = session.connection().exec_driver_sql(
            "SELECT year, MAX(seq) FROM complaints WHERE branch = ? GROUP BY year", (branch,))
        self.last = {year: seq for year, seq in rows}

    def next(self, year: int) -> tuple[int, int]:
        self.last[year] = self.last.get(year, 0) + 1
        return year, self.last[year]


def gaps(planned: Iterable[Planned]) -> dict[str, int]:
    """How many rows lack each thing an old ledger may not have recorded (marked 未记载)."""
    return dict(Counter(name for item in planned for name in item.unrecorded))


def handled_by_respondent(planned: list[Planned]) -> list[tuple[int, str]]:
    """(row, handler) of each row whose handler is its respondent: an old ledger may say so, and the
    import records it as it was, but CSA 7.7 says an upper level must reassign it (shown by `show` too)."""
    from complaintctl.identity import same_person

    found = []
    for plan in planned:
        handlers = [payload.get("handler") for kind, _at, payload in plan.steps if kind == "assigned"]
        if handlers and same_person(handlers[-1], plan.fields.get("respondent")):
            found.append((plan.row, handlers[-1]))
    return found

