"""What the shell offers on Tab: an option's codes with their Chinese terms, and complaint numbers.

Typer completes only what its types know (nothing, for our plain-text options). The code lists are the
ones the options parse with, so what is offered is exactly what is accepted. Numbers come from the
ledger the command line names (--db, else $COMPLAINTCTL_DB), read only; a ledger that cannot be read
offers nothing rather than an error in the middle of a command line.
"""

from __future__ import annotations

from complaintctl.rules import codes

# (command, option) -> the code list it parses with; "*" for every command.
CODE_OPTIONS = {
    ("*", "--method"): codes.METHODS,
    ("callback", "--method"): codes.CALLBACK_METHODS,
    ("*", "--channel"): codes.CHANNELS,
    ("*", "--id-type"): codes.ID_TYPES,
    ("*", "--category"): codes.CATEGORIES,
    ("reject", "--reason"): codes.REJECT_REASONS,
    ("terminate", "--reason"): codes.TERMINATE_REASONS,
    ("*", "--notified-via"): codes.NOTIFY_VIA,
    ("*", "--feedback-via"): codes.FEEDBACK_VIA,
    ("*", "--respondent-feedback-via"): codes.FEEDBACK_VIA,
    ("*", "--outcome"): codes.CALLBACK_OUTCOMES,
    ("note", "--kind"): codes.NOTE_KINDS,
    ("attach", "--kind"): codes.ATTACHMENT_KINDS,
    ("*", "--status"): codes.STATUSES,
    ("*", "--major-reason"): codes.MAJOR_REASONS,
    ("*", "--advised"): codes.ADVICE,
    ("*", "--settled"): codes.SETTLED,
    ("approve", "WHAT"): codes.APPROVALS,
}


def _item(value: str, help: str):
    try:
        from typer._click.shell_completion import CompletionItem
    except ImportError:  # pragma: no cover  (Typer before 0.29 depends on Click)
        from click.shell_completion import CompletionItem
    return CompletionItem(value, help=help)


def code_completion(code_list: codes.CodeList):
    def complete(ctx, param, incomplete: str):
        return [_item(code, code_list.shown(code)) for code in code_list.entries if code.startswith(incomplete)]

    return complete


def complete_numbers(ctx, param, incomplete: str):
    """Complaint numbers starting with what is typed, open ones first."""
    from complaintctl.cli.common import State
    from complaintctl.store import queries

    root = ctx.find_root()
    try:
        state = State(root.params.get("db"), root.params.get("branch"))
        return [
            _item(number, codes.STATUSES.shown(status))
            for number, status in queries.numbers_starting(state.open(), incomplete)
        ]
    except Exception:  # noqa: BLE001  the shell's line must never fill with a traceback
        return []


def give_completion(command_name: str, param) -> None:
    """Give a parameter its completion, if it takes codes or a complaint number."""
    if getattr(param, "_custom_shell_complete", None) is not None:
        return
    names = [*getattr(param, "opts", []), param.metavar or ""]
    for name in names:
        code_list = CODE_OPTIONS.get((command_name, name)) or CODE_OPTIONS.get(("*", name))
        if code_list is not None:
            param._custom_shell_complete = code_completion(code_list)  # Typer's own hook for autocompletion=
            return
    if param.param_type_name == "argument" and param.metavar == "ID":
        param._custom_shell_complete = complete_numbers
