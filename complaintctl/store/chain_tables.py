"""The ledger-wide tables that decide deadlines, rebuilt from their events: calendar days and years,
policies, settings and branches.

Each of these tables changes only together with an event, in the same transaction
(calendar_data.py, settings.py), and the event's payload holds everything its rows hold. So the
tables are a fold of those events, as a complaint's row is a fold of its own, and `verify` compares
the two (`problems`): a row written into a table directly, changed, or deleted is named by its
table and key.

Which events: the firm-wide chain '' (a branch's own file has no other), in order. Since this
version every calendar, policy, config and branch change of a firm ledger is an event of that chain.
Two things older versions left are handled so:

- A `tables_recorded` event holds the tables as they stood, and the fold goes on from the newest one.
  Migration m007 writes one, once, where the events of an older ledger cannot rebuild its tables:
  a firm ledger (older versions put calendar, policy and config events in the chain of the branch
  the user worked at) or a file holding rows that name no event (a firm's one-branch backup).
  Whatever stood in those tables at the upgrade is taken as it stood: the chain could not prove it.
  A branch's own file is never given one: its events always could rebuild its tables, so a table
  changed behind them before the upgrade still shows, and a `tables_recorded` event found in one
  (forged, to bless rows written behind the events) is itself named as a problem.
- `move-to` brings a branch's history into a firm ledger and adds the calendar days, calendar years
  and policies the firm had none of; such a row names the copied event in the branch's chain. It
  is accepted when that event set exactly this row and is that chain's newest event for the key.

The events' payloads suffice from the first release on: a calendar correction's days and note
(None in events older than required notes: the row's note is then ''), an import's year, source
and lists of days, a policy's every number, a setting's key and value, a branch's code and name, a
withdrawal's branch and reason.
"""

from __future__ import annotations

import json

from complaintctl.rules import clock
from complaintctl.i18n import _
from complaintctl.store.chain import GENESIS_HASH, HEAD_SQL, canonical_json, event_hash

CORRECTIONS = {"calendar_holiday": "holiday", "calendar_workday": "workday", "calendar_closure": "closure"}
IMPORTED = "calendar_imported"
RECORDED = "tables_recorded"
# A branch's history taken back (`branch withdraw`): its settings row `withdrawn.CODE` holds the reason, and every
# query that counts complaints across branches leaves that branch out (asof.branch_filter, WITHDRAWN_SQL).
WITHDRAWN = "branch_withdrawn"
WITHDRAWN_KEY = "withdrawn."
WITHDRAWN_SQL = (  # no LIKE: a literal % is psycopg's (backends/common.pyformat)
    f"SELECT substr(key, {len(WITHDRAWN_KEY) + 1}) FROM settings "
    f"WHERE substr(key, 1, {len(WITHDRAWN_KEY)}) = '{WITHDRAWN_KEY}'"
)
KINDS = (*CORRECTIONS, IMPORTED, "policy_set", "config_set", "branch_added", WITHDRAWN, RECORDED)
FIRM_CHAIN = ""
TABLES = ("calendar_days", "calendar_years", "policies", "settings", "branches")
# The tables `move-to` adds rows to from a branch's chain (moving.py STATE_TABLES).
TAKEN_OVER = ("calendar_days", "calendar_years", "policies")
SCHEDULE_LISTS = (("holiday", "holidays"), ("workday", "workdays"), ("closure", "closures"))

# Served by the partial index ix_events_ledger_wide (m007): the few events outside every complaint.
EVENTS_SQL = (
    f"SELECT id, branch, kind, payload, hash FROM events WHERE complaint IS NULL "
    f"AND kind IN ({', '.join('?' * len(KINDS))}) ORDER BY id"
)
STORED_SQL = {
    "calendar_days": "SELECT day, kind, note, event FROM calendar_days",
    "calendar_years": "SELECT year, source, event FROM calendar_years",
    "policies": "SELECT effective_from, data, event FROM policies",
    "settings": "SELECT key, value FROM settings",
    "branches": "SELECT code, name, event FROM branches",
}
COLUMNS = {
    "calendar_days": ("kind", "note"),
    "calendar_years": ("source",),
    "policies": ("data",),
    "settings": ("value",),
    "branches": ("name",),
}


class Entry:
    """One row as the events make it: its values, the event its `event` column names, and the event that set it."""

    __slots__ = ("values", "ref", "source")

    def __init__(self, values: tuple, ref, source: int):
        self.values = values
        self.ref = ref  # an event id; (branch, hash) from a tables_recorded event; None: unknown
        self.source = source


