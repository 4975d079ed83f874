"""Output: data to stdout, messages to stderr; tables laid out on a terminal, and colour there unless NO_COLOR."""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager

from complaintctl.rules import codes
from complaintctl.rules.deadlines import Deadline
from complaintctl.i18n import _, chinese


def period_text(period) -> str:
    """A report period as the reader says it: 2026年第3季度 in Chinese, 2026Q3 in English."""
    return period.label if chinese() else period.code


def kind_text(kind: str) -> str:
    """A deadline's kind in the user's language."""
    return codes.deadline_name(kind)


def fancy() -> bool:
    """Tables laid out for a person at a terminal (tab-separated lines for pipes and cron). NO_COLOR takes
    the colour and bold away (`bold`), never the layout (issue 31)."""
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def bold(text: str) -> str:
    """Bold on a terminal, unless NO_COLOR (https://no-color.org) asks for none."""
    return text if os.environ.get("NO_COLOR") else f"\x1b[1m{text}\x1b[0m"


def emit_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


# What a stored value may hold that must not reach a terminal raw: ESC and the other control characters
# (a name with ESC [2J would clear the screen), except the tab and newline of free text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def visible(text: str) -> str:
    """Control characters shown as escapes (\\x1b), so what was typed is seen, never obeyed."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def flat(text: str) -> str:
    """One line whatever the value holds: newlines and tabs shown as \\n and \\t (cron mail, pipes)."""
    return visible(text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r"))


def say(text: str = "", styled: bool = False) -> None:
    """A line of data to stdout. `styled`: our own bold/colour codes, already around visible text.

    On a terminal a line wider than it is folded at word and character boundaries, in cells; in a pipe
    it stays one line, for scripts.
    """
    text = text if styled else visible(text)
    if not styled and fancy():
        text = fold(text, terminal_width())
    sys.stdout.write(text + "\n")


# "  label:   value" or "  2026-10-23 15:00  what": a folded line continues under the value.
_LABELLED = re.compile(r"\s*[^\s:：][^:：]{0,40}[:：]\s+(?=\S)|\s*\S.*?\s{2,}(?=\S)")


def fold(text: str, columns: int) -> str:
    """Lines wider than `columns` cells folded; the continuation lines hang under the value or indent."""
    from complaintctl.cli import cells

    out = []
    for line in text.split("\n"):
        if cells.width(line) <= columns:
            out.append(line)
            continue
        lead = " " * (len(line) - len(line.lstrip(" ")))
        label = _LABELLED.match(line)
        if label and cells.width(label.group()) <= columns // 2:
            first, rest, body = label.group(), " " * cells.width(label.group()), line[label.end() :]
        else:
            first, rest, body = lead, lead + "  ", line[len(lead) :]
        out.extend(cells.wrap(body, columns, first, rest))
    return "\n".join(out)


def tell(text: str) -> None:
    """A message for the person, not data: stderr, so pipes carry only data; folded on a terminal."""
    text = visible(text)
    if sys.stderr.isatty() and os.environ.get("TERM") != "dumb":
        text = fold(text, terminal_width(sys.stderr))
    sys.stderr.write(text + "\n")


def notice(text: str) -> None:
    """Something to act on that did not stop the command: `warning:` on stderr, yellow on a terminal.

    Errors are one line starting `complaintctl:`; a notice must not be mistaken for one.
    """
    line = visible(_("warning: {text}").format(text=text))
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb":
        line = f"\x1b[33m{line}\x1b[0m"
    sys.stderr.write(line + "\n")


@contextmanager
def progress(quiet: bool = False):
    """A rich progress bar on stderr for long work, given to the core as its listener.

    Only for a person watching: none with --quiet, in a pipe, under cron (stderr is no terminal there)
    or on a dumb terminal. It disappears when the work ends, so what the command prints stays clean.
    """
    if quiet or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    stages: dict[str, int] = {}

    def listener(stage: str, done: int, total: int | None) -> None:
        if stage not in stages:
            stages[stage] = bars.add_task(stage, total=total)
        bars.update(stages[stage], completed=done, total=total)

    with bars:
        yield listener


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
    return _(
        "note: deadlines marked provisional depend on {years}, whose official holiday schedule is not in the "
        "calendar yet (weekends only are counted); when it is published, import it with `complaintctl "
        "calendar import FILE` (see `complaintctl calendar import --help`)"
    ).format(years=listed)


def width(text: str) -> int:
    """Cells a text takes on a terminal: a Chinese character takes two."""
    from complaintctl.cli import cells

    return cells.width(text)


def pad(text: str, cells: int) -> str:
    """Left-aligned in `cells` terminal cells, wide characters counted as two."""
    return text + " " * max(0, cells - width(text))


def terminal_width(stream=None) -> int:
    """Columns of the terminal: COLUMNS, else the size of `stream` (stdout), else 100."""
    if os.environ.get("COLUMNS", "").isdigit() and int(os.environ["COLUMNS"]) > 0:
        return int(os.environ["COLUMNS"])
    try:
        columns = os.get_terminal_size((stream or sys.stdout).fileno()).columns
    except (OSError, ValueError, AttributeError):
        columns = 0
    return columns or 100  # a terminal that does not say its size (0 columns): as if 100 wide


def table(
    headers: list[str],
    rows: list[list[str]],
    title: str | None = None,
    keep: tuple[int, ...] = (0,),
    narrower: tuple[list[str], list[list[str]], tuple[int, ...]] | None = None,
    pipe_header: list[str] | None = None,
) -> None:
    """A table for a person at a terminal; tab-separated lines otherwise (stable for scripts and cron).

    Nothing is ever cut: the columns in `keep` (complaint numbers, dates, deadlines) are never
    narrower than their longest value, and other text wraps onto more lines within its column.
    When even that does not fit the terminal, each row is printed as a block of "header value"
    lines instead, unless the `narrower` layout (headers, rows, keep) of the same data fits. Widths are
    counted in terminal cells, so Chinese lines up.
    """
    if not fancy():
        # Written straight out: a pipe is no terminal, so nothing folds, and `list` of a large ledger is one
        # write per row, not a terminal check per row.
        lines = ["\t".join(flat(cell) for cell in row) for row in rows]
        if pipe_header:  # names for scripts: stable keys, never the translated headers
            lines.insert(0, "\t".join(pipe_header))
        sys.stdout.write("".join(line + "\n" for line in lines))
        return
    widths = _widths(headers, rows, terminal_width(), keep)
    if widths is None and narrower:
        headers, rows, keep = narrower
        widths = _widths(headers, rows, terminal_width(), keep)
    if widths is None:
        _blocks(headers, rows, title)
        return
    if title:
        say(bold(fold(visible(title), terminal_width())), styled=True)
    say(bold(visible(_line(headers, widths))), styled=True)
    say("─" * (sum(widths) + GAP * (len(widths) - 1)))
    for row in rows:
        say(_line(row, widths))


GAP = 2


def _widths(headers: list[str], rows: list[list[str]], columns: int, keep: tuple[int, ...]) -> list[int] | None:
    """Column widths that fit `columns`, narrowing the widest foldable column first; None if none do."""
    widths = [max(width(h), *(width(r[i]) for r in rows)) for i, h in enumerate(headers)]
    # A foldable column may narrow to its longest word: words are never broken (blocks are better).
    floor = [
        w
        if i in keep
        else max(
            _unbreakable(word) for text in [h, *(r[i] for r in rows)] for word in text.replace("\n", " ").split(" ")
        )
        for i, (h, w) in enumerate(zip(headers, widths))
    ]
    over = sum(widths) + GAP * (len(widths) - 1) - columns
    while over > 0:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            return None
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
        over -= 1
    return widths


CJK_FOLD = 8  # cells: Chinese may break between any two characters, but not into slivers


def _unbreakable(word: str) -> int:
    """The narrowest a word may be folded to: Latin words whole, Chinese down to CJK_FOLD cells."""
    cells = width(word)
    return min(cells, CJK_FOLD) if cells > len(word) else cells


def _wrap(text: str, cells: int) -> list[str]:
    """Lines of at most `cells` terminal cells: at spaces where possible, else between characters."""
    from complaintctl.cli import cells as layout

    return layout.wrap(text, cells)


def _line(cells: list[str], widths: list[int]) -> str:
    wrapped = [_wrap(cell, w) for cell, w in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for n in range(height):
        parts = [pad(lines[n] if n < len(lines) else "", w) for lines, w in zip(wrapped, widths)]
        out.append((" " * GAP).join(parts).rstrip())
    return "\n".join(out)


def _blocks(headers: list[str], rows: list[list[str]], title: str | None) -> None:
    """Each row as lines a narrow terminal wraps but never cuts."""
    if title:
        say(title)
    label = max(width(h) for h in headers[1:]) if len(headers) > 1 else 0
    for row in rows:
        say(row[0])
        for header, cell in zip(headers[1:], row[1:]):
            say("  " + pad(header, label) + "  " + cell.replace("\n", "\n  " + " " * (label + 2)))
