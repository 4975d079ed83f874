"""The ledger's own tables, events and complaints, as SQLModel classes; every write uses both.

Their DDL lives in migrations.py, not create_all: ledgers in the wild are upgraded by numbered
migrations, and a test checks both agree. The ledger-wide tables are in ledger_wide_models, so a
daily write does not pay for building five more classes it never uses (issue 33).
"""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, SQLModel


class Event(SQLModel, table=True):
    """One recorded change. Append-only (triggers refuse UPDATE and DELETE), hash-chained."""

    __tablename__ = "events"
    id: Optional[int] = Field(default=None, primary_key=True)
    branch: str = ""  # whose chain: '' in a branch's own file
    complaint: Optional[str] = Field(default=None, index=True)  # None for ledger-wide events
    kind: str
    at: str  # business time, ISO 8601 with +08:00
    recorded_at: str  # when it was written
    actor: str
    payload: str  # the event's data as JSON text
    prev_hash: str
    hash: str
    # Set by the firm server's trigger, never by the client (m008); None in a branch's own file.
    login: Optional[str] = None
    written_at: Optional[str] = None


class Complaint(SQLModel, table=True):
    """Current state of one complaint, kept in step with its events in the same transaction."""

    __tablename__ = "complaints"
    branch: str = Field(default="", primary_key=True)  # '' in a branch's own file
    id: str = Field(primary_key=True)  # the complaint number, e.g. TS-2026-0001, unique per branch
    year: int
    seq: int
    status: str
    received_at: str
    received_day: str  # YYYY-MM-DD in Shanghai, for range queries
    category: Optional[str] = None
    handler: Optional[str] = None
    complainant_key: Optional[str] = None  # who, for the callback-frequency rule
    parent: Optional[str] = None
    is_open: int
    ended_day: Optional[str] = None  # YYYY-MM-DD it was rejected or closed: the report's carry-over
    rectification_due: Optional[str] = None  # YYYY-MM-DD promised for the improvement measure (CSA 8.2.4)
    rectified_day: Optional[str] = None  # YYYY-MM-DD it was marked done
    last_event: int
    record: str  # the full current record as JSON text
