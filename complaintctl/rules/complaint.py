"""A complaint's record: the fields a complainant gives, their validation, and the event fold.

The current state of a complaint is `apply` folded over its events; the `complaints` table is
that fold stored for queries, updated in the same transaction as each event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Callable

from complaintctl.rules import clock, codes, identity
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _, pick

ID_PATTERN = re.compile(r"TS-(\d{4})-(\d{4,})")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # key in the record, and the option without dashes (--id-number -> id_number)
    label: str  # the standard's Chinese term, for prompts and messages
    english: str
    parse: Callable[[str, dict], object]
    repeatable: bool = False  # given once per value: --representative A --representative B

    @property
    def shown(self) -> str:
        """The field's name in the user's language."""
        return pick(self.label, self.english)

    @property
    def option(self) -> str:
        name = self.name[:-1] if self.repeatable else self.name  # representatives -> --representative
        return "--" + name.replace("_", "-")


# Text as people type it, within limits a printed ledger can hold (README "Input"): a name, number or
# code is one line; free text (a request, facts, an opinion, a note) may hold newlines and tabs.
LINE_LIMIT = 200
TEXT_LIMIT = 5000
# Control characters, line and paragraph separators, and the bidirectional overrides that make a line
# read in another order than it is stored (U+202A-202E, U+2066-2069).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Invisible in a name, yet making it another name: `李\u200b四` would pass for 李四 past the CSA 7.7 check.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
# Bytes that are not UTF-8, as Python hands them over from the command line (surrogateescape).
_NOT_UTF8 = re.compile(r"[\ud800-\udfff]")


def checked_text(value: str, option: str, multiline: bool = False) -> str:
    """Refuse what is not text: control characters (ESC, NUL, CR...) anywhere, a newline or tab in a
    one-line value, and more than the limit. Everything else is kept exactly as typed."""
    if _NOT_UTF8.search(value):
        raise ComplaintError(
            _("{option} is not UTF-8 text; check the terminal's or the file's encoding").format(option=option)
        )
    bad = _CONTROLS.search(value) or (None if multiline else re.search(r"[\n\t]", value) or _INVISIBLE.search(value))
    if bad:
        raise ComplaintError(
            _("{option} holds a control character ({char}); {what}").format(
                option=option,
                char=bad.group().encode("unicode_escape").decode("ascii"),
                what=_("free text may hold newlines and tabs, nothing else of the kind")
                if multiline
                else _("a name, number or code is one line of plain text"),
            ),
            "CSA 9.4",
        )
    limit = TEXT_LIMIT if multiline else LINE_LIMIT
    if len(value) > limit:
        raise ComplaintError(
            _("{option} is {n} characters long; at most {limit}").format(option=option, n=len(value), limit=limit),
            "CSA 9.4",
        )
    return value


def _text(option: str, multiline: bool = False):
    def parse(value: str, _record: dict) -> str:
        if not value.strip():
            raise ComplaintError(_("{option} may not be empty").format(option=option))
        return checked_text(value, option, multiline)  # as typed: any Unicode, quotes, a leading '='

    return parse


def _ticket(value: str, record: dict) -> str:
    """A regulator ticket in the one form import stores it (identity.plain_ticket): typed with spaces,
    full-width digits or ="…", it is still the same ticket."""
    return identity.plain_ticket(_text("--transfer-no")(value, record))


def _code(codelist: codes.CodeList):
    return lambda value, _record: codelist.parse(value)


def _bool(option: str):
    def parse(value, _record) -> bool:
        if isinstance(value, bool):
            return value
        folded = clock.typed(str(value)).lower()
        if folded in ("yes", "y", "true", "1", "是"):
            return True
        if folded in ("no", "n", "false", "0", "否"):
            return False
        raise ComplaintError(_("{option}: answer yes or no (是/否), not {value!r}").format(option=option, value=value))

    return parse


def _count(value, _record) -> int:
    text = clock.typed(str(value))
    if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= 100_000:  # not isdigit(): '¹' is a digit
        raise ComplaintError(
            _("--complainants must be a whole number of people from 1 up, not {value!r}").format(value=value), "CSA 5.2"
        )
    return int(text)


def parse_amount(value, option: str = "--amount") -> str:
    """Money in yuan, kept as an exact decimal string (never a float)."""
    text = clock.typed(str(value)).replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > Decimal("1e13"):
        raise ComplaintError(
            _("{option} must be an amount in yuan such as 1200 or 1200.50, not {value!r}").format(
                option=option, value=value
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ComplaintError(_("{option}: amounts are kept to the fen (two decimal places)").format(option=option))
    return str(amount.quantize(Decimal("0.01")))


def _id_number(value: str, record: dict) -> str:
    return identity.check_id_number(record.get("id_type") or "id_card", value)


def _person_id(option: str):
    """A resident ID is checked as one (GB 11643); anything else as a passport or permit."""

    def parse(value: str, _record: dict) -> str:
        if re.fullmatch(r"\d{17}[\dXx]", clock.typed(value)):
            return identity.check_resident_id(value, option)
        return identity.check_other_id(value, option)

    return parse


_agent_id = _person_id("--agent-id-number")
_legal_rep_id = _person_id("--legal-rep-id-number")


def _representatives(value, _record) -> list[dict]:
    """CSA 5.2: a group met in person elects at most 5 representatives; each "NAME" or "NAME PHONE"."""
    items = [value] if isinstance(value, str) else list(value)
    people = []
    for item in items:
        match = re.fullmatch(r"(.+?)[\s:,]+(\+?[\d][\d\s-]*)", clock.typed(item))
        name, phone = (match.group(1), match.group(2)) if match else (item.strip(), None)
        if not name.strip():
            raise ComplaintError(
                _('--representative needs a name, e.g. --representative "张三 13812345678"'), "CSA 5.2"
            )
        people.append(
            {"name": name.strip(), "phone": identity.check_phone(phone, "--representative") if phone else None}
        )
    if len(people) > 5:
        raise ComplaintError(
            _("a group elects at most 5 representatives; {people} were given").format(people=len(people)), "CSA 5.2"
        )
    return people


def _reply_due(value, _record) -> str:
    """The regulator's own reply date on a transfer ticket (12386 and others)."""
    day = value if isinstance(value, date) else clock.parse_date(str(value), "--reply-due")
    return day.isoformat()