def _empty() -> dict[str, dict]:
    return {table: {} for table in TABLES}


def _apply(state: dict[str, dict], kind: str, data: dict, event_id: int) -> None:
    """What one event does to the tables (the writers in calendar_data.py and settings.py, in reverse)."""
    if kind in CORRECTIONS:
        for day in data.get("days", []):
            state["calendar_days"][day] = Entry((CORRECTIONS[kind], data.get("note") or ""), event_id, event_id)
    elif kind == IMPORTED:
        note = f"{data['year']} schedule: {data['source']}"
        for day_kind, name in SCHEDULE_LISTS:
            for day in data.get(name, []):
                state["calendar_days"][day] = Entry((day_kind, note), event_id, event_id)
        state["calendar_years"][int(data["year"])] = Entry((data["source"],), event_id, event_id)
    elif kind == "policy_set":
        # A back-dated policy's late reason (issue 44) is the event's, not the policy's.
        policy = {key: value for key, value in data.items() if key != "late_reason"}
        state["policies"][data["effective_from"]] = Entry((policy,), event_id, event_id)
    elif kind == "config_set":
        state["settings"][data["key"]] = Entry((data["value"],), None, event_id)
    elif kind == "branch_added":
        state["branches"][data["code"]] = Entry((data["name"],), event_id, event_id)
    elif kind == WITHDRAWN:
        state["settings"][WITHDRAWN_KEY + data["branch"]] = Entry((data["reason"],), None, event_id)
    elif kind == RECORDED:
        state.clear()
        state.update(_empty())
        for table in TABLES:
            for key, *values, ref in data.get(table, []):
                key = int(key) if table == "calendar_years" else key
                state[table][key] = Entry(tuple(values), tuple(ref) if ref else None, event_id)


def replay(events, recorded: bool = True, unreadable: list | None = None) -> dict[str, dict[str, dict]]:
    """Each chain's tables as its own events make them: rows of EVENTS_SQL in id order. `recorded=False`
    passes over `tables_recorded` events (a ledger that never has cause to write one); the ids of events
    whose payload does not say what such an event says go to `unreadable`."""
    chains: dict[str, dict] = {}
    for event_id, branch, kind, payload, _digest in events:
        state = chains.get(branch)
        if state is None:
            state = chains[branch] = _empty()
        if kind != RECORDED or recorded:
            try:
                _apply(state, kind, json.loads(payload), event_id)
            except (KeyError, TypeError, ValueError, AttributeError):
                if unreadable is not None:
                    unreadable.append((event_id, kind))
    return chains


def stored(conn) -> dict[str, dict]:
    """The tables as they are: key → (values, event column)."""
    found = {}
    for table, sql in STORED_SQL.items():
        rows = {}
        for key, *values in conn.exec_driver_sql(sql).all():
            event = values.pop() if table != "settings" else None
            if table == "policies":
                try:
                    values = [json.loads(values[0])]
                except (TypeError, ValueError):
                    pass  # not JSON: it differs from every event
            rows[key] = (tuple(values), event)
        found[table] = rows
    return found


def problems(conn, dialect: str = "sqlite") -> list[str]:
    """What in the tables their events do not say, each naming the table and the key: [] when they agree.

    A `tables_recorded` event counts only in a ledger that may have one (`recorded_at_upgrade`): a
    branch's own file, whose rows all name their events, never does, so one found there is named.
    """
    events = conn.exec_driver_sql(EVENTS_SQL, KINDS).all()
    may_record = any(row[2] == RECORDED for row in events) and recorded_at_upgrade(conn, dialect)
    unreadable: list = []
    chains = replay(events, recorded=may_record, unreadable=unreadable)
    expected = chains.get(FIRM_CHAIN) or _empty()
    by_id = {row[0]: row for row in events}
    by_hash = {(row[1], row[4]): row[0] for row in events}
    have = stored(conn)
    found = [
        _(
            "event {number} ({kind}) sets every table at once, which only the upgrade of a firm ledger or of a "
            "firm's one-branch backup does; this ledger is neither"
        ).format(number=row[0], kind=RECORDED)
        for row in events
        if row[2] == RECORDED and not may_record
    ]
    found += [
        _("event {number} ({kind}): its payload does not hold what such an event records").format(
            number=number, kind=kind
        )
        for number, kind in unreadable
    ]
    for table in TABLES:
        wanted, rows = expected[table], have[table]
        for key in sorted(set(wanted) | set(rows), key=str):
            entry, row = wanted.get(key), rows.get(key)
            if row is None:
                found.append(
                    _("{table} {key}: set by event {number}, but the row is missing from the table").format(
                        table=table, key=key, number=entry.source
                    )
                )
            elif entry is None:
                if not _taken_over(table, key, row, by_id, chains):
                    found.append(
                        _("{table} {key}: no event records this row; it was written into the table directly").format(
                            table=table, key=key
                        )
                    )
            else:
                differ = [name for name, mine, theirs in zip(COLUMNS[table], row[0], entry.values) if mine != theirs]
                ref = by_hash.get(entry.ref) if isinstance(entry.ref, tuple) else entry.ref
                if ref is not None and table != "settings" and row[1] != ref:
                    differ.append("event")
                if differ:
                    found.append(
                        _(
                            "{table} {key}: the stored row differs from its events ({columns}; set by event {number})"
                        ).format(table=table, key=key, columns=", ".join(differ), number=entry.source)
                    )
    return found


