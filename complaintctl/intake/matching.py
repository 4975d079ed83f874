"""Which complaint an imported row is, and what it adds to one already in the ledger.

A row is a complaint already here only on evidence that names the complaint: the same place in the same
file, or the branch's own number in that year's numbering (序号 restarts each year; 2023-16 in 2024's
sheet is 2023's 16, carried over), or the same regulator ticket (工单编号, compared without a platform's
prefix, spaces or ="…"), or, for a file with neither, the same complainant, request and time of receipt.
A 12386 export's 序号 counts its rows and names nothing. When the number and the ticket name two
complaints, or the complaint named is another complainant's (ID number, else name and phone), the row is
bad: it is never merged into another person's complaint. Then:

- unchanged (the same row, or one that says nothing new): nothing is recorded;
- from another kind of source (a 12386 export row for a ticket in the branch's ledger, or the other
  way round): merged, its new facts recorded on the complaint;
- a newer version of the same source (a complaint since completed): reported with what changed, and
  recorded only when asked (`import --update`);
- a later year's sheet telling of a complaint carried over into it: its new facts recorded on the complaint.

What is added goes through the same rules as typed input: blanks and 未记载 are filled by an amendment,
later steps are recorded at the dates the file gives, each no earlier than the step that made it
possible. A fact that differs from the ledger's is never overwritten: it is reported, to be corrected by
hand (`amend`), since history is not rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from complaintctl.rules import clock
from complaintctl.rules.complaint import (
    FIELD_BY_NAME,
    TIME_GAPS,
    apply,
    complainant_key,
    format_id,
    transfer_problem,
)
from complaintctl.rules.identity import phone_key, same_person, ticket_key
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _
from complaintctl.store.ledger import Ledger
from complaintctl.intake.legacy import COMPLAINANT_FIELDS, Planned, number_key
from complaintctl.steps.lifecycle import in_order, known_branch, warm
from complaintctl.progress import Listener, counted

# The registration's facts a later source may fill in, or contradict.
FACTS = (
    "received_at",
    *COMPLAINANT_FIELDS,
    "method",
    "channel",
    "source",
    "transfer_no",
    "reply_due",
    "respondent",
    "respondent_dept",
    "category",
    "request",
    "facts",
    "complainants",
    "acceptor",
)
# Gaps about what follows the result, and whether the complaint already holds that fact.
AFTER_GAPS = {
    "investigation": lambda r: bool(r.get("investigation")),
    "feedback_via": lambda r: bool((r.get("resolution") or {}).get("feedback_via")),
    "callback": lambda r: bool(r.get("callbacks")),
    "regulator_reply": lambda r: bool(r.get("regulator_replied_at")),
    "escalation": lambda r: bool(r.get("escalations")),
}
PERSONAL = frozenset({"name", "id_number", "phone", "address", "uscc"})  # said to differ, never shown
STATUS_RANK = {"received": 0, "accepted": 1, "rejected": 1, "assigned": 2, "resolved": 3, "terminated": 3, "closed": 4}
STEP_RANK = {"accepted": 1, "rejected": 1, "assigned": 2, "resolved": 3, "terminated": 3, "closed": 4}
# The gap that says a step's day is not in the file (its event dated at the step before it, marked so).
STEP_GAPS = {"accepted_at": ("accepted", "rejected"), "extended_at": ("extended",), "terminated_at": ("terminated",)}
STEP_LABELS = {
    "accepted": "受理",
    "rejected": "不予受理",
    "assigned": "处理人",
    "resolved": "办结",
    "terminated": "终止处理",
    "extended": "延期",
    "regulator_replied": "监管转办回复",
    "called_back": "回访",
    "closed": "归档",
    "noted": "备注",
}


@dataclass
class Change:
    """What a row adds to a complaint already in the ledger (`fills`, `steps`), and where it disagrees."""

    item: Planned
    number: str
    merged: bool  # from another kind of source than the complaint came from
    carried: bool = False  # a later year's sheet, telling of a complaint carried over into it
    fills: dict[str, tuple] = field(default_factory=dict)  # field -> (old, new)
    steps: list = field(default_factory=list)  # (kind, at, payload, actor), after what the ledger has
    differs: list[str] = field(default_factory=list)
    recorded: bool = False
    late: str | None = None  # a step the row dates after the complaint was closed: the row is bad

    def __bool__(self) -> bool:
        return bool(self.fills or self.steps or self.differs)

    def adds(self) -> list[str]:
        """What it adds, in the ledger's words: 办结 2025-07-10, 监管回复期限 2025-12-04 …"""
        said = [
            f"{_label(name)} {_plain(name, new)}" for name, (_old, new) in self.fills.items() if name != "unrecorded"
        ]
        return said + [f"{STEP_LABELS.get(kind, kind)} {clock.day_of(clock.iso(at))}" for kind, at, *_ in self.steps]


