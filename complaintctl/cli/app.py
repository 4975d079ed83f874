"""complaintctl's commands. Each one parses, calls the core, renders; the rules live in the core."""

import functools
import inspect
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from complaintctl import __version__
from complaintctl.rules import clock, codes
from complaintctl.cli import render
from complaintctl.cli.lazy import lazy
from complaintctl.cli.common import (
    At,
    By,
    ComplaintGroup,
    ComplaintId,
    Json,
    LateReason,
    State,
    ledger,
    when,
    who,
    whole_number,
)
from complaintctl.rules.complaint import BOOLEAN_FIELDS, FIELDS, masked
from complaintctl.rules.deadlines import rectification_deadline
from complaintctl.errors import ComplaintError
from complaintctl.i18n import N_, _

lifecycle = lazy("complaintctl.steps.lifecycle")

commands = typer.Typer(
    cls=ComplaintGroup,
    rich_markup_mode=None,  # plain help and errors: readable in cron mail, and a faster start
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion: bash, zsh, fish, PowerShell
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=_(
        "The investor-complaint ledger (投诉台账) of a securities branch, kept to the CSA standard "
        "《证券公司投诉处理标准》: register, accept, handle, call back and close complaints; warn of "
        "deadlines; export the regulatory report. 中文界面: LANG=zh_CN.UTF-8 or COMPLAINTCTL_LANG=zh."
    ),
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"complaintctl {__version__}")
        raise typer.Exit()


