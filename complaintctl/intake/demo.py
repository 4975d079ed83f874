"""Build a ledger from a scenario file: complaints and their steps, run through the real rules.

Scenario (JSON): {"as_of": "YYYY-MM-DD", "branch": ..., "user": ...,
 "complaints": [{"register": {<register fields>, "at": ..., "by": ...},
                 "steps": [{"do": "accept" | "assign" | ..., "at": ..., "by": ..., <options>}]}]}
A step may say it was typed in late: "typed_at" (when it was entered) and "late_reason" (补录原因).
A step that breaks a rule stops the load with the complaint and step named.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import func, select

from complaintctl.rules import clock
from complaintctl.steps import lifecycle
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger
from complaintctl.store.models import Complaint, Event
from complaintctl.store.settings import set_config
from complaintctl.i18n import _

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


def load_scenario(ledger: Ledger, path: Path) -> dict:
    source = Path(path)
    if not source.is_file():
        raise ComplaintError(
            _("no demo scenario at {source}; run from the project folder or give --scenario").format(source=source)
        )
    try:
        scenario = json.loads(source.read_text(encoding="utf-8"))
        scenario["as_of"], scenario["complaints"]
    except (UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise ComplaintError(
            _("{source} is not a demo scenario (JSON with as_of and complaints): {__name__}").format(
                source=source, __name__=type(exc).__name__
            )
        ) from None
    with ledger.transaction(write=False) as session:
        if session.exec(select(func.count()).select_from(Complaint)).one():
            raise ComplaintError(
                _("{path} already holds complaints; the demo needs a new ledger (--db)").format(path=ledger.path)
            )
    start = clock.parse_at(scenario["as_of"])
    if scenario.get("branch"):
        set_config(ledger, "branch", scenario["branch"], start, scenario.get("user", "demo"))
    if scenario.get("user"):
        set_config(ledger, "user", scenario["user"], start, scenario["user"])
    for index, item in enumerate(scenario["complaints"], 1):
        fields = dict(item["register"])
        at, by = clock.parse_at(fields.pop("at")), fields.pop("by")
        try:
            with clock.typing_at(at):
                number = lifecycle.register(ledger, fields, at=at, by=by).record["id"]
            for step in item.get("steps", []):
                options = dict(step)
                kind = options.pop("do")
                step_at, step_by = clock.parse_at(options.pop("at")), options.pop("by")
                # Each step is typed in when it happens, unless the scenario says it was entered late (补录).
                typed = clock.parse_at(options.pop("typed_at")) if "typed_at" in options else step_at
                ledger.late_reason = options.pop("late_reason", None)
                if kind not in STEPS:
                    raise ComplaintError(
                        _("unknown step {kind!r}; one of {kinds}").format(kind=kind, kinds=", ".join(STEPS))
                    )
                with clock.typing_at(typed):
                    if kind == "amend":
                        lifecycle.amend(ledger, number, options, at=step_at, by=step_by)
                    else:
                        try:
                            STEPS[kind](ledger, number, at=step_at, by=step_by, **options)
                        except TypeError as exc:  # an option the step does not take: the file's slip
                            raise ComplaintError(_("step {kind}: {exc}").format(kind=kind, exc=exc)) from None
                ledger.late_reason = None
        except ComplaintError as exc:
            raise ComplaintError(
                _("{name}, complaint {index}: {exc}").format(name=source.name, index=index, exc=exc)
            ) from None
    with ledger.transaction(write=False) as session:
        complaints = session.exec(select(func.count()).select_from(Complaint)).one()
        events = session.exec(select(func.count()).select_from(Event)).one()
    return {"complaints": complaints, "events": events, "as_of": scenario["as_of"]}
