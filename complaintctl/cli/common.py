"""What every command shares: the root group's error handling, the ledger, --at/--by/--json."""

from __future__ import annotations

import inspect
import os
import sys
from datetime import datetime
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

try:  # Typer >= 0.29 vendors Click; earlier releases depend on it
    from typer._click import core as click_core, formatting as click_formatting
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover
    from click import core as click_core, formatting as click_formatting
    from click.exceptions import UsageError

from complaintctl.rules import clock
from complaintctl.rules.complaint import typed_number
from complaintctl.errors import INTERRUPTED, USAGE, ComplaintError
from complaintctl.i18n import N_, _, series
from complaintctl.cli import cells, completion
from complaintctl.cli.lazy import lazy

ledgers = lazy("complaintctl.store.ledger")

DEBUG_ENV = "COMPLAINTCTL_DEBUG"


def one_line(text: str) -> str:
    """A message stays one line on stderr, whatever a typed path or value held (newlines, CRs, escapes)."""
    import unicodedata

    # Spaces (U+3000 ideographic space among them) are shown as typed; controls and separators escaped.
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def translate_help(command, ctx) -> None:
    """A command's help, its options' and its --help's, in the user's language (once per command).

    The English text stays where Typer's users expect it, in docstrings and help=; the catalog
    (scripts/i18n.py) collects both from the source.
    """
    if getattr(command, "_translated", False):
        return
    command._translated = True
    command.context_class = CellContext
    if command.help:
        command.help = _(inspect.cleandoc(command.help))
    if command.short_help:
        command.short_help = _(command.short_help)
    help_option = command.get_help_option(ctx)
    for param in [*command.params, *([help_option] if help_option else [])]:
        if getattr(param, "help", None):
            param.help = _(param.help)
        if param.metavar is None and not getattr(param, "is_flag", False):
            # Typer writes <str>, <int>, <path>; help reads TEXT, N, PATH as Click's own commands do.
            param.metavar = PLAIN_METAVARS.get(param.display_type(ctx), param.metavar)
        completion.give_completion(command.name, param)
        plain_text(param)
        if param.param_type_name == "argument" and param.metavar:
            # An argument's name already says what it takes (ID, FILE, YYYY); Typer would add `<str>`.
            param.display_type_rich = lambda ctx: None


def plain_text(param) -> None:
    """A parameter not given stays None, and text, yes/no or a default number is taken as it is, as Typer would.

    Typer (0.29) builds a pydantic adapter for each parameter of the command, given or not, before it
    looks at the value: about 2 ms each, and a write command has 40, of which a user gives a handful
    (issue 33). Numbers, paths and lists that are given, what a parser reads, a required parameter left
    out, and a Typer without `type_descriptor` keep Typer's way.
    """
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "plain_text", False):
        return
    param.plain_text = True
    several = param.multiple or param.nargs == -1  # as Typer's coerce: what is left out becomes ()
    plain = param.nargs == 1 and not param.multiple
    parsed = getattr(descriptor.parameter_info, "parser", None) is not None
    ranged = getattr(descriptor, "is_ranged", True)  # an int with min or max is checked by Typer
    kind = descriptor.annotation if plain and not parsed and descriptor.annotation in (str, bool, int) else None
    if kind is int and ranged:
        kind = None
    typer_way = param.process_value

    def process_value(ctx, value):
        if value is None and not param.required:
            value = () if several else None
        elif kind is None or type(value) is not kind:
            return typer_way(ctx, value)
        return param.callback(ctx, param, value) if param.callback else value

    param.process_value = process_value


PLAIN_METAVARS = {"<str>": "TEXT", "<int>": "N", "<path>": "PATH", "<file>": "FILE", "<float>": "NUMBER"}


