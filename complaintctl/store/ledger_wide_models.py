"""The ledger-wide tables as SQLModel classes: calendar days and years, policies, settings, branches.

Each changes only with an event of the ledger-wide chain (chain_tables). Their DDL lives in
migrations.py, as for models.py.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CalendarDay(SQLModel, table=True):
    """A local correction of the calendar: holiday, make-up workday or exchange closure."""

    __tablename__ = "calendar_days"
    day: str = Field(primary_key=True)
    kind: str
    note: str
    event: int


class CalendarYear(SQLModel, table=True):
    """A year whose official schedule was imported, so its deadlines are no longer provisional."""

    __tablename__ = "calendar_years"
    year: int = Field(primary_key=True)
    source: str
    event: int


class PolicyRow(SQLModel, table=True):
    __tablename__ = "policies"
    effective_from: str = Field(primary_key=True)
    data: str  # JSON of complaintctl.rules.policy.Policy
    event: int


class Setting(SQLModel, table=True):
    __tablename__ = "settings"
    key: str = Field(primary_key=True)
    value: str


class Branch(SQLModel, table=True):
    """A branch of a firm ledger (分支机构): its code, as in BRANCH/NUMBER, and its name for reports."""

    __tablename__ = "branches"
    code: str = Field(primary_key=True)
    name: str
    event: int