def _received_at(value, _record) -> str:
    moment = value if isinstance(value, datetime) else clock.parse_at(str(value), "--received-at", direction=clock.PAST)
    return clock.iso(moment)


# Order matters: id_type is parsed before id_number, whose check depends on it.
FIELDS: list[FieldSpec] = [
    FieldSpec("received_at", "接收时间", "time received", _received_at),
    FieldSpec("method", "投诉方式", "method", _code(codes.METHODS)),
    FieldSpec("channel", "投诉渠道", "channel", _code(codes.CHANNELS)),
    FieldSpec("source", "转办来源", "transferring body", _text("--source")),
    FieldSpec("transfer_no", "转办工单号", "transfer ticket number", _ticket),
    FieldSpec("reply_due", "监管回复期限", "regulator's reply date", _reply_due),
    FieldSpec("name", "投诉人姓名", "complainant's name", _text("--name")),
    FieldSpec("id_type", "证件类型", "ID type", _code(codes.ID_TYPES)),
    FieldSpec("id_number", "证件号码", "ID number", _id_number),
    FieldSpec("phone", "联系电话", "phone", lambda v, r: identity.check_phone(v)),
    FieldSpec("address", "联系地址", "address", _text("--address")),
    FieldSpec("institution", "机构名称", "institution", _text("--institution")),
    FieldSpec("uscc", "统一社会信用代码", "unified social credit code", lambda v, r: identity.check_uscc(v)),
    FieldSpec("legal_rep", "法定代表人", "legal representative", _text("--legal-rep")),
    FieldSpec("legal_rep_id_number", "法定代表人证件号码", "legal representative's ID number", _legal_rep_id),
    FieldSpec(
        "legal_rep_phone",
        "法定代表人联系电话",
        "legal representative's phone",
        lambda v, r: identity.check_phone(v, "--legal-rep-phone"),
    ),
    FieldSpec("agent_name", "代理人姓名", "agent's name", _text("--agent-name")),
    FieldSpec("agent_id_number", "代理人证件号码", "agent's ID number", _agent_id),
    FieldSpec("agent_phone", "代理人联系电话", "agent's phone", lambda v, r: identity.check_phone(v, "--agent-phone")),
    FieldSpec("agent_authorized", "代理人已获授权", "agent holds an authorisation", _bool("--agent-authorized")),
    FieldSpec("respondent", "被投诉人", "respondent (employee)", _text("--respondent")),
    FieldSpec("respondent_dept", "被投诉部门", "respondent department", _text("--respondent-dept")),
    FieldSpec("category", "业务类别", "category", _code(codes.CATEGORIES)),
    FieldSpec("request", "投诉请求", "request", _text("--request", multiline=True)),
    FieldSpec("facts", "主要事实与理由", "main facts and reasons", _text("--facts", multiline=True)),
    FieldSpec("complainants", "投诉人数", "number of complainants", _count),
    FieldSpec("representatives", "群体投诉代表", "group representatives", _representatives, repeatable=True),
    FieldSpec("major", "重大投诉", "major complaint", _bool("--major")),
    FieldSpec("major_reason", "重大投诉情形", "why it is major", _code(codes.MAJOR_REASONS)),
    FieldSpec("major_note", "重大投诉说明", "why it is major, in words", _text("--major-note", multiline=True)),
    FieldSpec("amount", "涉及金额", "amount involved (yuan)", lambda v, r: parse_amount(v)),
]
FIELD_BY_NAME = {f.name: f for f in FIELDS}
BOOLEAN_FIELDS = ("major", "agent_authorized")  # yes/no: a flag on the command line (--major/--not-major)


