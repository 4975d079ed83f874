"""Ledger-wide commands: calendar, policy, config, demo."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from complaintctl.rules import clock
from complaintctl.cli import render
from complaintctl.cli.common import At, By, ComplaintGroup, Json, ledger, when, who, whole_number
from complaintctl.errors import REFUSED, ComplaintError
from complaintctl.i18n import N_, _, chinese, untranslated


def command_group(help: str) -> typer.Typer:
    """A group of commands (`complaintctl calendar ...`): our errors and help, its own help when bare."""
    return typer.Typer(cls=ComplaintGroup, rich_markup_mode=None, no_args_is_help=True, help=help)


calendar_app = command_group(help="Trading days (交易日) and working days (工作日): show, check, correct, import.")
policy_app = command_group(help="The deadline policy (时限): CSA defaults, or a firm's stricter numbers.")
config_app = command_group(help="Ledger settings: the default user and the branch name.")
branch_app = command_group(help="The branches of a firm ledger on PostgreSQL (分支机构).")

DateArg = Annotated[str, typer.Argument(help="A date, YYYY-MM-DD.")]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="Last day of a range, YYYY-MM-DD.")]
NoteOpt = Annotated[
    Optional[str],
    typer.Option(
        "--note", help="Required: where it comes from, e.g. the notice or the exchange's announcement (CSA 9.4)."
    ),
]
ReasonOpt = Annotated[
    Optional[str],
    typer.Option(
        "--reason", help="Why a day already past is corrected only now: required when a day is before today (CSA 9.4)."
    ),
]


@calendar_app.command("show")
def calendar_show(
    ctx: typer.Context,
    given: Annotated[
        Optional[int],
        typer.Argument(parser=whole_number, metavar="[YYYY]", help="Year, as --year."),
    ] = None,
    year: Annotated[
        Optional[int], typer.Option("--year", parser=whole_number, metavar="YYYY", help="Year. Default: this year.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Every non-trading weekday and every make-up working day of a year, and where the data comes from."""
    from datetime import date, timedelta

    if given is not None and year is not None and given != year:
        raise ComplaintError(_("give the year once: {given} or --year {year}").format(given=given, year=year))
    cal = ledger(ctx).calendar()
    year = year or given or clock.today().year
    if not 1990 <= year <= 2100:
        raise typer.BadParameter(_("choose a year from 1990 to 2100"), param_hint="--year" if given is None else "YYYY")
    source = ("chinese-calendar package" if year in cal.package_years else "") + (
        " + imported schedule" if year in cal.imported_years else ""
    )
    special, reasons = [], {}  # "why" in English for --json, which never changes with the language
    day = date(year, 1, 1)
    while day.year == year:
        trading, working = cal.is_trading_day(day), cal.is_working_day(day)
        if (day.weekday() < 5 and not trading) or (day.weekday() >= 5 and working):
            with untranslated():
                why = cal.describe(day)
            reasons[day.isoformat()] = cal.describe(day)
            special.append({"date": day.isoformat(), "trading_day": trading, "working_day": working, "why": why})
        day += timedelta(days=1)
    trading_count = cal.count_days(date(year - 1, 12, 31), date(year, 12, 31))
    summary = {
        "year": year,
        "covered": cal.covered(year),
        "source": source.strip(" +") or "none (weekends only)",
        "trading_days": trading_count,
        "special_days": special,
    }
    if as_json:
        render.emit_json(summary)
        return
    sources = {
        "chinese-calendar package": N_("chinese-calendar package"),
        "imported schedule": N_("imported schedule"),
        "none (weekends only)": N_("none (weekends only)"),
    }  # --json keeps the English
    shown = " + ".join(_(sources[part]) for part in summary["source"].split(" + "))
    render.say(
        _("{year}: {count} trading days; data: {source}").format(year=year, count=trading_count, source=shown)
        + ("" if cal.covered(year) else _(" — PROVISIONAL: import the official schedule"))
    )
    trading_word, closed_word, working_word, rest_word = _("trading"), _("market closed"), _("working"), _("rest")
    column = max(render.width(w) for w in (trading_word, closed_word, working_word, rest_word))
    for item in special:
        render.say(
            f"  {item['date']}  {render.pad(trading_word if item['trading_day'] else closed_word, column)}  "
            f"{render.pad(working_word if item['working_day'] else rest_word, column)}  "
            f"{reasons[item['date']]}"
        )


