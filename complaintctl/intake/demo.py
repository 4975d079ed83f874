"""Build a ledger from a scenario file: complaints and their steps, run through the real rules.

Scenario (JSON): {"as_of": "YYYY-MM-DD", "branch": ..., "user": ...,
 "complaints": [{"register": {<register fields>, "at": ..., "by": ...},
                 "steps": [{"do": "accept" | "assign" | ..., "at": ..., "by": ..., <options>}]}]}
A step may say it was typed in late: "typed_at" (when it was entered) and "late_reason" (补录原因).
The whole file is checked first (its shape, the names of keys, fields and options, their types, the
times): a slip there is one line and nothing is recorded. A step that breaks a rule stops the load with
the complaint and step named; what came before it stays recorded, that complaint's earlier steps
included (the demo wants a new ledger anyway).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from sqlmodel import func, select

from complaintctl.rules import clock
from complaintctl.rules.complaint import BOOLEAN_FIELDS, FIELD_BY_NAME, INVESTIGATION_ITEMS
from complaintctl.steps import lifecycle
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger
from complaintctl.store.models import Complaint, Event
from complaintctl.store.settings import set_config
from complaintctl.i18n import N_, _

STEPS = {
    "accept": lifecycle.accept,
    "reject": lifecycle.reject,
    "assign": lifecycle.assign,
    "escalate": lifecycle.escalate,
    "extend": lifecycle.extend,
    "note": lifecycle.note,
    "resolve": lifecycle.resolve,
    "regulator_reply": lifecycle.regulator_reply,
    "callback": lifecycle.callback,
    "mark_unreasonable": lifecycle.mark_unreasonable,
    "reclassify": lifecycle.reclassify,
    "close": lifecycle.close,
    "investigate": lifecycle.investigate,
    "terminate": lifecycle.terminate,
    "rectified": lifecycle.rectified,
    "amend": None,
    "approve": lifecycle.approve,
}


# What a scenario's values may be, as the CLI would hand them over: JSON numbers are taken as the text
# a user would type (an amount, a count), true/false only where the CLI has a flag, lists where it repeats.
# Keyed by the lifecycle functions' annotations as written (steps/lifecycle reads them as strings:
# `from __future__ import annotations`); test_cli checks that every step's are here.
_KINDS = {
    "bool": N_("true or false"),
    "int": N_("a whole number"),
    "list[str] | tuple[str, ...]": N_("a list of texts"),
    "str": N_("a text"),
    "str | None": N_("a text or null"),
}


def _typed(where: str, name: str, value, kind: str):
    """One option's value as the step takes it, or one line saying what it should have been."""
    if value is None and "None" in kind:
        return None
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind.startswith("list") and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if kind.startswith("str") and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ComplaintError(
        _("{where}: {name} must be {kind}, not {value}").format(
            where=where, name=name, kind=_(_KINDS[kind]), value=json.dumps(value, ensure_ascii=False)
        )
    )


def _record_fields(where: str, given: dict) -> dict:
    """register's and amend's fields: the record's own names (a misspelt one would be dropped unsaid)."""
    fields = {}
    for name, value in given.items():
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            raise ComplaintError(
                _("{where}: no field {name}; the record's fields are {names}").format(
                    where=where, name=name, names=", ".join(FIELD_BY_NAME)
                )
            )
        kind = "bool" if name in BOOLEAN_FIELDS else "list[str] | tuple[str, ...]" if spec.repeatable else "str"
        fields[name] = _typed(where, name, [value] if spec.repeatable and isinstance(value, str) else value, kind)
    return fields


def _step_options(where: str, kind: str, options: dict) -> dict:
    """A step's options, checked against the step's own keyword parameters before it runs: an option it
    does not take, or one it needs and lacks, is the file's slip (exit 1), so that a TypeError from inside
    a step stays what it is, our bug (exit 70)."""
    parameters = {n: p for n, p in inspect.signature(STEPS[kind]).parameters.items() if n not in ("at", "by")}
    named = {n: p for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    takes_items = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())  # investigate, resolve
    checked = {}
    for name, value in options.items():
        if name in named:
            checked[name] = _typed(where, name, value, named[name].annotation)
        elif takes_items and name in INVESTIGATION_ITEMS:
            checked[name] = _typed(where, name, value, "str | None")
        elif takes_items:
            raise ComplaintError(
                _("{where}: not an item of the investigation record: {name}").format(where=where, name=name)
            )
        else:
            raise ComplaintError(_("{where}: no option {name}").format(where=where, name=name))
    for name, p in named.items():
        if name in checked or p.default is not inspect.Parameter.empty:
            continue
        if "None" in p.annotation:  # optional on the command line (assign --dept): left out, it is None there too
            checked[name] = None
        else:
            raise ComplaintError(_("{where}: give {name}").format(where=where, name=name))
    return checked


def _object(where: str, value, *required: str) -> dict:
    if not isinstance(value, dict):
        raise ComplaintError(_("{where}: must be a JSON object").format(where=where))
    for name in required:
        if not isinstance(value.get(name), str):
            raise ComplaintError(
                _("{where}: {name} must be {kind}").format(where=where, name=name, kind=_(_KINDS["str"]))
            )
    return value


def _known_keys(where: str, given: dict, known: tuple[str, ...]) -> None:
    """A misspelt key ("stpes", "brnach") would otherwise be passed over and its content lost unsaid."""
    for name in given:
        if name not in known:
            raise ComplaintError(
                _("{where}: no key {name}; one of {known}").format(where=where, name=name, known=", ".join(known))
            )