def parse_fields(given: dict, base: dict | None = None) -> dict:
    """Validate the options a user gave (None = not given) into stored values."""
    context = dict(base or {})
    parsed: dict = {}
    for spec in FIELDS:
        value = given.get(spec.name)
        if value is None:
            continue
        parsed[spec.name] = context[spec.name] = spec.parse(value, context)
    if "major_reason" in parsed and given.get("major") is None:
        parsed["major"] = True  # a reason for being major says that it is
    # A changed ID type re-checks the number already on file.
    if "id_type" in parsed and "id_number" not in parsed and context.get("id_number"):
        identity.check_id_number(context["id_type"], context["id_number"])
    return parsed


def registration_missing(fields: dict) -> list[str]:
    """What a first contact must give (issue 2): method, channel, name, one contact, request."""
    missing = []
    for name in ("method", "channel"):
        if not fields.get(name):
            missing.append(name)
    if not fields.get("name") and not fields.get("institution"):
        missing.append("name")
    if not fields.get("phone") and not fields.get("address"):
        missing.append("phone")
    if not fields.get("request"):
        missing.append("request")
    if fields.get("institution") and not fields.get("uscc"):
        missing.append("uscc")
    if fields.get("channel") == "regulator":
        for name in ("source", "transfer_no"):
            if not fields.get(name):
                missing.append(name)
    return missing


def transfer_problem(record: dict) -> str | None:
    """What is wrong with a record's regulator reply date, if anything (checked at register and amend)."""
    due = record.get("reply_due")
    if not due:
        return None
    if record.get("channel") != "regulator":
        return _(
            "--reply-due is the regulator's reply date on a transfer ticket; this complaint was received "
            "directly (--channel direct)"
        )
    if date.fromisoformat(due) < clock.day_of(record["received_at"]):
        return _("--reply-due {due} is before the complaint was received ({received})").format(
            due=due, received=clock.day_of(record["received_at"])
        )
    return None