@dataclass
class Imported:
    recorded: list[Planned] = field(default_factory=list)
    already: list[Planned] = field(default_factory=list)  # imported before, nothing new
    bad: list[Planned] = field(default_factory=list)
    fixed_before: list[Planned] = field(default_factory=list)  # bad here, imported since from the to-fix file
    numbers: list[str] = field(default_factory=list)
    merged: list[Change] = field(default_factory=list)  # another source's rows, merged into their complaints
    changed: list[Change] = field(default_factory=list)  # the same source, changed since (recorded with update)
    carried: list[Change] = field(default_factory=list)  # a later year's rows of complaints carried over
    where: dict[int, str] = field(default_factory=dict)  # id() of a row met again -> the complaint it is


def _same_moment(name: str, old, new) -> bool:
    """A day without a time (a 12386 转办日期) says the same as a time on that day."""
    if name != "received_at" or not old or not new:
        return False
    moment = clock.from_iso(new)
    return (moment.hour, moment.minute) == (0, 0) and clock.day_of(old) == clock.day_of(new)


def _label(name: str) -> str:
    return FIELD_BY_NAME[name].label if name in FIELD_BY_NAME else name


def _plain(name: str, value) -> str:
    if name == "received_at" and value:
        return clock.iso(clock.from_iso(value))[:16].replace("T", " ")
    return str(value).replace("\n", " / ")


def origin_kind(record: dict) -> str:
    """Where a complaint came from: the kind of file it was imported from, or typed in."""
    imported = record.get("imported")
    return (imported.get("kind") or "ledger") if imported else "typed"


def digests(record: dict) -> set[str]:
    return {d for d in (record.get("import_digest"), *record.get("import_digests", [])) if d}


