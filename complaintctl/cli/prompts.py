"""Interactive registration: ask for what a first contact must give, with choices and inline checks."""

from __future__ import annotations

import questionary

from complaintctl import codes
from complaintctl.complaint import FIELD_BY_NAME, parse_fields, registration_missing
from complaintctl.errors import ComplaintError

CHOICES = {"method": codes.METHODS, "channel": codes.CHANNELS, "id_type": codes.ID_TYPES,
           "category": codes.CATEGORIES}


def _validator(name: str, given: dict):
    spec = FIELD_BY_NAME[name]

    def check(text: str):
        if not text.strip():
            return f"{spec.label} is needed"
        try:
            spec.parse(text, given)
        except ComplaintError as exc:
            return str(exc)
        return True
    return check


def ask_missing(given: dict) -> dict:
    """Ask, one at a time, for each field registration still needs; Ctrl-C aborts with nothing saved."""
    answers = dict(given)
    while True:
        missing = registration_missing(parse_fields(answers))
        if not missing:
            return answers
        name = missing[0]
        spec = FIELD_BY_NAME[name]
        question = f"{spec.label} {spec.english}:"
        if name in CHOICES:
            cl = CHOICES[name]
            reply = questionary.select(question, choices=[questionary.Choice(f"{zh} {code}", value=code)
                                                          for code, (zh, _en) in cl.entries.items()]).ask()
        else:
            if name == "phone":
                question = "联系电话 phone (or leave empty and give an address):"
                reply = questionary.text(question).ask()
                if reply is not None and not reply.strip():
                    name, spec = "address", FIELD_BY_NAME["address"]
                    reply = questionary.text("联系地址 address:", validate=_validator("address", answers)).ask()
                elif reply is not None:
                    error = _validator("phone", answers)(reply)
                    if error is not True:
                        questionary.print(error, style="fg:red")
                        continue
            else:
                reply = questionary.text(question, validate=_validator(name, answers)).ask()
        if reply is None:  # Ctrl-C or Ctrl-D
            raise ComplaintError("registration cancelled; nothing was recorded")
        answers[name] = reply