@commands.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db",
            help="Ledger file, or a firm ledger's postgresql://USER@HOST/DBNAME. Default: $COMPLAINTCTL_DB, "
            "else ledger.db in the user's data directory.",
        ),
    ] = None,
    branch: Annotated[
        Optional[str],
        typer.Option(
            "--branch",
            help="Firm ledger: the branch you record at (its code, e.g. SZ01), and the one meant when a "
            "number is used at several. Default: $COMPLAINTCTL_BRANCH.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    ctx.obj = State(db, branch)


# -- the record options shared by register and amend ---------------------------------------------

_HELP_EXTRA = {
    "method": _(" One of: {choices}.").format(choices=codes.METHODS.choices()),
    "channel": _(" One of: {choices}.").format(choices=codes.CHANNELS.choices()),
    "source": _(" For transferred complaints, e.g. 12386."),
    "reply_due": _(
        " A date, from the transfer ticket; the regulator-reply deadline when earlier than completion (CSA 9.2.2(e))."
    ),
    "id_type": _(" One of: {choices}. Default id_card.").format(choices=codes.ID_TYPES.choices()),
    "category": _(" CSA 5.1 code a1-a6, b1-b6, c, d, e or its Chinese label (see `complaintctl codes`)."),
    "complainants": _(" 10 or more makes it a group complaint (群体投诉, CSA 5.2)."),
    "major": _(" A major complaint (重大投诉, CSA 5.3); needs --major-reason. A group complaint is always major."),
    "major_reason": _(" CSA 5.3(a) case, implies --major: {choices}.").format(choices=codes.MAJOR_REASONS.choices()),
    "major_note": _(" Required with --major-reason other."),
    "representatives": _(
        " NAME or \"NAME PHONE\"; repeat for each, at most 5: a group complaint made in person (CSA 5.2)."
    ),
    "address": _(" An institution's is required (住所, Firm 15)."),
    "legal_rep_id_number": _(" Checked like --id-number when it is a resident ID."),
    "agent_authorized": _(" The agent holds a written authorisation."),
    "received_at": _(" Same forms as --at. Default: --at, else now. Every deadline counts from it."),
}


def _field_parameters() -> list[inspect.Parameter]:
    params = []
    for spec in FIELDS:
        help_text = _("{english} ({label}).").format(
            english=spec.english[0].upper() + spec.english[1:], label=spec.label
        ) + _HELP_EXTRA.get(spec.name, "")
        if spec.name in BOOLEAN_FIELDS:
            flag = spec.option
            option = typer.Option(None, f"{flag}/{flag.replace('--', '--not-')}", help=help_text)
            annotation = Optional[bool]
        elif spec.repeatable:
            option = typer.Option(None, spec.option, help=help_text, metavar="TEXT")
            annotation = Optional[List[str]]
        else:
            option = typer.Option(None, spec.option, help=help_text)
            annotation = Optional[str]
        params.append(
            inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
        )
    return params


def _with_record_options(fn):
    """Give a command every record option (--method, --name, ...) without writing them out twice.

    eval_str: annotations written as strings (`from __future__ import annotations`) are evaluated; the new
    signature must carry the `Annotated[...]` objects themselves, or Typer never sees their metadata.
    """
    signature = inspect.signature(fn, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    fn.__signature__ = signature.replace(parameters=own + _field_parameters())
    return fn


def _given(fields: dict) -> dict:
    """The record options given: a repeatable one not given arrives as an empty list."""
    return {name: value for name, value in fields.items() if value not in (None, [], ())}


def _done(ctx: typer.Context, outcome: "lifecycle.Outcome", as_json: bool, what: str) -> None:
    """`what`: the step done, already in the user's language."""
    for notice in outcome.notices:
        render.notice(notice)
    if as_json:
        render.emit_json(_record_json(ctx, outcome.record))
        return
    record = outcome.record
    line = _("{id} {what}: {status}").format(id=record["id"], what=what, status=render.status_text(record["status"]))
    upcoming = [
        d
        for d in (*lifecycle.deadlines(ledger(ctx), record), rectification_deadline(record))
        if d is not None and d.met_at is None
    ]
    if upcoming:
        first = min(upcoming, key=lambda d: d.due)
        line += _("; {kind} due {due}").format(kind=render.kind_text(first.kind), due=render.due_text(first))
    render.say(line)
    for number in outcome.created:
        if number != record["id"]:
            render.say(number)


def _record_json(ctx: typer.Context, record: dict, unmask: bool = False) -> dict:
    view = dict(record) if unmask else masked(record)
    view["deadlines"] = [d.as_dict() for d in lifecycle.deadlines(ledger(ctx), record)]
    return view


def _step_options(
    ctx: typer.Context,
    complaint: ComplaintId,
    at: At = None,
    late_reason: LateReason = None,
    by: By = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Record it though the same step with the same facts is on record that day: a second one is "
            "real (CSA 9.4).",
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """What every step command takes: the complaint's number first; --at, --late-reason, --by, --again,
    --json last."""


_STEP_SHARED = list(inspect.signature(_step_options, eval_str=True).parameters.values())  # read once, not per step


def step(done: str, again: bool = True):
    """A lifecycle step as a command: the function declares only the step's own options, and its help;
    its body is never run.

    The command takes `_step_options` around them and gives each option, by name, to the lifecycle
    function of the same name; `done` is what its confirmation says was done, an N_() message (translated
    when the command runs, in the language of that moment).
    --late-reason is read from the context when the ledger opens (common.ledger), as for every command.
    `again`: whether it takes --again (a void is never the same step twice: it names its entry).
    """

    def as_command(declared):
        own = inspect.signature(declared, eval_str=True).parameters.values()
        shared = [p for p in _STEP_SHARED[2:] if again or p.name != "again"]
        keyword_only = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in (*own, *shared)]

        @functools.wraps(declared)
        def command(
            ctx: typer.Context, complaint: str, *, at, late_reason, by, as_json, again=False, **options
        ) -> None:
            carry_out = getattr(lifecycle, declared.__name__)
            book = ledger(ctx)
            book.again = again  # read by lifecycle.not_typed_twice, as --late-reason is by the ledger
            outcome = carry_out(book, complaint, **options, at=when(at), by=who(ctx, by))
            _done(ctx, outcome, as_json, _(done))

        command.__signature__ = inspect.Signature([*_STEP_SHARED[:2], *keyword_only], return_annotation=None)
        return command

    return as_command


@commands.command()
def init(ctx: typer.Context, by: By = None, as_json: Json = False) -> None:
    """Create a new, empty ledger (建立台账) at --db, else $COMPLAINTCTL_DB, else the default place.

    The file is made 0600 and any folder made for it 0700: it will hold personal data (CSA 7.8). No
    other command creates a ledger: they refuse a path that holds none.
    """
    state = ctx.find_root().obj
    if isinstance(state.path, Path):
        if state.path.is_dir():
            raise ComplaintError(
                _("{path} is a folder; give --db the ledger's file path, e.g. {path}/ledger.db").format(path=state.path)
            )
        if state.path.exists():
            raise ComplaintError(
                _("{path} already exists; init creates a new ledger and leaves this one as it is").format(
                    path=state.path
                )
            )
    else:
        from complaintctl.store.backends import backend_for

        target = backend_for(state.path)
        if target.exists():
            raise ComplaintError(
                _("the database {label} already holds a ledger; init leaves it as it is").format(label=target.label)
            )
    book = state.open(create=True)
    book.record("created", who(ctx, by), {"version": __version__}, "")  # the firm's own chain: no branch exists yet
    if as_json:
        render.emit_json({"ledger": book.label})
        return
    render.say(_("created ledger {path}").format(path=book.label))
    if book.firm:
        render.tell(
            _(
                "next: `complaintctl branch add CODE --name NAME` for each branch, or move a branch's "
                "ledger in with `complaintctl --db FILE move-to URL --branch CODE`"
            )
        )
    else:
        render.tell(_("next: `complaintctl config set user NAME` and `complaintctl config set branch NAME`"))


@commands.command()
@_with_record_options
def register(
    ctx: typer.Context,
    at: Annotated[
        Optional[str],
        typer.Option(
            "--at",
            help="When it was registered, if typed in later than received. Same forms as --received-at. "
            "Default: --received-at, else now.",
        ),
    ] = None,
    late_reason: LateReason = None,
    by: By = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt; name every missing field instead.")
    ] = False,
    parent: Annotated[
        Optional[str],
        typer.Option(
            "--parent", help="The complaint this one repeats: a re-complaint not made at a callback (Firm 18(7))."
        ),
    ] = None,
    as_json: Json = False,
    **fields,
) -> None:
    """Register a new complaint (登记投诉); --by is the acceptor (受理人).

    Needs only what a first contact gives: --method, --channel, the complainant's --name (or
    --institution with --uscc), one contact (--phone or --address) and the --request; transferred
    complaints also --source and --transfer-no. Prints the new complaint number. On a terminal,
    missing fields are asked for, then what acceptance needs (ID, respondent, category, facts),
    which may be left empty until known.
    """
    from complaintctl.cli.common import stdin_is_terminal

    moment = clock.parse_at(at, direction=clock.PAST) if at is not None else None  # default: when it was received
    fields = _given(fields)
    if not no_input and stdin_is_terminal():
        from complaintctl.cli.prompts import ask_missing, needs_questions

        if needs_questions(fields):
            fields = ask_missing(fields)
    book = ledger(ctx)
    outcome = lifecycle.register(book, fields, at=moment, by=who(ctx, by), parent=parent)
    for notice in outcome.notices:
        render.notice(notice)
    record = outcome.record
    if as_json:
        render.emit_json(_record_json(ctx, record))
        return
    render.say(record["id"])
    acceptance = lifecycle.deadlines(book, record)[0]
    render.tell(
        _("registered {id}: {kind} due {due}").format(
            id=record["id"], kind=render.kind_text("acceptance"), due=render.due_text(acceptance)
        )
    )


@commands.command()
@_with_record_options
def amend(
    ctx: typer.Context,
    complaint: ComplaintId,
    at: At = None,
    late_reason: LateReason = None,
    by: By = None,
    reason: Annotated[
        Optional[str],
        typer.Option(
            "--reason",
            help="Why it is corrected; required to change --received-at once the acceptance decision "
            "is made (CSA 9.4).",
        ),
    ] = None,
    as_json: Json = False,
    **fields,
) -> None:
    """Complete or correct a complaint's record (补正); the event keeps old and new values.

    A changed --received-at moves every deadline: after the acceptance decision it needs --reason, and
    it may not fall after any step already recorded. The category is changed with `reclassify`.
    """
    outcome = lifecycle.amend(ledger(ctx), complaint, _given(fields), at=when(at), by=who(ctx, by), reason=reason)
    _done(ctx, outcome, as_json, _("amended"))


@commands.command()
@step(N_("accepted"))
def accept() -> None:
    """Accept a complaint (受理, CSA 9.1.2) once its basic facts are on record (Firm 15)."""


@commands.command()
@step(N_("rejected"))
def reject(
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help=_("CSA 9.1.1 reason: {choices}.").format(choices=codes.REJECT_REASONS.choices()),
        ),
    ],
    notified_via: Annotated[
        Optional[str],
        typer.Option(
            "--notified-via",
            help=_(
                "How the complainant was told (Firm 17): {choices}. Without it, the refusal notice "
                "is owed: `letter refusal ID --sent-via`, before closing."
            ).format(choices=codes.NOTIFY_VIA.choices()),
        ),
    ] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="Details; required for reason 'other'.")] = None,
    original: Annotated[
        Optional[str],
        typer.Option("--original", help="With --reason duplicate: the complaint this one repeats (CSA 9.1.1(c))."),
    ] = None,
    refer_to: Annotated[
        Optional[str],
        typer.Option(
            "--refer-to",
            metavar="BODY",
            help="Outside the branch's scope: the competent body the complainant is referred to (Firm 26).",
        ),
    ] = None,
    refer_contact: Annotated[
        Optional[str],
        typer.Option("--refer-contact", metavar="TEXT", help="With --refer-to: how to reach that body (Firm 26)."),
    ] = None,
) -> None:
    """Decide not to accept (不予受理, CSA 9.1.1); the complainant must be told how and why."""