class Known:
    """The complaints of the branch an import may meet again, by each key a row can carry, and by complainant.

    Read once (one scan of the imported complaints and those with a ticket), then kept up to date as
    rows are recorded.
    """

    def __init__(self, session, ledger: Ledger):
        self.records: dict[str, dict] = {}
        self.keys: dict[tuple, str] = {}
        self.people: dict[str, str] = {}  # complainant_key -> a complaint of theirs
        text = ledger.backend.json_text
        rows = session.connection().exec_driver_sql(
            f"SELECT record FROM complaints WHERE branch = ? AND ({text('record', 'imported')} IS NOT NULL "
            f"OR {text('record', 'transfer_no')} IS NOT NULL)",
            (ledger.branch,),
        )
        for (body,) in rows:
            self.add(json.loads(body))

    @staticmethod
    def keys_of(record: dict) -> list[tuple]:
        keys = []
        for origin in (record.get("imported"), record.get("fixed_from"), *record.get("import_rows", [])):
            if origin:
                keys.append(("row", origin["file_sha256"], origin.get("sheet"), origin["row"]))
        if record.get("imported"):
            if record.get("original_no") and origin_kind(record) != "12386":  # a 12386 序号 names nothing
                scope = record.get("original_scope") or clock.day_of(record["received_at"]).year
                keys.append(("original", *number_key(record["original_no"], scope)))
            keys.append(
                (
                    "content",
                    record["received_at"],
                    record.get("name") or record.get("institution"),
                    record.get("request"),
                )
            )
        if record.get("transfer_no"):
            keys.append(("ticket", ticket_key(record["transfer_no"])))
        return keys

    def add(self, record: dict) -> None:
        self.records[record["id"]] = record
        for key in self.keys_of(record):
            self.keys.setdefault(key, record["id"])
        if person := complainant_key(record):
            self.people.setdefault(person, record["id"])

    def find(self, item: Planned) -> tuple[str | None, str | None]:
        """The complaint the row is, if any, and why the row is bad when its evidence disagrees (then the complaint
        is the one its first evidence names, never to be merged into)."""
        fields = item.fields
        at = self.keys.get(("row", item.origin["file_sha256"], item.origin.get("sheet"), item.origin["row"]))
        if at is not None:  # the same place in the same file: the same row, whatever it says now
            return at, None
        named = []  # (the evidence as the file has it, the complaint it names)
        if fields.get("original_no"):
            found = self.keys.get(("original", *number_key(fields["original_no"], fields["original_scope"])))
            if found is not None:
                named.append((_number_text(item), found))
        if fields.get("transfer_no"):
            found = self.keys.get(("ticket", ticket_key(fields["transfer_no"])))
            if found is not None:
                named.append((f"{_column(item, 'transfer_no')} {fields['transfer_no']}", found))
        if not fields.get("original_no") and not fields.get("transfer_no"):
            key = (
                "content",
                fields["received_at"],
                fields.get("name") or fields.get("institution"),
                fields.get("request"),
            )
            return self.keys.get(key), None  # the complainant is part of the key: nothing to disagree with
        if not named:
            return None, None
        (evidence, number), *others = named
        for other_evidence, other in others:
            if other != number:
                return number, _(
                    "{evidence} is {number}, but {other_evidence} is {other}; not merged: correct the one that is wrong"
                ).format(evidence=evidence, number=number, other_evidence=other_evidence, other=other)
        differs = _other_complainant(self.records[number], fields)
        if differs is None:
            return number, None
        theirs = self.people.get(complainant_key(fields) or "")
        if theirs is not None and theirs != number:
            return number, _(
                "{evidence} is {number}, but this row's complainant is {other}'s ({field} differs from {number}'s); "
                "not merged: correct the number or the complainant"
            ).format(evidence=evidence, number=number, other=theirs, field=_column(item, differs))
        return number, _(
            "{evidence} is {number}, but this row's complainant is not {number}'s ({field} differs); not merged: "
            "correct the number or the complainant"
        ).format(evidence=evidence, number=number, field=_column(item, differs))

    def fixed(self, item: Planned) -> str | None:
        """The complaint a bad row became once fixed in the to-fix file and imported from there."""
        return self.keys.get(("row", item.origin["file_sha256"], item.origin.get("sheet"), item.origin["row"]))


def _column(item: Planned, name: str) -> str:
    return item.headers.get(name) or _label(name)


def _number_text(item: Planned) -> str:
    """序号 16 of 2025, 编号 2023-16: the branch's number as the row has it, with its year when the number lacks it."""
    fields = item.fields
    text = f"{_column(item, 'original_no')} {fields['original_no']}"
    if str(fields["original_scope"]) in str(fields["original_no"]):
        return text
    return _("{number} of {year}").format(number=text, year=fields["original_scope"])


def _other_complainant(record: dict, fields: dict) -> str | None:
    """The field that says the row's complainant is not the complaint's, or None: by ID number (or credit
    code) where both have one, else by name and phone (a homonym is another person)."""
    for name in ("id_number", "uscc"):
        if record.get(name) and fields.get(name):
            return None if record[name].upper() == fields[name].upper() else name
    old, new = record.get("institution") or record.get("name"), fields.get("institution") or fields.get("name")
    if old and new and not same_person(old, new):
        return "institution" if fields.get("institution") else "name"
    if phone_key(record.get("phone")) and phone_key(fields.get("phone")):
        if phone_key(record.get("phone")) != phone_key(fields.get("phone")):
            return "phone"
    return None


class _Abandon(Exception):
    """Leaves the import's transaction, rolling it back."""