# Click's own usage errors are English f-strings (Typer vendors Click without gettext); each is read
# back by its shape and said again through our catalog. An unknown shape stays as Click wrote it.
CLICK_WORDS = [
    (
        r"No such option: (?P<name>.+?) \(Possible options: (?P<options>.+)\)",
        N_("No such option: {name} (did you mean {options}?)"),
    ),
    (r"No such option: (?P<name>.+)", N_("No such option: {name}")),
    (r"Missing option (?P<name>.+?)\.", N_("Missing option {name}.")),
    (r"Missing argument (?P<name>.+?)\.", N_("Missing argument {name}.")),
    (r"Missing parameter: (?P<name>.+)", N_("Missing parameter: {name}")),
    (r"Option (?P<name>'.+?') requires an argument\.", N_("Option {name} requires a value.")),
    (r"Option (?P<name>'.+?') requires (?P<count>\d+) arguments\.", N_("Option {name} requires {count} values.")),
    (r"Option (?P<name>'.+?') does not take a value\.", N_("Option {name} does not take a value.")),
    (r"Got unexpected extra argument(?:\(s\)|s)? \((?P<args>.*)\)", N_("Unexpected extra words: {args}")),
    (r"Invalid value for (?P<name>.+?): (?P<reason>.*)", N_("Invalid value for {name}: {reason}")),
    (r"Invalid value: (?P<reason>.*)", N_("Invalid value: {reason}")),
    (r"(?P<value>'.*') is not a valid integer( range)?\.", N_("{value} is not a whole number.")),
]


def click_words(message: str) -> str:
    """A Click usage error in the user's language."""
    import re

    for shape, template in CLICK_WORDS:
        found = re.fullmatch(shape, message, re.DOTALL)
        if found:
            values = {key: click_words(value) if key == "reason" else value for key, value in found.groupdict().items()}
            if "options" in values:  # Click's "--json, --open": 、 between them in Chinese
                values["options"] = series(values["options"].split(", "))
            return _(template).format(**values)
    return message


def complain(line: str) -> None:
    """An error: one line on stderr, on a terminal too (the terminal wraps it), so that a log, a cron mail
    or a copy from the screen holds it whole; messages that are not errors fold (render.tell)."""
    sys.stderr.write(line + "\n")


def usage_error(exc, where: str = "complaintctl") -> None:
    """A usage error as one line in the user's language, and the usage exit code; `where`: the command
    typed, when Click did not say (`Option '--json' does not take a value` names no command)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare `complaintctl calendar`: its help, as Click does
        typer.echo(exc.format_message(), err=True)
        raise typer.Exit(USAGE) from None
    where = exc.ctx.command_path if exc.ctx else where
    message = exc.format_message()
    if "--db" in message and "No such option" in message:  # `complaintctl list --db X`
        message = _("--db goes before the command: complaintctl --db PATH {command} ...").format(
            command=where.split(" ", 1)[-1]
        )
    else:
        message = click_words(message)
    complain(_("{where}: {message} (see `{where} --help`)").format(where=where, message=one_line(message)))
    raise typer.Exit(USAGE) from None


class CellHelpFormatter(click_formatting.HelpFormatter):
    """Click's help layout, measured in terminal cells and broken where Chinese and English break.

    Click counts characters and breaks at hyphens, so Chinese help overflowed an 80-column terminal
    and option names split (`--ins` / `titution`) (issue 31).
    """

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = _("Usage: ") if prefix is None else prefix
        head = f"{prefix:>{self.current_indent}}{prog} "
        room = self.width - self.current_indent
        if room >= cells.width(head) + 20:
            lines = cells.wrap(args, room, head, " " * cells.width(head))
        else:
            indent = " " * (max(self.current_indent, cells.width(prefix)) + 4)
            lines = [head.rstrip(), *cells.wrap(args, room, indent, indent)]
        self.write("\n".join(lines) + "\n")

    def write_text(self, text: str) -> None:
        self.write("\n".join(cells.paragraphs(text, self.width, " " * self.current_indent)) + "\n")

    def write_heading(self, heading: str) -> None:
        self.write(" " * self.current_indent + _("{heading}:").format(heading=heading) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if self.width < 70:  # a narrow terminal: long option names get their own line, the text the room
            col_max = min(col_max, self.width // 3)
        first_col = min(max((cells.width(first) for first, _second in rows), default=0), col_max) + col_spacing
        hang = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cells.width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells.width(first)))
            else:
                self.write("\n" + hang)
            lines = cells.paragraphs(second, max(self.width - first_col - self.current_indent, 10))
            self.write("\n".join([lines[0], *(hang + line if line else "" for line in lines[1:])]) + "\n")


class CellContext(click_core.Context):
    formatter_class = CellHelpFormatter


class ComplaintGroup(TyperGroup):
    """Turns refusals and usage errors into one line on stderr and the documented exit code."""

    context_class = CellContext

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            translate_help(command, ctx)
        return command

    def format_help(self, ctx, formatter):
        translate_help(self, ctx)
        super().format_help(ctx, formatter)

    def format_commands(self, ctx, formatter):
        """Each command on one line, measured in cells (Click cuts by characters, then Chinese overflows)."""
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if not commands:
            return
        first_col = min(max(len(name) for name, _command in commands), 30) + 2
        room = formatter.width - formatter.current_indent - 2 - first_col
        rows = [
            (name, cells.first_sentence(command.short_help or command.help or "", room)) for name, command in commands
        ]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        """A mistyped command, said in the user's language with the commands it may have meant (Typer
        adds an English "Did you mean" after its own sentence)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            import difflib

            matches = difflib.get_close_matches(name, self.list_commands(ctx))
            if matches:
                message = _("No such command '{name}' (did you mean {commands}?)").format(
                    name=name, commands=series(matches)
                )
            else:
                message = _("No such command '{name}'.").format(name=name)
            raise UsageError(message, ctx)
        return super().resolve_command(ctx, args)

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:  # a group's own options (--db, --branch, --help), read before its command's
            plain_text(param)
        return params

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None and not extra.get("resilient_parsing") and not all(word.isascii() for word in args):
            from complaintctl.cli.keyboards import slip

            found = slip(self, list(args))  # ——by, －－by, --ｂｙ, --by　王芳: refused, never guessed (keyboards)
            if found:
                complain(f"complaintctl: {found}")
                raise typer.Exit(USAGE)
        try:  # `complaintctl --bogus`: the root's own options are read here, before any command runs
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as exc:
            usage_error(exc)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ComplaintError as exc:
            complain(f"complaintctl: {one_line(str(exc))}")
            raise typer.Exit(exc.exit_code) from None
        except UsageError as exc:
            usage_error(exc, " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand))))
        except (
            KeyboardInterrupt,
            typer.Abort,
        ):  # Ctrl-C: the shell's own code for it; a step is kept whole or not at all
            complain(_("complaintctl: interrupted; a step is recorded whole or not at all"))
            raise typer.Exit(INTERRUPTED) from None
        except (typer.Exit, SystemExit):
            raise
        except OSError as exc:
            complain(one_line(f"complaintctl: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")))
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: one line for users, the traceback for tests and debugging
            if os.environ.get(DEBUG_ENV) or os.environ.get("PYTEST_CURRENT_TEST"):
                raise
            typer.echo(
                one_line(
                    _(
                        "complaintctl: internal error ({kind}: {exc}); nothing was recorded. Set {env}=1 "
                        "for details and please report it."
                    ).format(kind=type(exc).__name__, exc=exc, env=DEBUG_ENV)
                ),
                err=True,
            )
            raise typer.Exit(70) from None


