"""The `import` command: an old ledger (.xlsx) or a 12386 export (.csv) brought in, all or nothing."""

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from complaintctl import clock
from complaintctl.cli import render
from complaintctl.cli.common import By, Json, Quiet, ledger, who
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _, chinese

STATUS_ORDER = ("received", "accepted", "assigned", "resolved", "called_back", "closed", "rejected")


def import_ledger(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An .xlsx workbook or a .csv file.", show_default=False)],
    sheet: Annotated[Optional[str], typer.Option("--sheet", metavar="NAME", help="The sheet to read. Default: the first.")] = None,
    map_file: Annotated[Optional[Path], typer.Option("--map", metavar="MAP.toml", help="Renames columns: [columns] \"header\" = \"field\" (\"\" ignores one).")] = None,
    show_map: Annotated[bool, typer.Option("--show-map", help="Print which column fills which field, and stop.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and say what would be recorded; change nothing.")] = False,
    skip_bad: Annotated[Optional[Path], typer.Option("--skip-bad", metavar="OUT.xlsx", help="Record the good rows and write the bad ones, with 错误原因, to OUT.xlsx (in full: recorded as an audit event, CSA 7.8).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --skip-bad replace an existing OUT.xlsx.")] = False,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Bring in an old ledger: each row becomes the events its columns imply, checked like typed input.

    Columns are found by their headers (投诉时间, 投诉人, 证件号码, 投诉内容, 处理结果 …). What the old
    ledger never recorded is marked 未记载, never invented. One bad row and nothing is recorded,
    unless --skip-bad. Importing the same file again records nothing new.
    """
    from complaintctl import legacy

    renames = legacy.load_map(map_file)
    table = legacy.read_table(file, sheet, renames)
    if show_map:
        _print_map(table, legacy.column_map(table, renames), as_json)
        return
    if skip_bad is not None and skip_bad.suffix.lower() != ".xlsx":
        raise ComplaintError(_("--skip-bad {path}: give a name ending in .xlsx").format(path=skip_bad))
    if skip_bad is not None and not skip_bad.expanduser().parent.is_dir():  # known before anything is recorded
        raise ComplaintError(_("--skip-bad {path}: folder {parent} does not exist").format(
            path=skip_bad, parent=skip_bad.expanduser().parent))
    if skip_bad is not None and skip_bad.expanduser().is_dir():
        raise ComplaintError(_("--skip-bad {path} is a folder; give the name of the .xlsx file to write").format(
            path=skip_bad))
    if skip_bad is not None and os.path.lexists(skip_bad.expanduser()) and not force and not dry_run:
        raise ComplaintError(_("{path} already exists; kept as it is (use --force to replace it)").format(path=skip_bad))
    book = ledger(ctx)
    by = who(ctx, by)
    with render.progress(quiet) as listener, _bad_rows_file(book, skip_bad, table, by) as give_back:
        planned = legacy.plan(table, renames, listener)
        done = legacy.record(book, planned, by=by, skip_bad=skip_bad is not None, dry_run=dry_run,
                             listener=listener, finish=give_back if skip_bad is not None else None)
    counts = {status: sum(1 for p in done.recorded if p.status == status) for status in STATUS_ORDER}
    gaps = legacy.gaps(done.recorded)
    conflicts = legacy.handled_by_respondent(done.recorded)
    for row, handler in conflicts:  # recorded as the old ledger has it, and said (CSA 7.7)
        render.notice(_("CSA 7.7: row {row}: the handler {handler} is the respondent (被投诉人); an upper level must "
                        "reassign it").format(row=row, handler=handler))
    if as_json:
        render.emit_json({
            "file": str(file), "sha256": table.sha256, "dry_run": dry_run,
            "recorded": 0 if dry_run or (done.bad and skip_bad is None) else len(done.recorded),
            "would_record": len(done.recorded) if dry_run else None, "numbers": done.numbers if not dry_run else [],
            "by_status": {k: v for k, v in counts.items() if v}, "already_imported": len(done.already),
            "unrecorded": gaps, "skipped_blank_rows": table.skipped_blank, "skipped_totals_rows": table.skipped_totals,
            "bad_rows": [{"row": p.row, "error": p.error} for p in done.bad],
            "handler_is_respondent": [row for row, _handler in conflicts]})
        if done.bad and skip_bad is None:
            raise typer.Exit(1)
        return
    for item in sorted(done.bad, key=lambda p: p.row)[:legacy.MAX_ERRORS_SHOWN]:
        render.tell(_("row {row}, {error}").format(row=item.row, error=item.error))
    if len(done.bad) > legacy.MAX_ERRORS_SHOWN:
        render.tell(_("… and {count} more bad rows").format(count=len(done.bad) - legacy.MAX_ERRORS_SHOWN))
    if done.bad and skip_bad is None and not dry_run:
        raise ComplaintError(_("{count} bad row(s) in {file}; nothing was recorded (fix them, or --skip-bad OUT.xlsx "
                               "to record the good rows)").format(count=len(done.bad), file=file.name))
    if quiet:
        return
    statuses = ("，" if chinese() else ", ").join(f"{render.status_text(s)} {n}" for s, n in counts.items() if n)
    if dry_run:
        render.say(_("dry run: would record {count} complaint(s) from {file}: {statuses}; nothing was changed").format(
            count=len(done.recorded), file=file.name, statuses=statuses or "-"))
    elif done.recorded:
        render.say(_("imported {count} complaint(s) from {file} ({first} … {last}): {statuses}").format(
            count=len(done.recorded), file=file.name, first=done.numbers[0], last=done.numbers[-1],
            statuses=statuses))
    if done.already:
        render.say(_("{count} row(s) were imported before and are unchanged: not recorded again").format(
            count=len(done.already)))
    if not dry_run and not done.recorded and not done.already:
        render.say(_("nothing to import from {file}").format(file=file.name))
    if gaps:
        render.say(_("not in the old ledger, marked 未记载: {gaps}").format(
            gaps="，".join(f"{legacy.UNRECORDED_LABELS.get(k, k)} {n}" for k, n in sorted(gaps.items()))))
    if table.skipped_blank or table.skipped_totals:
        render.say(_("skipped {blank} blank row(s) and {totals} totals row(s)").format(
            blank=table.skipped_blank, totals=table.skipped_totals))
    if skip_bad is not None and done.bad and not dry_run:
        render.say(_("{count} bad row(s) written to {path} with 错误原因; fix them there and import that file").format(
            count=len(done.bad), path=skip_bad))
    if dry_run and done.bad:
        raise typer.Exit(1)


def _print_map(table, mapping, as_json: bool) -> None:
    if as_json:
        render.emit_json({"file": str(table.path), "header_row": table.header_row,
                          "columns": [{"header": h, "field": f} for h, f in mapping]})
        return
    render.say(_("{file}: header in row {row}").format(file=table.path.name, row=table.header_row))
    render.table([_("column"), _("field")], [[h or "-", f or _("(ignored)")] for h, f in mapping])


@contextmanager
def _bad_rows_file(book, path: Path | None, table, by: str):
    """`finish` for the import's transaction: the bad rows as they were, with 错误原因, ready to fix and import again.

    In full, since they are to be corrected and imported again: so the file is on record first
    (CSA 7.8), an `unmasked` event naming it, its SHA-256 and its rows, in the import's own transaction
    (the good rows and the file's event are recorded together, or neither). Written as a scratch file
    (0600, locked; see complaintctl.scratch) and renamed into place once that has committed: whole or
    absent, and a run killed before the rename leaves nothing the next run does not remove.
    Every text is a string cell: a CSV's `=HYPERLINK(...)` lands as text, never as a live formula.
    """
    if path is None:
        yield None
        return
    from complaintctl import scratch

    path = path.expanduser()
    temp = scratch.file_beside(path)
    written = []

    def give_back(session, done) -> None:
        from complaintctl.ledger import sha256_file

        rows = sorted(done.bad, key=lambda p: p.row)
        try:
            _write_rows(temp, table, rows)
        except OSError as exc:  # a full disk: the import's transaction is rolled back with it
            raise ComplaintError(_("could not write {path}: {error}; nothing was recorded").format(
                path=path, error=exc.strerror or exc)) from None
        book.append(session, None, "unmasked", clock.iso(clock.now()), by, {
            "command": "import --skip-bad", "file": str(path.resolve()), "sha256": sha256_file(temp),
            "rows": [item.row for item in rows], "source": str(Path(table.path).resolve()),
            "source_sha256": table.sha256})
        written.append(temp)

    try:
        yield give_back
        if written:  # committed: the file may now appear under its name
            os.replace(temp, path)
    finally:
        scratch.release(temp)


def _write_rows(temp: Path, table, rows) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from complaintctl import scratch
    from complaintctl.workbook import clean

    def cell(ws, value):
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(ws, value=clean(value))
        text.data_type = "s"  # openpyxl takes a leading '=' for a formula and '#N/A' for an error
        return text

    values = dict(table.rows)
    with scratch.private_sheets():
        workbook = Workbook(write_only=True)
        ws = workbook.create_sheet("待修正")
        ws.append([cell(ws, v) for v in [*table.headers, "错误原因", "原行号"]])
        for item in rows:
            ws.append([cell(ws, v) for v in values[item.row]] + [cell(ws, item.error), item.row])
        workbook.save(temp)
    with temp.open("rb+") as f:
        os.fsync(f.fileno())


def register_commands(app: typer.Typer) -> None:
    app.command("import")(import_ledger)
