"""Everything that decides a deadline is in the chain: calendar days and years, policies, settings and
branches change only with an event, and `verify` rebuilds those tables from their events.

Each attack is made as someone with the ledger and a database shell would make it (sqlite3 on the
file; on PostgreSQL the working role, which may write these tables, or the owner), and `verify`
must name the table and the key (exit 5). Before this version every one of them passed `verify`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from complaintctl.store.backends import backend_for
from complaintctl.store.integrity import verify
from complaintctl.store.chain import GENESIS_HASH, event_hash
from complaintctl.store.ledger import Ledger
from tests.conftest import dump, register, as_owner

pytestmark = pytest.mark.backends  # each test on a branch's SQLite file and on a firm's PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_M001 = ROOT / "tests" / "fixtures" / "ledger-m001.db"


def firm_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("a firm ledger on PostgreSQL")


def label(db) -> str:
    return backend_for(db).label


def verify_names(cli, db_path, problem: str) -> None:
    """`verify` exits 5 with this one line about the ledger, and nothing else."""
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr == f"complaintctl: {label(db_path)}: {problem}\n"


def run_sql(db, *statements: tuple[str, tuple] | str, owner: bool = False) -> None:
    """Statements straight into the database, bypassing complaintctl (the owner: on PostgreSQL, the superuser)."""
    target = str(db).replace("complaint_clerk@", "postgres@") if owner else db
    conn = backend_for(target).connect()
    try:
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def ledger_wide(db) -> list[tuple]:
    with backend_for(db).reading() as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT branch, kind FROM events WHERE complaint IS NULL AND kind NOT IN ('exported') ORDER BY id")]


def changed_everything(cli) -> None:
    """A change through every command that writes a table deciding deadlines."""
    cli("calendar", "add-holiday", "2027-09-14", "--to", "2027-09-15", "--note", "当地通知")
    cli("calendar", "add-workday", "2027-09-15", "--note", "更正：当日上班")  # the same day again: the newer wins
    cli("calendar", "add-closure", "2027-09-16", "--note", "交易所公告")
    cli("policy", "set", "--effective-from", "2027-07-01", "--completion-days", "15")
    cli("config", "set", "branch", "深圳某某路证券营业部")
    cli("config", "set", "branch", "深圳某某路证券营业部（新址）")


# -- what the commands write verifies -------------------------------------------------------------------


def test_every_write_of_these_tables_is_an_event_of_the_firm_chain_and_verify_rebuilds_them(cli, db_path, backend,
                                                                                           tmp_path):
    changed_everything(cli)
    schedule = tmp_path / "2028.toml"
    schedule.write_text('year = 2028\nsource = "国办发明电〔2027〕1号"\nholidays = ["2028-01-03"]\n'
                        'workdays = ["2028-01-08"]\n', encoding="utf-8")
    cli("calendar", "import", schedule, "--note", "国务院办公厅通知")
    if backend == "postgres":
        cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    assert "ledger OK" in cli("verify").stdout
    # On a firm ledger too, whatever branch the user works at (COMPLAINTCTL_BRANCH=SZ01): the firm's chain ''.
    kinds = ["calendar_holiday", "calendar_workday", "calendar_closure", "policy_set", "config_set", "config_set",
             "calendar_imported"]
    found = ledger_wide(db_path)
    if backend == "postgres":
        assert found == [("", "branch_added"), *(("", k) for k in kinds), ("", "branch_added")]
    else:
        assert found == [("", k) for k in kinds]
    assert verify(db_path).problems == []


def test_the_fold_of_the_events_finds_the_tables_through_an_index(db_path, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    from complaintctl.store.chain_tables import EVENTS_SQL, KINDS

    conn = sqlite3.connect(db_path)
    plan = " ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {EVENTS_SQL}", KINDS))
    assert "ix_events_ledger_wide" in plan and "SCAN events" not in plan.replace("USING INDEX", ""), plan


# -- the attacks: each passed `verify` before this version -----------------------------------------------


def test_weekday_holidays_inserted_into_the_calendar_are_found(cli, db_path):
    register(cli, "2026-10-30 10:00")
    cli("calendar", "add-holiday", "2027-09-14", "--note", "当地通知")
    with backend_for(db_path).reading() as conn:
        holiday_event = conn.execute("SELECT id FROM events WHERE kind = 'calendar_holiday'").fetchone()[0]
    # 2026-11-02 … 11-20, every weekday a "holiday": the completion deadlines move weeks later.
    days = [f"2026-11-{d:02d}" for d in range(2, 21) if d not in (7, 8, 14, 15)]
    run_sql(db_path, *[("INSERT INTO calendar_days (day, kind, note, event) VALUES (?, 'holiday', '调休', ?)",
                        (day, holiday_event)) for day in days])
    verify_names(cli, db_path, (
        "calendar_days 2026-11-02: no event records this row; it was written "
        "into the table directly"))


def test_a_policy_row_inserted_directly_is_found(cli, db_path):
    data = {"effective_from": "2026-01-01", "acceptance_days": 3, "acceptance_unit": "trading",
            "completion_days": 60, "completion_unit": "trading", "extension_each_max": 20,
            "extension_total_max": 20, "callback_days": 2, "callback_unit": "working", "callbacks_per_quarter": 2,
            "unreachable_attempts": 2, "remind_acceptance": 1, "remind_completion": 3, "basis": None}
    run_sql(db_path, ("INSERT INTO policies (effective_from, data, event) VALUES ('2026-01-01', ?, 1)",
                      (json.dumps(data),)))
    assert "60" in cli("policy", "show").stdout  # it would be in force
    verify_names(cli, db_path, (
        "policies 2026-01-01: no event records this row; it was written into "
        "the table directly"))


def test_a_policy_changed_in_its_row_is_found(cli, db_path):
    cli("policy", "set", "--effective-from", "2027-07-01", "--completion-days", "15")
    with backend_for(db_path).reading() as conn:
        event = conn.execute("SELECT id FROM events WHERE kind = 'policy_set'").fetchone()[0]
    run_sql(db_path, "UPDATE policies SET data = replace(data, '\"completion_days\": 15', '\"completion_days\": 60')")
    verify_names(cli, db_path, (
        "policies 2027-07-01: the stored row differs from its events (data; set by "
        f"event {event})"))


def test_a_setting_changed_inserted_or_deleted_directly_is_found(cli, db_path, backend):
    cli("config", "set", "branch", "深圳某某路证券营业部")
    with backend_for(db_path).reading() as conn:
        event = conn.execute("SELECT id FROM events WHERE kind = 'config_set'").fetchone()[0]
    before = dump(db_path)
    run_sql(db_path, "UPDATE settings SET value = '广州某某路证券营业部' WHERE key = 'branch'")
    verify_names(cli, db_path, (
        "settings branch: the stored row differs from its events (value; set by "
        f"event {event})"))
    run_sql(db_path, "UPDATE settings SET value = '深圳某某路证券营业部' WHERE key = 'branch'")
    assert dump(db_path) == before and cli("verify").exit_code == 0
    run_sql(db_path, "INSERT INTO settings (key, value) VALUES ('user', '张三')")
    verify_names(cli, db_path, (
        "settings user: no event records this row; it was written into the table "
        "directly"))
    run_sql(db_path, "DELETE FROM settings", owner=True)
    verify_names(cli, db_path, (
        f"settings branch: set by event {event}, but the row is missing from the "
        "table"))


def test_a_branch_changed_or_added_directly_is_found(cli, db_path, backend):
    if backend == "postgres":
        with backend_for(db_path).reading() as conn:
            event = conn.execute("SELECT id FROM events WHERE kind = 'branch_added'").fetchone()[0]
        run_sql(db_path, "UPDATE branches SET name = '某营业部' WHERE code = 'SZ01'")
        verify_names(cli, db_path, (
            "branches SZ01: the stored row differs from its events (name; set by "
            f"event {event})"))
        run_sql(db_path, "UPDATE branches SET name = '深圳某某路证券营业部' WHERE code = 'SZ01'")
    run_sql(db_path, "INSERT INTO branches (code, name, event) VALUES ('GZ02', '广州某某路证券营业部', 1)")
    verify_names(cli, db_path, (
        "branches GZ02: no event records this row; it was written into the table "
        "directly"))


def test_a_calendar_day_changed_deleted_or_pointed_elsewhere_is_found(cli, db_path):
    cli("calendar", "add-holiday", "2027-09-14", "--note", "当地通知")
    cli("calendar", "add-closure", "2027-09-16", "--note", "交易所公告")
    with backend_for(db_path).reading() as conn:
        holiday, closure = [r[0] for r in conn.execute(
            "SELECT id FROM events WHERE kind IN ('calendar_holiday', 'calendar_closure') ORDER BY id")]
    run_sql(db_path, "UPDATE calendar_days SET kind = 'workday' WHERE day = '2027-09-14'")
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        f"calendar_days 2027-09-14: the stored row differs from its events (kind; set by event {holiday})\n")
    run_sql(db_path, ("UPDATE calendar_days SET kind = 'holiday', event = ? WHERE day = '2027-09-14'", (closure,)))
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        f"calendar_days 2027-09-14: the stored row differs from its events (event; set by event {holiday})\n")
    run_sql(db_path, ("UPDATE calendar_days SET event = ? WHERE day = '2027-09-14'", (holiday,)))
    run_sql(db_path, "DELETE FROM calendar_days WHERE day = '2027-09-16'", owner=True)
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        f"calendar_days 2027-09-16: set by event {closure}, but the row is missing from the table\n")


def test_a_calendar_year_inserted_directly_is_found(cli, db_path):
    run_sql(db_path, "INSERT INTO calendar_years (year, source, event) VALUES (2027, '伪造', 1)")
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        "calendar_years 2027: no event records this row; it was written into the table directly\n")


def test_a_forged_record_of_the_tables_in_a_branch_file_is_named(cli, db_path, backend):
    if backend != "sqlite":
        pytest.skip("a branch's own file")
    from complaintctl.store.chain_tables import record_tables

    register(cli, "2026-10-30 10:00")  # event 1
    with Ledger(db_path).transaction() as session:  # rows and a `tables_recorded` event saying so, hashed right
        conn = session.connection()
        conn.exec_driver_sql("INSERT INTO calendar_days (day, kind, note, event) VALUES ('2026-11-02', 'holiday', "
                             "'调休', 1)")
        record_tables(conn, why="m007_chain_tables: the tables as they stood when this ledger was upgraded")
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr == (
        f"complaintctl: {db_path}: event 2 (tables_recorded) sets every table at once, which only the upgrade of a "
        "firm ledger or of a firm's one-branch backup does; this ledger is neither\n")


def test_an_event_of_these_kinds_without_its_data_is_named_not_a_crash(cli, db_path):
    from complaintctl.rules import clock

    book = Ledger(db_path)
    with book.transaction() as session:  # hashed like any event: only its content is wrong
        event = book.append(session, None, "calendar_imported", clock.iso(clock.now()), "王芳", {"note": "无内容"},
                            branch="")
    verify_names(cli, db_path, (
        f"event {event.id} (calendar_imported): its payload does not hold what such an "
        "event records"))


# -- older ledgers ---------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_ledger_of_the_first_release_rebuilds_its_tables_from_its_own_events(cli, tmp_path):
    old = tmp_path / "old.db"
    shutil.copyfile(FIXTURE_M001, old)
    assert "ledger OK" in cli("--db", old, "verify").stdout
    conn = sqlite3.connect(old)
    assert conn.execute("SELECT count(*) FROM events WHERE kind = 'tables_recorded'").fetchone()[0] == 0
    conn.close()
    # A setting changed behind the events before the upgrade still shows: a branch's file is never excused.
    tampered = tmp_path / "tampered.db"
    shutil.copyfile(FIXTURE_M001, tampered)
    conn = sqlite3.connect(tampered)
    conn.execute("UPDATE settings SET value = '别的营业部' WHERE key = 'branch'")
    conn.commit()
    conn.close()
    result = cli("--db", tampered, "verify", ok=False)
    assert result.exit_code == 5 and result.stderr.splitlines()[-1] == (
        f"complaintctl: {tampered}: settings branch: the stored row differs from its events (value; set by event 1)")


def older_firm_file(cli, tmp_path) -> Path:
    """A firm ledger's backup as the version before this one wrote it: a config change chained at the
    branch worked at (SZ01), not in the firm's chain, and no m007 yet."""
    path = tmp_path / "firm-backup.db"
    cli("--db", path, "init")
    Ledger(path).engine.dispose()
    conn = sqlite3.connect(path)
    head = conn.execute("SELECT hash FROM events WHERE branch = '' ORDER BY id DESC LIMIT 1").fetchone()[0]
    rows = [("", None, "branch_added", {"code": "SZ01", "name": "深圳某某路证券营业部"}, head),
            ("SZ01", None, "config_set", {"key": "branch", "value": "某某证券"}, GENESIS_HASH)]
    ids = []
    for branch, complaint, kind, payload, prev in rows:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        at = "2026-11-02T09:00:00+08:00"
        digest = event_hash(prev, complaint, kind, at, at, "王芳", body)
        ids.append(conn.execute("INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, "
                                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                (branch, complaint, kind, at, at, "王芳", body, prev, digest)).lastrowid)
    conn.execute("INSERT INTO branches (code, name, event) VALUES ('SZ01', '深圳某某路证券营业部', ?)", (ids[0],))
    conn.execute("INSERT INTO settings (key, value) VALUES ('branch', '某某证券')")
    conn.execute("DELETE FROM migrations WHERE name IN ('m007_chain_tables', 'm008_firm_security', 'm009_voids')")
    conn.execute("DROP INDEX ix_events_ledger_wide")
    conn.execute("DROP INDEX ix_events_voided")
    conn.execute("ALTER TABLE events DROP COLUMN login")  # m008's: the version before had neither
    conn.execute("ALTER TABLE events DROP COLUMN written_at")
    conn.commit()
    conn.close()
    return path