def record(
    ledger: Ledger,
    planned: list[Planned],
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    update: bool = False,
    listener: Listener | None = None,
    finish=None,
    inspect=None,
) -> Imported:
    """Record every good row in one transaction; with any bad row, nothing (unless `skip_bad`).

    A dry run goes through the same steps, in a transaction that is then rolled back. `finish(session,
    done)` runs in the same transaction once the rows are in, when rows were skipped as bad: the file
    that gives them back is on record with the rows, or neither is. `inspect(session, done)` runs last in the
    same transaction, a dry run's too: it sees the ledger as the import leaves it, before any rollback.
    """
    done = Imported()
    warm(ledger)
    try:
        with ledger.transaction() as session:
            if ledger.firm:
                known_branch(session, ledger.branch)
            known = Known(session, ledger)
            for item in planned:
                if item.error:
                    (done.fixed_before if known.fixed(item) else done.bad).append(item)
            if done.bad and not skip_bad and not dry_run:
                raise _Abandon
            numbers, chain = _Numbers(session, ledger.branch), ledger.chain(session)
            # Numbered in order of receipt, as they would have been had they been registered here; a tie in the
            # file's order (a sheet before the next year's, which may carry the same complaint over).
            good = sorted((p for p in planned if not p.error), key=lambda p: p.fields["received_at"])
            for item in counted(good, listener, _("importing rows"), len(good), every=256):
                if any(kind == "extended" for kind, *_rest in item.steps) and not _extended(ledger, item):
                    done.bad.append(item)
                    continue
                _record_row(chain, item, done, known, numbers, update)
            if inspect is not None:
                inspect(session, done)
            if dry_run or (done.bad and not skip_bad):
                raise _Abandon  # a dry run, or a row found doubled while recording: nothing is kept
            if finish is not None and done.bad:
                finish(session, done)
    except _Abandon:
        pass
    return done


def _record_row(chain, item: Planned, done: Imported, known: Known, numbers: "_Numbers", update: bool) -> None:
    number, disagreement = known.find(item)
    if number is None:
        complaint = _register(chain, item, numbers)
        known.add(complaint)
        done.recorded.append(item)
        done.numbers.append(complaint["id"])
        return
    done.where[id(item)] = number
    record = known.records[number]
    source = record.get("imported") or {}
    if (source.get("file_sha256"), source.get("sheet")) == (
        item.origin["file_sha256"],
        item.origin.get("sheet"),
    ) and source.get("row") != item.origin["row"]:
        # Two rows of one file for one complaint: the same 序号 or ticket twice, which only the office can sort out.
        item.error = _("{key} is also on row {row} of this file ({number}); each complaint is one row").format(
            key=item.fields.get("original_no") or item.fields.get("transfer_no"), row=source.get("row"), number=number
        )
        done.bad.append(item)
        return
    if disagreement:  # the number names one complaint, the ticket or the complainant another: never merged
        item.error = disagreement
        done.bad.append(item)
        return
    if item.digest in digests(record):
        done.already.append(item)
        return
    change = compare(record, item, merged=origin_kind(record) != item.origin["kind"])
    if change.late:  # nothing is added after a complaint's closing: the file or the ledger is wrong
        item.error = change.late
        done.bad.append(item)
        return
    # A later year's sheet tells of a complaint still open when the year before ended: its next steps.
    change.carried = (
        bool(item.carried) and not change.merged and not source.get("carried") and _scope_of(record) == item.carried
    )
    if not change:
        done.already.append(item)
        return
    (done.merged if change.merged else done.carried if change.carried else done.changed).append(change)
    if (change.merged or change.carried or update) and (change.fills or change.steps):
        known.add(_add(chain, record, change))
        change.recorded = True


def _scope_of(record: dict) -> int | None:
    """The year whose numbering the complaint's own number belongs to."""
    if not record.get("original_no"):
        return None
    scope = record.get("original_scope") or clock.day_of(record["received_at"]).year
    return number_key(record["original_no"], scope)[0]


def _register(chain, item: Planned, numbers: "_Numbers") -> dict:
    fields = {**item.fields, "import_digest": item.digest}
    received = fields["received_at"]
    year, seq = numbers.next(clock.day_of(received).year)
    payload = {"id": format_id(year, seq), "year": year, "seq": seq, **fields}
    complaint = apply(None, "registered", payload, received, item.registrar)
    chain.save(complaint, chain.append(complaint["id"], "registered", received, item.registrar, payload), new=True)
    for kind, at, step, actor in item.steps:
        complaint = _step(chain, complaint, kind, at, step, actor)
    return complaint