def classification_problem(record: dict, given: dict) -> tuple[str, str] | None:
    """What is wrong with a record's group/major classification (CSA 5.2, 5.3), as (message, rule).

    `record`: the record with the user's values applied; `given`: the values the user gave.
    """
    complainants = int(record.get("complainants") or 1)
    if record.get("representatives"):
        if complainants < 10:
            return (
                _(
                    "representatives are elected by a group complaint (10 or more complainants); this one has "
                    "{complainants}: give --complainants"
                ).format(complainants=complainants),
                "CSA 5.2",
            )
        if record.get("method") != "onsite":
            return (_("representatives are elected by a group that complains in person (--method onsite)"), "CSA 5.2")
    if complainants >= 10 and given.get("major") is False:
        return (
            _("a group complaint ({complainants} complainants) is always major; --not-major does not apply").format(
                complainants=complainants
            ),
            "CSA 5.3(a)",
        )
    if given.get("major") and complainants < 10 and not record.get("major_reason"):
        return (
            _("--major needs --major-reason, one of {choices}").format(choices=codes.MAJOR_REASONS.choices()),
            "CSA 5.3(a)",
        )
    if given.get("major_reason") and not (record.get("major") or complainants >= 10):
        return (_("--major-reason goes with --major: say that it is a major complaint"), "CSA 5.3(a)")
    if record.get("major_reason") == "other" and not record.get("major_note"):
        return (_("--major-reason other needs --major-note saying why it is major"), "CSA 5.3(a)")
    return None


def describe_missing(names: list[str]) -> str:
    """The missing fields by name and option; "phone" in a missing list stands for a contact: either will do."""

    def one(name: str) -> str:
        spec = FIELD_BY_NAME[name]
        return _("{english} ({label}, {option})").format(english=spec.english, label=spec.label, option=spec.option)

    return _("; ").join(
        _("a contact: {phone} or {address}").format(phone=one("phone"), address=one("address"))
        if name == "phone"
        else one(name)
        for name in names
    )


def acceptance_missing(record: dict) -> list[str]:
    """The basic facts of CSA 9.1.2(b) / Firm 15 that are still missing."""
    missing = []
    if record.get("institution"):
        # Firm 15(一): an institution's name, address, code, and its legal representative in full.
        for name in ("institution", "uscc", "address", "legal_rep", "legal_rep_id_number", "legal_rep_phone"):
            if not record.get(name):
                missing.append(name)
    else:
        for name in ("name", "id_number"):  # the ID type defaults to a resident ID
            if not record.get(name):
                missing.append(name)
    if not record.get("phone") and not record.get("address") and "address" not in missing:
        missing.append("phone")
    if record.get("agent_name") or record.get("agent_id_number") or record.get("agent_phone"):
        for name in ("agent_name", "agent_id_number", "agent_phone"):
            if not record.get(name):
                missing.append(name)
        if not record.get("agent_authorized"):
            missing.append("agent_authorized")
    if not record.get("respondent") and not record.get("respondent_dept"):
        missing.append("respondent")
    for name in ("request", "facts"):
        if not record.get(name):
            missing.append(name)
    return missing


def complainant_key(record: dict) -> str | None:
    """Who the complainant is, across complaints: ID number, else USCC, else name and contact."""
    if record.get("id_number"):
        return "id:" + record["id_number"]
    if record.get("uscc"):
        return "uscc:" + record["uscc"]
    name = record.get("institution") or record.get("name")
    contact = record.get("phone") or record.get("address")
    return f"name:{name}|{contact}" if name else None


def complainant_name(record: dict) -> str:
    return record.get("institution") or record.get("name") or ""


