"""The deadline policy: how many days each step gets, in which kind of day.

CSA's numbers are the default. A firm may be stricter (the futures firm's rules count 10/15/30
working days), so the policy is kept in the ledger with an effective date. A complaint is held
to the policy in force on the day it was received; a later change never rewrites history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

DAY_KINDS = ("trading", "working")
APPROVAL_OPINIONS = ("major", "all")  # whose handling opinion is approved before the result
CALLBACK_BY_HANDLER = ("warn", "no")  # Firm 18(5) gives the callback to someone else; CSA leaves it to the firm


def unit_words(unit: str) -> str:
    """'trading days' or 'working days' (or 'calendar days'), in the user's language."""
    return {"trading": _("trading days"), "working": _("working days")}.get(unit, _("calendar days"))


@dataclass(frozen=True)
class Policy:
    effective_from: date = date(1990, 1, 1)
    acceptance_days: int = 3  # CSA 9.1.2(a)
    acceptance_unit: str = "trading"
    completion_days: int = 20  # CSA 9.2.2(c)
    completion_unit: str = "trading"
    extension_each_max: int = 20  # CSA 9.2.2(d)
    extension_total_max: int = 20  # CSA 9.2.2(d)
    callback_days: int = 2  # Firm 18(5)
    callback_unit: str = "working"
    callbacks_per_quarter: int = 2  # Callback rules 4(3)
    unreachable_attempts: int = 2  # Firm 18(5): tried on this many working days before closing unreached
    remind_acceptance: int = 1  # CSA 8.2.3: warn from 1 trading day before the acceptance deadline
    remind_completion: int = 3  # CSA 8.2.3: and from 3 trading days before completion
    basis: str | None = None  # the local regulator's requirement that allows numbers laxer than CSA's
    # Maker-checker (Firm 25 相关部门与人员不得自行做出处理决定; Firm 18(2); CSA 8.1.1(a)): compensation above this
    # many yuan is approved before the result (0: any), and so is the opinion on "major" complaints, or "all".
    approval_compensation_above: int = 0
    approval_opinions: str = "major"
    callback_by_handler: str = "warn"  # a callback by the complaint's own handler: a warning, or refused ("no")

    def laxer_than_csa(self) -> list[str]:
        """The numbers that give more time than the standard, as 'completion 60 > 20'.

        Working days are never laxer than trading days (every trading day is a working day), so
        only the counts matter.
        """
        return [
            f"{name.replace('_', '-')} {getattr(self, name)} > {limit}"
            + (f" ({rule})" if rule != "CSA 9.2.2(c)" else "")
            for name, limit, rule in CSA_LIMITS
            if getattr(self, name) > limit
        ]

    def as_dict(self) -> dict:
        data = asdict(self)
        data["effective_from"] = self.effective_from.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["effective_from"] = date.fromisoformat(values["effective_from"])
        return cls(**values)

    def changed(self, **changes) -> Policy:
        for name, value in changes.items():
            if name.endswith("_unit"):
                if value not in DAY_KINDS:
                    raise ComplaintError(
                        _("--{replace}: choose trading or working, not {value!r}").format(
                            replace=name.replace('_', '-'), value=value
                        )
                    )
            elif name == "approval_opinions":
                if value not in APPROVAL_OPINIONS:
                    raise ComplaintError(
                        _("--approval-opinions: choose major or all, not {value!r}").format(value=value), "Firm 18(2)"
                    )
            elif name == "callback_by_handler":
                if value not in CALLBACK_BY_HANDLER:
                    raise ComplaintError(
                        _("--callback-by-handler: choose warn or no, not {value!r}").format(value=value), "Firm 18(5)"
                    )
            elif name == "approval_compensation_above":
                if not isinstance(value, int) or value < 0:
                    raise ComplaintError(
                        _("--approval-compensation-above must be a whole number of yuan, 0 or more"), "Firm 25"
                    )
            elif name not in ("effective_from", "basis") and (not isinstance(value, int) or value < 1 or value > 60):
                raise ComplaintError(
                    _("--{replace} must be a whole number from 1 to 60").format(replace=name.replace('_', '-'))
                )
        # Range checks only: the policy is the firm's call (the futures firm's rules count
        # 30 working days for completion), recorded as an event with who set it.
        new = replace(self, **changes)
        return new


CSA_DEFAULT = Policy()

# What the standard allows at most, unless the local regulator requires otherwise (CSA 9.2.2(c) 另行规定).
CSA_LIMITS = (
    ("acceptance_days", 3, "CSA 9.1.2(a)"),
    ("completion_days", 20, "CSA 9.2.2(c)"),
    ("extension_each_max", 20, "CSA 9.2.2(d)"),
    ("extension_total_max", 20, "CSA 9.2.2(d)"),
)


def policy_for(policies: list[Policy], received: date) -> Policy:
    """The policy in force on the day of receipt (policies sorted by effective_from)."""
    chosen = CSA_DEFAULT
    for policy in policies:
        if policy.effective_from <= received:
            chosen = policy
    return chosen