def _step(chain, complaint: dict, kind: str, at: datetime | str, payload: dict, actor: str) -> dict:
    at_text = at if isinstance(at, str) else clock.iso(at)
    complaint = apply(complaint, kind, payload, at_text, actor)
    chain.save(complaint, chain.append(complaint["id"], kind, at_text, actor, payload), new=False)
    return complaint


def _add(chain, record: dict, change: Change) -> dict:
    """The later steps at the file's dates, then the filled blanks as one amendment made now."""
    complaint = record
    for kind, at, payload, actor in change.steps:
        complaint = _step(chain, complaint, kind, at, payload, actor)
    origin = change.item.origin
    if change.fills:
        payload = {"changes": {name: list(pair) for name, pair in change.fills.items()}, "imported": origin}
        complaint = _step(chain, complaint, "amended", clock.iso(clock.now()), payload, origin["by"])
    return complaint


def compare(record: dict, item: Planned, *, merged: bool) -> Change:
    """What the row says that the complaint does not hold yet, and what it says otherwise."""
    change = Change(item, record["id"], merged)
    gaps = list(record.get("unrecorded") or [])
    for name in FACTS:
        new, old = item.fields.get(name), record.get(name)
        if new in (None, "") or new == old or name == "complainants" and new == 1 or _same_moment(name, old, new):
            continue
        if name == "transfer_no" and old and ticket_key(old) == ticket_key(new):
            continue  # one ticket, written another way (12386-…, spaces, ="…")
        if old in (None, "") or name in gaps:
            change.fills[name] = (old, new)
        elif name != "source":  # 12386 and 12386热线 name one platform
            change.differs.append(
                _("{field} differs from the ledger's").format(field=_label(name))
                if name in PERSONAL
                else _("{field}: the ledger has {old}, the file {new}").format(
                    field=_label(name), old=_plain(name, old), new=_plain(name, new)
                )
            )
    after = {**record, **{name: new for name, (_old, new) in change.fills.items()}}
    if "reply_due" in change.fills and transfer_problem(after):
        change.differs.append(transfer_problem(after))
        del change.fills["reply_due"]
    change.steps = _later_steps(record, item, change.differs, merged)
    closed = record.get("closed_at")
    # The same source again (a row changed since, --update): nothing after the closing it recorded. (Another
    # source's reply may follow the closing an old ledger implied: merged, as one complaint's two records.)
    after = [(kind, at) for kind, at, *_rest in change.steps if closed and not merged and at > clock.from_iso(closed)]
    if after:
        kind, at = after[0]
        change.late = _(
            "{step} {at} is after {number} was closed ({closed}); nothing is added after a complaint's closing: "
            "correct the date in the file, or the complaint by hand"
        ).format(
            step=STEP_LABELS.get(kind, kind),
            at=clock.day_of(clock.iso(at)),
            number=record["id"],
            closed=clock.day_of(closed),
        )
        change.steps = []
    # A gap stays while neither source tells it; when a step happened stays as its event has it.
    told = [gap for gap in gaps if gap in TIME_GAPS or gap in item.unrecorded]
    added = {kind for kind, *_rest in change.steps}
    # A step the file tells of without its day (受理 with no 受理时间): 未记载, never "at receipt".
    told += [
        gap for gap, kinds in STEP_GAPS.items() if gap in item.unrecorded and added & set(kinds) and gap not in told
    ]
    if change.steps:  # what the row's later steps leave untold (a callback, the reply), unless the ledger has it
        told += [
            gap for gap in item.unrecorded if gap in AFTER_GAPS and gap not in told and not AFTER_GAPS[gap](record)
        ]
    if told != gaps and (change.fills or change.steps):
        change.fills["unrecorded"] = (gaps, told)
    return change


