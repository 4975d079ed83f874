"""Ledger-wide settings: the deadline policy (with effective dates) and simple config values.

Each change is an event of the firm-wide chain '' (a branch's own file has no other) together with
its row, in one transaction; the event holds all the row holds, so `verify` rebuilds the policies,
settings and branches tables from their events and compares (complaintctl/chain_tables.py).
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from complaintctl.rules import clock
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger
from complaintctl.rules.policy import CSA_DEFAULT, Policy, policy_for
from complaintctl.i18n import N_, _

if TYPE_CHECKING:
    from complaintctl.store.ledger_wide_models import Branch

CONFIG_KEYS = {
    "user": N_("default --by: who records the changes (投诉处理专岗)"),
    "branch": N_("branch name printed on reports (分支机构)"),
    "branch-phone": N_("the branch's phone printed on every letter (联系电话)"),
    "branch-address": N_("the branch's address printed on every letter (联系地址)"),
    "contact": N_("who handles complaints, named on every letter as the one to contact (联系人)"),
}
# What every letter prints so that its reader can reach the branch; a letter is refused until each is set.
LETTER_SETTINGS = ("branch", "branch-phone", "branch-address", "contact")
USER_ENV = "COMPLAINTCTL_USER"


def current_policy(ledger: Ledger, on: date) -> Policy:
    return policy_for(ledger.policies(), on)


def set_policy(
    ledger: Ledger,
    effective_from: date,
    changes: dict,
    at: datetime,
    by: str,
    basis: str | None = None,
    late_reason: str | None = None,
) -> Policy:
    """A new policy from `effective_from`. Never retroactive: it starts no earlier than the day it is
    decided, and no complaint already in the ledger changes policy, so no recorded deadline moves."""
    if not changes and basis is None:
        raise ComplaintError(_("nothing to set: give at least one of the policy options (see `policy set --help`)"))
    if basis is not None and not basis.strip():
        raise ComplaintError(_("--basis may not be empty: name the local regulator's requirement"), "CSA 9.2.2(c)")
    decided = at.date()
    if effective_from < decided:
        raise ComplaintError(
            _(
                "a policy is never retroactive: --effective-from {effective_from} is before the day "
                "it is decided ({decided}); give {decided} or later"
            ).format(effective_from=effective_from, decided=decided),
            "CSA 9.4",
        )
    base = current_policy(ledger, effective_from)
    policy = base.changed(effective_from=effective_from, **changes)
    laxer = policy.laxer_than_csa()
    # A laxer base's basis carries over only while the new numbers are still laxer.
    policy = policy.changed(basis=(basis.strip() if basis else None) or (base.basis if laxer else None))
    if laxer and not policy.basis:
        raise ComplaintError(
            _(
                "{laxer}: more time than the standard allows needs --basis, the local regulator's "
                "requirement that allows it (当地监管机构要求另行规定)"
            ).format(laxer='; '.join(laxer)),
            "CSA 9.2.2(c)",
        )
    from complaintctl.store.ledger_wide_models import PolicyRow  # the ORM only where something is written

    with ledger.transaction() as session:
        later = (
            session.connection()
            .exec_driver_sql(
                "SELECT id, received_day FROM complaints WHERE received_day >= ? ORDER BY received_day, year, seq "
                "LIMIT 1",
                (effective_from.isoformat(),),
            )
            .first()
        )
        if later:
            raise ComplaintError(
                _(
                    "{value}, received {value2}, is already in the ledger and would change policy, "
                    "moving its deadlines; give --effective-from after {value2}"
                ).format(value=later[0], value2=later[1]),
                "CSA 9.4",
            )
        payload = {**policy.as_dict(), **_policy_late_reason(session.connection(), at, late_reason)}
        event = ledger.append(session, None, "policy_set", clock.iso(at), by, payload, branch="")
        row = session.get(PolicyRow, effective_from.isoformat())
        data = json.dumps(policy.as_dict())
        if row is None:
            row = PolicyRow(effective_from=effective_from.isoformat(), data=data, event=event.id)
        else:
            row.data, row.event = data, event.id
        session.add(row)
    ledger.forget_cached()
    return policy


def _policy_late_reason(conn, at: datetime, late_reason: str | None) -> dict:
    """A policy dated into a period already reported is a late entry like any other (issue 44): it needs
    --late-reason, kept in its event."""
    from complaintctl.store.late import export_covering, is_late

    reason = (late_reason or "").strip()
    recorded = clock.iso(clock.now())
    if reason:
        return {"late_reason": reason} if is_late(clock.iso(at), recorded) else {}
    export = export_covering(conn, at.date(), "")
    if export is None:
        return {}
    raise ComplaintError(
        _(
            "this policy is dated {day}, within {period}, whose report was exported on {exported} by {by}; give "
            "--late-reason saying why it is entered only now"
        ).format(day=at.date(), period=export.code, exported=clock.day_of(export.exported_at), by=export.by),
        "CSA 9.4",
    )


def policies(ledger: Ledger) -> list[Policy]:
    return ledger.policies() or [CSA_DEFAULT]


TEMPLATE_KEY = "letter-template."  # letter-template.KIND: a firm's own .docx for that kind of letter


def set_config(
    ledger: Ledger,
    key: str,
    value: str,
    at: datetime,
    by: str,
    read_template: Callable[[Path, str], bytes] | None = None,
) -> None:
    """Record a setting. A letter template is read and checked first by `read_template` (letters.read_template,
    given by the command: the store does not know what a letter holds)."""
    if key not in CONFIG_KEYS and not key.startswith(TEMPLATE_KEY):
        raise ComplaintError(
            _("unknown setting {key!r}; choose one of {CONFIG_KEYS}").format(
                key=key, CONFIG_KEYS=', '.join([*CONFIG_KEYS, TEMPLATE_KEY + "KIND"])
            )
        )
    if not value.strip():
        raise ComplaintError(_("{key} may not be empty").format(key=key))
    event = {"key": key, "value": value}
    if key.startswith(TEMPLATE_KEY):  # checked now, and again at each letter: the file may change
        from complaintctl.rules.codes import LETTER_KINDS
        from complaintctl.store.ledger import sha256_file

        if key[len(TEMPLATE_KEY) :] not in LETTER_KINDS:
            raise ComplaintError(
                _("unknown letter {kind!r}; choose one of {kinds}").format(
                    kind=key[len(TEMPLATE_KEY) :], kinds=", ".join(LETTER_KINDS)
                )
            )
        path = Path(value).expanduser().resolve()
        value = event["value"] = str(path)
        if read_template is not None:
            read_template(path, key)
        event["sha256"] = sha256_file(path)
    from complaintctl.store.ledger_wide_models import Setting

    with ledger.transaction() as session:
        ledger.append(session, None, "config_set", clock.iso(at), by, event, branch="")
        row = session.get(Setting, key) or Setting(key=key, value=value)
        row.value = value
        session.add(row)


def config(ledger: Ledger) -> dict[str, str]:
    with ledger.reading() as conn:
        return dict(conn.exec_driver_sql("SELECT key, value FROM settings ORDER BY key").all())


def default_actor(ledger: Ledger | None) -> str:
    """--by when not given: COMPLAINTCTL_USER, else the ledger's configured user, else the OS user."""
    if os.environ.get(USER_ENV):
        return os.environ[USER_ENV]
    if ledger is not None:
        with ledger.reading() as conn:
            value = ledger.setting(conn, "user")
        if value:
            return value
    try:
        return getpass.getuser()
    except Exception:  # no user name on some containers; still record something honest
        return "unknown"


