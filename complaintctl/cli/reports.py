"""The `report` command: the periodic report of CSA 9.2.3 as an Excel workbook."""

from typing import Annotated, Optional

import typer

from complaintctl.rules import clock
from complaintctl.cli import render
from complaintctl.cli.common import Branches, By, Json, Month, Quarter, Quiet, Year, chosen_branches, ledger, who
from complaintctl.i18n import _, chinese, pick


AsOf = Annotated[
    Optional[str],
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Show the ledger as it stood at the end of this day. Default: the period's last day "
        "(today while it runs).",
    ),
]


def report(
    ctx: typer.Context,
    month: Month = None,
    quarter: Quarter = None,
    year: Year = None,
    out: Annotated[
        Optional[str],
        typer.Option(
            "--out",
            metavar="FILE.xlsx",
            help="Where to write it (a file or a folder). Default: complaint-report-PERIOD.xlsx here.",
        ),
    ] = None,
    as_of: AsOf = None,
    unmask: Annotated[
        bool,
        typer.Option(
            "--unmask", help="Write ID numbers, phones and names in full; recorded as an audit event (CSA 7.8)."
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    branch: Branches = None,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Export the monthly, quarterly or yearly report (报送材料, CSA 9.2.3) to Excel.

    Sheets 汇总 (summary), 按月统计 (by month, for a quarter or year), 分析 (the analysis of `analyze`),
    投诉台账 (ledger, CSA 9.4), 超期与延期 (overdue and extended), 回访 (callbacks) and 图表 (charts),
    each set up to print on A4;
    a firm ledger's adds 分支机构 (each branch's figures) and a branch column.
    Personal data is masked unless --unmask. Each export is recorded in the ledger as an event.
    """
    from complaintctl.outputs import analysis as analysing
    from complaintctl.outputs import report as reporting
    from complaintctl.outputs import workbook  # openpyxl only for this command

    book = ledger(ctx)
    from complaintctl.rules.period import parse_period

    period = parse_period(month, quarter, year, clock.today())
    day = clock.parse_date(as_of, "--as-of", clock.PAST) if as_of is not None else None
    done = reporting.prepare(
        book, period, out=out, as_of=day, unmask=unmask, force=force, branches=chosen_branches(book, branch)
    )
    with render.progress(quiet) as listener:
        analysis = analysing.for_report(book, done)  # the 分析 sheet, counted from the same rows
        written = workbook.write(done, reporting.entries(book, done, listener, also=[analysis]), listener)
        reporting.publish(book, done, written, by=who(ctx, by))
    s = done.summary
    changed, late = reporting.changed_since_previous(done), reporting.late_since_previous(done)
    moved = reporting.corrections_since_previous(done)
    if as_json:
        render.emit_json(
            {
                "file": str(done.path),
                "period": period.code,
                "as_of": done.cutoff.isoformat(),
                "sha256": done.sha256,
                "complaints": s.rows,
                "received": s.get("received"),
                "carried_over": s.get("carried_over"),
                "accepted": s.get("accepted"),
                "rejected": s.get("rejected"),
                "completed": s.get("completed"),
                "completed_late": s.get("completed:超期"),
                "terminated": s.get("terminated"),
                "open_at_end": s.get("open_at_end"),
                "escalations_late": s.get("escalation:late"),
                "escalations_missing": s.get("escalation:missing"),
                "open_overdue_at_end": s.get("open_overdue_at_end"),
                "unmasked": unmask,
                "provisional_years": sorted(done.provisional_years),
                "late_entries": len(done.late_entries),
                "calendar_corrections": len(done.calendar_corrections),
                "previous_export": done.previous.exported_at if done.previous else None,
                "changed_since_previous": [
                    {"figure": key, "before": before, "now": now} for key, before, now in changed
                ],
                "late_since_previous": [
                    {
                        "complaint": e.complaint,
                        "kind": e.kind,
                        "at": e.at,
                        "recorded_at": e.recorded_at,
                        "by": e.actor,
                        "reason": e.reason,
                    }
                    for e in late
                ],
                "corrections_since_previous": [
                    {
                        "days": c["days"],
                        "kind": c["type"],
                        "note": c["note"],
                        "reason": c["reason"],
                        "by": c["by"],
                        "recorded_at": c["recorded_at"],
                    }
                    for c in moved
                ],
            }
        )
        return
    if quiet:
        return
    render.say(
        _("wrote {path}  ({period}, as of {cutoff})").format(
            path=done.path, period=render.period_text(period), cutoff=done.cutoff
        )
    )
    render.say(
        _("  {rows} complaints: {received} received this period + {carried} carried over").format(
            rows=s.rows, received=s.get("received"), carried=s.get("carried_over")
        )
    )
    render.say(
        _("  accepted {accepted}, not accepted {rejected}; completed {completed}, {late} of them late").format(
            accepted=s.get("accepted"),
            rejected=s.get("rejected"),
            completed=s.get("completed"),
            late=s.get("completed:超期"),
        )
    )
    if s.get("terminated"):
        render.say(_("  terminated without a result {terminated}").format(terminated=s.get("terminated")))
    if s.get("escalation:late") or s.get("escalation:missing"):
        render.say(
            _("  major complaints reported late {late}, never reported {missing}").format(
                late=s.get("escalation:late"), missing=s.get("escalation:missing")
            )
        )
    render.say(
        _("  open at the end {open}, {overdue} of them overdue").format(
            open=s.get("open_at_end"), overdue=s.get("open_overdue_at_end")
        )
    )
    render.say(
        _("  personal data in full, recorded as an audit event")
        if unmask
        else _("  personal data masked; --unmask to write it in full")
    )
    if done.late_entries or done.calendar_corrections:
        render.say(
            _(
                "  entered late or corrected afterwards: {late} entries, {calendar} calendar corrections "
                "(sheet 补录与更正)"
            ).format(late=len(done.late_entries), calendar=len(done.calendar_corrections))
        )
    if done.previous is not None:
        _changes(done.previous, changed, late, moved)
    if done.provisional_years:
        years = ", ".join(str(y) for y in sorted(done.provisional_years))
        render.say(
            _(
                "  some deadlines are provisional: no official holiday schedule for {years} yet "
                "(`complaintctl calendar import`)"
            ).format(years=years)
        )


def _changes(previous, changed: list, late: list, moved: list) -> None:
    """What moved since this period was last exported, and the late entries that moved it (CSA 9.4)."""
    from complaintctl.cli.views import EVENT_LABEL
    from complaintctl.outputs.report import FIGURE_LABELS

    when = previous.exported_at[:16].replace("T", " ")
    if not changed:
        render.say(_("  the same headline figures as the export of {when} by {by}").format(when=when, by=previous.by))
    else:
        render.say(_("  changed since the export of {when} by {by}:").format(when=when, by=previous.by))
        for key, before, now in changed:
            render.say(f"    {FIGURE_LABELS[key]}: {_figure(before)} → {_figure(now)}")
    if late:
        render.say(_("  entered late since then:"))
        for e in late:
            render.say(
                "    "
                + _("{number} {kind} dated {at}, entered {recorded} by {by}: {reason}").format(
                    number=f"{e.branch}/{e.complaint}" if e.branch else e.complaint,
                    kind=_("void of entry {n} ({what})").format(
                        n=e.voided[0], what=_(EVENT_LABEL[e.voided[1]]) if e.voided[1] in EVENT_LABEL else e.voided[1]
                    )
                    if e.voided
                    else _(EVENT_LABEL[e.kind])
                    if e.kind in EVENT_LABEL
                    else e.kind,
                    at=e.at[:16].replace("T", " "),
                    recorded=e.recorded_at[:16].replace("T", " "),
                    by=e.actor,
                    reason=e.reason or _("no reason given"),
                )
            )
    if moved:
        render.say(_("  calendar corrections since then:"))
        for c in moved:
            days = c["days"][0] if len(c["days"]) == 1 else f"{c['days'][0]}…{c['days'][-1]}"
            render.say(
                "    "
                + _("{days} {kind}, entered {recorded} by {by}: {why}").format(
                    days=days,
                    kind=pick(c["kind"], c["type"]),
                    recorded=c["recorded_at"][:16].replace("T", " "),
                    by=c["by"],
                    why="; ".join(t for t in (c.get("note"), c.get("reason")) if t) or _("no reason given"),
                )
            )


def _figure(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2%}" if isinstance(value, float) else str(value)


def analyze(
    ctx: typer.Context,
    month: Month = None,
    quarter: Quarter = None,
    year: Year = None,
    as_of: AsOf = None,
    unmask: Annotated[
        bool,
        typer.Option(
            "--unmask",
            help="Show repeat complainants' names, ID numbers and phones in "
            "full; recorded as an audit event (CSA 7.8).",
        ),
    ] = False,
    branch: Branches = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Who complains again, about what and whom, how fast and how well (易诉人群、易诉问题, CSA 8.1.7(c), 11).

    Repeat complainants (same ID number, or a phone-only complaint matching that person's phone; never a
    name alone) over the period and the 12 months before; categories against the previous period;
    respondents and departments with 2 or more complaints; timeliness overall and per department;
    outcome; and the improvement measures (整改, CSA 8.2.4). Counted from the same rows as `report`,
    whose 分析 sheet shows the same tables. Each table says how it is counted.
    """
    from complaintctl.outputs import analysis as analysing
    from complaintctl.store.asof import Cutoff

    book = ledger(ctx)
    today = clock.today()
    from complaintctl.rules.period import cutoff_for, parse_period

    period = parse_period(month, quarter, year, today)
    day = cutoff_for(period, clock.parse_date(as_of, "--as-of", clock.PAST) if as_of is not None else None, today)
    with render.progress(as_json) as listener:
        done = analysing.analyze(book, period, Cutoff(day, today), unmask, chosen_branches(book, branch), listener)
    if unmask:
        analysing.record_disclosure(book, done, who(ctx, by))
    if as_json:
        render.emit_json(done.result)
        return
    render.say(
        _("{period}, as of {cutoff}: compared with {previous}; repeat complainants from {start}").format(
            period=render.period_text(period), cutoff=day, previous=render.period_text(done.previous), start=done.start
        )
    )
    for section in analysing.sections(done, chinese()):
        render.say()
        if not render.fancy():  # a title and the column names, then tab-separated rows
            render.say(section.title)
            if section.rows:
                render.say("\t".join(section.headers))
        if section.rows:
            render.table(
                section.headers,
                [[_cell(v, kind) for v, kind in zip(row, section.kinds)] for row in section.rows],
                title=section.title,
                keep=(0,),
            )
        else:
            if render.fancy():
                render.say(section.title)
            render.say("  " + section.empty)
        if section.how:
            render.say(_("  counted: {how}").format(how=section.how))
    render.say()
    render.say(
        _("personal data in full, recorded as an audit event")
        if unmask
        else _("personal data masked; --unmask to show it in full")
    )


def _cell(value, kind: str) -> str:
    """A figure as text: rates as percentages, "—" where nothing was there to count."""
    from decimal import Decimal

    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "percent" or (kind == "value" and not isinstance(value, Decimal)):
        return f"{value:.1%}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def register_commands(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(analyze)
