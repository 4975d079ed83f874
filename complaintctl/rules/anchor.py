"""Anchors: a ledger's chain heads, written down where the ledger cannot reach them.

The hash chain proves that no event was changed *unless every later hash was computed again*: anyone
who can write the file can rewrite an event and rehash the rest, or cut events off the end, and the
chain still checks. An anchor is the head of a chain at some moment, kept outside the machine (a
daily mail to the compliance head, a printed report, a report's workbook properties):

    complaintctl-anchor v1 branch= id=194 count=194 sha256=<64 hex digits>

`branch` names the chain ('' for a branch's own file, and for a firm ledger's firm-wide chain), `id`
the event, `count` how many events of that chain there are up to it, and `sha256` its hash, which
covers every event of the chain before it. `verify --anchor` checks that the ledger still holds
that event with that hash at that position: a rewrite, a deletion or a removed tail since then shows.

The text form is one line per chain, found anywhere in what is pasted (a quoted mail, a file). A
report carries the same lines in its workbook properties (custom property `complaintctl-anchor`
and the description, which Excel and LibreOffice keep) and prints them on its 汇总 sheet.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

VERSION = "complaintctl-anchor v1"
PROPERTY = "complaintctl-anchor"  # the workbook's custom document property
PATTERN = re.compile(
    r"complaintctl-anchor v1 branch=(?P<branch>[A-Za-z0-9_-]{0,16}) id=(?P<id>[0-9]{1,18}) "
    r"count=(?P<count>[0-9]{1,18}) sha256=(?P<sha256>[0-9a-f]{64})(?![0-9a-f])"
)
# How much of a file `--anchor` reads: an anchor file is a few lines; a report's parts are read only
# where the anchors are kept (properties first, then the first sheet and its strings).
TEXT_LIMIT = 16 * 2**20
PART_LIMIT = 256 * 2**20
WORKBOOK_PARTS = ("docProps/custom.xml", "docProps/core.xml")
SHEET_PARTS = ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml")

HEADS_SQL = "SELECT branch, max(id), count(*) FROM events GROUP BY branch ORDER BY branch"


@dataclass(frozen=True)
class Anchor:
    branch: str
    id: int
    count: int
    sha256: str

    def line(self) -> str:
        return f"{VERSION} branch={self.branch} id={self.id} count={self.count} sha256={self.sha256}"

    def as_dict(self) -> dict:
        return {"branch": self.branch, "id": self.id, "count": self.count, "sha256": self.sha256, "anchor": self.line()}


def heads(conn) -> list[Anchor]:
    """The head of every chain of the ledger, in order of branch ('' first): what `anchor` prints."""
    found = []
    for branch, last, count in conn.exec_driver_sql(HEADS_SQL).all():
        digest = conn.exec_driver_sql("SELECT hash FROM events WHERE id = ?", (last,)).scalar()
        found.append(Anchor(branch, last, count, digest))
    return found


def parse(text: str) -> list[Anchor]:
    """Every anchor line in `text`, each once, in the order found (quoting, wrapping spaces and other lines pass)."""
    found: dict[Anchor, None] = {}
    for match in PATTERN.finditer(text):
        found[Anchor(match["branch"], int(match["id"]), int(match["count"]), match["sha256"])] = None
    return list(found)


def read(value: str) -> list[Anchor]:
    """What `verify --anchor` was given: the pasted text, a file holding it, or a report (.xlsx)."""
    path = Path(value).expanduser()
    if "\n" not in value and len(value) < 4096 and _is_file(path):
        if zipfile.is_zipfile(path):
            found = from_workbook(path)
            where = _("the workbook {path}").format(path=path)
        else:
            if path.stat().st_size > TEXT_LIMIT:
                raise ComplaintError(
                    _("--anchor {path}: {size} bytes is too large for a file of anchors").format(
                        path=path, size=path.stat().st_size
                    )
                )
            found = parse(path.read_bytes().decode("utf-8", errors="replace"))
            where = str(path)
    else:
        found = parse(value)
        where = _("the text given")
    if not found:
        raise ComplaintError(
            _(
                "--anchor: no anchor in {where}; an anchor is a line as `complaintctl anchor` prints it: {example}"
            ).format(where=where, example=f"{VERSION} branch= id=… count=… sha256=…")
        )
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long or holding NUL: pasted text, not a file
        return False


def from_workbook(path: Path) -> list[Anchor]:
    """The anchors a report carries: its properties, else the text of its first sheet (汇总)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for parts in (WORKBOOK_PARTS, SHEET_PARTS):
                found = []
                for part in parts:
                    if part in names:
                        found += parse(_read_part(archive, part, path))
                if found:
                    return list(dict.fromkeys(found))
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # a damaged or encrypted member, or one packed a way zipfile cannot read
        raise ComplaintError(
            _("--anchor {path}: not a readable workbook ({error})").format(
                path=path, error=str(exc) or type(exc).__name__
            )
        ) from None
    return []


def _read_part(archive: zipfile.ZipFile, part: str, path: Path) -> str:
    info = archive.getinfo(part)
    if info.file_size > PART_LIMIT:
        raise ComplaintError(
            _("--anchor {path}: its part {part} is {size} bytes unpacked, too large to read").format(
                path=path, part=part, size=info.file_size
            )
        )
    with archive.open(info) as f:
        return f.read(PART_LIMIT + 1)[:PART_LIMIT].decode("utf-8", errors="replace")