def complainant_shown(record: dict) -> str:
    """For lists and cron mail: a person's surname only (CSA 7.8); an institution's full name."""
    if record.get("institution"):
        return record["institution"]
    return identity.mask_name(record.get("name")) or ""


def parse_id(text: str) -> tuple[str, int, int]:
    value = clock.typed(text).upper()
    match = ID_PATTERN.fullmatch(value)
    if not match:
        raise ComplaintError(
            _(
                "unknown complaint number {text!r}; complaint numbers look like TS-2026-0001 (see `complaintctl list`)"
            ).format(text=text)
        )
    return value, int(match.group(1)), int(match.group(2))


BRANCH_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,15}")


def branch_code(text: str) -> str:
    """A branch's code in a firm ledger (e.g. SZ01): letters, digits, - and _, up to 16, kept upper-case."""
    value = clock.typed(text).strip().upper()
    if not BRANCH_PATTERN.fullmatch(value):
        raise ComplaintError(
            _("{text!r} is not a branch code: use letters, digits, - or _ (up to 16), e.g. SZ01").format(text=text)
        )
    return value


def typed_number(branch: str, number: str) -> str:
    """A complaint's number as the specialist types it: BRANCH/NUMBER in a firm ledger, NUMBER in a branch's file."""
    return f"{branch}/{number}" if branch else number


def format_id(year: int, seq: int) -> str:
    return f"TS-{year}-{seq:04d}"


# What an old ledger may simply not have: marked 未记载, never invented, never a reason to refuse.
UNRECORDED_LABELS = {
    "method": "投诉方式",
    "channel": "投诉渠道",
    "phone": "联系方式",
    "category": "业务类别",
    "acceptor": "受理人",
    "handler": "处理人",
    "investigation": "调查记录",
    "feedback_via": "反馈方式",
    "reject_notified_via": "不予受理告知方式",
    "transfer_no": "转办工单号",
    "accepted_at": "受理时间",
    "callback": "回访",
    "regulator_reply": "监管转办回复",
    "escalation": "重大投诉上报",
    "extended_at": "延期申请日期",
    "terminated_at": "终止处理日期",
}
# Gaps about when a step happened: its event keeps the date it was given, so a later source never fills them.
TIME_GAPS = frozenset({"accepted_at", "extended_at", "terminated_at"})
UNRECORDED_ACTOR = "未记载"  # who did an imported step, when the old ledger does not name anyone


# -- the fold ----------------------------------------------------------------------------------

STATUS_AFTER = {
    "registered": "received",
    "accepted": "accepted",
    "rejected": "rejected",
    "assigned": "assigned",
    "resolved": "resolved",
    "terminated": "terminated",
    "closed": "closed",
}

INVESTIGATION_ITEMS = ("facts_found", "cause", "accountability", "improvement", "suggestions")


