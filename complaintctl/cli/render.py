"""Output: data to stdout, messages to stderr; colour and boxes only on a terminal without NO_COLOR."""

from __future__ import annotations

import json
import os
import sys

from complaintctl import codes
from complaintctl.deadlines import Deadline

KIND_LABEL = {
    "acceptance": "acceptance decision (受理决定)",
    "completion": "completion (办结)",
    "callback": "callback (回访)",
    "regulator_reply": "regulator reply (监管转办回复)",
    "escalation": "escalation (重大投诉上报)",
}


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


def status_text(status: str) -> str:
    return f"{status} ({codes.STATUSES.label(status)})"


def due_text(deadline: Deadline) -> str:
    text = deadline.due.isoformat()
    if deadline.provisional:
        text += " (provisional)"
    return text


def provisional_hint(years: set[int]) -> str:
    listed = ", ".join(str(y) for y in sorted(years))
    return (f"note: deadlines marked provisional depend on {listed}, whose official holiday schedule is not "
            "in the calendar yet (weekends only are counted); when it is published, import it with "
            "`complaintctl calendar import FILE` (see `complaintctl calendar import --help`)")


def table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines otherwise (stable for scripts and cron)."""
    if fancy():
        from rich.console import Console
        from rich.table import Table

        grid = Table(*headers, title=title, title_justify="left")
        for row in rows:
            grid.add_row(*row)
        Console().print(grid)
        return
    for row in rows:
        say("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
