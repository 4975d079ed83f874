"""Numbered, append-only schema migrations, applied automatically when a ledger is opened.

Never edit a migration once released: add the next one. Each name applied is recorded in the
`migrations` table; a ledger that lists a name this version does not know was written by a
newer complaintctl and is refused untouched.
"""

from __future__ import annotations

from typing import Callable

MIGRATIONS: list[tuple[str, Callable]] = []

# The complaints table's indexes, made by m001 (and m002's ended_day), and made again when m004 rebuilds the table.
COMPLAINT_INDEXES = (
    "CREATE INDEX ix_complaints_open ON complaints (is_open, received_day)",
    "CREATE INDEX ix_complaints_received_day ON complaints (received_day)",
    "CREATE INDEX ix_complaints_status ON complaints (status)",
    "CREATE INDEX ix_complaints_handler ON complaints (handler)",
    "CREATE INDEX ix_complaints_complainant ON complaints (complainant_key)",
)
ENDED_DAY_INDEX = "CREATE INDEX ix_complaints_ended_day ON complaints (ended_day)"


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(run: Callable) -> None:
    # The backend gives the words that differ (SQLite's are what the first release wrote).
    T = run.backend.text
    run(f"""CREATE TABLE events (
        id {run.backend.id_column},
        complaint {T},
        kind {T} NOT NULL,
        at {T} NOT NULL,
        recorded_at {T} NOT NULL,
        actor {T} NOT NULL,
        payload {T} NOT NULL,
        prev_hash {T} NOT NULL,
        hash {T} NOT NULL UNIQUE)""")
    run("CREATE INDEX ix_events_complaint ON events (complaint)")
    # Nothing is ever deleted or rewritten (CSA 9.4: every step leaves a trail).
    for statement in run.backend.append_only:
        run(statement)
    run(f"""CREATE TABLE complaints (
        id {T} PRIMARY KEY,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        status {T} NOT NULL,
        received_at {T} NOT NULL,
        received_day {T} NOT NULL,
        category {T},
        handler {T},
        complainant_key {T},
        parent {T},
        is_open INTEGER NOT NULL,
        last_event INTEGER NOT NULL,
        record {T} NOT NULL,
        UNIQUE (year, seq))""")
    for statement in run.backend.no_delete_complaints:
        run(statement)
    for statement in COMPLAINT_INDEXES:
        run(statement)
    run(f"""CREATE TABLE calendar_days (
        day {T} PRIMARY KEY, kind {T} NOT NULL, note {T} NOT NULL, event INTEGER NOT NULL)""")
    run(f"""CREATE TABLE calendar_years (
        year INTEGER PRIMARY KEY, source {T} NOT NULL, event INTEGER NOT NULL)""")
    run(f"""CREATE TABLE policies (
        effective_from {T} PRIMARY KEY, data {T} NOT NULL, event INTEGER NOT NULL)""")
    run(f"CREATE TABLE settings (key {T} PRIMARY KEY, value {T} NOT NULL)")


@migration
def m002_report_indexes(run: Callable) -> None:
    """For the period report (CSA 9.2.3): which complaints were still open when a period began,
    and the business time of each complaint's last event, both found through an index."""
    run(f"ALTER TABLE complaints ADD COLUMN ended_day {run.backend.text}")  # day it was rejected or closed
    json = run.backend.json_text
    run(
        f"UPDATE complaints SET ended_day = substr(COALESCE({json('record', 'rejected_at')}, "
        f"{json('record', 'closed_at')}), 1, 10)"
    )
    run(ENDED_DAY_INDEX)
    run("CREATE INDEX ix_events_complaint_at ON events (complaint, at)")


@migration
def m003_refold_0_11(run: Callable) -> None:
    """The fold learned the whole standard (a group complaint is major, the escalation's day, the
    investigation record, termination): rebuild each stored record from its events, which are untouched.

    The complaints table is only ever the fold of the events, so this loses nothing; `verify` compares
    the two and would otherwise report every group complaint as damaged.
    """
    import json

    from complaintctl.rules.complaint import apply, columns_of, record_json

    rows = run(
        "SELECT complaint, kind, at, actor, payload, id FROM events WHERE complaint IS NOT NULL ORDER BY complaint, id"
    ).all()
    records: dict[str, tuple[dict, int]] = {}
    for number, kind, at, actor, payload, event_id in rows:
        record = records.get(number, (None, 0))[0]
        records[number] = (apply(record, kind, json.loads(payload), at, actor), event_id)
    for number, (record, last) in records.items():
        columns = columns_of(record)
        run(
            "UPDATE complaints SET status = ?, received_at = ?, received_day = ?, category = ?, handler = ?, "
            "complainant_key = ?, parent = ?, is_open = ?, ended_day = ?, last_event = ?, record = ? WHERE id = ?",
            (
                columns["status"],
                columns["received_at"],
                columns["received_day"],
                columns["category"],
                columns["handler"],
                columns["complainant_key"],
                columns["parent"],
                columns["is_open"],
                columns["ended_day"],
                last,
                record_json(record),
                number,
            ),
        )