class State:
    def __init__(self, db: str | None, branch: str | None = None):
        self.db = db
        self.branch = branch
        self._ledger: ledgers.Ledger | None = None

    @property
    def path(self):
        return ledgers.resolve_path(self.db)

    @property
    def ledger(self) -> ledgers.Ledger:
        return self.open()

    def open(self, create: bool = False) -> ledgers.Ledger:
        """The ledger at --db; only `init` and `demo` may create one (create=True)."""
        if self._ledger is None:
            self._ledger = ledgers.Ledger(self.path, create=create, branch=self.branch)
            if self._ledger.upgrade_backup:
                complain(
                    _(
                        "complaintctl: upgraded the ledger to this version's schema; the file as it was is "
                        "kept as {path}"
                    ).format(path=self._ledger.upgrade_backup)
                )
        return self._ledger


# Options that take free text (newlines allowed); every other text option is one line (README "Input").
FREE_TEXT = {
    "text",
    "result",
    "request",
    "facts",
    "facts_found",
    "cause",
    "accountability",
    "improvement",
    "suggestions",
    "evidence",
    "reason",
    "late_reason",
    "note",
    "major_note",
}
NOT_TEXT = {
    "out",
    "db",
    "anchor",
    "dest",
    "source",
    "url",
}  # paths, URLs and anchors pasted from mail: their own checks


def typed_text(ctx: typer.Context) -> None:
    """Every text a command was given is text (complaint.checked_text): one gate for all of them."""
    from complaintctl.rules.complaint import checked_text

    for name, value in ctx.params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if isinstance(item, str) and name not in NOT_TEXT:
                checked_text(item, "--" + name.replace("_", "-"), multiline=name in FREE_TEXT)


def ledger(ctx: typer.Context) -> ledgers.Ledger:
    typed_text(ctx)
    book = ctx.find_root().obj.ledger
    reason = ctx.params.get("late_reason")
    if reason is not None:  # a dated command's --late-reason: kept in the event it records (DOMAIN: a late entry)
        if not reason.strip():
            raise ComplaintError(_("--late-reason may not be empty"), "CSA 9.4")
        book.late_reason = reason.strip()
    return book


