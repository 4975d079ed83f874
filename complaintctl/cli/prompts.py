"""Interactive registration: what a first contact must give, then what acceptance needs, checked as typed.

The first part cannot be skipped: a complaint is not registered without it. The second may be left
empty when it is not known yet (an anonymous caller's ID number, the category); `amend` completes it
later, and `accept` says what is still missing. The time received (every deadline counts from it)
defaults to now; a transfer's reply date is asked after its ticket. Nothing is saved before the
specialist has seen the whole record and said yes.
"""

from __future__ import annotations

import questionary

from complaintctl.rules import codes
from complaintctl.cli import cells
from complaintctl.cli.common import complain, one_line
from complaintctl.rules.complaint import FIELD_BY_NAME, FIELDS, acceptance_missing, parse_fields, registration_missing
from complaintctl.errors import INTERRUPTED, REFUSED, ComplaintError
from complaintctl.i18n import _, pick

CHOICES = {"method": codes.METHODS, "channel": codes.CHANNELS, "id_type": codes.ID_TYPES}


def needs_questions(given: dict) -> bool:
    fields = parse_fields(given)
    return bool(registration_missing(fields) or _acceptance_questions(given))


def _later_questions(given: dict) -> list[str]:
    """Once a complaint can be registered: when it came, a transfer's reply date, then what acceptance needs."""
    fields = parse_fields(given)
    later = [] if given.get("received_at") else ["received_at"]
    if fields.get("channel") == "regulator" and not given.get("reply_due"):
        later.append("reply_due")
    return later + _acceptance_questions(given)


def _acceptance_questions(given: dict) -> list[str]:
    """What acceptance needs that has not been given, in the order it is asked."""
    fields = parse_fields(given)
    if fields.get("institution"):
        return []  # an institution's legal representative and code: given as options
    missing = [name for name in acceptance_missing(fields) if name in ("id_number", "respondent", "facts")]
    if "id_number" in missing and "id_type" not in given:
        missing.insert(0, "id_type")
    if not fields.get("category"):
        missing.insert(missing.index("facts") if "facts" in missing else len(missing), "category")
    return missing


def _validator(name: str, given: dict, optional: bool = False):
    """True, or what is wrong with the answer: the line the command gives for that value on its command line."""
    spec = FIELD_BY_NAME[name]

    def check(text: str):
        if not text.strip():
            return True if optional else _("{field} is needed").format(field=spec.shown)
        try:
            spec.parse(text, given)  # the ID number is checked against the ID type chosen before it
        except ComplaintError as exc:
            return str(exc)
        return True

    return check


def _typed(question: str, check) -> str:
    """A typed answer, checked: a wrong one gets one line saying why, as the command would say it, and the
    question again with nothing in it.

    Not questionary's validate=: it shows the reason in a bottom bar cut at the terminal's width and keeps
    the wrong text, so that the next answer is typed onto it (issue 42). The same for every question.
    """
    while True:
        reply = _ask(questionary.text(question))
        if reply is None:  # Ctrl-D
            _cancelled()
        error = check(reply)
        if error is True:
            return reply
        complain(f"complaintctl: {one_line(error)}")


def _question(name: str, optional: bool = False) -> str:
    spec = FIELD_BY_NAME[name]
    if name == "received_at":
        return _("time received, e.g. 2026-11-20 10:00 or 昨天 下午3点 (leave empty for now):")
    if name == "reply_due":
        return _("the transfer's reply date, YYYY-MM-DD (leave empty if the ticket gives none):")
    return (
        _("{field} (leave empty if not known yet):").format(field=spec.shown)
        if optional
        else _("{field}:").format(field=spec.shown)
    )


def _cancelled():
    raise ComplaintError(_("registration cancelled; nothing was recorded"), exit_code=INTERRUPTED)


def _ask(question):
    """The answer; Ctrl-C or Ctrl-D cancel in our words and exit 130 (questionary's own .ask() prints English)."""
    try:
        return question.unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        _cancelled()


