"""The `import` command: an old ledger (.xlsx) or a 12386 export (.csv) brought in, all or nothing."""

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from complaintctl.rules import clock
from complaintctl.cli import render
from complaintctl.cli.common import By, Json, Quiet, ledger, who
from complaintctl.rules.complaint import UNRECORDED_LABELS
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _, chinese

STATUS_ORDER = ("received", "accepted", "assigned", "resolved", "called_back", "closed", "rejected", "terminated")
TEXT_FACTS = ("refusal", "notice", "withdrawal", "extension", "callback", "callback_undated")


def import_ledger(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="A workbook (.xlsx, .xls, .xlsb, .ods), a .csv file, or a .txt file (tab-separated)."
        ),
    ],
    sheet: Annotated[
        Optional[str],
        typer.Option(
            "--sheet",
            metavar="NAME",
            help="The one sheet to read, hidden or not. Default: every visible sheet whose headers agree with the "
            "first's (a sheet a year).",
        ),
    ] = None,
    map_file: Annotated[
        Optional[Path],
        typer.Option(
            "--map",
            metavar="MAP.toml",
            help="Renames columns: [columns] \"header\" = \"field\" (\"\" ignores one; \"F\" or \"日期#2\" names a "
            "column by its letter, or by its header and place).",
        ),
    ] = None,
    show_map: Annotated[
        bool, typer.Option("--show-map", help="Print which column fills which field, and stop.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and say what would be recorded; change nothing.")
    ] = False,
    skip_bad: Annotated[
        Optional[Path],
        typer.Option(
            "--skip-bad",
            metavar="OUT.xlsx",
            help="Record the good rows and write the bad ones, with 错误原因, to OUT.xlsx (in full: recorded as an "
            "audit event, CSA 7.8).",
        ),
    ] = None,
    review: Annotated[
        Optional[Path],
        typer.Option(
            "--review",
            metavar="OUT.xlsx",
            help="With --dry-run: write what the import would do with every row, and each year's figures after it, "
            "to OUT.xlsx (personal data masked).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Let --skip-bad or --review replace an existing OUT.xlsx.")
    ] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Record what rows imported before now add (a complaint since completed), at the file's dates.",
        ),
    ] = False,
    kind: Annotated[
        Optional[str],
        typer.Option(
            "--kind",
            metavar="KIND",
            help="ledger (a branch's own) or 12386 (the platform's export). Default: told by the headers.",
        ),
    ] = None,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Bring in an old ledger: each row becomes the events its columns imply, checked like typed input.

    Columns are found by their headers (投诉时间, 投诉人, 证件号码, 投诉内容, 处理结果 …). What the old
    ledger never recorded is marked 未记载, never invented. One bad row and nothing is recorded,
    unless --skip-bad. A row already in the ledger (the same 原编号 that year, or the same 12386 ticket)
    is not recorded twice: a 12386 export's row enriches its complaint, and a row changed since it was
    imported is reported, and recorded with --update.
    """
    from complaintctl.intake import legacy, matching

    renames = legacy.load_map(map_file)
    tables, sheets = legacy.read_tables(file, sheet, renames.columns)
    table = tables[0]
    mapping = legacy.column_map(table, renames.columns)
    if kind is not None and kind not in legacy.KINDS:
        raise ComplaintError(
            _("--kind {kind}: choose one of {choices}").format(kind=kind, choices=", ".join(legacy.KINDS))
        )
    kind = kind or legacy.table_kind(mapping)
    if show_map:
        _print_map(table, mapping, kind, legacy.unfilled(mapping), legacy.unmatched(table, renames), as_json, sheets)
        return
    for letter, header in legacy.unread(table, mapping):  # a second 日期: said, never dropped unseen
        render.notice(
            _(
                "column {letter} ({header}) is read by no field: another column has that header; a --map line "
                'such as "{letter}" = "called_at" names the field it holds'
            ).format(letter=letter, header=header)
        )
    for key in legacy.unmatched(table, renames):
        render.notice(
            _("--map: {key!r} is no header of {file}; that line of the map was not used").format(
                key=key, file=file.name
            )
        )
    if missing := legacy.unfilled(mapping):
        raise ComplaintError(
            _(
                "{file}: no column fills {fields}; `import --show-map` shows the columns, and --map "
                "names the one that holds it"
            ).format(file=file.name, fields=", ".join(f"{legacy.FIELD_LABELS[name]} ({name})" for name in missing))
        )
    if skip_bad is not None and skip_bad.suffix.lower() != ".xlsx":
        raise ComplaintError(_("--skip-bad {path}: give a name ending in .xlsx").format(path=skip_bad))
    if skip_bad is not None and not skip_bad.expanduser().parent.is_dir():  # known before anything is recorded
        raise ComplaintError(
            _("--skip-bad {path}: folder {parent} does not exist").format(
                path=skip_bad, parent=skip_bad.expanduser().parent
            )
        )
    if skip_bad is not None and skip_bad.expanduser().is_dir():
        raise ComplaintError(
            _("--skip-bad {path} is a folder; give the name of the .xlsx file to write").format(path=skip_bad)
        )
    if skip_bad is not None and os.path.lexists(skip_bad.expanduser()) and not force and not dry_run:
        raise ComplaintError(
            _("{path} already exists; kept as it is (use --force to replace it)").format(path=skip_bad)
        )
    if review is not None:
        _check_review(review, dry_run, force)
    book = ledger(ctx)
    by = who(ctx, by)
    figures: dict = {}

    def inspect(session, done) -> None:  # the ledger as the import leaves it, in its transaction
        from complaintctl.outputs.review import year_figures

        years = {clock.day_of(p.fields["received_at"]).year for p in planned if not p.error and p.fields}
        figures.update(year_figures(session, book.branch, sorted(years)))

    skipped = _skipped_rows(tables)
    if not as_json and not quiet and len(sheets) > 1:
        render.say(_sheets_line(sheets))
    with render.progress(quiet) as listener, _bad_rows_file(book, skip_bad, tables, by) as give_back:
        planned = [
            item for each in tables for item in legacy.plan(each, renames, importer=by, kind=kind, listener=listener)
        ]
        done = matching.record(
            book,
            planned,
            skip_bad=skip_bad is not None,
            dry_run=dry_run,
            update=update,
            listener=listener,
            finish=give_back if skip_bad is not None else None,
            inspect=inspect if review is not None else None,
        )
    if review is not None:
        _write_review(review, file, tables, sheets, planned, done, figures)
    counts = {status: sum(1 for p in done.recorded if p.status == status) for status in STATUS_ORDER}
    gaps = legacy.gaps(done.recorded)
    read = _read_from_text(done)
    conflicts = legacy.handled_by_respondent(done.recorded)
    for row, handler in conflicts:  # recorded as the old ledger has it, and said (CSA 7.7)
        render.notice(
            _(
                "CSA 7.7: row {row}: the handler {handler} is the respondent (被投诉人); an upper level must "
                "reassign it"
            ).format(row=row, handler=handler)
        )
    if as_json:
        render.emit_json(
            {
                "file": str(file),
                "sha256": table.sha256,
                "kind": kind,
                "dry_run": dry_run,
                "recorded": 0 if dry_run or (done.bad and skip_bad is None) else len(done.recorded),
                "would_record": len(done.recorded) if dry_run else None,
                "numbers": done.numbers if not dry_run else [],
                "by_status": {k: v for k, v in counts.items() if v},
                "already_imported": len(done.already),
                "unrecorded": gaps,
                "read_from_text": read,
                "sheets": [_sheet_json(s) for s in sheets],
                "skipped_blank_rows": len(skipped.get("blank", [])),
                "skipped_totals_rows": len(skipped.get("total", [])),
                "not_complaints": skipped,
                "bad_rows": [{"row": p.row, "error": p.error} for p in done.bad],
                "fixed_before": [p.row for p in done.fixed_before],
                "merged": [_change_json(c) for c in done.merged],
                "changed": [_change_json(c) for c in done.changed],
                "carried_over": [_change_json(c) for c in done.carried],
                "handler_is_respondent": [row for row, _handler in conflicts],
                **({"review": str(review), "figures": {str(y): f for y, f in figures.items()}} if review else {}),
            }
        )
        if done.bad and skip_bad is None:
            raise typer.Exit(1)
        return
    for item in sorted(done.bad, key=lambda p: p.row):  # every problem of every row: fixed in one pass
        row = f"{item.origin.get('sheet')}!{item.row}" if len(tables) > 1 else item.row
        render.tell(_("row {row}, {error}").format(row=row, error=item.error))
    if done.bad and skip_bad is None and not dry_run:
        raise ComplaintError(
            _(
                "{count} bad row(s) in {file}; nothing was recorded (fix them, or --skip-bad OUT.xlsx "
                "to record the good rows)"
            ).format(count=len(done.bad), file=file.name)
        )
    if quiet:
        return
    statuses = ("，" if chinese() else ", ").join(f"{render.status_text(s)} {n}" for s, n in counts.items() if n)
    if dry_run:
        render.say(
            _("dry run: would record {count} complaint(s) from {file}: {statuses}; nothing was changed").format(
                count=len(done.recorded), file=file.name, statuses=statuses or "-"
            )
        )
    elif done.recorded:
        render.say(
            _("imported {count} complaint(s) from {file} ({first} … {last}): {statuses}").format(
                count=len(done.recorded),
                file=file.name,
                first=done.numbers[0],
                last=done.numbers[-1],
                statuses=statuses,
            )
        )
    if done.already:
        render.say(
            _("{count} row(s) were imported before and are unchanged: not recorded again").format(
                count=len(done.already)
            )
        )
    if done.fixed_before:
        render.say(
            _("{count} bad row(s) were fixed and imported before from the to-fix file: not recorded again").format(
                count=len(done.fixed_before)
            )
        )
    _print_changes(done, dry_run, update)
    if not dry_run and not (done.recorded or done.already or done.merged or done.changed or done.carried):
        render.say(_("nothing to import from {file}").format(file=file.name))
    if gaps:
        render.say(
            _("not in the old ledger, marked 未记载: {gaps}").format(
                gaps="，".join(f"{UNRECORDED_LABELS.get(k, k)} {n}" for k, n in sorted(gaps.items()))
            )
        )
    if read:
        render.say(_said_in_words(read))
    if skipped:
        render.say(_skipped(skipped))
    if skip_bad is not None and done.bad and not dry_run:
        render.say(
            _("{count} bad row(s) written to {path} with 错误原因; fix them there and import that file").format(
                count=len(done.bad), path=skip_bad
            )
        )
    if review is not None:
        for year, f in sorted(figures.items()):
            render.say(
                _(
                    "{year} would then hold: received {received}, accepted {accepted}, refused {rejected}, "
                    "completed {completed}, terminated {terminated}, open at year end {open}"
                ).format(year=year, **f)
            )
        render.say(_("what each row would become: {path}").format(path=review))
    if dry_run and done.bad:
        raise typer.Exit(1)


def _check_review(path: Path, dry_run: bool, force: bool) -> None:
    """--review is refused before anything is read from the ledger: with no --dry-run, or nowhere to write."""
    if not dry_run:
        raise ComplaintError(_("--review {path} needs --dry-run: it shows what the import would do").format(path=path))
    if path.suffix.lower() != ".xlsx":
        raise ComplaintError(_("--review {path}: give a name ending in .xlsx").format(path=path))
    target = path.expanduser()
    if not target.parent.is_dir():
        raise ComplaintError(
            _("--review {path}: folder {parent} does not exist").format(path=path, parent=target.parent)
        )
    if target.is_dir():
        raise ComplaintError(
            _("--review {path} is a folder; give the name of the .xlsx file to write").format(path=path)
        )
    if os.path.lexists(target) and not force:
        raise ComplaintError(_("{path} already exists; kept as it is (use --force to replace it)").format(path=path))


def _write_review(path: Path, file: Path, tables, sheets, planned, done, figures: dict) -> None:
    from complaintctl.cli import import_review
    from complaintctl.outputs import review

    try:
        review.write(
            path.expanduser(),
            import_review.rows(tables, planned, done),
            figures,
            import_review.sheets(sheets),
            source=file.name,
            generated=clock.now().strftime("%Y-%m-%d %H:%M"),
            bad_rows=len(done.bad),
        )
    except OSError as exc:
        raise ComplaintError(
            _("could not write {path}: {error}; nothing was recorded").format(path=path, error=exc.strerror or exc)
        ) from None


def _skipped_rows(tables) -> dict[str, list]:
    """The rows that are not complaints, by kind, of every table read: row numbers, each with its sheet's name
    (2024年!13) when several sheets were read."""
    found: dict[str, list] = {}
    for table in tables:
        for kind, numbers in table.skipped.items():
            found.setdefault(kind, []).extend(numbers if len(tables) == 1 else [f"{table.sheet}!{n}" for n in numbers])
    return found


def _sheet_why(sheet) -> str:
    from complaintctl.intake.legacy import sheet_reasons

    return sheet_reasons()[sheet.why].format(sheet=sheet.like) if sheet.why else ""


def _sheets_line(sheets) -> str:
    """sheets of the workbook: 2023年 (hidden, …) 12 rows, not read; 2024年 9 rows, read."""
    comma = "；" if chinese() else "; "
    parts = [
        _("{sheet} ({rows} rows) read").format(sheet=s.name, rows=s.rows)
        if s.read
        else _("{sheet} ({rows} rows) not read: {why}").format(sheet=s.name, rows=s.rows, why=_sheet_why(s))
        for s in sheets
    ]
    return _("sheets: {sheets}").format(sheets=comma.join(parts))


def _sheet_json(sheet) -> dict:
    return {"name": sheet.name, "rows": sheet.rows, "hidden": sheet.hidden, "read": sheet.read, "why": sheet.why}


def _read_from_text(done) -> dict[str, int]:
    """How many of each fact the recorded rows gave in words (处理结果, 备注), not in a column of their own."""
    from collections import Counter

    found: Counter = Counter()
    for item in done.recorded:
        found.update(item.read)
    return {kind: found[kind] for kind in TEXT_FACTS if found[kind]}


def _said_in_words(read: dict[str, int]) -> str:
    """read from text: 2 refusal(s), 1 withdrawal(s), 1 extension(s), 3 callback(s)."""
    kinds = {
        "refusal": _("{count} refusal(s)"),
        "notice": _("{count} refusal notice(s)"),
        "withdrawal": _("{count} withdrawal(s)"),
        "extension": _("{count} extension(s)"),
        "callback": _("{count} callback(s)"),
        "callback_undated": _("{count} callback(s) without a day (未记载)"),
    }
    comma = "，" if chinese() else ", "
    return _("read from text (处理结果, 备注): {what}").format(
        what=comma.join(kinds[kind].format(count=count) for kind, count in read.items())
    )


def _skipped(skipped: dict[str, list]) -> str:
    """skipped 3 row(s) that are not complaints: 1 blank, 1 subtotal or total (row 13), 1 note (row 14)."""
    comma = "，" if chinese() else ", "

    def rows(numbers: list[int]) -> str:
        shown = comma.join(str(n) for n in numbers[:10])
        return shown + (" …" if len(numbers) > 10 else "")

    kinds = {
        "total": _("{count} subtotal or total (row {rows})"),
        "note": _("{count} note (row {rows})"),
        "signature": _("{count} signature (row {rows})"),
    }
    parts = [_("{count} blank").format(count=len(skipped["blank"]))] if skipped.get("blank") else []
    parts += [
        kinds[kind].format(count=len(skipped[kind]), rows=rows(skipped[kind])) for kind in kinds if kind in skipped
    ]
    return _("skipped {count} row(s) that are not complaints: {what}").format(
        count=sum(len(numbers) for numbers in skipped.values()), what=comma.join(parts)
    )


def _change_json(change) -> dict:
    return {
        "row": change.item.row,
        "number": change.number,
        "adds": change.adds(),
        "differs": change.differs,
        "recorded": change.recorded,
    }


def _print_changes(done, dry_run: bool, update: bool) -> None:
    """Rows met again: merged from another source, or changed since; what each adds, and what it contradicts."""
    from complaintctl.intake.matching import Change

    def key(change: Change) -> str:
        return change.item.fields.get("original_no") or change.item.fields.get("transfer_no") or ""

    for change in done.merged:
        adds = "，".join(change.adds()) or "-"
        text = _("would merge") if dry_run else _("merged")
        render.say(
            _("row {row} ({key}) {merged} into {number}: {adds}").format(
                row=change.item.row, key=key(change), merged=text, number=change.number, adds=adds
            )
        )
    for change in done.carried:
        adds = "，".join(change.adds())
        if not change.recorded:
            continue  # only differences: said below
        render.say(
            _("row {row} ({key}) carried over from {year}: {recorded} on {number}: {adds}").format(
                row=change.item.row,
                key=key(change),
                year=change.item.carried,
                recorded=_("would record") if dry_run else _("recorded"),
                number=change.number,
                adds=adds,
            )
        )
    for change in done.changed:
        adds = "，".join(change.adds())
        if not adds:
            continue  # only differences: said below
        if change.recorded:
            render.say(
                _("row {row} ({key}) changed since it was imported as {number}; {recorded}: {adds}").format(
                    row=change.item.row,
                    key=key(change),
                    number=change.number,
                    adds=adds,
                    recorded=_("would record") if dry_run else _("recorded"),
                )
            )
        else:
            render.say(
                _(
                    "row {row} ({key}) changed since it was imported as {number}: {adds}; not recorded "
                    "(--update records it)"
                ).format(row=change.item.row, key=key(change), number=change.number, adds=adds)
            )
    for change in done.merged + done.carried + done.changed:
        for difference in change.differs:
            render.tell(
                _(
                    "row {row}, {number} kept as the ledger has it: {difference}; correct it by hand "
                    "(complaintctl amend) if the file is right"
                ).format(row=change.item.row, number=change.number, difference=difference)
            )


def _print_map(table, mapping, kind: str, unfilled: list[str], unmatched: list[str], as_json: bool, sheets) -> None:
    from complaintctl.intake.legacy import FIELD_LABELS

    if as_json:
        render.emit_json(
            {
                "file": str(table.path),
                "header_row": table.header_row,
                "kind": kind,
                "columns": [{"header": h, "field": f} for h, f in mapping],
                "unfilled": unfilled,
                "unmatched_map_keys": unmatched,
                "sheets": [_sheet_json(s) for s in sheets],
            }
        )
        return
    if sheets:
        render.table(
            [_("sheet"), _("rows"), _("read")],
            [[s.name, str(s.rows), _("yes") if s.read else _("no: {why}").format(why=_sheet_why(s))] for s in sheets],
        )
    render.say(
        _("{file}: header in row {row}; read as {kind}").format(
            file=table.path.name,
            row=table.header_row,
            kind=_("a 12386 export: every row a regulator transfer") if kind == "12386" else _("a branch's ledger"),
        )
    )
    render.table([_("column"), _("field")], [[h or "-", f or _("(ignored)")] for h, f in mapping])
    if unfilled:
        render.say(
            _("no column fills {fields}: every complaint needs them; --map names the column that holds each").format(
                fields=", ".join(f"{FIELD_LABELS[name]} ({name})" for name in unfilled)
            )
        )
    for key in unmatched:
        render.say(_("--map: {key!r} is no header of this file").format(key=key))


@contextmanager
def _bad_rows_file(book, path: Path | None, tables, by: str):
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
        from complaintctl.store.ledger import sha256_file

        rows = sorted(done.bad, key=lambda p: p.row)
        try:
            _write_rows(temp, tables, rows)
        except OSError as exc:  # a full disk: the import's transaction is rolled back with it
            raise ComplaintError(
                _("could not write {path}: {error}; nothing was recorded").format(path=path, error=exc.strerror or exc)
            ) from None
        book.append(
            session,
            None,
            "unmasked",
            clock.iso(clock.now()),
            by,
            {
                "command": "import --skip-bad",
                "file": str(path.resolve()),
                "sha256": sha256_file(temp),
                "rows": [item.row for item in rows],
                "source": str(Path(tables[0].path).resolve()),
                "source_sha256": tables[0].sha256,
            },
        )
        written.append(temp)

    try:
        yield give_back
        if written:  # committed: the file may now appear under its name
            os.replace(temp, path)
    finally:
        scratch.release(temp)


def _write_rows(temp: Path, tables, rows) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from complaintctl import scratch
    from complaintctl.outputs.workbook import clean

    def cell(ws, value):
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(ws, value=clean(value))
        text.data_type = "s"  # openpyxl takes a leading '=' for a formula and '#N/A' for an error
        return text

    values = {(each.sheet, number): cells for each in tables for number, cells in each.rows}
    table = tables[0]  # the sheets read together fill the same fields in the same columns
    with scratch.private_sheets():
        workbook = Workbook(write_only=True)
        ws = workbook.create_sheet("待修正")
        # Where each row came from: imported once fixed, the original's row then counts as done (legacy.HEADERS).
        ws.append([cell(ws, v) for v in [*table.headers, "错误原因", "原行号", "原工作表", "原文件（SHA-256）"]])
        for item in rows:
            ws.append(
                [cell(ws, v) for v in values[item.origin.get("sheet"), item.row]]
                + [cell(ws, item.error), item.row, cell(ws, item.origin.get("sheet") or ""), table.sha256]
            )
        workbook.save(temp)
    with temp.open("rb+") as f:
        os.fsync(f.fileno())


def register_commands(app: typer.Typer) -> None:
    app.command("import")(import_ledger)