def when(at: str | None) -> datetime:
    return clock.parse_at(at, direction=clock.PAST) if at is not None else clock.now()


def who(ctx: typer.Context, by: str | None) -> str:
    from complaintctl.store.settings import default_actor

    if by is not None:
        if not by.strip():
            raise ComplaintError(_("--by may not be empty"))
        from complaintctl.rules.complaint import checked_text

        return checked_text(by, "--by").strip()  # also where a command never opens the ledger first (restore)
    return default_actor(ledger(ctx))


At = Annotated[
    Optional[str],
    typer.Option(
        "--at",
        help="When it happened: a day (2026-11-20, 2026/11/20, 20261120 or 2026年11月20日), with a time "
        "if wanted (2026-11-20 9:00, Shanghai time), or ISO 8601 with an offset; or as people say it: 昨天 10点, "
        "11月20日 下午3点 (the latest 11月20日 up to today), 10点半 (today). Default: now.",
    ),
]
By = Annotated[
    Optional[str],
    typer.Option("--by", help="Who did it. Default: COMPLAINTCTL_USER, the configured user, else the OS user."),
]
LateReason = Annotated[
    Optional[str],
    typer.Option(
        "--late-reason",
        metavar="TEXT",
        help="Why this is entered only now (补录原因): required when --at falls in a period whose report was "
        "already exported; the next report lists it (CSA 9.4).",
    ),
]
# A report's period (report, archive): one of the three, parsed by rules.period.
Month = Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="A month, e.g. 2026-10, or 'last'.")]
Quarter = Annotated[
    Optional[str], typer.Option("--quarter", metavar="YYYYQn", help="A quarter, e.g. 2026Q3, or 'last'.")
]
Year = Annotated[Optional[str], typer.Option("--year", metavar="YYYY", help="A year, e.g. 2026, or 'last'.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar and no summary; errors still go to stderr.")
]
ComplaintId = Annotated[str, typer.Argument(metavar="ID", help="Complaint number (投诉编号), e.g. TS-2026-0001.")]


Branches = Annotated[
    Optional[list[str]],
    typer.Option(
        "--branch",
        metavar="CODE",
        help="Firm ledger: only this branch (its code); repeat for more. Default: every branch.",
    ),
]


def chosen_branches(book, given: list[str] | None) -> list[str] | None:
    """--branch of list, warn and report: codes the firm ledger knows, or None for all of them."""
    if not given and not book.firm:
        return None
    from complaintctl.rules.complaint import branch_code
    from complaintctl.store.settings import branches

    if not given:  # every branch this login may see: a clerk's report is their branch's, not the firm's
        with book.reading() as conn:
            seen = book.visible_branches(conn)
        if seen == []:
            raise ComplaintError(
                _(
                    "this login is a clerk of no branch and sees no complaint; the database "
                    "administrator grants one with `complaintctl branch grant LOGIN CODE`"
                ),
                "CSA 8.4",
            )
        return seen
    codes = [branch_code(code) for code in given]
    if not book.firm:
        raise ComplaintError(
            _(
                "--branch {code}: this ledger is one branch's own file; branches are kept apart in a "
                "firm ledger on PostgreSQL"
            ).format(code=codes[0])
        )
    known = branches(book)
    unknown = [code for code in codes if code not in known]
    if unknown and unknown[0] in branches(book, every=True):
        raise ComplaintError(
            _(
                "--branch {code}: the history of branch {code} was withdrawn and counts nowhere (see "
                "`complaintctl branch list`)"
            ).format(code=unknown[0])
        )
    if unknown:
        raise ComplaintError(
            _("unknown branch {code}; the branches are: {known}").format(
                code=unknown[0], known=", ".join(known) or _("(none yet)")
            )
        )
    with book.reading() as conn:
        for code in codes:
            book.require_visible(conn, code)
    return codes


def shown_number(record: dict) -> str:
    """A complaint's number as typed back: BRANCH/NUMBER in a firm ledger."""
    return typed_number(record.get("branch", ""), record["id"])


def whole_number(text: str) -> int:
    """A count as people type it: full-width digits too (NFKC), e.g. --days ５."""
    plain = clock.typed(str(text))
    if not plain.isascii() or not plain.lstrip("-").isdigit():
        raise typer.BadParameter(_("'{text}' is not a whole number").format(text=text))
    return int(plain)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