def _category() -> str | None:
    """CSA 5.1's two levels: the business first, then the kind of complaint within it."""
    groups: dict[str, list[str]] = {}
    for code in codes.CATEGORIES.entries:
        groups.setdefault(code[0], []).append(code)

    def group_label(letter: str) -> str:
        zh, en = codes.CATEGORIES.entries[groups[letter][0]]
        return pick(zh.split("-")[0], en.split(":")[0]) if len(groups[letter]) > 1 else pick(zh, en)

    first = _ask(
        questionary.select(
            _("business category (CSA 5.1):"),
            instruction=_("(arrow keys, Enter)"),
            choices=[
                *(questionary.Choice(f"{letter}  {group_label(letter)}", value=letter) for letter in groups),
                questionary.Choice(_("not known yet (classify it before accepting)"), value=""),
            ],
        )
    )
    if first is None:
        _cancelled()
    if not first:
        return None
    if len(groups[first]) == 1:
        return groups[first][0]
    second = _ask(
        questionary.select(
            _("kind of complaint:"),
            instruction=_("(arrow keys, Enter)"),
            choices=[
                questionary.Choice(f"{code}  {codes.CATEGORIES.shown(code).split('-')[-1].split(': ')[-1]}", value=code)
                for code in groups[first]
            ],
        )
    )
    if second is None:
        _cancelled()
    return second


def ask_missing(given: dict) -> dict:
    """Ask, one at a time, for each field still needed; Ctrl-C aborts with nothing saved."""
    answers = dict(given)
    skipped: set[str] = set()
    while True:
        missing = registration_missing(parse_fields(answers))
        optional = not missing
        if optional:
            missing = [name for name in _later_questions(answers) if name not in skipped]
        if not missing:
            return _confirmed(answers)
        name = missing[0]
        if name == "category":
            chosen = _category()
            if chosen:
                answers[name] = chosen
            else:
                skipped.add(name)
            continue
        if name in CHOICES:
            reply = _ask(
                questionary.select(
                    _question(name),
                    instruction=_("(arrow keys, Enter)"),
                    choices=[
                        questionary.Choice(f"{code}  {CHOICES[name].shown(code)}", value=code)
                        for code in CHOICES[name].entries
                    ],
                )
            )
        elif name == "phone":
            reply = _typed(_("phone (or leave empty and give an address):"), _validator("phone", answers, True))
            if not reply.strip():
                name = "address"
                reply = _typed(_question("address"), _validator("address", answers))
        elif name == "respondent":
            reply = _typed(
                _("respondent, the employee complained about (leave empty if it is a department):"),
                _validator("respondent", answers, optional=True),
            )
            if not reply.strip():
                name = "respondent_dept"
                reply = _typed(
                    _question("respondent_dept", optional=True),
                    _validator("respondent_dept", answers, optional=True),
                )
        else:
            reply = _typed(_question(name, optional), _validator(name, answers, optional))
        if reply is None:  # Ctrl-C or Ctrl-D
            _cancelled()
        if not reply.strip():
            skipped.add(missing[0])
            continue
        answers[name] = reply


def _confirmed(answers: dict) -> dict:
    """The record as it will be saved, then yes or no: nothing is saved unless the specialist says yes."""
    lists = {**CHOICES, "category": codes.CATEGORIES}
    shown = [
        (
            FIELD_BY_NAME[spec.name].shown,
            lists[spec.name].shown(lists[spec.name].parse(answers[spec.name]))
            if spec.name in lists
            else str(answers[spec.name]),
        )
        for spec in FIELDS
        if str(answers.get(spec.name) or "").strip()
    ]
    if "received_at" not in answers:
        shown.insert(0, (FIELD_BY_NAME["received_at"].shown, _("now")))
    column = max(cells.width(label) for label, _value in shown)
    questionary.print(_("to be registered:"), style="bold")
    for label, value in shown:
        questionary.print("  " + _("{field}:").format(field=label) + " " * (column - cells.width(label) + 1) + value)
    # A select, not questionary's confirm, whose Yes/No would stay English in Chinese mode.
    if not _ask(
        questionary.select(
            _("Register this complaint?"),
            instruction=_("(arrow keys, Enter)"),
            choices=[questionary.Choice(_("register it"), value=True), questionary.Choice(_("cancel"), value=False)],
        )
    ):
        raise ComplaintError(_("registration not confirmed; nothing was recorded"), exit_code=REFUSED)
    return answers
