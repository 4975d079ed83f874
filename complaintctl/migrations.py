"""Numbered, append-only schema migrations, applied automatically when a ledger is opened.

Never edit a migration once released: add the next one. Each name applied is recorded in the
`migrations` table; a ledger that lists a name this version does not know was written by a
newer complaintctl and is refused untouched.
"""

from __future__ import annotations

from typing import Callable

MIGRATIONS: list[tuple[str, Callable]] = []


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(run: Callable[[str], None]) -> None:
    run("""CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        complaint TEXT,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE)""")
    run("CREATE INDEX ix_events_complaint ON events (complaint)")
    # Nothing is ever deleted or rewritten (CSA 9.4: every step leaves a trail).
    run("""CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""")
    run("""CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""")
    run("""CREATE TABLE complaints (
        id TEXT PRIMARY KEY,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL,
        received_at TEXT NOT NULL,
        received_day TEXT NOT NULL,
        category TEXT,
        handler TEXT,
        complainant_key TEXT,
        parent TEXT,
        is_open INTEGER NOT NULL,
        last_event INTEGER NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (year, seq))""")
    run("CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints "
        "BEGIN SELECT RAISE(ABORT, 'complaints are never deleted'); END")
    run("CREATE INDEX ix_complaints_open ON complaints (is_open, received_day)")
    run("CREATE INDEX ix_complaints_received_day ON complaints (received_day)")
    run("CREATE INDEX ix_complaints_status ON complaints (status)")
    run("CREATE INDEX ix_complaints_handler ON complaints (handler)")
    run("CREATE INDEX ix_complaints_complainant ON complaints (complainant_key)")
    run("""CREATE TABLE calendar_days (
        day TEXT PRIMARY KEY, kind TEXT NOT NULL, note TEXT NOT NULL, event INTEGER NOT NULL)""")
    run("""CREATE TABLE calendar_years (
        year INTEGER PRIMARY KEY, source TEXT NOT NULL, event INTEGER NOT NULL)""")
    run("""CREATE TABLE policies (
        effective_from TEXT PRIMARY KEY, data TEXT NOT NULL, event INTEGER NOT NULL)""")
    run("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration
def m002_report_indexes(run: Callable[[str], None]) -> None:
    """For the period report (CSA 9.2.3): which complaints were still open when a period began,
    and the business time of each complaint's last event, both found through an index."""
    run("ALTER TABLE complaints ADD COLUMN ended_day TEXT")  # day it was rejected or closed
    run("""UPDATE complaints SET ended_day = substr(COALESCE(json_extract(record, '$.rejected_at'),
                                                            json_extract(record, '$.closed_at')), 1, 10)""")
    run("CREATE INDEX ix_complaints_ended_day ON complaints (ended_day)")
    run("CREATE INDEX ix_events_complaint_at ON events (complaint, at)")


@migration
def m003_refold_0_11(run: Callable) -> None:
    """The fold learned the whole standard (a group complaint is major, the escalation's day, the
    investigation record, termination): rebuild each stored record from its events, which are untouched.

    The complaints table is only ever the fold of the events, so this loses nothing; `verify` compares
    the two and would otherwise report every group complaint as damaged.
    """
    import json

    from complaintctl.complaint import apply, columns_of, record_json

    rows = run("SELECT complaint, kind, at, actor, payload, id FROM events WHERE complaint IS NOT NULL "
               "ORDER BY complaint, id").all()
    records: dict[str, tuple[dict, int]] = {}
    for number, kind, at, actor, payload, event_id in rows:
        record = records.get(number, (None, 0))[0]
        records[number] = (apply(record, kind, json.loads(payload), at, actor), event_id)
    for number, (record, last) in records.items():
        columns = columns_of(record)
        run("UPDATE complaints SET status = ?, received_at = ?, received_day = ?, category = ?, handler = ?, "
            "complainant_key = ?, parent = ?, is_open = ?, ended_day = ?, last_event = ?, record = ? WHERE id = ?",
            (columns["status"], columns["received_at"], columns["received_day"], columns["category"],
             columns["handler"], columns["complainant_key"], columns["parent"], columns["is_open"],
             columns["ended_day"], last, record_json(record), number))