def apply(record: dict | None, kind: str, payload: dict, at: str, actor: str) -> dict:
    """The record after one event. Pure: the same events always give the same record."""
    new = dict(record or {})
    if "late_reason" in payload:  # why an entry was made late: the event's, never the complaint's (ledger.append)
        payload = {k: v for k, v in payload.items() if k != "late_reason"}
    if kind == "registered":
        new = {
            "extensions": [],
            "escalations": [],
            "notes": [],
            "callbacks": [],
            "attachments": [],
            "reclassifications": [],
            "complainants": 1,
            "major": False,
            **payload,
        }
        # An imported row names its own acceptor, or None when the old ledger never recorded one.
        new["acceptor"] = payload["acceptor"] if "acceptor" in payload else actor
        new["registered_at"] = at
    elif kind == "amended":
        for name, (_old, value) in payload["changes"].items():
            new[name] = value
        if payload.get("escalation_owed_since"):
            # Found not to be major after all: the report owed since it became major stays owed (9.1.2(c)).
            new["escalation_owed_since"] = payload["escalation_owed_since"]
    elif kind == "accepted":
        new["accepted_at"], new["accepted_by"] = at, actor
    elif kind == "rejected":
        new["rejected_at"], new["rejected_by"] = at, actor
        new["rejection"] = payload
    elif kind == "assigned":
        new["assigned_at"] = at
        new["handler"], new["dept"] = payload["handler"], payload.get("dept")
        new["assignments"] = [*new.get("assignments", []), {"at": at, "by": actor, **payload}]
    elif kind == "escalated":
        new["escalations"] = [*new["escalations"], {"at": at, "by": actor, **payload}]
    elif kind == "extended":
        new["extensions"] = [*new["extensions"], {"at": at, "by": actor, **payload}]
    elif kind == "noted":
        new["notes"] = [*new["notes"], {"at": at, "by": actor, **payload}]
    elif kind == "investigated":
        new["investigation"] = _investigated(new, payload)
        new["investigations"] = [*new.get("investigations", []), {"at": at, "by": actor, **payload}]
        if payload.get("improvement_owner") or payload.get("improvement_due"):
            # CSA 8.2.4: the improvement measure gets an owner and a promised date; a later one moves them.
            earlier = new.get("rectification") or {}
            new["rectification"] = {
                "owner": payload.get("improvement_owner") or earlier.get("owner"),
                "due": payload.get("improvement_due") or earlier.get("due"),
                "at": at,
                "by": actor,
            }
    elif kind == "rectified":
        new["rectification"] = {**new["rectification"], "done_at": at, "done_by": actor, "note": payload.get("note")}
    elif kind == "resolved":
        new["resolved_at"], new["resolved_by"] = at, actor
        new["resolution"] = payload
        given = {
            k: payload.get("suggestion") if k == "suggestions" and "suggestion" in payload else payload.get(k)
            for k in INVESTIGATION_ITEMS
        }  # "suggestion": what ledgers before 0.11 called item 5
        if any(given.values()):
            new["investigation"] = _investigated(new, given)
    elif kind == "terminated":
        new["terminated_at"], new["terminated_by"] = at, actor
        new["termination"] = payload
    elif kind == "regulator_replied":
        new["regulator_replied_at"] = at
        new["regulator_reply"] = {"by": actor, **payload}
    elif kind == "called_back":
        new["callbacks"] = [*new["callbacks"], {"at": at, "by": actor, **payload}]
    elif kind == "marked_unreasonable":
        new["unreasonable"] = {"at": at, "by": actor, **payload}
    elif kind == "reclassified":
        new["category"] = payload["to"]
        new["reclassifications"] = [*new["reclassifications"], {"at": at, "by": actor, **payload}]
    elif kind == "attached":
        new["attachments"] = [*new["attachments"], {"at": at, "by": actor, **payload}]
    elif kind == "approved":
        new["approvals"] = [*new.get("approvals", []), {"at": at, "by": actor, **payload}]
    elif kind == "letter_sent":
        new["letters"] = [*new.get("letters", []), {"at": at, "by": actor, **payload}]
    elif kind == "closed":
        new["closed_at"], new["closed_by"] = at, actor
        new["keep_until"] = payload.get("keep_until")  # CSA 9.4: closed + 10 years
    elif kind == "recomplained":
        new["recomplaints"] = [*new.get("recomplaints", []), payload["child"]]
    elif kind == "voided":
        # What the entry did is taken out by `fold`, which leaves it aside; here only the void itself is kept.
        new["voids"] = [*new.get("voids", []), {"at": at, "by": actor, **payload}]
        if payload["entry"] == 1:
            new["status"], new["voided_at"] = "voided", at
    else:
        raise ValueError(f"unknown event kind {kind}")
    origin = payload.get("imported") if kind != "registered" else None
    if (
        origin
        and origin.get("digest")
        and origin["digest"] != new.get("import_digest")
        and origin["digest"] not in new.get("import_digests", [])
    ):
        # A later row of an old ledger or a 12386 export merged in: met again, it is known (matching.Known).
        new["import_digests"] = [*new.get("import_digests", []), origin["digest"]]
        new["import_rows"] = [
            *new.get("import_rows", []),
            {k: origin[k] for k in ("file_sha256", "sheet", "row") if k in origin},
        ]
    if kind in STATUS_AFTER:
        new["status"] = STATUS_AFTER[kind]
        new["status_at"] = at
    new["group"] = int(new.get("complainants") or 1) >= 10  # CSA 5.2
    if new["group"] and not new.get("major"):  # CSA 5.3(a): "存在群体投诉" is a major complaint
        new["major"] = True
        new["major_reason"] = new.get("major_reason") or "group-or-repeated"
    if not new.get("major"):
        new.pop("major_since", None)
    elif not new.get("major_since"):
        # The escalation deadline's day: the receipt when major from the start, else the day it became so.
        new["major_since"] = new["received_at"] if kind == "registered" else at
    return new