DayArg = Annotated[Optional[str], typer.Argument(help="YYYY-MM-DD. Default: today in Shanghai.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing; answer by exit code only.")]


def _answer_day(ctx: typer.Context, day: Optional[str], quiet: bool, as_json: bool, kind: str) -> None:
    cal = ledger(ctx).calendar()
    target = clock.parse_date(day, "date") if day is not None else clock.today()
    trading, working = cal.is_trading_day(target), cal.is_working_day(target)
    answer = trading if kind == "trading" else working
    if as_json:
        with untranslated():
            why = cal.describe(target)
        render.emit_json(
            {
                "date": target.isoformat(),
                "trading_day": trading,
                "working_day": working,
                "why": why,
                "provisional": not cal.covered(target.year),
            }
        )
    elif not quiet:
        note = "" if cal.covered(target.year) else _(" (provisional: weekends only for this year)")
        answers = {
            ("trading", True): _("{day} is a trading day: {why}"),
            ("trading", False): _("{day} is not a trading day: {why}"),
            ("working", True): _("{day} is a working day: {why}"),
            ("working", False): _("{day} is not a working day: {why}"),
        }
        render.say(answers[kind, answer].format(day=target, why=cal.describe(target)) + note)
    raise typer.Exit(0 if answer else REFUSED)


@calendar_app.command("is-trading-day")
def calendar_is_trading_day(
    ctx: typer.Context, day: DayArg = None, quiet: Quiet = False, as_json: Json = False
) -> None:
    """Exit 0 if the day is a trading day (交易日), 1 if not."""
    _answer_day(ctx, day, quiet, as_json, "trading")


@calendar_app.command("is-working-day")
def calendar_is_working_day(
    ctx: typer.Context, day: DayArg = None, quiet: Quiet = False, as_json: Json = False
) -> None:
    """Exit 0 if the day is a working day (工作日, make-up weekend days included), 1 if not: the gate
    for the morning `warn` (callbacks fall due on make-up Saturdays; every trading day is a working day)."""
    _answer_day(ctx, day, quiet, as_json, "working")


@calendar_app.command("next")
def calendar_next(
    ctx: typer.Context,
    count: Annotated[int, typer.Argument(parser=whole_number, metavar="N", help="How many trading days (1-400).")],
    from_: Annotated[Optional[str], typer.Option("--from", help="Start after this day. Default: today.")] = None,
    working: Annotated[bool, typer.Option("--working", help="Count working days instead.")] = False,
    as_json: Json = False,
) -> None:
    """The next N trading days after a day (T+1 ... T+N)."""
    if not 1 <= count <= 400:
        raise typer.BadParameter(_("choose from 1 to 400 days"), param_hint="N")
    cal = ledger(ctx).calendar()
    start = clock.parse_date(from_, "--from") if from_ is not None else clock.today()
    days = cal.next_days(start, count, "working" if working else "trading")
    if as_json:
        render.emit_json(
            [{"n": i, "date": d.isoformat(), "provisional": not cal.covered(d.year)} for i, d in enumerate(days, 1)]
        )
        return
    for i, d in enumerate(days, 1):
        render.say(f"T+{i}\t{d.isoformat()}" + ("\t" + _("provisional") if not cal.covered(d.year) else ""))