def add_branch(ledger: Ledger, code: str, name: str, at: datetime, by: str) -> "Branch":
    """A branch of a firm ledger (CSA 8.1.3: the firm's complaint department oversees every branch)."""
    from complaintctl.rules.complaint import branch_code

    if not ledger.firm:
        raise ComplaintError(
            _("this ledger is one branch's own file; its name is `complaintctl config set branch NAME`")
        )
    from complaintctl.store.ledger_wide_models import Branch

    code = branch_code(code)
    if not name.strip():
        raise ComplaintError(_("--name may not be empty: the branch's name as printed on reports"))
    with ledger.transaction() as session:
        if session.get(Branch, code) is not None:
            raise ComplaintError(
                _("branch {code} is already in this ledger (see `complaintctl branch list`)").format(code=code)
            )
        event = ledger.append(
            session, None, "branch_added", clock.iso(at), by, {"code": code, "name": name.strip()}, branch=""
        )
        row = Branch(code=code, name=name.strip(), event=event.id)
        session.add(row)
    return row


def branches(ledger: Ledger, every: bool = False) -> dict[str, str]:
    """Code → name of the branches of a firm ledger (none in a branch's own file) whose complaints count:
    a withdrawn branch (`withdraw_branch`) is left out, unless `every`."""
    from complaintctl.store.chain_tables import WITHDRAWN_SQL

    kept = "" if every else f" WHERE code NOT IN ({WITHDRAWN_SQL})"
    with ledger.reading() as conn:
        return dict(conn.exec_driver_sql(f"SELECT code, name FROM branches{kept} ORDER BY code").all())