# -- putting a mistake right (作废; DOMAIN: a mistaken entry) ----------------------------------------
# An entry is numbered by its place in the complaint's timeline, in the order recorded: 1 is the registration.
# The number never changes, as later entries only come after it; a void names the entry by it.


def voided_entries(events) -> set[int]:
    """The timeline numbers that `voided` events take back, from (kind, payload, ...) in the order recorded."""
    return {payload["entry"] for kind, payload, *_rest in events if kind == "voided"}


def fold(events, before: str | None = None) -> dict | None:
    """A complaint from its events, (kind, payload, at, actor) in the order recorded, each voided entry as
    never made. `before`: only the events dated before it count (the registration always does), yet an
    entry voided later counts nowhere as of any day: a mistake is no truer for having been found late.
    """
    events = list(events)
    voided = voided_entries(events)
    record = None
    for n, (kind, payload, at, actor) in enumerate(events, 1):
        if n in voided and n != 1 or before is not None and kind != "registered" and at >= before:
            continue
        record = apply(record, kind, payload, at, actor)
    if 1 in voided and record is not None and record.get("status") != "voided":
        record["status"] = "voided"  # as of a day before the void: the registration was a mistake all along
    return record


# What a later entry needs before it: a tuple of groups, each met by any earlier entry of one of its kinds.
_NEEDS = {
    "assigned": (("accepted",),),
    "investigated": (("assigned",),),
    "extended": (("accepted",),),
    "approved": (("accepted",),),
    "marked_unreasonable": (("accepted",),),
    "terminated": (("accepted",),),
    "resolved": (("assigned",),),
    "called_back": (("resolved",),),
    "recomplained": (("called_back",),),
    "regulator_replied": (("resolved", "rejected", "terminated"),),
    "rectified": (("investigated", "resolved"),),
}


def _needs(kind: str, payload: dict) -> tuple:
    needs = _NEEDS.get(kind, ())
    if kind == "resolved" and not (payload.get("facts_found") and payload.get("cause")):
        needs = (*needs, ("investigated",))  # CSA 9.2.2(b): the result stood on the investigation record
    if kind == "rectified":
        needs = (("measure",),)  # CSA 8.2.4: the investigation that set the measure done
    return needs


def _gives(kind: str, payload: dict) -> set[str]:
    """What an entry gives the entries after it: its kind, and a measure to carry out (CSA 8.2.4)."""
    given = {kind}
    if kind == "investigated" and (payload.get("improvement_owner") or payload.get("improvement_due")):
        given.add("measure")
    return given


def _rests_on_every(kind: str, target: str, target_payload: dict) -> bool:
    """Whether an entry of `kind` rests on every standing earlier entry like the target, whatever else stands:
    a result on the approvals of the opinion and the compensation before it (Firm 25, maker-checker); an
    extension on the extensions and extension approvals before it (its new date and approver were worked
    out from them, CSA 9.2.2(d))."""
    if target == "approved":
        what = target_payload.get("what")
        return (kind, what) in (("resolved", "opinion"), ("resolved", "compensation"), ("extended", "extension"))
    return kind == target == "extended"


