"""Ledger-wide settings: the deadline policy (with effective dates) and simple config values."""

from __future__ import annotations

import getpass
import json
import os
from datetime import date, datetime

from sqlmodel import select

from complaintctl import clock
from complaintctl.errors import ComplaintError
from complaintctl.ledger import Ledger
from complaintctl.models import PolicyRow, Setting
from complaintctl.policy import CSA_DEFAULT, Policy, policy_for

CONFIG_KEYS = {
    "user": "default --by: who records the changes (投诉处理专岗)",
    "branch": "branch name printed on reports (分支机构)",
}
USER_ENV = "COMPLAINTCTL_USER"


def current_policy(ledger: Ledger, on: date) -> Policy:
    return policy_for(ledger.policies(), on)


def set_policy(ledger: Ledger, effective_from: date, changes: dict, at: datetime, by: str) -> Policy:
    """A new policy from `effective_from`; complaints received earlier keep the policy they had."""
    if not changes:
        raise ComplaintError("nothing to set: give at least one of the policy options (see `policy set --help`)")
    base = current_policy(ledger, effective_from)
    policy = base.changed(effective_from=effective_from, **changes)
    with ledger.transaction() as session:
        event = ledger.append(session, None, "policy_set", clock.iso(at), by, policy.as_dict())
        row = session.get(PolicyRow, effective_from.isoformat())
        data = json.dumps(policy.as_dict())
        if row is None:
            row = PolicyRow(effective_from=effective_from.isoformat(), data=data, event=event.id)
        else:
            row.data, row.event = data, event.id
        session.add(row)
    ledger.forget_cached()
    return policy


def policies(ledger: Ledger) -> list[Policy]:
    return ledger.policies() or [CSA_DEFAULT]


def set_config(ledger: Ledger, key: str, value: str, at: datetime, by: str) -> None:
    if key not in CONFIG_KEYS:
        raise ComplaintError(f"unknown setting {key!r}; choose one of {', '.join(CONFIG_KEYS)}")
    if not value.strip():
        raise ComplaintError(f"{key} may not be empty")
    with ledger.transaction() as session:
        ledger.append(session, None, "config_set", clock.iso(at), by, {"key": key, "value": value})
        row = session.get(Setting, key) or Setting(key=key, value=value)
        row.value = value
        session.add(row)


def config(ledger: Ledger) -> dict[str, str]:
    with ledger.transaction(write=False) as session:
        return {row.key: row.value for row in session.exec(select(Setting))}


def default_actor(ledger: Ledger | None) -> str:
    """--by when not given: COMPLAINTCTL_USER, else the ledger's configured user, else the OS user."""
    if os.environ.get(USER_ENV):
        return os.environ[USER_ENV]
    if ledger is not None:
        with ledger.transaction(write=False) as session:
            value = ledger.setting(session, "user")
        if value:
            return value
    try:
        return getpass.getuser()
    except Exception:  # no user name on some containers; still record something honest
        return "unknown"