def _moment(where: str, text: str, name: str):
    try:
        return clock.parse_at(text, name)
    except ComplaintError as exc:
        raise ComplaintError(_("{where}: {exc}").format(where=where, exc=exc)) from None


SCENARIO_SETTINGS = ("branch", "branch-phone", "branch-address", "contact", "user")  # `config set` keys


def checked_scenario(scenario, path: Path) -> list[dict]:
    """The whole file checked before anything is recorded: a slip in it is one line naming where it is,
    and the ledger stays as it was. Returns each complaint as {where, register, at, by, steps: [...]}, each
    step as {where, kind, at, by, typed_at, late_reason, options}: `where` names it in a later message."""
    if not (isinstance(scenario, dict) and isinstance(scenario.get("complaints"), list)):
        raise ComplaintError(_("{source} is not a demo scenario (JSON with as_of and complaints)").format(source=path))
    source = path.name
    _object(source, scenario, "as_of")
    _known_keys(source, scenario, ("as_of", *SCENARIO_SETTINGS, "complaints"))
    for name in SCENARIO_SETTINGS:
        if name in scenario and not isinstance(scenario[name], str):
            raise ComplaintError(
                _("{where}: {name} must be {kind}").format(where=source, name=name, kind=_(_KINDS["str"]))
            )
    complaints = []
    for index, item in enumerate(scenario["complaints"], 1):
        where = _("{name}, complaint {index}").format(name=source, index=index)
        _known_keys(where, _object(where, item), ("register", "steps"))
        register = dict(_object(_("{where}, register").format(where=where), item.get("register"), "at", "by"))
        at, by = _moment(where, register.pop("at"), "at"), register.pop("by")
        steps = item.get("steps", [])
        if not isinstance(steps, list):
            raise ComplaintError(_("{where}: steps must be a list").format(where=where))
        steps_checked = []
        for number, step in enumerate(steps, 1):
            options = dict(_object(_("{where}, step {number}").format(where=where, number=number), step, "do"))
            kind = options.pop("do")
            if kind not in STEPS:
                raise ComplaintError(
                    _("{where}: unknown step {kind!r}; one of {kinds}").format(
                        where=where, kind=kind, kinds=", ".join(STEPS)
                    )
                )
            here = _("{where}: step {number} ({kind})").format(where=where, number=number, kind=kind)
            _object(here, options, "at", "by")
            checked = {
                "where": here,
                "kind": kind,
                "at": _moment(here, options.pop("at"), "at"),
                "by": options.pop("by"),
            }
            checked["typed_at"] = (
                _moment(here, _typed(here, "typed_at", options.pop("typed_at"), "str"), "typed_at")
                if "typed_at" in options
                else checked["at"]
            )
            if checked["typed_at"] < checked["at"]:
                raise ComplaintError(
                    _("{where}: typed_at is before at: a step is typed in when or after it happens").format(where=here)
                )
            checked["late_reason"] = _typed(here, "late_reason", options.pop("late_reason", None), "str | None")
            if kind == "amend":
                reason = _typed(here, "reason", options.pop("reason", None), "str | None")
                given = _record_fields(here, options)
                if not given:
                    raise ComplaintError(_("{where}: name at least one field to amend").format(where=here))
                checked["options"] = {"given": given, "reason": reason}
            else:
                checked["options"] = _step_options(here, kind, options)
            steps_checked.append(checked)
        complaints.append(
            {"where": where, "register": _record_fields(where, register), "at": at, "by": by, "steps": steps_checked}
        )
    return complaints


def load_scenario(ledger: Ledger, path: Path) -> dict:
    source = Path(path)
    if not source.is_file():
        raise ComplaintError(
            _("no demo scenario at {source}; run from the project folder or give --scenario").format(source=source)
        )
    try:
        scenario = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise ComplaintError(
            _("{source} is not a demo scenario (JSON with as_of and complaints): {__name__}").format(
                source=source, __name__=type(exc).__name__
            )
        ) from None
    complaints = checked_scenario(scenario, source)
    with ledger.transaction(write=False) as session:
        if session.exec(select(func.count()).select_from(Complaint)).one():
            raise ComplaintError(
                _("{path} already holds complaints; the demo needs a new ledger (--db)").format(path=ledger.path)
            )
    start = _moment(source.name, scenario["as_of"], "as_of")
    for name in SCENARIO_SETTINGS[:-1]:  # the branch and how to reach it, then the user
        if scenario.get(name):
            set_config(ledger, name, scenario[name], start, scenario.get("user", "demo"))
    if scenario.get("user"):
        set_config(ledger, "user", scenario["user"], start, scenario["user"])
    for item in complaints:
        where = item["where"]
        try:
            with clock.typing_at(item["at"]):
                number = lifecycle.register(ledger, item["register"], at=item["at"], by=item["by"]).record["id"]
            for step in item["steps"]:
                where = step["where"]
                # Each step is typed in when it happens, unless the scenario says it was entered late (补录).
                ledger.late_reason = step["late_reason"]
                with clock.typing_at(step["typed_at"]):
                    if step["kind"] == "amend":
                        lifecycle.amend(ledger, number, **step["options"], at=step["at"], by=step["by"])
                    else:
                        STEPS[step["kind"]](ledger, number, at=step["at"], by=step["by"], **step["options"])
                ledger.late_reason = None
        except ComplaintError as exc:
            raise ComplaintError(_("{where}: {exc}").format(where=where, exc=exc)) from None
    with ledger.transaction(write=False) as session:
        complaints = session.exec(select(func.count()).select_from(Complaint)).one()
        events = session.exec(select(func.count()).select_from(Event)).one()
    return {"complaints": complaints, "events": events, "as_of": scenario["as_of"]}