def withdrawn_branches(ledger: Ledger) -> dict[str, dict]:
    """Code → the withdrawal of each withdrawn branch of a firm ledger: reason, at, by, events, complaints."""
    from complaintctl.store.chain_tables import FIRM_CHAIN, WITHDRAWN

    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT at, actor, payload FROM events WHERE branch = ? AND complaint IS NULL AND kind = ? ORDER BY id",
            (FIRM_CHAIN, WITHDRAWN),
        ).all()
    found = {}
    for at, actor, payload in rows:
        data = json.loads(payload)
        found[data["branch"]] = {"at": at, "by": actor, **data}
    return found


def withdraw_branch(ledger: Ledger, code: str, reason: str | None, by: str) -> dict:
    """Take back a history moved into a firm ledger under a wrong code, on the record: one `branch_withdrawn`
    event of the firm's chain and its settings row `withdrawn.CODE` (the reason). Nothing is deleted: the
    branch's events and complaints stay, `verify` checks them, and `show BRANCH/NUMBER` still reads them; but
    they count nowhere (no list, warn, report, analysis or archive), nothing more is recorded at the branch,
    and its history may be moved in again under the right code. The owner's work, as moving in is; only a
    history that `move-to` brought and no one has worked on here since (its complaints' events all came from
    the branch's file): a withdrawal never hides what was recorded in the firm ledger (CSA 9.4)."""
    from complaintctl.rules.complaint import branch_code
    from complaintctl.store.chain_tables import FIRM_CHAIN, WITHDRAWN, WITHDRAWN_KEY
    from complaintctl.store.ledger_wide_models import Branch, Setting

    if not ledger.firm:
        raise ComplaintError(_("this ledger is one branch's own file; only a firm ledger's branches are withdrawn"))
    code = branch_code(code)
    reason = (reason or "").strip()
    if not reason:
        raise ComplaintError(
            _("a withdrawal needs --reason: why the history of branch {code} is taken back").format(code=code),
            "CSA 9.4",
        )
    with ledger.transaction() as session:
        conn = session.connection()
        if not ledger.backend.is_owner(conn):
            login = conn.exec_driver_sql("SELECT session_user::text").first()[0]
            raise ComplaintError(
                _(
                    "the login {login} may not withdraw a branch's history: that is the work of the database's "
                    "owner, who moves histories in (README \"Firm-wide on PostgreSQL\")"
                ).format(login=login),
                "CSA 9.4",
            )
        if session.get(Branch, code) is None:
            raise ComplaintError(_("unknown branch {code}; see `complaintctl branch list`").format(code=code))
        if session.get(Setting, WITHDRAWN_KEY + code) is not None:
            raise ComplaintError(
                _("the history of branch {code} is already withdrawn (see `complaintctl branch list`)").format(
                    code=code
                )
            )
        ledger.lock(session, code)  # nothing is written at the branch while it is withdrawn
        moved = [
            json.loads(payload).get("branch")
            for (payload,) in conn.exec_driver_sql(
                "SELECT payload FROM events WHERE complaint IS NULL AND kind = 'moved_in'"
            )
        ]
        if code not in moved:
            raise ComplaintError(
                _(
                    "branch {code} holds no history moved in by `move-to`; only such a history is withdrawn, "
                    "never complaints recorded in the firm ledger"
                ).format(code=code),
                "CSA 9.4",
            )
        typed = conn.exec_driver_sql(
            "SELECT count(*), min(id) FROM events WHERE branch = ? AND complaint IS NOT NULL AND login IS NOT NULL",
            (code,),
        ).first()
        if typed[0]:
            raise ComplaintError(
                _(
                    "{count} event(s) were recorded at branch {code} in the firm ledger since its history was "
                    "moved in (the first: event {number}); a withdrawal would hide them, so it is refused"
                ).format(count=typed[0], code=code, number=typed[1]),
                "CSA 9.4",
            )
        events, head = conn.exec_driver_sql("SELECT count(*), max(id) FROM events WHERE branch = ?", (code,)).first()
        digest = conn.exec_driver_sql("SELECT hash FROM events WHERE id = ?", (head,)).scalar() if head else None
        complaints = conn.exec_driver_sql("SELECT count(*) FROM complaints WHERE branch = ?", (code,)).scalar()
        payload = {"branch": code, "reason": reason, "events": events, "complaints": complaints, "head": digest}
        ledger.append(session, None, WITHDRAWN, clock.iso(clock.now()), by, payload, branch=FIRM_CHAIN)
        session.add(Setting(key=WITHDRAWN_KEY + code, value=reason))
    ledger.forget_cached()
    return payload
