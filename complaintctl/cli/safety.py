"""Commands that keep the ledger safe: verify, backup, restore."""

from typing import Annotated, Optional

import typer

from complaintctl.cli import render
from complaintctl.cli.common import By, Json, Quiet, ledger, who
from complaintctl.i18n import _


def verify(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Check the file with SQLite's integrity_check, which also "
            "matches every index against its table (slower), instead of "
            "quick_check.",
        ),
    ] = False,
    anchor: Annotated[
        Optional[list[str]],
        typer.Option(
            "--anchor",
            metavar="HEAD|FILE",
            help="Also check an anchor taken before: the line(s) `complaintctl anchor` printed, a file holding "
            "them (a saved mail), or a report (.xlsx) exported from this ledger. Repeatable. The only check "
            "that sees events rewritten and the chain computed again, or removed from the end, since then.",
        ),
    ] = None,
    archive: Annotated[
        Optional[str],
        typer.Option(
            "--archive",
            metavar="DIR|FILE.zip",
            help="Also check an archive made by `complaintctl archive`: every file as its manifest lists it, every "
            "letter and attachment as the ledger recorded it, and the chain heads it names still in the ledger.",
        ),
    ] = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Check the ledger: file structure, the events' hash chain, the current state rebuilt from the
    events, the calendar, policies, settings and branches rebuilt from their events, every
    attachment's SHA-256, and with --anchor that the anchored chain heads are still there. Exit 0
    only when all holds; exit 5 names the first problem."""
    from complaintctl.rules.anchor import read
    from complaintctl.store.integrity import require_sound

    # --anchor is pasted text (several lines, a mail's quoting, a file): only its anchor lines are read,
    # and it is never stored or printed, so it skips the one-line gate of typed options (common.ledger).
    anchors = list(dict.fromkeys(found for value in anchor or () for found in read(value)))
    book = ctx.find_root().obj.ledger
    manifest = None
    if archive is not None:
        from pathlib import Path

        from complaintctl.outputs import archive as archives
        from complaintctl.rules.anchor import parse
        from complaintctl.errors import DAMAGED, ComplaintError

        manifest, problems = archives.check(book, Path(archive).expanduser())
        if problems:
            raise ComplaintError(
                _("{archive}: {problem}").format(archive=archive, problem=problems[0]), exit_code=DAMAGED
            )
        anchors += [found for line in manifest["anchors"] for found in parse(line) if found not in anchors]
    with render.progress(quiet) as listener:
        done = require_sound(book.target, book.archive, listener=listener, full=full, anchors=anchors)
    seen = None  # a firm ledger's clerk checks what row-level security shows them, no more
    if book.firm:
        with book.reading() as conn:
            seen = book.visible_branches(conn)
    if as_json:
        held = [{**a.as_dict(), "held": True, "found_as": where} for a, where in done.anchors]
        render.emit_json(
            {
                "ledger": book.label,
                "ok": True,
                "events": done.events,
                "complaints": done.complaints,
                "attachments": done.attachments,
                "head": done.head,
                **({"anchors": held} if anchor or manifest else {}),
                **(
                    {
                        "archive": {
                            "path": archive,
                            "files": len(manifest["files"]),
                            "complaints": manifest["complaints"],
                        }
                    }
                    if manifest
                    else {}
                ),
                **({"branches_checked": seen} if seen is not None else {}),
            }
        )
        return
    if quiet:
        return
    if manifest is not None:
        render.say(
            _(
                "archive {archive} holds: {files} files as its manifest lists them, {count} complaint(s) of "
                "{period}, their papers as the ledger recorded them"
            ).format(
                archive=archive,
                files=len(manifest["files"]),
                count=len(manifest["complaints"]),
                period=manifest["period"],
            )
        )
    if seen is not None:
        render.notice(
            _(
                "this login sees only the firm's chain and branches {branches}: those were checked, not the "
                "whole firm (the department's verify checks every branch)"
            ).format(branches=", ".join(seen) or _("(none)"))
        )
    render.say(
        _(
            "ledger OK: {events} events in an unbroken hash chain, {complaints} complaints match their events, "
            "{attachments} attachments match their SHA-256; head {head}"
        ).format(events=done.events, complaints=done.complaints, attachments=done.attachments, head=done.head[:16])
    )
    for held, where in done.anchors:
        render.say(
            _("anchor held: event {number} of chain {chain}, {count} events, SHA-256 {digest}…").format(
                number=held.id, chain=held.branch or "''", count=held.count, digest=held.sha256[:16]
            )
            + (_(" (found as {where})").format(where=where) if where else "")
        )


def backup(
    ctx: typer.Context,
    dest: Annotated[
        Optional[str],
        typer.Argument(
            metavar="[DEST]",
            help="File or folder for the copy. Default: backups/ beside the ledger (a firm ledger's: here).",
        ),
    ] = None,
    branch: Annotated[
        Optional[str],
        typer.Option(
            "--branch",
            help="Firm ledger: copy only this branch, as a file of its own. Default: every branch.",
        ),
    ] = None,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Copy the ledger while others may be using it, check the copy, and copy the attachment archive
    beside it. A firm ledger on PostgreSQL is copied into an ordinary ledger file that `verify` checks on
    its own. Recorded as an event."""
    from complaintctl.store import backup as backups
    from complaintctl.rules.complaint import branch_code

    book = ledger(ctx)
    with render.progress(quiet) as listener:
        done = backups.backup(
            book, dest, by=who(ctx, by), branch=branch_code(branch) if branch else None, listener=listener
        )
    if as_json:
        render.emit_json({"backup": str(done.path), "events": done.checked.events, "attachments": done.attachments})
        return
    if quiet:
        return
    render.say(
        _("backed up to {path}: {events} events, chain checked; {attachments} attachment file(s) copied").format(
            path=done.path, events=done.checked.events, attachments=done.attachments
        )
    )


def restore(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE", help="A backup made by `complaintctl backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the ledger even though it has events the backup lacks.")
    ] = False,
    by: By = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Replace the ledger with a checked backup. Refused when the ledger has events the backup lacks,
    unless --force; the replaced ledger is always kept beside it."""
    from complaintctl.store import backup as backups
    from complaintctl.store.ledger import resolve_path
    from complaintctl.store.settings import default_actor

    from complaintctl.store.backends import backend_for

    state = ctx.find_root().obj
    path = resolve_path(state.db)
    # --by, else the usual default; with no ledger yet there are no settings to read it from.
    actor = who(ctx, by) if by is not None or backend_for(path).exists() else default_actor(None)
    with render.progress(quiet) as listener:
        done = backups.restore(path, source, force=force, by=actor, listener=listener)
    if as_json:
        render.emit_json(
            {
                "ledger": backend_for(path).label,
                "source": str(source),
                "events": done.checked.events,
                "kept": str(done.kept) if done.kept else None,
            }
        )
        return
    if quiet:
        return
    render.say(
        _("restored {path} from {source}: {events} events, checked").format(
            path=backend_for(path).label, source=source, events=done.checked.events
        )
    )
    if done.kept:
        render.say(_("the ledger it replaced is kept as {kept}").format(kept=done.kept))


def register_commands(app: typer.Typer) -> None:
    app.command()(verify)
    app.command()(backup)
    app.command()(restore)