@commands.command()
@step(N_("assigned"))
def assign(
    handler: Annotated[str, typer.Option("--handler", help="The handler (投诉处理人).")],
    dept: Annotated[Optional[str], typer.Option("--dept", help="Responsible department (责任部门).")] = None,
) -> None:
    """Assign the handler (派发, CSA 9.2.2(a)); never the respondent (CSA 7.7). Again to reassign."""


@commands.command()
@step(N_("escalated"))
def escalate(
    to: Annotated[str, typer.Option("--to", help="Body the report went to, e.g. 公司投诉工作小组.")],
    note: Annotated[Optional[str], typer.Option("--note", help="What was reported.")] = None,
) -> None:
    """Record the report of a major or group complaint (上报, CSA 9.1.2(c), 9.2.2(a)(2))."""


@commands.command()
@step(N_("extended"))
def extend(
    days: Annotated[
        int,
        typer.Option(
            "--days",
            parser=whole_number,
            metavar="N",
            help="Trading days to add (each <= 20, total <= 20).",
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed.")],
    approved_by: Annotated[
        Optional[str],
        typer.Option(
            "--approved-by",
            help="Who approved it (审批人, CSA 9.2.2(d)). Default: the approver's own `approve ID "
            "extension` since the last extension.",
        ),
    ] = None,
    notified_via: Annotated[
        Optional[str],
        typer.Option(
            "--notified-via",
            help=_(
                "How the complainant was told of the progress (CSA 9.2.1(d)): {choices}. Not needed "
                "after a `note --kind progress` dated by the original deadline."
            ).format(choices=codes.NOTIFY_VIA.choices()),
        ),
    ] = None,
) -> None:
    """Extend the completion deadline (延期, CSA 9.2.2(d)); requested no later than the deadline.

    Needs who approved it, and the complainant told of the progress by the original deadline.
    """


@commands.command()
@step(N_("approved"))
def approve(
    what: Annotated[
        str,
        typer.Argument(metavar="WHAT", help=_("{choices}.").format(choices=codes.APPROVALS.choices())),
    ],
    note: Annotated[Optional[str], typer.Option("--note", help="The approver's opinion (审批意见).")] = None,
    amount: Annotated[
        Optional[str], typer.Option("--amount", metavar="YUAN", help="For compensation: the most it approves.")
    ] = None,
) -> None:
    """Record an approval (maker-checker): of the handling opinion, a compensation, or an extension.

    --by is the approver, never the handler nor the respondent (CSA 7.7). By default (`policy set`), any
    compensation and the opinion on a major or group complaint are approved before `resolve` (Firm 25,
    CSA 8.1.1(a)); `extend` without --approved-by takes the approval recorded here.
    """


@commands.command()
@step(N_("noted"))
def note(
    text: Annotated[str, typer.Argument(help="The note.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help=_("{choices}; progress = interim feedback to the complainant (CSA 9.2.1(d)).").format(
                choices=codes.NOTE_KINDS.choices()
            ),
        ),
    ] = "internal",
) -> None:
    """Add a note to the investigation record, or record interim feedback (进展反馈)."""


FactsFound = Annotated[
    Optional[str],
    typer.Option("--facts-found", help="1) Facts and course (投诉事实及经过). Required before resolving."),
]
Cause = Annotated[
    Optional[str],
    typer.Option(
        "--cause", help="2) Cause and internal-control analysis (投诉原因及内控分析). Required before resolving."
    ),
]
Accountability = Annotated[
    Optional[str], typer.Option("--accountability", help="3) Internal accountability (内部责任追究), if any.")
]
Improvement = Annotated[
    Optional[str],
    typer.Option("--improvement", help="4) Shortcomings and improvements (存在的不足及管理改进措施), if any."),
]
Suggestions = Annotated[
    Optional[str], typer.Option("--suggestions", "--suggestion", help="5) Suggestions (相关工作建议), if any.")
]
ImprovementOwner = Annotated[
    Optional[str],
    typer.Option(
        "--improvement-owner",
        metavar="NAME",
        help="Who carries out the improvement measure (整改责任人, CSA 8.2.4); `warn` follows it until `rectified`.",
    ),
]
ImprovementDue = Annotated[
    Optional[str],
    typer.Option(
        "--improvement-due", metavar="YYYY-MM-DD", help="The date the improvement measure is promised for (整改期限)."
    ),
]


@commands.command()
@step(N_("investigation recorded"))
def investigate(
    facts_found: FactsFound = None,
    cause: Cause = None,
    accountability: Accountability = None,
    improvement: Improvement = None,
    suggestions: Suggestions = None,
    improvement_owner: ImprovementOwner = None,
    improvement_due: ImprovementDue = None,
) -> None:
    """Record the investigation (调查记录, CSA 9.2.2(b)): any time from assignment until closing.

    Repeat it as the investigation goes on: a later value of an item supersedes the earlier one, and
    both stay in the timeline. Items 1-2 are required before `resolve`; 3-5 only if there are any.
    An improvement measure with --improvement-owner and --improvement-due is followed by `warn`
    and `analyze` until `rectified` marks it done.
    """


@commands.command()
@step(N_("rectification recorded"))
def rectified(
    note: Annotated[str, typer.Option("--note", help="What was done (整改情况).")],
) -> None:
    """Mark the improvement measure carried out (整改完成, CSA 8.2.4); also after the complaint is closed."""


@commands.command()
@step(N_("resolved"))
def resolve(
    result: Annotated[str, typer.Option("--result", help="The handling opinion given (处理意见/结果).")],
    feedback_via: Annotated[
        Optional[str],
        typer.Option(
            "--feedback-via",
            help=_("How the opinion reached the complainant (CSA 9.3). Required: {choices}.").format(
                choices=codes.FEEDBACK_VIA.choices()
            ),
        ),
    ] = None,
    respondent_feedback_via: Annotated[
        Optional[str],
        typer.Option(
            "--respondent-feedback-via",
            help="How it reached the respondent (被投诉人, CSA 9.3); required when the "
            "complaint names one. Same codes.",
        ),
    ] = None,
    facts_found: FactsFound = None,
    cause: Cause = None,
    accountability: Accountability = None,
    improvement: Improvement = None,
    suggestions: Suggestions = None,
    compensation: Annotated[
        Optional[str], typer.Option("--compensation", help="Compensation paid, yuan (补偿金额).")
    ] = None,
    settled: Annotated[
        Optional[str],
        typer.Option(
            "--settled",
            metavar="yes|no",
            help="Whether the complainant and the firm settled (和解, CSA 9.2.1(c)); counted in the report's 和解率. "
            "Not given: 未记载.",
        ),
    ] = None,
    told: Annotated[
        Optional[str],
        typer.Option(
            "--told",
            metavar="TEXT",
            help="The opinion in the words the complainant is told (addressing 您), when --result is the "
            "internal record; the opinion letter prints it. Default: --result.",
        ),
    ] = None,
) -> None:
    """Record the result delivered to the complainant (办结, CSA 9.2.2(c), 9.3).

    Refused until the investigation record holds the facts and the cause (given here or with
    `investigate`), and, for a major complaint, until its report is recorded (`escalate`).
    """


@commands.command()
@step(N_("regulator reply recorded"))
def regulator_reply(
    note: Annotated[Optional[str], typer.Option("--note", help="What was entered.")] = None,
) -> None:
    """Record that the result was entered into the regulator's transfer system (CSA 9.2.2(e))."""


@commands.command()
@step(N_("called back"))
def callback(
    outcome: Annotated[
        str,
        typer.Option("--outcome", help=_("{choices}.").format(choices=codes.CALLBACK_OUTCOMES.choices())),
    ],
    method: Annotated[
        Optional[str],
        typer.Option("--method", help=_("{choices}. Default phone.").format(choices=codes.CALLBACK_METHODS.choices())),
    ] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="What the complainant said.")] = None,
    recomplain: Annotated[
        bool, typer.Option("--recomplain", help="Dissatisfied: open a new complaint linked to this one (Firm 18(7)).")
    ] = False,
    advised: Annotated[
        Optional[List[str]],
        typer.Option(
            "--advised",
            metavar="WAY",
            help=_(
                "Dissatisfied: what the complainant was told they may turn to, repeatable (CSA 9.3(b)): {choices}."
            ).format(choices=codes.ADVICE.choices()),
        ),
    ] = None,
) -> None:
    """Record a callback (回访, Firm 18(5)), or an attempt that reached no one (--outcome unreachable).

    An unreachable attempt does not meet the callback deadline. A dissatisfied complainant's callback
    records what they were advised (CSA 9.3(b)).
    """


