"""The periodic report of CSA 9.2.3: a month's, quarter's or year's complaints, as the ledger stood.

As of the period's end by default: each complaint is the fold of its events whose business time
(`--at`) is on or before the cut-off day, so October's report run in December gives October's
figures. A complaint belongs to the period from its time of receipt (接收时间), even when it was
registered later.

Scope: complaints received in the period, plus those received earlier that were still open
(not rejected, not closed) when it began (上期结转).

This module computes: the rows of each sheet, and the summary from those same rows, so every
summary figure is what the detail rows imply. It knows nothing of Excel; `workbook` writes what it
computes, and the `report` command joins the two (prepare → entries → workbook.write → publish).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from complaintctl.rules import clock
from complaintctl.rules.anchor import heads
from complaintctl.store.asof import Cutoff
from complaintctl.rules.deadlines import deadlines_for
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger, sha256_file
from complaintctl.i18n import _
from complaintctl.rules.period import Period, cutoff_for
from complaintctl.progress import Listener
from complaintctl.outputs.rows import LATE, OPTIONAL_COLUMNS, Builder, Entry, present_columns, records_as_of
from complaintctl.outputs.summary import Summary

# -- the whole export ---------------------------------------------------------------------------------


@dataclass
class Report:
    period: Period
    cutoff: date
    branch: str
    generated_at: datetime
    unmasked: bool
    path: Path
    summary: Summary
    provisional_years: set[int]
    policies: list = field(default_factory=list)  # the firm's policies in force by the cut-off (CSA's is implied)
    sha256: str = ""
    branches: dict[str, str] = field(default_factory=dict)  # a firm report's branches: code → name
    by_branch: dict[str, Summary] = field(default_factory=dict)  # each branch's figures, counted as the firm's
    analysis: object = None  # analysis.Analysis: the 分析 sheet, counted from the same entries
    late_entries: list = field(default_factory=list)  # late.LateEntry: the 补录与更正 sheet
    calendar_corrections: list = field(default_factory=list)  # calendar_data.corrections: the same sheet
    all_corrections: list = field(default_factory=list)  # every one, to find those that moved a deadline in scope
    previous: object = None  # late.Export: the last export of this period and scope, to say what changed since
    anchors: list = field(default_factory=list)  # anchor.Anchor: every chain's head when it was prepared
    present: set[str] = field(default_factory=lambda: set(OPTIONAL_COLUMNS))  # the optional columns shown

    @property
    def extension_unit(self) -> str:
        """The unit extensions are counted in (the completion deadline's): 交易日 unless a firm policy says
        otherwise; both named when policies in force differ."""
        units = {"trading"} | {p.completion_unit for p in self.policies}
        return "、".join(sorted({"trading": "交易日", "working": "工作日"}.get(u, u) for u in units))

    @property
    def firm(self) -> bool:
        return bool(self.branches)

    @property
    def counted_to(self) -> Cutoff:
        """The cut-off the rows are read at: the report's day, judged from the day it is generated."""
        return Cutoff(self.cutoff, self.generated_at.date())

    @property
    def scope(self) -> list[str]:
        """The branches it covers (a firm's), or none: a branch's own file."""
        return sorted(self.branches)


def default_name(period: Period) -> str:
    return f"complaint-report-{period.code}.xlsx"


def target_path(out: str | os.PathLike | None, period: Period, force: bool) -> Path:
    path = Path(out).expanduser() if out else Path(default_name(period))
    if out and str(out).endswith(("/", os.sep)) and not path.is_dir():  # written as a folder: never a file of that name
        raise ComplaintError(_("--out {path}: folder {parent} does not exist").format(path=out, parent=path))
    if path.is_dir():
        path = path / default_name(period)
    if path.suffix.lower() != ".xlsx":
        raise ComplaintError(
            _("--out {path}: the report is an Excel workbook; give a name ending in .xlsx").format(path=path)
        )
    if not path.parent.is_dir():
        raise ComplaintError(_("--out {path}: folder {parent} does not exist").format(path=path, parent=path.parent))
    if path.exists() and not force:
        raise ComplaintError(_("{path} already exists; kept as it is (use --force to replace it)").format(path=path))
    return path


def prepare(
    ledger: Ledger,
    period: Period,
    *,
    out: str | os.PathLike | None = None,
    as_of: date | None = None,
    unmask: bool = False,
    force: bool = False,
    branches: list[str] | None = None,
) -> Report:
    """What the report will be: where it goes, its cut-off, and an empty summary that `entries` fills.

    A firm ledger's report covers the branches chosen (default: every one) and adds their figures side by side.
    """
    from complaintctl.store.settings import branches as known_branches, config

    path = target_path(out, period, force)
    now = clock.now()
    day = cutoff_for(period, as_of, now.date())
    names = known_branches(ledger) if ledger.firm else {}
    gone = [code for code in branches or () if code not in names]  # chosen_branches knows them; an archive's too
    if gone:
        raise ComplaintError(
            _(
                "--branch {code}: the history of branch {code} was withdrawn and counts nowhere (see "
                "`complaintctl branch list`)"
            ).format(code=gone[0])
        )
    chosen = {code: names[code] for code in (branches or names)}
    if len(chosen) == 1:
        title = next(iter(chosen.values()))
    elif chosen:
        title = (
            f"{'、'.join(chosen.values())}（{len(chosen)} 家分支机构）"
            if branches
            else f"全公司（{len(chosen)} 家分支机构）"
        )
    else:
        title = config(ledger).get("branch", "")
    report = Report(
        period,
        day,
        title,
        now.replace(tzinfo=None),
        unmask,
        path,
        Summary(period),
        set(),
        [p for p in ledger.policies() if p.effective_from <= day],
        branches=chosen,
        by_branch={code: Summary(period) for code in chosen},
    )
    _corrections(ledger, report)
    report.present = present_columns(ledger, period)
    with ledger.reading() as conn:  # printed on the sign-off and kept in the workbook's properties
        report.anchors = heads(conn)
    return report


def _corrections(ledger: Ledger, report: Report) -> None:
    """What was entered late or corrected that touches the period (补录与更正), and the last export of it."""
    from complaintctl.store.calendar_data import corrections
    from complaintctl.store.late import exports, late_entries

    period = report.period
    with ledger.reading() as conn:
        found = late_entries(conn, period.start, period.end)
        earlier = [e for e in exports(conn) if e.code == period.code and e.scope == report.scope]
    # An old ledger's rows brought in by `import` are history, not late steps; a firm report lists its branches'.
    report.late_entries = [e for e in found if not e.imported and (not report.firm or e.branch in report.branches)]
    report.calendar_corrections = corrections(ledger, period.start, period.end)
    report.all_corrections = corrections(ledger, date(1990, 1, 1), date(2100, 12, 31))
    # Compared only with the same cut-off: a mid-month export is not a different truth, only an earlier one.
    same = [e for e in earlier if e.as_of == report.cutoff]
    report.previous = same[-1] if same else None


# The figures an export records, so exporting the period again can say which changed (DOMAIN: a late entry).
FIGURE_KEYS = (
    ("acceptance_on_time_rate", "受理及时率"),
    ("completion_on_time_rate", "按期办结率"),
    ("callback_on_time_rate", "回访及时率"),
    ("satisfaction_rate", "满意率"),
)
COUNT_KEYS = (
    ("received", "本期接收投诉"),
    ("accepted", "本期受理"),
    ("rejected", "本期不予受理"),
    ("completed", "本期办结"),
    ("completed_late", "其中超期办结"),
    ("terminated", "本期终止处理"),
    ("open_at_end", "期末未办结"),
    ("open_overdue_at_end", "期末未办结且已超期"),
)
FIGURE_LABELS = dict(FIGURE_KEYS + COUNT_KEYS)


def figures(summary: Summary) -> dict:
    """The headline rates (None where nothing was due) and counts, as the export records them."""
    rates = {name: value for name, value, _how in summary.headline()}
    found = {
        key: (round(rates[label], 4) if isinstance(rates.get(label), float) else None) for key, label in FIGURE_KEYS
    }
    counts = {"completed_late": summary.get(f"completed:{LATE}")}
    found.update({key: counts.get(key, summary.get(key)) for key, _label in COUNT_KEYS})
    return found


def changed_since_previous(report: Report) -> list[tuple[str, object, object]]:
    """(key, before, now) for each figure that differs from the last export of the same period and scope."""
    before = (report.previous.headline if report.previous else None) or {}
    now = figures(report.summary)
    return [(key, before.get(key), value) for key, value in now.items() if key in before and before[key] != value]


def late_since_previous(report: Report) -> list:
    """The late entries typed in after the last export of this period and dated within it: why figures moved."""
    if report.previous is None:
        return []
    return [e for e in report.late_entries if e.event > report.previous.event and clock.day_of(e.at) in report.period]


def corrections_since_previous(report: Report) -> list[dict]:
    """The calendar corrections typed in after the last export of this period that moved its deadlines."""
    if report.previous is None:
        return []
    return [c for c in report.calendar_corrections if c["event"] > report.previous.event]


def branches_counted(ledger: Ledger, report: Report) -> list[str] | None:
    """The branches a firm report counts when it does not cover them all; None for all (or a branch's file)."""
    from complaintctl.store.settings import branches as known_branches

    return list(report.branches) if report.firm and len(report.branches) < len(known_branches(ledger)) else None


def entries(ledger: Ledger, report: Report, listener: Listener | None = None, also=()) -> Iterator[Entry]:
    """Each complaint's rows, in order of receipt, counted into `report.summary` as they go, and into each
    counter in `also` (the analysis: the `report` command composes the two); each is finished at the end."""
    from complaintctl.store import queries

    cutoff = report.counted_to
    builder = Builder(ledger, report.period, cutoff, report.unmasked)
    prepared = queries.corrections_prepared(ledger) if report.all_corrections else None
    moving: set[int] = set()  # the correction events that moved a deadline of a complaint in the report
    for record in records_as_of(ledger, report.period, cutoff, listener, branches_counted(ledger, report)):
        entry = builder.entry(record)
        if prepared:
            found = deadlines_for(record, builder.calendar, ledger.policy_on(clock.day_of(record["received_at"])))
            for mark in queries.moved_by_correction(ledger, found, record, prepared):
                moving.update(mark["events"] if mark else ())
        report.summary.add(entry)
        for counter in also:
            counter.add(entry)
        if report.firm and entry.row["branch"] in report.by_branch:
            report.by_branch[entry.row["branch"]].add(entry)
        report.provisional_years |= entry.provisional_years
        yield entry
    for counter in also:
        counter.finish(ledger)
    listed = {c["event"] for c in report.calendar_corrections}
    report.calendar_corrections += [
        c for c in report.all_corrections if c["event"] in moving and c["event"] not in listed
    ]
    report.calendar_corrections.sort(key=lambda c: c["event"])


def publish(ledger: Ledger, report: Report, written: Path, *, by: str) -> None:
    """Record the export, then move the written file into place; the file is removed if that fails.

    The audit trail comes first (CSA 7.8): an export that is on disk is always on record.
    """
    try:
        report.sha256 = sha256_file(written)
        ledger.record(
            "exported",
            by,
            {
                "report": report.period.code,
                "as_of": report.cutoff.isoformat(),
                "file": str(report.path.resolve()),
                "sha256": report.sha256,
                "complaints": report.summary.rows,
                "unmasked": report.unmasked,
                "headline": figures(report.summary),
                **({"branches": report.scope} if report.firm else {}),
            },
            report.scope or None,
        )  # CSA 7.8: in the chain of each branch whose complaints it holds
        os.replace(written, report.path)
    finally:
        if written.exists():
            written.unlink()