def _add(
    ctx: typer.Context,
    kind: str,
    day: str,
    to: Optional[str],
    note: Optional[str],
    reason: Optional[str],
    at,
    by,
    as_json: bool,
) -> None:
    from complaintctl.store.calendar_data import DAY_KINDS, add_days

    first = clock.parse_date(day, "date")
    last = clock.parse_date(to, "--to") if to is not None else None
    days = add_days(ledger(ctx), kind, first, last, note, when(at), who(ctx, by), reason)
    if as_json:
        render.emit_json(
            {
                "kind": kind,
                "days": [d.isoformat() for d in days],
                "note": note.strip(),
                "reason": (reason or "").strip() or None,
            }
        )
        return
    span = f"{days[0]}" + (f" – {days[-1]}" if len(days) > 1 else "")
    render.say(
        _("{days}: {kind} ({label}) recorded; open deadlines follow the new calendar").format(
            days=span, kind=kind, label=DAY_KINDS[kind]
        )
    )


def _day_command(kind: str):
    """A command recording days of one kind (holiday, workday, closure): the three differ only in that."""

    def command(
        ctx: typer.Context,
        day: DateArg,
        to: ToOpt = None,
        note: NoteOpt = None,
        reason: ReasonOpt = None,
        at: At = None,
        by: By = None,
        as_json: Json = False,
    ) -> None:
        _add(ctx, kind, day, to, note, reason, at, by, as_json)

    return command


calendar_app.command(
    "add-holiday", help="Record an official holiday (法定节假日) or a range of them; overrides the package."
)(_day_command("holiday"))
calendar_app.command(
    "add-workday", help="Record a weekend make-up working day (调休上班): a working day, never a trading day."
)(_day_command("workday"))
calendar_app.command(
    "add-closure", help="Record an exchange-only closure (交易所休市) on an official working weekday."
)(_day_command("closure"))