@migration
def m004_branches(run: Callable) -> None:
    """A firm ledger holds many branches, each numbering its own complaints and chaining its own
    events; a complaint is keyed by (branch, number). In a branch's own file every row's branch is ''.

    A file gets the same keys as a server, so a firm ledger's backup is an ordinary ledger file.
    """
    T = run.backend.text
    run(f"ALTER TABLE events ADD COLUMN branch {T} NOT NULL DEFAULT ''")
    run(f"CREATE TABLE branches (code {T} PRIMARY KEY, name {T} NOT NULL, event INTEGER NOT NULL)")
    run("CREATE INDEX ix_events_branch ON events (branch, id)")  # the head of each branch's chain
    run("DROP INDEX ix_events_complaint")
    run("CREATE INDEX ix_events_complaint ON events (branch, complaint, id)")
    run("DROP INDEX ix_events_complaint_at")
    run("CREATE INDEX ix_events_complaint_at ON events (branch, complaint, at)")
    if run.dialect == "postgresql":
        run(f"ALTER TABLE complaints ADD COLUMN branch {T} NOT NULL DEFAULT ''")
        run("CREATE UNIQUE INDEX ix_complaints_key ON complaints (branch, id)")
        run(
            "ALTER TABLE complaints DROP CONSTRAINT complaints_pkey, "
            "ADD CONSTRAINT complaints_pkey PRIMARY KEY USING INDEX ix_complaints_key, "
            "DROP CONSTRAINT complaints_year_seq_key, ADD UNIQUE (branch, year, seq)"
        )
        # A hash is unique within its chain; two branches' first events may hash alike.
        run("ALTER TABLE events DROP CONSTRAINT events_hash_key, ADD UNIQUE (branch, hash)")
        return
    # SQLite cannot change a primary key: the table is rebuilt, rows copied as they are
    # (DROP TABLE fires no DELETE trigger; the trigger is made again on the new table).
    run("""CREATE TABLE complaints_m004 (
        branch TEXT NOT NULL DEFAULT '',
        id TEXT NOT NULL,
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
        ended_day TEXT,
        PRIMARY KEY (branch, id),
        UNIQUE (branch, year, seq))""")
    names = (
        "id, year, seq, status, received_at, received_day, category, handler, complainant_key, parent, "
        "is_open, last_event, record, ended_day"
    )
    run(f"INSERT INTO complaints_m004 ({names}) SELECT {names} FROM complaints")
    run("DROP TABLE complaints")
    run("ALTER TABLE complaints_m004 RENAME TO complaints")
    for statement in run.backend.no_delete_complaints:
        run(statement)
    for statement in (*COMPLAINT_INDEXES, ENDED_DAY_INDEX):
        run(statement)


@migration
def m005_rectifications(run: Callable) -> None:
    """Improvement measures with an owner and a promised date (CSA 8.2.4, 9.2.2(b) item 4), tracked after the
    complaint is closed. No ledger before this version holds one, so the new columns start empty."""
    T = run.backend.text
    run(f"ALTER TABLE complaints ADD COLUMN rectification_due {T}")
    run(f"ALTER TABLE complaints ADD COLUMN rectified_day {T}")
    # Partial: only complaints with a measure are indexed, so `warn` stays flat however old the ledger.
    run("CREATE INDEX ix_complaints_rectification ON complaints (rectified_day) WHERE rectification_due IS NOT NULL")


# A late entry (补录): typed in on a later day than it is dated. Both times are stored in Shanghai time
# with their offset, so the first ten characters are the days; the report's 补录与更正 finds these rows
# through this partial index, however large the ledger.
LATE_ENTRY = "substr(recorded_at, 1, 10) > substr(at, 1, 10)"


@migration
def m006_late_entries(run: Callable) -> None:
    """Two partial indexes: the `exported` events, read by every dated write (an entry dated into a
    reported period needs a reason), and the late entries, listed by the next report."""
    run("CREATE INDEX ix_events_exported ON events (branch, id) WHERE kind = 'exported'")
    run(f"CREATE INDEX ix_events_late ON events (at) WHERE {LATE_ENTRY}")


