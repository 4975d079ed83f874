"""What every command shares: the root group's error handling, the ledger, --at/--by/--json."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

try:  # Typer >= 0.29 vendors Click; earlier releases depend on it
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import UsageError

from complaintctl import clock
from complaintctl.errors import USAGE, ComplaintError
from complaintctl.cli.lazy import lazy

ledgers = lazy("complaintctl.ledger")

DEBUG_ENV = "COMPLAINTCTL_DEBUG"


def one_line(text: str) -> str:
    """A message stays one line on stderr, whatever a typed path or value held (newlines, CRs, escapes)."""
    import unicodedata

    # Spaces (U+3000 ideographic space among them) are shown as typed; controls and separators escaped.
    return "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs"
                   else ch.encode("unicode_escape").decode("ascii") for ch in text)


class ComplaintGroup(TyperGroup):
    """Turns refusals and usage errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ComplaintError as exc:
            typer.echo(f"complaintctl: {one_line(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "complaintctl"
            typer.echo(f"{where}: {one_line(exc.format_message())} (see `{where} --help`)", err=True)
            raise typer.Exit(USAGE) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except OSError as exc:
            typer.echo(one_line(f"complaintctl: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")), err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: one line for users, the traceback for tests and debugging
            if os.environ.get(DEBUG_ENV) or os.environ.get("PYTEST_CURRENT_TEST"):
                raise
            typer.echo(one_line(f"complaintctl: internal error ({type(exc).__name__}: {exc}); nothing was "
                                f"recorded. Set {DEBUG_ENV}=1 for details and please report it."), err=True)
            raise typer.Exit(70) from None


class State:
    def __init__(self, db: str | None):
        self.db = db
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
            self._ledger = ledgers.Ledger(self.path, create=create)
            if self._ledger.upgrade_backup:
                typer.echo(f"complaintctl: upgraded the ledger to this version's schema; the file as it was "
                           f"is kept as {self._ledger.upgrade_backup}", err=True)
        return self._ledger


def ledger(ctx: typer.Context) -> ledgers.Ledger:
    return ctx.find_root().obj.ledger


def when(at: str | None) -> datetime:
    return clock.parse_at(at) if at is not None else clock.now()


def who(ctx: typer.Context, by: str | None) -> str:
    from complaintctl.settings import default_actor

    if by is not None:
        if not by.strip():
            raise ComplaintError("--by may not be empty")
        return by.strip()
    return default_actor(ledger(ctx))


At = Annotated[Optional[str], typer.Option(
    "--at", help="When it happened: YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (Shanghai time) or ISO 8601 with an "
                 "offset. Default: now.")]
By = Annotated[Optional[str], typer.Option(
    "--by", help="Who did it. Default: COMPLAINTCTL_USER, the configured user, else the OS user.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ComplaintId = Annotated[str, typer.Argument(metavar="ID", help="Complaint number (投诉编号), e.g. TS-2026-0001.",
                                            show_default=False)]


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