@calendar_app.command("import")
def calendar_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A year's schedule, TOML (see below).")],
    note: Annotated[
        Optional[str],
        typer.Option(
            "--note", help="Required: where the file comes from, e.g. the notice it was copied from (CSA 9.4)."
        ),
    ] = None,
    reason: Annotated[
        Optional[str],
        typer.Option(
            "--reason", help="Why it is imported only now: required when it changes a day already past (CSA 9.4)."
        ),
    ] = None,
    at: At = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Import a year's official holiday schedule (国务院办公厅节假日安排) so its deadlines are exact.

    The file is TOML: year = 2027; source = "国办发明电〔2026〕N号"; holidays = ["2027-01-01",
    "2027-02-06..2027-02-12", ...]; workdays = [weekend make-up days]; closures = [exchange-only
    closures]. Example: sample_data/calendar-2026.toml.
    """
    from complaintctl.store.calendar_data import import_schedule

    schedule = import_schedule(ledger(ctx), file, when(at), who(ctx, by), note, reason)
    if as_json:
        render.emit_json(
            {
                "year": schedule["year"],
                "source": schedule["source"],
                "note": note.strip(),
                "reason": (reason or "").strip() or None,
                **{key: [d.isoformat() for d in schedule[key]] for key in ("holidays", "workdays", "closures")},
            }
        )
        return
    render.say(
        _(
            "{year} schedule imported ({source}): {holidays} holidays, {workdays} make-up workdays, "
            "{closures} closures; {year} deadlines are no longer provisional"
        ).format(
            year=schedule["year"],
            source=schedule["source"],
            holidays=len(schedule["holidays"]),
            workdays=len(schedule["workdays"]),
            closures=len(schedule["closures"]),
        )
    )


# What each policy number is, in a word or two, for `policy show` in Chinese.
POLICY_LABELS = {
    "acceptance_days": N_("acceptance decision, days"),
    "acceptance_unit": N_("counted in"),
    "completion_days": N_("completion, days"),
    "completion_unit": N_("counted in"),
    "extension_each_max": N_("longest extension"),
    "extension_total_max": N_("longest in total"),
    "callback_days": N_("callback, days"),
    "callback_unit": N_("counted in"),
    "callbacks_per_quarter": N_("callbacks a quarter"),
    "unreachable_attempts": N_("attempts before closing"),
    "remind_acceptance": N_("warn before acceptance"),
    "remind_completion": N_("warn before completion"),
    "approval_compensation_above": N_("compensation approved above, yuan"),
    "approval_opinions": N_("opinions approved"),
    "callback_by_handler": N_("callback by the handler"),
}

POLICY_OPTIONS = {
    "acceptance_days": N_("Acceptance decision within N days (CSA 9.1.2(a): 3)."),
    "acceptance_unit": N_("trading or working."),
    "completion_days": N_("Completion within N days (CSA 9.2.2(c): 20)."),
    "completion_unit": N_("trading or working."),
    "extension_each_max": N_("Longest single extension (CSA 9.2.2(d): 20)."),
    "extension_total_max": N_("Longest total extension (CSA 9.2.2(d): 20)."),
    "callback_days": N_("Callback within N days of the result (Firm 18(5): 2)."),
    "callback_unit": N_("trading or working."),
    "callbacks_per_quarter": N_("Callbacks to one customer a quarter (Callback rules 4(3): 2)."),
    "unreachable_attempts": N_(
        "Callback attempts, on different working days, before a complaint whose "
        "complainant was never reached may be closed (Firm 18(5): 2)."
    ),
    "remind_acceptance": N_("warn from N days before the acceptance deadline (CSA 8.2.3: 1)."),
    "remind_completion": N_("warn from N days before the completion deadline (CSA 8.2.3: 3)."),
    "approval_compensation_above": N_("Compensation above N yuan is approved before the result (Firm 25: 0, any)."),
    "approval_opinions": N_(
        "Whose handling opinion is approved before the result: major (major and group "
        "complaints, CSA 8.1.1(a)) or all (Firm 18(2))."
    ),
    "callback_by_handler": N_(
        "A callback made by the complaint's own handler: warn (CSA leaves it to the firm) or no, refused "
        "(Firm 18(5) gives the callback to someone else)."
    ),
}


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    on: Annotated[
        Optional[str],
        typer.Option("--on", metavar="YYYY-MM-DD", help="Only the policy for complaints received on this day."),
    ] = None,
    as_json: Json = False,
) -> None:
    """The policies, each with the date from which it applies (by day of receipt), the CSA defaults first."""
    from complaintctl.rules.policy import CSA_DEFAULT, policy_for
    from complaintctl.store.settings import policies

    found = policies(ledger(ctx))
    if found[0].effective_from > CSA_DEFAULT.effective_from:
        found = [CSA_DEFAULT, *found]  # what complaints received before the first policy are held to
    if on is not None:
        found = [policy_for(found, clock.parse_date(on, "--on"))]
    rows = [p.as_dict() for p in found]
    if as_json:
        render.emit_json(rows)
        return
    words = {
        "trading": _("trading days"),
        "working": _("working days"),
        "major": _("major and group complaints"),
        "all": _("every complaint"),
    }
    labels = [
        (key, (f"{key.replace('_', '-')} {_(POLICY_LABELS[key])}" if chinese() else key.replace("_", "-")))
        for key in rows[0]
        if key not in ("effective_from", "basis")
    ]
    column = max(render.width(label) for _key, label in labels)
    for row in rows:
        render.say(
            _("from {day}:").format(day=row["effective_from"])
            + (_("  (CSA defaults)") if row["effective_from"] == "1990-01-01" else "")
        )
        if row.get("basis"):
            render.say("  " + render.pad(_("basis"), column) + f"  {row['basis']}")
        for key, label in labels:
            render.say("  " + render.pad(label, column) + f"  {words.get(row[key], row[key])}")


def policy_set(
    ctx: typer.Context,
    effective_from: str,
    at: Optional[str] = None,
    by: Optional[str] = None,
    basis: Optional[str] = None,
    late_reason: Optional[str] = None,
    as_json: bool = False,
    **changes,
) -> None:
    """Set deadline numbers for complaints received from --effective-from on; never retroactive.

    --effective-from may not be before the day the policy is decided (--at), nor on or before the
    receipt of a complaint already in the ledger: no recorded deadline ever moves. Numbers laxer than
    the standard's (acceptance > 3, completion > 20, an extension or all extensions > 20) need
    --basis, the local regulator's requirement that allows them (CSA 9.2.2(c)).
    """
    from complaintctl.store.settings import set_policy

    given = {k: v for k, v in changes.items() if v is not None}
    policy = set_policy(
        ledger(ctx),
        clock.parse_date(effective_from, "--effective-from"),
        given,
        when(at),
        who(ctx, by),
        basis=basis,
        late_reason=late_reason,
    )
    if as_json:
        render.emit_json(policy.as_dict())
        return
    render.say(
        _("policy from {day}: {numbers}").format(
            day=policy.effective_from, numbers=", ".join(f"{k}={v}" for k, v in given.items())
        )
        + (_("; basis: {basis}").format(basis=policy.basis) if policy.basis else "")
    )


def _policy_set_signature():
    import inspect

    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "effective_from",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=str,
            default=typer.Option(
                ...,
                "--effective-from",
                help="Applies to complaints received on or after this day (YYYY-MM-DD).",
            ),
        ),
        inspect.Parameter(
            "at",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Optional[str],
            default=typer.Option(None, "--at", help="When the policy was decided. Default: now."),
        ),
        inspect.Parameter(
            "by",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Optional[str],
            default=typer.Option(None, "--by", help="Who set it."),
        ),
        inspect.Parameter(
            "basis",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Optional[str],
            default=typer.Option(
                None,
                "--basis",
                help="The local regulator's requirement allowing numbers laxer than the standard's "
                "(CSA 9.2.2(c) 另行规定), e.g. the notice's number.",
            ),
        ),
        inspect.Parameter(
            "late_reason",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Optional[str],
            default=typer.Option(
                None,
                "--late-reason",
                help="Why this is entered only now (补录原因): required when --at falls in a period whose report was "
                "already exported.",
            ),
        ),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=Json, default=False),
    ]
    for name, help_text in POLICY_OPTIONS.items():
        if name.endswith("_unit") or name in ("approval_opinions", "callback_by_handler"):
            option = typer.Option(None, "--" + name.replace("_", "-"), help=help_text)
            annotation = Optional[str]
        else:
            option = typer.Option(None, "--" + name.replace("_", "-"), help=help_text, parser=whole_number, metavar="N")
            annotation = Optional[int]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=option))
    return inspect.Signature(params)


policy_set.__signature__ = _policy_set_signature()
policy_app.command("set")(policy_set)


@config_app.command("show")
def config_show(ctx: typer.Context, as_json: Json = False) -> None:
    """Show the ledger's settings."""
    from complaintctl.store.settings import CONFIG_KEYS, config

    values = config(ledger(ctx))
    if as_json:
        render.emit_json(values)
        return
    for key, meaning in CONFIG_KEYS.items():
        render.say(f"{key:<8} {values.get(key, _('(not set)'))}    # {_(meaning)}")