@commands.command()
@step(N_("marked unreasonable"))
def mark_unreasonable(
    evidence: Annotated[str, typer.Option("--evidence", help="The written investigation and evidence.")],
    approved_by: Annotated[str, typer.Option("--approved-by", help="Internal approval.")],
) -> None:
    """Label an accepted complaint unreasonable (无理投诉, CSA 5.4(b), Appendix C); it is still handled."""


@commands.command()
@step(N_("reclassified"))
def reclassify(
    category: Annotated[str, typer.Option("--category", help="New CSA 5.1 category.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
) -> None:
    """Change the business category (业务类别, CSA 5.1) with a recorded reason."""


@commands.command()
@step(N_("attached"))
def attach(
    path: Annotated[Path, typer.Argument(help="The file to archive.")],
    kind: Annotated[
        str,
        typer.Option("--kind", help=_("{choices}.").format(choices=codes.ATTACHMENT_KINDS.choices())),
    ],
) -> None:
    """Archive a recording, document or approval (CSA 9.4): copied beside the ledger, SHA-256 recorded."""


@commands.command()
@step(N_("terminated"))
def terminate(
    reason: Annotated[
        str,
        typer.Option("--reason", help=_("{choices}.").format(choices=codes.TERMINATE_REASONS.choices())),
    ],
    note: Annotated[Optional[str], typer.Option("--note", help="Details; required for reason 'other'.")] = None,
) -> None:
    """End an accepted complaint without a result (终止处理, CSA 9.1.1(d)).

    For a complainant who withdraws, or a dispute taken to mediation, arbitration or court after
    acceptance. Its pending deadlines end; the report counts it apart from completed ones.
    """


@commands.command()
@step(N_("closed"))
def close() -> None:
    """Close and archive (归档); kept until closed + 10 years (CSA 9.4).

    A resolved complaint needs its callback first; one whose complainant was never reached needs
    attempts on 2 different working days (policy unreachable-attempts, Firm 18(5)).
    """


@commands.command()
@step(N_("entry voided"), again=False)
def void(
    entry: Annotated[
        int,
        typer.Argument(
            metavar="N", parser=whole_number, help="The entry's number in the timeline (`complaintctl show ID`)."
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="What was wrong with the entry (作废原因).")],
) -> None:
    """Void a mistaken entry (作废): entry N of the timeline stays on record, marked voided, and every figure
    leaves it out.

    An entry that later ones rest on is voided only after them (the callback before the result); entry 1,
    the registration, voids the whole complaint, whose number stays taken. A void is never voided: record
    the step again. Dated into a period already reported, it needs --late-reason (CSA 9.4).
    """


# The commands kept in other modules, by name, so that `main` imports only the one typed (issue 33).
COMMAND_MODULES = {
    **dict.fromkeys(("show", "list", "warn", "codes"), "views"),
    **dict.fromkeys(("calendar", "policy", "config", "branch", "move-to", "demo", "anchor"), "admin"),
    **dict.fromkeys(("report", "analyze"), "reports"),
    "import": "imports",
    **dict.fromkeys(("letter", "archive"), "papers"),
    **dict.fromkeys(("verify", "backup", "restore"), "safety"),
}
_added: list[str] = []


def with_commands_of(*modules: str) -> typer.Typer:
    """All commands with those of these modules registered too, once each and in this order."""
    import importlib

    for name in dict.fromkeys(COMMAND_MODULES.values()):  # the order `--help` lists them in
        if name in modules and name not in _added:
            importlib.import_module(f"complaintctl.cli.{name}").register_commands(commands)
            _added.append(name)
    return commands


def whole_app() -> typer.Typer:
    return with_commands_of(*COMMAND_MODULES.values())


def __getattr__(name: str):
    if name == "app":  # `from complaintctl.cli.app import app`: every command, as tests and the reference want
        return whole_app()
    raise AttributeError(name)


def app_for(args: list[str]) -> typer.Typer:
    """Only the command typed, when it is known: Typer builds the options of every command it holds
    before it runs one (about 45 ms for all of ours), and the other command modules cost their import.
    Help, completion, a mistyped command and no command at all get the whole app."""
    import copy
    import os

    name = command_of(args)
    if name is None or any(key.startswith("_COMPLAINTCTL_COMPLETE") for key in os.environ):
        return whole_app()
    if {"-h", "--help"} & set(args[: args.index(name)]):  # `complaintctl --help show`: the whole list
        return whole_app()
    if name in COMMAND_MODULES:
        with_commands_of(COMMAND_MODULES[name])
    solo = copy.copy(commands)
    solo.registered_commands = [c for c in commands.registered_commands if command_name(c) == name]
    solo.registered_groups = [g for g in commands.registered_groups if g.name == name]
    return solo if solo.registered_commands or solo.registered_groups else whole_app()


def command_name(info) -> str:
    """A registered command's name, as Typer derives it from the function when not given."""
    return info.name or info.callback.__name__.lower().replace("_", "-")


def main() -> None:
    import signal
    import sys

    # `complaintctl warn | head`: stop quietly when the reader goes away, as Unix tools do.
    # Output is printed after the transaction commits, so nothing is left half-done.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = db_first(sys.argv[1:])
    app_for(args)(args=args, prog_name="complaintctl")


# Commands whose own --branch means something else (which branches to show, copy or move).
OWN_BRANCH = {"list", "warn", "report", "backup", "move-to"}


def command_of(args: list[str]) -> str | None:
    """The command typed: the first word that is neither an option nor the value of --db or --branch."""
    i = 0
    while i < len(args):
        if args[i] in ("--db", "--branch"):
            i += 1  # its value
        elif not args[i].startswith("-"):
            return args[i]
        i += 1
    return None


def db_first(args: list[str]) -> list[str]:
    """`complaintctl list --db PATH` means `complaintctl --db PATH list`: --db is read wherever it is typed.

    So is --branch, the branch one works at, except where a command has a --branch of its own.
    """
    command = command_of(args)
    hoisted = ("--db",) if command in OWN_BRANCH else ("--db", "--branch")
    rest, front = [], []
    i = 0
    while i < len(args):
        if args[i] == "--":
            rest += args[i:]
            break
        if args[i] in hoisted and i + 1 < len(args) and i > 0:
            front, i = front + [args[i], args[i + 1]], i + 2
            continue
        if args[i].split("=", 1)[0] in hoisted and "=" in args[i] and i > 0:
            front, i = front + [args[i]], i + 1
            continue
        rest.append(args[i])
        i += 1
    return front + rest


__all__ = ["main", "ComplaintError"]  # and `app`, every command (see __getattr__)