def resting_on(events, entry: int) -> list[int]:
    """The later entries, not voided, that rest on `entry`: it cannot be voided while they stand.

    An entry rests on an earlier one when it needs a step of that kind and no other entry before it gives
    one: a callback on the result, an assignment on the acceptance; the closing rests on everything.
    """
    events = list(events)
    voided = voided_entries(events)
    target, target_payload = events[entry - 1][:2]
    gives = _gives(target, target_payload)
    found = []
    for m in range(entry + 1, len(events) + 1):
        kind, payload = events[m - 1][:2]
        if m in voided or kind == "voided":
            continue
        if kind == "closed" or _rests_on_every(kind, target, target_payload):
            found.append(m)
            continue
        for group in _needs(kind, payload):
            others = (k for k in range(1, m) if k != entry and k not in voided)
            if gives & set(group) and not any(_gives(*events[k - 1][:2]) & set(group) for k in others):
                found.append(m)
                break
    return found


def _investigated(record: dict, given: dict) -> dict:
    """CSA 9.2.2(b)'s five items: a later value supersedes an earlier one; the events keep both."""
    merged = dict(record.get("investigation") or {})
    merged.update({k: v for k, v in given.items() if k in INVESTIGATION_ITEMS and v})
    return merged


# Keys sorted: the same record always gives the same text, however its dicts were built, so
# `verify` can compare a rebuilt record with the stored one as text.
_RECORD_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def record_json(record: dict) -> str:
    """The stored form of a record in the `complaints` table."""
    return _RECORD_JSON.encode(record)


def columns_of(record: dict) -> dict:
    """The `complaints` table's query columns, derived from the record (kept beside it for indexes)."""
    ended = record.get("rejected_at") or record.get("terminated_at") or record.get("closed_at")
    return dict(
        status=record["status"],
        received_at=record["received_at"],
        received_day=clock.day_of(record["received_at"]).isoformat(),
        category=record.get("category"),
        handler=record.get("handler"),
        complainant_key=complainant_key(record),
        parent=record.get("parent"),
        is_open=int(record["status"] in codes.OPEN_STATUSES),
        ended_day=clock.day_of(ended).isoformat() if ended else None,  # for the report's carry-over
        # For `warn` and `analyze`: rectifications still to be made, found through an index whatever the status.
        rectification_due=(record.get("rectification") or {}).get("due") if record["status"] != "voided" else None,
        rectified_day=clock.day_of(record["rectification"]["done_at"]).isoformat()
        if (record.get("rectification") or {}).get("done_at")
        else None,
    )


# The personal identifiers and how each is masked (CSA 7.8) in exports, shared screens and amendment trails.
def _mask_representatives(people: list | None) -> list | None:
    if not people:
        return people
    return [{**person, "phone": identity.mask_phone(person.get("phone"))} for person in people]


MASKS: dict[str, Callable] = {
    "id_number": identity.mask_id,
    "agent_id_number": identity.mask_id,
    "legal_rep_id_number": identity.mask_id,
    "phone": identity.mask_phone,
    "agent_phone": identity.mask_phone,
    "legal_rep_phone": identity.mask_phone,
    "address": identity.mask_address,
    "representatives": _mask_representatives,
}


def masked(record: dict) -> dict:
    """The record with personal identifiers masked (CSA 7.8): for exports and shared screens."""
    view = dict(record)
    for name, mask in MASKS.items():
        view[name] = mask(view.get(name))
    return view


def masked_changes(changes: dict) -> dict:
    """An amendment's {field: [old, new]} with personal identifiers masked on both sides."""
    return {
        name: [MASKS[name](old), MASKS[name](new)] if name in MASKS else [old, new]
        for name, (old, new) in changes.items()
    }