@config_app.command("set")
def config_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="user or branch.")],
    value: Annotated[str, typer.Argument(help="The value.")],
    at: At = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Set a ledger setting: `user` (default --by) or `branch` (name on reports)."""
    from complaintctl.store.settings import set_config

    from complaintctl.outputs.letters import read_template

    set_config(
        ledger(ctx), key, value, when(at), who(ctx, by) if key != "user" else (by or value), read_template=read_template
    )
    if as_json:
        render.emit_json({key: value})
        return
    render.say(f"{key} = {value}")


@branch_app.command("add")
def branch_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The branch's code, e.g. SZ01: letters, digits, - or _.")],
    name: Annotated[str, typer.Option("--name", help="Its name as printed on reports, e.g. 深圳某某路营业部.")],
    at: At = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Add a branch to a firm ledger; complaints are registered at a branch that is known."""
    from complaintctl.store.settings import add_branch

    row = add_branch(ledger(ctx), code, name, when(at), who(ctx, by))
    if as_json:
        render.emit_json({"code": row.code, "name": row.name})
        return
    render.say(_("branch {code} added: {name}").format(code=row.code, name=row.name))


@branch_app.command("grant")
def branch_grant(
    login: Annotated[str, typer.Argument(help="The person's database login, e.g. li_ming.")],
    code: Annotated[str, typer.Argument(help="The branch they work at, e.g. SZ01.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Print the SQL that takes the branch away instead.")] = False,
    as_json: Json = False,
) -> None:
    """Print the SQL that makes a login a clerk of one branch of a firm ledger: they then see and record
    that branch's complaints only (row-level security, CSA 8.4). Run it as the database administrator:
    `complaintctl branch grant li_ming SZ01 | sudo -u postgres psql -d complaints`. Needs the roles of
    docs/firm-roles.sql; a login may work at several branches."""
    from complaintctl.store.backends.postgres import grant_sql
    from complaintctl.rules.complaint import branch_code, checked_text

    checked_text(login, "LOGIN")
    sql = grant_sql(login.strip(), branch_code(code), revoke)
    if as_json:
        render.emit_json({"login": login.strip(), "branch": branch_code(code), "revoke": revoke, "sql": sql})
        return
    typer.echo(sql, nl=False)