@migration
def m007_chain_tables(run: Callable) -> None:
    """The tables that decide deadlines are checked against their events (complaintctl/chain_tables.py).

    An index finds those few events (outside every complaint) at once, however long the ledger. Where an
    older ledger's events cannot rebuild its tables (a firm ledger, whose older versions chained calendar,
    policy and config changes at the branch worked at; a file holding rows that name no event, a firm's
    one-branch backup), the tables as they stand are recorded once in a `tables_recorded` event of the
    firm's chain '', and the fold goes on from there. A branch's own file is never given one: its events
    always could rebuild its tables.
    """
    from complaintctl.store.chain_tables import MIGRATION, problems, record_tables, recorded_at_upgrade

    run("CREATE INDEX ix_events_ledger_wide ON events (kind, id) WHERE complaint IS NULL")
    if problems(run.conn, run.dialect) and recorded_at_upgrade(run.conn, run.dialect):
        record_tables(
            run.conn, why=f"{MIGRATION}: the tables as they stood when this ledger was upgraded", stamped=False
        )


# -- a firm ledger's own security (PostgreSQL): who sees and writes which branch, and who wrote each event --
# Roles (made by docs/firm-roles.sql, or `complaintctl branch grant`): complaintctl_branch_<code> holds a
# branch's clerks, complaintctl_department (投诉管理部门, CSA 8.1.3) reads every branch and exports the
# firm report, complaintctl_admin keeps the calendar, policies, settings and branches. The schema's owner
# (who runs the upgrades) copies whole histories (move-to, restore). Membership is the server's own
# record (pg_has_role), never a setting the client chooses. A role that does not exist is held by no one.
AUDIT_KINDS = ("exported", "unmasked", "backed_up")  # what the department records in a branch's chain
_ANY = "(SELECT complaintctl_works_at())::text[]"  # an array, not a subquery of rows
_ALL = "(SELECT complaintctl_sees_all())"
_OWNER = "(SELECT complaintctl_is_owner(current_user))"
GENESIS = "0" * 64  # ledger.GENESIS_HASH: the prev_hash of a chain's first event