def _later_steps(record: dict, item: Planned, differs: list[str], merged: bool) -> list:
    """The row's steps the complaint has not taken, checked in order against what it has."""
    rank = STATUS_RANK.get(record["status"], 4)
    notes = {n.get("text") for n in record.get("notes", [])}
    steps = []
    for kind, at, payload, actor in item.steps:
        if kind in STEP_RANK:
            if STEP_RANK[kind] > rank:
                steps.append((kind, at, payload, actor))
            elif not merged or kind in ("accepted", "rejected"):
                # Two sources word a result, and date it, each their own way: only a contrary decision is said.
                _same_step(record, kind, at, payload, differs)
        elif kind == "noted" and payload.get("text") not in notes:
            steps.append((kind, at, payload, actor))
        elif kind == "regulator_replied" and not record.get("regulator_replied_at"):
            steps.append((kind, at, payload, actor))
        elif kind == "called_back" and not record.get("callbacks"):
            steps.append((kind, at, payload, actor))
        elif kind == "extended" and not record.get("extensions"):
            steps.append((kind, at, payload, actor))
    complaint = record
    try:
        for kind, at, payload, actor in steps:
            in_order(complaint, kind, at)
            complaint = apply(complaint, kind, payload, clock.iso(at), actor)
    except ComplaintError as exc:
        differs.append(f"{exc.message} ({exc.rule})" if exc.rule else exc.message)
        return []
    return steps


def _same_step(record: dict, kind: str, at: datetime, payload: dict, differs: list[str]) -> None:
    """A step both have: said when the file tells it otherwise (a different decision, handler, day or result)."""
    day = at.astimezone(clock.SHANGHAI).date()
    if kind in ("accepted", "rejected"):
        has = "accepted" if record.get("accepted_at") else "rejected" if record.get("rejected_at") else None
        if has and has != kind:
            differs.append(
                _("受理决定: the ledger has {old}, the file {new}").format(old=STEP_LABELS[has], new=STEP_LABELS[kind])
            )
    elif kind == "assigned" and record.get("handler") and payload.get("handler") != record["handler"]:
        differs.append(
            _("{field}: the ledger has {old}, the file {new}").format(
                field="处理人", old=record["handler"], new=payload.get("handler")
            )
        )
    elif kind == "resolved" and record.get("resolved_at"):
        if clock.day_of(record["resolved_at"]) != day:
            differs.append(
                _("{field}: the ledger has {old}, the file {new}").format(
                    field="办结日期", old=clock.day_of(record["resolved_at"]), new=day
                )
            )
        if (record.get("resolution") or {}).get("result") != payload.get("result"):
            differs.append(
                _("{field}: the ledger has {old}, the file {new}").format(
                    field="处理结果",
                    old=_plain("result", (record.get("resolution") or {}).get("result")),
                    new=_plain("result", payload.get("result")),
                )
            )


def _extended(ledger: Ledger, item: Planned) -> bool:
    """An extension read from the row's words, given the deadline it moves to (as `extend` gives it); False, and
    the row bad, when it asks more than the policy allows (CSA 9.2.2(d))."""
    received = clock.from_iso(item.fields["received_at"])
    policy = ledger.policy_on(received.astimezone(clock.SHANGHAI).date())
    total = 0
    steps = []
    for kind, at, payload, actor in item.steps:
        if kind == "extended":
            total += payload["days"]
            if payload["days"] > policy.extension_each_max or total > policy.extension_total_max:
                item.error = _(
                    "{column}: an extension of {days} days; each may be at most {each}, and all together {most} "
                    "(CSA 9.2.2(d))"
                ).format(
                    column=item.headers.get("note") or "备注",
                    days=payload["days"],
                    each=policy.extension_each_max,
                    most=policy.extension_total_max,
                )
                return False
            due = ledger.calendar().add_days(
                received.astimezone(clock.SHANGHAI).date(), policy.completion_days + total, policy.completion_unit
            )
            payload = {**payload, "new_due": due.isoformat()}
        steps.append((kind, at, payload, actor))
    item.steps = steps
    return True


class _Numbers:
    """The next complaint number of each year, as registration gives it (read once, then counted)."""

    def __init__(self, session, branch: str):
        rows = session.connection().exec_driver_sql(
            "SELECT year, MAX(seq) FROM complaints WHERE branch = ? GROUP BY year", (branch,)
        )
        self.last = {year: seq for year, seq in rows}

    def next(self, year: int) -> tuple[int, int]:
        self.last[year] = self.last.get(year, 0) + 1
        return year, self.last[year]
