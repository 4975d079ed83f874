"""Output: data to stdout, messages to stderr; colour and boxes only on a terminal without NO_COLOR."""

from __future__ import annotations

import json
import os
import shutil
import sys

from complaintctl import codes
from complaintctl.deadlines import Deadline
from complaintctl.i18n import N_, _, chinese

KIND_LABEL = {
    "acceptance": N_("acceptance decision"),
    "completion": N_("completion"),
    "callback": N_("callback"),
    "regulator_reply": N_("regulator reply"),
    "escalation": N_("escalation"),
}


def kind_text(kind: str) -> str:
    """A deadline's kind in the user's language."""
    return _(KIND_LABEL[kind]) if kind in KIND_LABEL else kind


def fancy() -> bool:
    """Rich tables and colour only for a person at a terminal."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def emit_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def tell(text: str) -> None:
    """A message for the person, not data: stderr, so pipes carry only data."""
    sys.stderr.write(text + "\n")


def notice(text: str) -> None:
    """Something to act on that did not stop the command: `warning:` on stderr, yellow on a terminal.

    Errors are one line starting `complaintctl:`; a notice must not be mistaken for one.
    """
    line = _("warning: {text}").format(text=text)
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb":
        line = f"\x1b[33m{line}\x1b[0m"
    tell(line)


def status_text(status: str) -> str:
    """Chinese: the standard's term; English: the code itself, which is what --status takes."""
    return codes.STATUSES.label(status) if chinese() and status in codes.STATUSES else status


def due_text(deadline: Deadline) -> str:
    text = deadline.due.isoformat()
    if deadline.provisional:
        text += _(" (provisional)")
    return text


def provisional_hint(years: set[int]) -> str:
    listed = ", ".join(str(y) for y in sorted(years))
    return _("note: deadlines marked provisional depend on {years}, whose official holiday schedule is not in the "
             "calendar yet (weekends only are counted); when it is published, import it with `complaintctl "
             "calendar import FILE` (see `complaintctl calendar import --help`)").format(years=listed)


def width(text: str) -> int:
    """Cells a text takes on a terminal: a Chinese character takes two."""
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def pad(text: str, cells: int) -> str:
    """Left-aligned in `cells` terminal cells, wide characters counted as two."""
    return text + " " * max(0, cells - width(text))


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def table(headers: list[str], rows: list[list[str]], title: str | None = None, keep: tuple[int, ...] = (0,)) -> None:
    """A table for a person at a terminal; tab-separated lines otherwise (stable for scripts and cron).

    Nothing is ever cut: the columns in `keep` (complaint numbers, dates, deadlines) are never
    narrower than their longest value, and other text folds onto more lines. When even that does
    not fit the terminal, each row is printed as a block of "header: value" lines instead.
    """
    if not fancy():
        for row in rows:
            say("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    columns = terminal_width()
    needed = [max(width(h), *(width(r[i]) for r in rows)) if i in keep else max(4, min(width(h), 8))
              for i, h in enumerate(headers)]
    if sum(needed) + 3 * len(headers) + 1 > columns:
        _blocks(headers, rows, title)
        return
    grid = Table(title=title, title_justify="left", box=box.SQUARE, expand=False)
    for i, header in enumerate(headers):
        if i in keep:
            grid.add_column(header, no_wrap=True, min_width=needed[i])
        else:
            grid.add_column(header, overflow="fold")
    for row in rows:
        grid.add_row(*row)
    Console(width=columns).print(grid)


def _blocks(headers: list[str], rows: list[list[str]], title: str | None) -> None:
    """Each row as lines a narrow terminal wraps but never cuts."""
    if title:
        say(title)
    label = max(width(h) for h in headers[1:]) if len(headers) > 1 else 0
    for row in rows:
        say(row[0])
        for header, cell in zip(headers[1:], row[1:]):
            say("  " + pad(header, label) + "  " + cell.replace("\n", "\n  " + " " * (label + 2)))