def firm_security(schema: str) -> tuple[str, ...]:
    """The statements of m008 on PostgreSQL, for the ledger's tables in `schema`.

    Every function names its search path, the session's temporary schema last: a login's own temporary
    table called `events` or `branches` (any login may make one) must never stand in for the ledger's.
    """
    path = f'SET search_path = pg_catalog, "{schema}", pg_temp'
    return (
        f"""CREATE OR REPLACE FUNCTION complaintctl_now() RETURNS text LANGUAGE sql STABLE {path} AS $$
            SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"') $$""",
        f"""CREATE OR REPLACE FUNCTION complaintctl_has(role_name text) RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = role_name
                           AND pg_has_role(current_user, r.oid, 'MEMBER')) $$""",
        f"""CREATE OR REPLACE FUNCTION complaintctl_is_owner(login name) RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT pg_has_role(login, (SELECT relowner FROM pg_class WHERE oid = '"{schema}".events'::regclass),
                               'MEMBER') $$""",
        f"""CREATE OR REPLACE FUNCTION complaintctl_sees_all() RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT complaintctl_has('complaintctl_department') OR complaintctl_has('complaintctl_admin')
                   OR complaintctl_is_owner(current_user) $$""",
        f"""CREATE OR REPLACE FUNCTION complaintctl_works_at() RETURNS text[] LANGUAGE sql STABLE {path} AS $$
            SELECT coalesce(array_agg(b.code), '{{}}') FROM "{schema}".branches b
            WHERE complaintctl_has('complaintctl_branch_' || lower(b.code)) $$""",
        # Each event: the login that wrote it and the server's time, whatever the client sent, and it must
        # follow its chain's head (a broken chain is refused, not found later). Only the owner's copies
        # (move-to, restore) keep the stamps their events were written with. A transaction left open for an
        # hour (a psql session) cannot stamp its events with the hour it began.
        f"""CREATE OR REPLACE FUNCTION complaintctl_stamp() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
                IF NEW.prev_hash IS DISTINCT FROM coalesce((SELECT e.hash FROM "{schema}".events e
                        WHERE e.branch = NEW.branch ORDER BY e.id DESC LIMIT 1), '{GENESIS}') THEN
                    RAISE EXCEPTION USING ERRCODE = 'check_violation',
                        MESSAGE = 'an event must follow the head of its chain ' || quote_literal(NEW.branch);
                END IF;
                IF NOT complaintctl_is_owner(session_user) THEN
                    IF clock_timestamp() - now() > interval '1 hour' THEN
                        RAISE EXCEPTION USING ERRCODE = 'check_violation',
                            MESSAGE = 'a transaction open for over an hour cannot stamp its events';
                    END IF;
                    NEW.login := session_user;
                    NEW.written_at := complaintctl_now();
                END IF;
                RETURN NEW;
            END $$""",
        "CREATE TRIGGER events_stamp BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION complaintctl_stamp()",
        # One row per chain, locked by each write (backends/postgres.py): made with its branch, never changed.
        'CREATE TABLE writers (branch TEXT COLLATE "C" PRIMARY KEY)',
        "INSERT INTO writers (branch) SELECT '' UNION SELECT code FROM branches",
        # Run as whoever adds the branch (the administrator, or the owner's copy): never as the owner for them.
        f"""CREATE OR REPLACE FUNCTION complaintctl_branch_writers() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN INSERT INTO "{schema}".writers (branch) VALUES (NEW.code) ON CONFLICT DO NOTHING; RETURN NEW; END $$""",
        "CREATE TRIGGER branches_writers AFTER INSERT ON branches FOR EACH ROW EXECUTE FUNCTION "
        "complaintctl_branch_writers()",
        "CREATE TRIGGER writers_kept BEFORE UPDATE OR DELETE ON writers "
        "FOR EACH ROW EXECUTE FUNCTION complaintctl_refuse('the writers'' rows are never changed')",
        *(
            f"ALTER TABLE {table} {mode} ROW LEVEL SECURITY"
            for table in ("events", "complaints", "writers")
            for mode in ("ENABLE", "FORCE")
        ),
        f"CREATE POLICY events_read ON events FOR SELECT USING (branch = '' OR {_ALL} OR branch = ANY ({_ANY}))",
        f"CREATE POLICY events_at_branch ON events FOR INSERT WITH CHECK (branch <> '' AND branch = ANY ({_ANY}))",
        "CREATE POLICY events_audit ON events FOR INSERT WITH CHECK (complaint IS NULL AND branch <> '' AND kind IN "
        f"({', '.join(repr(kind) for kind in AUDIT_KINDS)}) AND (SELECT complaintctl_has('complaintctl_department')) "
        "AND branch IN (SELECT code FROM branches))",
        "CREATE POLICY events_firm ON events FOR INSERT WITH CHECK "
        "(branch = '' AND (SELECT complaintctl_has('complaintctl_admin')))",
        f"CREATE POLICY events_owner ON events USING ({_OWNER}) WITH CHECK ({_OWNER})",
        f"CREATE POLICY complaints_read ON complaints FOR SELECT USING ({_ALL} OR branch = ANY ({_ANY}))",
        f"CREATE POLICY complaints_insert ON complaints FOR INSERT WITH CHECK (branch = ANY ({_ANY}) OR {_OWNER})",
        f"CREATE POLICY complaints_update ON complaints FOR UPDATE USING (branch = ANY ({_ANY}) OR {_OWNER}) "
        f"WITH CHECK (branch = ANY ({_ANY}) OR {_OWNER})",
        f"CREATE POLICY writers_lock ON writers USING (branch = ANY ({_ANY}) OR {_OWNER} "
        "OR (branch <> '' AND (SELECT complaintctl_has('complaintctl_department'))) "
        "OR (branch = '' AND (SELECT complaintctl_has('complaintctl_admin'))))",
        f"CREATE POLICY writers_made ON writers FOR INSERT WITH CHECK ({_OWNER} OR (SELECT "
        "complaintctl_has('complaintctl_admin')))",
    )


@migration
def m008_firm_security(run: Callable) -> None:
    """Each event carries the login that wrote it and the server's time (NULL in a branch's own file,
    which has no server to vouch for them; its hashes stay as they were). On PostgreSQL: the stamp
    trigger, row-level security on the tables that hold complaint data, and a lock row per chain."""
    if run.dialect == "postgresql":  # IF NOT EXISTS: a server's columns may have come before the rest (tests)
        run(
            f"ALTER TABLE events ADD COLUMN IF NOT EXISTS login {run.backend.text}, "
            f"ADD COLUMN IF NOT EXISTS written_at {run.backend.text}"
        )
    else:
        run(f"ALTER TABLE events ADD COLUMN login {run.backend.text}")
        run(f"ALTER TABLE events ADD COLUMN written_at {run.backend.text}")
    if run.dialect == "postgresql":
        schema = run("SELECT current_schema()").scalar()
        for statement in firm_security(schema):
            run(statement)


@migration
def m009_voids(run: Callable) -> None:
    """A partial index of the voids (作废): the report lists each under 补录与更正, found at once however
    large the ledger, since a void typed the day it is dated is no late entry for ix_events_late."""
    run("CREATE INDEX ix_events_voided ON events (id) WHERE kind = 'voided'")