@branch_app.command("list")
def branch_list(ctx: typer.Context, as_json: Json = False) -> None:
    """The branches of a firm ledger and their names; a withdrawn branch with when, by whom and why."""
    from complaintctl.store.settings import branches, withdrawn_branches

    book = ledger(ctx)
    found = branches(book, every=True)
    gone = withdrawn_branches(book) if found else {}
    if as_json:
        render.emit_json(
            [
                {
                    "code": code,
                    "name": name,
                    **(
                        {"withdrawn": {key: gone[code][key] for key in ("at", "by", "reason", "events", "complaints")}}
                        if code in gone
                        else {}
                    ),
                }
                for code, name in found.items()
            ]
        )
        return
    if not found:
        render.tell(_("no branches yet: `complaintctl branch add CODE --name NAME`"))
    for code, name in found.items():
        line = f"{code:<8} {name}"
        if code in gone:
            line += "  " + _("withdrawn {at} by {by}: {reason}").format(
                at=gone[code]["at"][:16].replace("T", " "),
                by=gone[code]["by"],
                reason=render.flat(gone[code]["reason"]),
            )
        render.say(line)


@branch_app.command("withdraw")
def branch_withdraw(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The branch whose history was moved in under a wrong code, e.g. GZ02.")],
    reason: Annotated[
        Optional[str],
        typer.Option("--reason", help="Required: why, e.g. 误以 GZ02 迁入，实为 SZ01 的台账 (CSA 9.4)."),
    ] = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Take back a history `move-to` brought in under a wrong code, on the record: an event of the firm's chain.

    Nothing is deleted: the branch's events and complaints stay, `verify` checks them and `show BRANCH/NUMBER`
    reads them, but they count nowhere (list, warn, report, analyze, archive), nothing more is recorded or
    moved in under the code, and the branch's file may be moved in again under its right code. The database
    owner's work, as moving in is; refused when anything was recorded at the branch in the firm ledger since.
    """
    from complaintctl.store.settings import withdraw_branch

    book = ledger(ctx)
    done = withdraw_branch(book, code, reason, who(ctx, by))
    if as_json:
        render.emit_json(done)
        return
    render.say(
        _(
            "branch {code} withdrawn: its {events} events and {complaints} complaints stay in the ledger and "
            "count nowhere; move the file in again under its right code"
        ).format(code=done["branch"], events=done["events"], complaints=done["complaints"])
    )


def move_to(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="The firm ledger: postgresql://USER@HOST/DBNAME.")],
    branch: Annotated[str, typer.Option("--branch", help="The branch's code in the firm ledger, e.g. SZ01.")],
    name: Annotated[
        Optional[str],
        typer.Option(
            "--name", help="The branch's name on reports. Default: this ledger's `config branch`, else the code."
        ),
    ] = None,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Move this branch's ledger (--db) into a firm ledger on PostgreSQL as one branch.

    Every event is copied with its hash and every complaint keeps its number; attachments are
    copied; then the firm ledger is verified. Running it again copies nothing twice. Refused, with
    nothing changed, when the firm ledger holds a different history for that branch, or this history
    under another code (`branch withdraw` takes a wrong one back). This file is left as it was.
    """
    from complaintctl.rules.complaint import branch_code
    from complaintctl.store.ledger import Ledger
    from complaintctl.store.moving import move_in

    book = ledger(ctx)
    firm = Ledger(url)
    with render.progress(quiet) as listener:
        moved = move_in(book, firm, branch_code(branch), name=name, by=who(ctx, by), listener=listener)
    if as_json:
        render.emit_json(
            {
                "branch": branch_code(branch),
                "events": moved.events,
                "already": moved.already,
                "complaints": moved.complaints,
                "attachments": moved.attachments,
                "notices": moved.notices,
            }
        )
        return
    for notice in moved.notices:
        render.notice(notice)
    if quiet:
        return
    if moved.events:
        render.say(
            _(
                "moved into {url} as branch {branch}: {events} events ({complaints} complaints), {attachments} "
                "attachment file(s); the firm ledger verified"
            ).format(
                url=firm.label,
                branch=branch_code(branch),
                events=moved.events,
                complaints=moved.complaints,
                attachments=moved.attachments,
            )
        )
    elif moved.attachments:  # a run killed while it copied files, finished
        render.say(
            _(
                "{url} already holds all {events} events of branch {branch}; {attachments} attachment file(s) "
                "copied that were missing; the firm ledger verified"
            ).format(url=firm.label, branch=branch_code(branch), events=moved.already, attachments=moved.attachments)
        )
    else:
        render.say(
            _("{url} already holds all {events} events of branch {branch}; nothing copied").format(
                url=firm.label, branch=branch_code(branch), events=moved.already
            )
        )


def anchor(ctx: typer.Context, as_json: Json = False) -> None:
    """Print the ledger's chain heads, one line per chain (a firm ledger: one per branch, and '' for the
    firm's own), to keep where the ledger cannot reach them: mail them to the compliance head every day
    (README, cron). `verify --anchor` later checks that the ledger still holds each one; a rewrite, a
    deletion or a removed tail since then exits 5."""
    from complaintctl.rules.anchor import heads

    book = ledger(ctx)
    with book.reading() as conn:
        found = heads(conn)
    if as_json:
        render.emit_json([a.as_dict() for a in found])
        return
    for head in found:
        render.say(head.line())


def demo(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Option("--scenario", help="Demo scenario (JSON).")] = Path("sample_data/demo.json"),
) -> None:
    """Build a demo ledger from a sample_data scenario (through the normal lifecycle rules)."""
    from complaintctl.intake.demo import load_scenario

    book = ctx.find_root().obj.open(create=True)
    summary = load_scenario(book, scenario)
    render.tell(
        _("demo ledger {path}: {complaints} complaints, {events} events; as of {day}").format(
            path=book.label, complaints=summary["complaints"], events=summary["events"], day=summary["as_of"]
        )
    )


def register_commands(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
    app.add_typer(policy_app, name="policy")
    app.add_typer(config_app, name="config")
    app.add_typer(branch_app, name="branch")
    app.command("move-to")(move_to)
    app.command()(demo)
    app.command()(anchor)