# What m008 made on PostgreSQL, taken away again: a firm ledger as the version before m007 left it (but for
# the stamp columns, which the template's events already fill; m008 adds them only where missing).
BEFORE_M008 = (
    "DROP TRIGGER events_stamp ON events", "DROP TRIGGER branches_writers ON branches", "DROP TABLE writers",
    *(f"DROP POLICY {name} ON events" for name in ("events_read", "events_at_branch", "events_audit", "events_firm",
                                                   "events_owner")),
    *(f"DROP POLICY {name} ON complaints" for name in ("complaints_read", "complaints_insert", "complaints_update")),
    *(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY" for table in ("events", "complaints")),
    *(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY" for table in ("events", "complaints")),
    "DELETE FROM migrations WHERE name IN ('m007_chain_tables', 'm008_firm_security', 'm009_voids')",
    "DROP INDEX ix_events_voided",
)


@pytest.mark.sqlite_only
def test_an_older_firm_ledger_has_its_tables_recorded_once_at_the_upgrade(cli, tmp_path):
    path = older_firm_file(cli, tmp_path)
    assert verify(path).problems == []  # not upgraded yet (a backup on its way to a restore): judged as m007 will
    assert "ledger OK" in cli("--db", path, "verify").stdout  # opening it upgrades it
    conn = sqlite3.connect(path)
    (branch, payload), = conn.execute("SELECT branch, payload FROM events WHERE kind = 'tables_recorded'").fetchall()
    conn.close()
    recorded = json.loads(payload)
    assert branch == "" and recorded["settings"] == [["branch", "某某证券", None]]
    assert recorded["branches"][0][:2] == ["SZ01", "深圳某某路证券营业部"]
    assert "ledger OK" in cli("--db", path, "verify").stdout
    # From then on the recorded tables are what the events say: a change behind them shows.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE settings SET value = '别的证券' WHERE key = 'branch'")
    conn.commit()
    conn.close()
    result = cli("--db", path, "verify", ok=False)
    assert result.exit_code == 5 and "settings branch: the stored row differs from its events (value" in result.stderr


# -- a firm ledger: a branch moved in, and backups --------------------------------------------------------


def test_moving_a_branch_in_takes_over_the_days_and_policies_the_firm_lacks_and_verifies(cli, tmp_path, db_path,
                                                                                        backend):
    firm_only(backend)
    cli("calendar", "add-holiday", "2027-12-01", "--note", "总部通知")
    source = tmp_path / "branch.db"
    cli("--db", source, "init")
    register(cli, "2026-11-02 10:00", "--db", source)
    cli("--db", source, "calendar", "add-holiday", "2027-12-01", "--note", "营业部通知")  # the firm keeps its own
    cli("--db", source, "calendar", "add-closure", "2027-12-02", "--note", "交易所公告")  # taken over
    cli("--db", source, "policy", "set", "--effective-from", "2027-07-01", "--completion-days", "15")  # taken over
    cli("--db", source, "config", "set", "branch", "广州某某路证券营业部")  # a setting of the file, not the firm's
    cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    assert "ledger OK" in cli("verify").stdout
    with backend_for(db_path).reading() as conn:
        days = conn.execute("SELECT d.day, d.note, e.branch FROM calendar_days d JOIN events e ON e.id = d.event "
                            "ORDER BY d.day").fetchall()
        settings = conn.execute("SELECT key, value FROM settings").fetchall()
    assert [tuple(d) for d in days] == [("2027-12-01", "总部通知", ""), ("2027-12-02", "交易所公告", "GZ02")]
    assert list(settings) == []
    # A taken-over row is as strictly bound to its event as the firm's own.
    run_sql(db_path, "UPDATE calendar_days SET kind = 'holiday' WHERE day = '2027-12-02'")
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        "calendar_days 2027-12-02: no event records this row; it was written into the table directly\n")


def test_a_firm_backup_with_calendar_and_policies_verifies_on_its_own(cli, tmp_path, db_path, backend):
    firm_only(backend)
    changed_everything(cli)
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00")  # at SZ01
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    copy = Path(json.loads(cli("backup", tmp_path, "--json").stdout)["backup"])
    assert verify(copy).problems == []
    assert "ledger OK" in cli("--db", copy, "verify").stdout


def test_an_older_firm_ledger_on_postgresql_has_its_tables_recorded_at_the_upgrade(cli, db_path, backend):
    firm_only(backend)
    owner = db_path.replace("complaint_clerk@", "postgres@")
    # As the version before wrote it: `config set` chained at the branch worked at (SZ01), no m007 yet.
    at = "2026-11-02T09:00:00+08:00"
    body = json.dumps({"key": "branch", "value": "某某证券"}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = event_hash(GENESIS_HASH, None, "config_set", at, at, "王芳", body)
    run_sql(owner, ("INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash) "
                    "VALUES ('SZ01', NULL, 'config_set', ?, ?, '王芳', ?, ?, ?)", (at, at, body, GENESIS_HASH, digest)),
            "INSERT INTO settings (key, value) VALUES ('branch', '某某证券')",
            *BEFORE_M008, "DROP INDEX ix_events_ledger_wide")
    assert verify(db_path).problems == []  # judged as the upgrade will record it
    Ledger(owner).engine.dispose()  # the first command after an upgrade runs as the owner (README)
    with backend_for(db_path).reading() as conn:
        recorded = [tuple(r) for r in conn.execute("SELECT branch, actor FROM events WHERE kind = 'tables_recorded'")]
    assert recorded == [("", "complaintctl")]
    assert "ledger OK" in cli("verify").stdout
    run_sql(db_path, "UPDATE settings SET value = '别的证券' WHERE key = 'branch'")
    result = cli("verify", ok=False)
    assert result.exit_code == 5 and "settings branch: the stored row differs from its events (value" in result.stderr


def test_a_one_branch_backup_of_a_firm_with_calendar_corrections_verifies(cli, tmp_path, db_path, backend):
    firm_only(backend)
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    cli("calendar", "add-holiday", "2027-09-14", "--note", "当地通知")
    one = Path(json.loads(cli("backup", tmp_path / "gz.db", "--branch", "GZ02", "--json").stdout)["backup"])
    assert verify(one).problems == []
    with sqlite3.connect(one) as conn:
        assert conn.execute("SELECT kind, note FROM calendar_days WHERE day = '2027-09-14'").fetchall() == \
            [("holiday", "当地通知")]
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events WHERE branch = '' ORDER BY id")]
        conn.execute("INSERT INTO calendar_days (day, kind, note, event) VALUES ('2027-09-15', 'holiday', '', 0)")
    assert kinds[-2:] == ["backed_up", "tables_recorded"]  # the firm's rows, taken as they stood at the copy
    assert any("calendar_days 2027-09-15: no event records this row" in p for p in verify(one).problems)


def test_a_one_branch_backup_moves_into_another_firm_ledger_which_still_verifies(cli, tmp_path, db_path, backend,
                                                                                  postgres):
    firm_only(backend)
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    cli("calendar", "add-holiday", "2027-09-14", "--note", "当地通知")
    one = Path(json.loads(cli("backup", tmp_path / "gz.db", "--branch", "GZ02", "--json").stdout)["backup"])
    other = postgres.fresh_ledger()
    moved = json.loads(cli("--db", one, "move-to", as_owner(other), "--branch", "GZ09", "--json").stdout)
    assert "calendar_days 2027-09-14: not copied, as no event of the copied history records it" in moved["notices"]
    assert verify(other).problems == []
