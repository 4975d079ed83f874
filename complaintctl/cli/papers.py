"""`letter`: the papers the standard asks for, written from the ledger as Word documents."""

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from complaintctl.cli import render
from complaintctl.cli.common import At, By, Json, Month, Quarter, Year, ledger, when, who
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

KIND_HELP = (
    "refusal (不予受理告知书), progress (进展告知书), extension (延期告知书), opinion (处理意见书), "
    "respondent-result (被投诉人结果告知书), record (投诉登记及处理单), regulator-reply (监管转办回复, "
    "with a .txt beside it)."
)


def letter(
    ctx: typer.Context,
    kind: Annotated[Optional[str], typer.Argument(metavar="KIND", help=KIND_HELP)] = None,
    complaint: Annotated[
        Optional[str], typer.Argument(metavar="ID", help="The complaint number, e.g. TS-2026-0001.")
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", metavar="FILE|DIR", help="Where to write it. Default: ID-文书名称.docx here."),
    ] = None,
    sent_via: Annotated[
        Optional[str],
        typer.Option(
            "--sent-via",
            metavar="VIA",
            help="Record that it was sent: letter, email, sms or onsite. Satisfies the notice a rule asks for "
            "(refusal, progress, extension).",
        ),
    ] = None,
    dated: Annotated[
        Optional[str],
        typer.Option(
            "--date",
            metavar="DAY",
            help="The letter's date, when it is not the day it is sent (--sent-via --at) or written; never after "
            "the day it is sent.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    template_out: Annotated[
        Optional[Path],
        typer.Option(
            "--template-out",
            metavar="FILE.docx",
            help="Write KIND's built-in template, to edit into the firm's own (then `config set letter-template.KIND "
            "FILE`).",
        ),
    ] = None,
    placeholders: Annotated[
        bool, typer.Option("--placeholders", help="List the placeholders a template may use, and stop.")
    ] = False,
    at: At = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Write a letter or record (.docx) from the ledger as it stands, in full: 0600, recorded with its SHA-256.

    The built-in templates are Chinese; `config set letter-template.KIND FILE.docx` sets the firm's own,
    with the same placeholders (`--placeholders`). A kind the ledger cannot fill yet (no result for an
    opinion, no extension) is refused in one line and nothing is written.
    """
    from complaintctl.outputs import letters

    if placeholders:
        if as_json:
            render.emit_json(letters.PLACEHOLDERS)
        else:
            render.table(
                [_("placeholder"), _("holds")], [["{{ " + k + " }}", v] for k, v in letters.PLACEHOLDERS.items()]
            )
        return
    if kind is None:
        raise ComplaintError(_("name the kind of letter: {kinds}").format(kinds=", ".join(letters.KINDS)))
    kind = letters.kind_of(kind)
    if template_out is not None:
        target = _target(template_out, Path(f"{kind}.docx"), force)
        target.write_bytes(letters.builtin_template(kind))
        render.say(_("wrote the built-in template of {kind} to {path}").format(kind=kind, path=target))
        return
    if complaint is None:
        raise ComplaintError(_("name the complaint, e.g. `complaintctl letter {kind} TS-2026-0001`").format(kind=kind))
    from complaintctl.rules import clock
    from complaintctl.rules.complaint import parse_id
    from complaintctl.outputs.letters import read_template
    from complaintctl.store.settings import TEMPLATE_KEY, config

    branch, _slash, typed = complaint.rpartition("/")  # a firm ledger's GZ02/TS-2026-0001 names its branch too
    number = parse_id(typed)[0]
    book = ledger(ctx)
    target = _target(out, Path(letters.output_name(number, kind)), force)
    if kind == "regulator-reply" and os.path.lexists(target.with_suffix(".txt")) and not force:
        raise ComplaintError(
            _("{path} already exists; kept as it is (use --force to replace it)").format(
                path=target.with_suffix(".txt")
            )
        )
    own = config(book).get(TEMPLATE_KEY + kind)
    template = read_template(Path(own), TEMPLATE_KEY + kind) if own else None
    done = letters.write(
        book,
        f"{branch}/{number}" if branch else number,
        kind,
        target,
        by=who(ctx, by),
        at=when(at),
        template=template,
        sent_via=sent_via,
        dated=clock.parse_date(dated, "--date", clock.PAST) if dated else None,
    )
    if as_json:
        render.emit_json(
            {
                "kind": kind,
                "complaint": number,
                "file": str(done.path),
                "sha256": done.sha256,
                "text_file": str(done.text_path) if done.text_path else None,
                "sent_via": letters.SENT_VIA.parse(sent_via) if sent_via else None,
                "template": own or "built-in",
            }
        )
        return
    render.say(
        _("wrote {path} ({title}), personal data in full, recorded as an audit event; SHA-256 {sha256}").format(
            path=done.path, title=letters.title(kind), sha256=done.sha256[:16]
        )
    )
    if done.text_path:
        render.say(_("and {path}: the text to paste into the regulator's transfer system").format(path=done.text_path))
    if sent_via:
        render.say(
            _("recorded as sent to {id} by {via}").format(
                id=number, via=letters.SENT_VIA.shown(letters.SENT_VIA.parse(sent_via))
            )
        )


def _target(given: Optional[Path], default_name: Path, force: bool) -> Path:
    """The file to write: given, or the default name in the given folder (or here); never over a file unasked."""
    path = (given or Path(".")).expanduser()
    if path.is_dir():
        path = path / default_name
    if path.suffix.lower() != ".docx":
        raise ComplaintError(_("--out {path}: give a name ending in .docx, or a folder").format(path=given))
    if not path.parent.is_dir():
        raise ComplaintError(_("--out {path}: folder {parent} does not exist").format(path=given, parent=path.parent))
    if os.path.lexists(path) and not force:
        raise ComplaintError(_("{path} already exists; kept as it is (use --force to replace it)").format(path=path))
    return path


def archive(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", metavar="DIR|FILE.zip", help="A new folder, or a .zip file.")],
    month: Month = None,
    quarter: Quarter = None,
    year: Year = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Gather a period's complaints for an inspector (CSA Appendix A): each one's record, the letters sent
    and its attachments, the period's report, and a manifest with every file's SHA-256 and the chain heads.

    In full (0700 folder or 0600 .zip), recorded as an audit event; `verify --archive` checks it later.
    """
    from complaintctl.outputs import archive as archives
    from complaintctl.rules import clock
    from complaintctl.rules.period import parse_period

    period = parse_period(month, quarter, year, clock.today())
    out = out.expanduser()
    if os.path.lexists(out):
        raise ComplaintError(_("{path} already exists; an archive is written new (give another name)").format(path=out))
    if not out.parent.is_dir():
        raise ComplaintError(_("--out {path}: folder {parent} does not exist").format(path=out, parent=out.parent))
    book = ledger(ctx)
    with render.progress(False) as listener:
        made = archives.make(book, period, out, by=who(ctx, by), at=when(None), listener=listener)
    if as_json:
        render.emit_json(
            {
                "archive": str(made.path),
                "period": period.code,
                "complaints": made.complaints,
                "files": made.files,
                "manifest_sha256": made.manifest_sha256,
            }
        )
        return
    render.say(
        _(
            "wrote {path}: {count} complaint(s) of {period}, {files} files with their SHA-256 in {manifest}; "
            "personal data in full, recorded as an audit event"
        ).format(
            path=made.path,
            count=made.complaints,
            period=render.period_text(period),
            files=made.files,
            manifest=archives.MANIFEST,
        )
    )


def register_commands(app: typer.Typer) -> None:
    app.command("letter")(letter)
    app.command("archive")(archive)