def _taken_over(table: str, key, row: tuple, by_id: dict, chains: dict) -> bool:
    """A row `move-to` added from a branch's chain: that chain's newest event for the key set exactly it."""
    if table not in TAKEN_OVER:
        return False
    event = by_id.get(row[1])
    if event is None or event[1] == FIRM_CHAIN:
        return False
    entry = chains[event[1]][table].get(key)
    return entry is not None and entry.ref == row[1] and entry.values == row[0]


# -- older ledgers ------------------------------------------------------------------------------------

MIGRATION = "m007_chain_tables"


def upgraded(conn) -> bool:
    """Whether the ledger has been opened by this version (m007 applied)."""
    return conn.exec_driver_sql("SELECT 1 FROM migrations WHERE name = ?", (MIGRATION,)).first() is not None


def recorded_at_upgrade(conn, dialect: str) -> bool:
    """Whether m007 records this older ledger's tables as they stand: a firm ledger (many chains), or a
    file whose rows name events it does not hold (a firm's one-branch backup). Never a branch's own file."""
    if dialect != "sqlite" or conn.exec_driver_sql("SELECT 1 FROM branches LIMIT 1").first() is not None:
        return True
    if conn.exec_driver_sql("SELECT 1 FROM events WHERE branch <> '' LIMIT 1").first() is not None:
        return True
    return (
        conn.exec_driver_sql(
            "SELECT 1 FROM calendar_days d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event) "
            "UNION ALL SELECT 1 FROM calendar_years y WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = y.event) "
            "UNION ALL SELECT 1 FROM policies p WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = p.event) "
            "LIMIT 1"
        ).first()
        is not None
    )


# -- recording the tables as they stand ----------------------------------------------------------------


def snapshot(conn) -> dict:
    """The tables as a `tables_recorded` payload: each row's values, its event named by (branch, hash)."""
    have = stored(conn)
    ids = {event for rows in have.values() for _values, event in rows.values() if event}
    refs = {}
    for event in sorted(ids):
        row = conn.exec_driver_sql("SELECT branch, hash FROM events WHERE id = ?", (event,)).first()
        if row:
            refs[event] = [row[0], row[1]]
    return {
        table: [
            [key, *values, refs.get(event)]
            for key, (values, event) in sorted(rows.items(), key=lambda item: str(item[0]))
        ]
        for table, rows in have.items()
    }


def record_tables(
    conn, *, why: str, actor: str = "complaintctl", branch: str = FIRM_CHAIN, stamped: bool = True
) -> int:
    """Append a `tables_recorded` event holding the tables as they stand to the chain (default: the firm's).

    For whatever puts rows into these tables that its chain cannot rebuild (m007 for older ledgers; a
    copy that brings rows without their events). `conn` takes exec_driver_sql, inside the writing transaction.
    """
    from complaintctl.store.backends import stamp_of

    payload = {"why": why, **snapshot(conn)}
    head = conn.exec_driver_sql(HEAD_SQL, (branch,)).first()
    prev = head[0] if head else GENESIS_HASH
    now = clock.iso(clock.now())
    body = canonical_json(payload)
    login, written = stamp_of(conn) if stamped else (None, None)  # m007 runs before the stamp exists (m008)
    digest = event_hash(prev, None, RECORDED, now, now, actor, body, login, written)
    if not stamped:
        return conn.exec_driver_sql(
            "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash) "
            "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (branch, RECORDED, now, now, actor, body, prev, digest),
        ).scalar()
    return conn.exec_driver_sql(
        "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, login, "
        "written_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (branch, RECORDED, now, now, actor, body, prev, digest, login, written),
    ).scalar()
