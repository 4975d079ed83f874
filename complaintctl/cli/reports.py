"""The `report` command: the periodic report of CSA 9.2.3 as an Excel workbook."""

from typing import Annotated, Optional

import typer

from complaintctl import clock
from complaintctl.cli import render
from complaintctl.cli.common import Branches, By, Json, Quiet, chosen_branches, ledger, who
from complaintctl.i18n import _


def report(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="A month, e.g. 2026-10, or 'last'.")] = None,
    quarter: Annotated[Optional[str], typer.Option("--quarter", metavar="YYYYQn", help="A quarter, e.g. 2026Q3, or 'last'.")] = None,
    year: Annotated[Optional[str], typer.Option("--year", metavar="YYYY", help="A year, e.g. 2026, or 'last'.")] = None,
    out: Annotated[Optional[str], typer.Option("--out", metavar="FILE.xlsx", help="Where to write it (a file or a folder). Default: complaint-report-PERIOD.xlsx here.")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="YYYY-MM-DD", help="Show the ledger as it stood at the end of this day. Default: the period's last day (today while it runs).")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="Write ID numbers, phones and names in full; recorded as an audit event (CSA 7.8).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    branch: Branches = None,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Export the monthly, quarterly or yearly report (报送材料, CSA 9.2.3) to Excel.

    Sheets 汇总 (summary), 按月统计 (by month, for a quarter or year), 投诉台账 (ledger, CSA 9.4),
    超期与延期 (overdue and extended), 回访 (callbacks) and 图表 (charts), each set up to print on A4;
    a firm ledger's adds 分支机构 (each branch's figures) and a branch column.
    Personal data is masked unless --unmask. Each export is recorded in the ledger as an event.
    """
    from complaintctl import report as reporting
    from complaintctl import workbook  # openpyxl only for this command

    book = ledger(ctx)
    period = reporting.parse_period(month, quarter, year, clock.today())
    day = clock.parse_date(as_of, "--as-of") if as_of is not None else None
    done = reporting.prepare(book, period, out=out, as_of=day, unmask=unmask, force=force,
                             branches=chosen_branches(book, branch))
    with render.progress(quiet) as listener:
        written = workbook.write(done, reporting.entries(book, done, listener), listener)
        reporting.publish(book, done, written, by=who(ctx, by))
    s = done.summary
    if as_json:
        render.emit_json({
            "file": str(done.path), "period": period.code, "as_of": done.cutoff.isoformat(), "sha256": done.sha256,
            "complaints": s.rows, "received": s.get("received"), "carried_over": s.get("carried_over"),
            "accepted": s.get("accepted"), "rejected": s.get("rejected"), "completed": s.get("completed"),
            "completed_late": s.get("completed:超期"), "terminated": s.get("terminated"),
            "open_at_end": s.get("open_at_end"), "escalations_late": s.get("escalation:late"),
            "escalations_missing": s.get("escalation:missing"),
            "open_overdue_at_end": s.get("open_overdue_at_end"), "unmasked": unmask,
            "provisional_years": sorted(done.provisional_years)})
        return
    if quiet:
        return
    render.say(_("wrote {path}  ({period}, as of {cutoff})").format(path=done.path, period=period.label,
                                                                     cutoff=done.cutoff))
    render.say(_("  {rows} complaints: {received} received this period + {carried} carried over").format(
        rows=s.rows, received=s.get("received"), carried=s.get("carried_over")))
    render.say(_("  accepted {accepted}, not accepted {rejected}; completed {completed}, {late} of them late").format(
        accepted=s.get("accepted"), rejected=s.get("rejected"), completed=s.get("completed"),
        late=s.get("completed:超期")))
    if s.get("terminated"):
        render.say(_("  terminated without a result {terminated}").format(terminated=s.get("terminated")))
    if s.get("escalation:late") or s.get("escalation:missing"):
        render.say(_("  major complaints reported late {late}, never reported {missing}").format(
            late=s.get("escalation:late"), missing=s.get("escalation:missing")))
    render.say(_("  open at the end {open}, {overdue} of them overdue").format(
        open=s.get("open_at_end"), overdue=s.get("open_overdue_at_end")))
    render.say(_("  personal data in full, recorded as an audit event") if unmask
               else _("  personal data masked; --unmask to write it in full"))
    if done.provisional_years:
        years = ", ".join(str(y) for y in sorted(done.provisional_years))
        render.say(_("  some deadlines are provisional: no official holiday schedule for {years} yet "
                     "(`complaintctl calendar import`)").format(years=years))


def register_commands(app: typer.Typer) -> None:
    app.command()(report)
