"""A firm ledger where each branch sees only its own, and the database keeps the trail (issue 28).

On a real PostgreSQL server, with the roles of docs/firm-roles.sql: two branches (SZ01, GZ02), a clerk
at each, the complaint-management department, the administrator and the schema's owner. Each attack
a clerk could make before is tried here, through complaintctl and through plain SQL: refused, or
found by `verify`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import psycopg
import pytest

from complaintctl.store.chain import canonical_json, event_hash
from tests.conftest import ID_OK, as_login, dump, register
from tests.postgres_server import ROOT

pytestmark = [pytest.mark.backends]

SZ_PHONE = "13812345678"  # REGISTER_MINIMAL's phone: every complaint of the test has it


@pytest.fixture
def firm(cli, db_path, backend, monkeypatch):
    """SZ01 and GZ02, one complaint each, recorded by the usual test login (a clerk of both)."""
    if backend != "postgres":
        pytest.skip("row-level security is the firm server's")
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00")
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    return {login: as_login(db_path, login)
            for login in ("clerk_sz01", "clerk_gz02", "department", "administrator", "complaint_owner")}


def run(cli, monkeypatch, url: str, branch: str | None, *args: str, ok: bool = True):
    if branch:
        monkeypatch.setenv("COMPLAINTCTL_BRANCH", branch)
    else:
        monkeypatch.delenv("COMPLAINTCTL_BRANCH", raising=False)
    return cli("--db", url, *args, ok=ok)


def one_line(result, rule: str, says: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{rule}: " in result.stderr and says in result.stderr, result.stderr
    assert ID_OK not in result.stdout + result.stderr and SZ_PHONE not in result.stdout + result.stderr


def sql(url: str, statement: str, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall() if statement.lstrip().upper().startswith(
            ("SELECT", "WITH")) else conn.execute(statement, params)


def refused_sql(url: str, statement: str, params=()) -> str:
    with pytest.raises(psycopg.Error) as caught:
        with psycopg.connect(url) as conn:
            conn.execute(statement, params)
    return str(caught.value)


# -- reading and changing another branch, through complaintctl ----------------------------------------


def test_a_clerk_cannot_read_another_branch_through_complaintctl(cli, monkeypatch, firm, db_path):
    sz = firm["clerk_sz01"]
    before = dump(db_path)
    one_line(run(cli, monkeypatch, sz, "SZ01", "show", "GZ02/TS-2026-0001", "--unmask", ok=False),
             "CSA 8.4", "the login clerk_sz01 may not see branch GZ02")
    one_line(run(cli, monkeypatch, sz, "SZ01", "list", "--branch", "GZ02", ok=False), "CSA 8.4", "may not see branch GZ02")
    one_line(run(cli, monkeypatch, sz, "SZ01", "warn", "--branch", "GZ02", ok=False), "CSA 8.4", "may not see branch GZ02")
    mine = json.loads(run(cli, monkeypatch, sz, "SZ01", "list", "--json").stdout)
    assert [(c["branch"], c["id"]) for c in mine] == [("SZ01", "TS-2026-0001")]  # no --branch: what is theirs
    assert dump(db_path) == before  # not even an `unmasked` event: nothing was shown


def test_a_clerk_cannot_change_another_branch_or_export_its_data(cli, monkeypatch, firm, db_path, tmp_path):
    sz = firm["clerk_sz01"]
    before = dump(db_path)
    one_line(run(cli, monkeypatch, sz, "SZ01", "amend", "GZ02/TS-2026-0001", "--name", "王五", "--reason", "笔误",
                 ok=False), "CSA 8.4", "may not see branch GZ02")
    one_line(run(cli, monkeypatch, sz, "SZ01", "register", "--branch", "GZ02", "--received-at", "2026-11-04 10:00",
                 "--method", "phone", "--channel", "direct", "--name", "张三", "--phone", "13900000000",
                 "--request", "退费", ok=False), "CSA 8.4", "the login clerk_sz01 does not work at branch GZ02")
    one_line(run(cli, monkeypatch, sz, "SZ01", "report", "--month", "2026-11", "--branch", "GZ02", "--unmask",
                 "--out", tmp_path / "gz.xlsx", ok=False), "CSA 8.4", "may not see branch GZ02")
    assert not (tmp_path / "gz.xlsx").exists()
    assert dump(db_path) == before


def test_a_clerk_cannot_void_an_entry_of_another_branch(cli, monkeypatch, firm, db_path):
    """Issue 42's void, through complaintctl and through psql: another branch's entries are not the clerk's."""
    sz = firm["clerk_sz01"]
    before = dump(db_path)
    one_line(run(cli, monkeypatch, sz, "SZ01", "void", "GZ02/TS-2026-0001", "1", "--reason", "重复登记", ok=False),
             "CSA 8.4", "may not see branch GZ02")
    refused = refused_sql(
        sz, "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash) "
        "VALUES ('GZ02', 'TS-2026-0001', 'voided', '2026-11-04T10:00:00+08:00', '2026-11-04T10:00:00+08:00', "
        "'clerk_sz01', '{\"entry\": 1}', '', 'x')")
    # the chain's head is another branch's and hidden from the clerk, so the stamp trigger refuses it first
    assert "row-level security" in refused or "must follow the head of its chain 'GZ02'" in refused
    assert dump(db_path) == before
    run(cli, monkeypatch, firm["clerk_gz02"], "GZ02", "void", "TS-2026-0001", "1", "--reason", "重复登记")  # their own


def test_a_clerk_cannot_write_a_letter_approve_or_archive_another_branch(cli, monkeypatch, firm, db_path, tmp_path):
    """Issue 30's papers carry personal data in full: a clerk reaches them for their own branch only."""
    sz = firm["clerk_sz01"]
    run(cli, monkeypatch, firm["complaint_owner"], None, "config", "set", "branch", "某某证券")
    for key, value in (("branch-phone", "0755-83210000"), ("branch-address", "深圳市福田区"), ("contact", "王芳")):
        run(cli, monkeypatch, firm["complaint_owner"], None, "config", "set", key, value)
    before = dump(db_path)
    one_line(run(cli, monkeypatch, sz, "SZ01", "letter", "record", "GZ02/TS-2026-0001", "--out", tmp_path, ok=False),
             "CSA 8.4", "may not see branch GZ02")
    one_line(run(cli, monkeypatch, sz, "SZ01", "approve", "GZ02/TS-2026-0001", "opinion", "--by", "陈经理", ok=False),
             "CSA 8.4", "may not see branch GZ02")
    archived = run(cli, monkeypatch, sz, "GZ02", "archive", "--month", "2026-11", "--out", tmp_path / "gz.zip", ok=False)
    assert archived.exit_code == 1 and len(archived.stderr.splitlines()) == 1, archived.stderr
    assert ID_OK not in archived.stdout + archived.stderr
    assert list(tmp_path.iterdir()) == [] and dump(db_path) == before
    run(cli, monkeypatch, sz, "SZ01", "letter", "record", "TS-2026-0001", "--out", tmp_path)  # their own: as usual
    assert [p.name for p in tmp_path.iterdir()] == ["TS-2026-0001-客户投诉登记及处理单.docx"]


def test_a_clerk_works_at_their_own_branch_as_before(cli, monkeypatch, firm):
    sz = firm["clerk_sz01"]
    run(cli, monkeypatch, sz, "SZ01", "accept", "TS-2026-0001", "--at", "2026-11-03 09:00")
    shown = json.loads(run(cli, monkeypatch, sz, "SZ01", "show", "TS-2026-0001", "--json").stdout)
    assert shown["status"] == "accepted"
    assert "ledger OK" in run(cli, monkeypatch, sz, "SZ01", "verify").stdout  # their branch and the firm's chain


# -- plain SQL as the clerk -------------------------------------------------------------------------------


def test_plain_sql_shows_a_clerk_only_their_branch(firm):
    sz = firm["clerk_sz01"]
    assert sql(sz, "SELECT DISTINCT branch FROM complaints") == [("SZ01",)]
    assert sql(sz, "SELECT DISTINCT branch FROM events ORDER BY 1") == [("",), ("SZ01",)]  # and the firm's rules
    assert sql(sz, "SELECT count(*) FROM events WHERE payload LIKE %s", (f"%{ID_OK}%",)) == [(1,)]  # SZ01's only
    assert sql(firm["clerk_gz02"], "SELECT DISTINCT branch FROM complaints") == [("GZ02",)]
    assert sql(firm["department"], "SELECT branch FROM complaints ORDER BY 1") == [("GZ02",), ("SZ01",)]


def test_plain_sql_cannot_write_another_branch(firm):
    sz = firm["clerk_sz01"]
    said = refused_sql(sz, "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, "
                           "hash) VALUES ('GZ02', 'TS-2026-0001', 'noted', 'x', 'x', 'x', '{}', %s, 'forged')",
                       ("0" * 64,))  # the head of GZ02's chain as the clerk sees it: none
    assert "row-level security" in said
    with psycopg.connect(sz) as conn:  # an UPDATE of rows it cannot see changes nothing
        assert conn.execute("UPDATE complaints SET status = 'closed' WHERE branch = 'GZ02'").rowcount == 0


@pytest.mark.parametrize("statement", [
    "INSERT INTO calendar_days (day, kind, note, event) VALUES ('2026-11-05', 'holiday', '', 0)",
    "INSERT INTO policies (effective_from, data, event) VALUES "
    "('2026-01-01', '{\"acceptance_days\": 30, \"completion_days\": 90}', 0)",
    "UPDATE branches SET name = '别家' WHERE code = 'SZ01'",
    "INSERT INTO settings (key, value) VALUES ('branch', '别家')",
    "INSERT INTO migrations (name, applied_at) VALUES ('m999_from_the_future', 'now')",
    "INSERT INTO writers (branch) VALUES ('XX99')",
    "UPDATE events SET actor = 'x'",
    "LOCK TABLE complaints IN ACCESS EXCLUSIVE MODE",
    "LOCK TABLE events IN EXCLUSIVE MODE",
    "LOCK TABLE writers IN EXCLUSIVE MODE",
    "LOCK TABLE migrations IN EXCLUSIVE MODE",
    "ALTER TABLE events DISABLE TRIGGER events_stamp",
])
def test_a_clerk_cannot_move_a_deadline_stop_the_firm_or_touch_the_rules(cli, firm, db_path, statement):
    before = dump(db_path)
    assert "permission denied" in refused_sql(firm["clerk_sz01"], statement) or "owner" in refused_sql(
        firm["clerk_sz01"], statement)
    assert dump(db_path) == before
    assert "ledger OK" in cli("verify").stdout and cli("list").exit_code == 0


def test_an_administrator_writing_the_rules_behind_the_events_is_found_by_verify(cli, firm):
    """The administrator may write the tables (their work goes through events); a row without one is named."""
    sql(firm["administrator"], "INSERT INTO calendar_days (day, kind, note, event) VALUES ('2026-11-05', 'holiday', '', 0)")
    found = cli("verify", ok=False)
    assert found.exit_code == 5 and "calendar_days 2026-11-05: no event records this row" in found.stderr


def test_the_firm_rules_are_the_administrators(cli, monkeypatch, firm, db_path):
    before = dump(db_path)
    for login, branch in (("clerk_sz01", "SZ01"), ("department", None)):
        said = run(cli, monkeypatch, firm[login], branch, "calendar", "add-holiday", "2027-09-14", "--note", "当地通知",
                   ok=False)
        one_line(said, "CSA 8.1.3", "that is the administrator's work")
        one_line(run(cli, monkeypatch, firm[login], branch, "policy", "set", "--effective-from", "2027-07-01",
                     "--acceptance-days", "2", ok=False), "CSA 8.1.3", "administrator")
    assert dump(db_path) == before
    run(cli, monkeypatch, firm["administrator"], None, "calendar", "add-holiday", "2027-09-14", "--note", "当地通知")
    assert "ledger OK" in cli("verify").stdout


# -- locks -----------------------------------------------------------------------------------------------


def test_no_clerk_can_stop_the_writers_of_another_branch(cli, monkeypatch, firm, tmp_path):
    with psycopg.connect(firm["clerk_sz01"]) as clerk:  # a clerk's psql, a transaction left open
        clerk.execute("SELECT pg_advisory_lock(1668246896)")  # the lock every writer once took first
        assert clerk.execute("SELECT branch FROM writers WHERE branch = 'GZ02' FOR UPDATE").fetchall() == []
        assert clerk.execute("SELECT branch FROM writers WHERE branch = 'SZ01' FOR UPDATE").fetchall() == [("SZ01",)]
        monkeypatch.setenv("COMPLAINTCTL_BUSY_TIMEOUT", "1")
        run(cli, monkeypatch, firm["clerk_gz02"], "GZ02", "accept", "TS-2026-0001", "--at", "2026-11-04 09:00")
        waited = run(cli, monkeypatch, firm["department"], None, "report", "--month", "2026-11", "--branch", "GZ02",
                     "--out", tmp_path / "gz.xlsx")  # the department's audit event goes in GZ02's chain: free
        assert waited.exit_code == 0
        busy = run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "accept", "TS-2026-0001", "--at", "2026-11-03 09:00",
                   ok=False)  # their own branch's colleagues wait for them, as for any writer there
        assert busy.exit_code == 4 and "busy" in busy.stderr


# -- the trail the server keeps ------------------------------------------------------------------------


def events_of(url: str, complaint: str, branch: str):
    return sql(url, "SELECT id, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, login, written_at "
                    "FROM events WHERE branch = %s AND complaint = %s ORDER BY id", (branch, complaint))


def test_each_event_carries_the_login_and_the_server_time_and_its_hash_covers_them(cli, monkeypatch, firm, db_path):
    run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "accept", "TS-2026-0001", "--at", "2026-11-03 09:00",
        "--by", "冒名者")
    last = events_of(firm["complaint_owner"], "TS-2026-0001", "SZ01")[-1]
    event_id, complaint, kind, at, recorded, actor, payload, prev, digest, login, written = last
    assert (kind, actor, login) == ("accepted", "冒名者", "clerk_sz01")
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+08:00", written)  # the server's clock
    assert written[:10] != recorded[:10]  # not COMPLAINTCTL_NOW (2027-06-30), which only the client believes
    assert event_hash(prev, complaint, kind, at, recorded, actor, payload, login, written) == digest
    assert event_hash(prev, complaint, kind, at, recorded, actor, payload) != digest
    shown = run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "show", "TS-2026-0001")
    assert "冒名者 (login clerk_sz01)" in shown.stdout
    as_json = json.loads(run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "show", "TS-2026-0001", "--json").stdout)
    assert as_json["events"][-1]["login"] == "clerk_sz01" and as_json["events"][-1]["written_at"] == written

    # The owner, who alone could rewrite a row (triggers off), cannot change the stamp unseen.
    with psycopg.connect(firm["complaint_owner"]) as owner:
        owner.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        owner.execute("UPDATE events SET login = 'clerk_gz02' WHERE id = %s", (event_id,))
        owner.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    found = cli("verify", ok=False)
    assert found.exit_code == 5 and f"event {event_id} (accepted, TS-2026-0001) was changed" in found.stderr


def test_a_forged_event_is_stamped_by_the_server_and_found_by_verify(cli, monkeypatch, firm, db_path):
    """The clerk inserts a correctly hashed event (as complaintctl hashed one before) and updates the complaint."""
    sz = firm["clerk_sz01"]
    head = sql(sz, "SELECT hash FROM events WHERE branch = 'SZ01' ORDER BY id DESC LIMIT 1")[0][0]
    payload = canonical_json({"text": "已解决"})
    at = "2026-11-03T10:00:00+08:00"
    for claimed in (None, "王芳"):  # no stamp, then one claiming another login: the server writes its own
        digest = event_hash(head, "TS-2026-0001", "noted", at, at, "王芳", payload, claimed, claimed and at)
        with psycopg.connect(sz) as conn:
            conn.execute("INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, "
                         "login, written_at) VALUES ('SZ01', 'TS-2026-0001', 'noted', %s, %s, '王芳', %s, %s, %s, %s, %s)",
                         (at, at, payload, head, digest, claimed, claimed and at))
        stored = events_of(firm["complaint_owner"], "TS-2026-0001", "SZ01")[-1]
        assert stored[9] == "clerk_sz01" and stored[10] != at
        head = digest
    found = cli("verify", ok=False)
    assert found.exit_code == 5 and "(noted, TS-2026-0001) was changed after it was written" in found.stderr


# -- the department and the roles' SQL ----------------------------------------------------------------------


def test_the_department_reads_every_branch_and_exports_the_firm_report(cli, monkeypatch, firm, db_path, tmp_path):
    dept = firm["department"]
    one_line(run(cli, monkeypatch, dept, "SZ01", "accept", "TS-2026-0001", "--at", "2026-11-03 09:00", ok=False),
             "CSA 8.4", "does not work at branch SZ01")
    listed = json.loads(run(cli, monkeypatch, dept, None, "list", "--json").stdout)
    assert sorted(c["branch"] for c in listed) == ["GZ02", "SZ01"]
    run(cli, monkeypatch, dept, None, "report", "--month", "2026-11", "--out", tmp_path / "firm.xlsx")
    exported = sql(firm["complaint_owner"], "SELECT branch, login FROM events WHERE kind = 'exported' ORDER BY branch")
    assert exported == [("GZ02", "department"), ("SZ01", "department")]
    assert "ledger OK" in run(cli, monkeypatch, dept, None, "verify").stdout


def test_moving_a_history_in_is_the_owners(cli, monkeypatch, firm, tmp_path):
    source = tmp_path / "branch.db"
    monkeypatch.delenv("COMPLAINTCTL_BRANCH", raising=False)
    cli("--db", source, "init")
    cli("--db", source, "register", "--received-at", "2026-11-02 10:00", "--method", "phone", "--channel", "direct",
        "--name", "张三", "--phone", "13900000000", "--request", "退费")
    for login in ("clerk_sz01", "administrator", "department"):
        said = cli("--db", source, "move-to", firm[login], "--branch", "BJ03", ok=False)
        assert said.exit_code == 1 and "CSA 9.4: copying a whole history" in said.stderr, said.stderr
    cli("--db", source, "move-to", firm["complaint_owner"], "--branch", "BJ03")
    assert "ledger OK" in cli("verify").stdout


def test_the_roles_script_runs_as_written_again_and_branch_grant_makes_a_clerk(cli, monkeypatch, firm, postgres):
    database = firm["clerk_sz01"].split("/")[3].split("?")[0]
    postgres.psql(database, "-f", str(ROOT / "docs" / "firm-roles.sql"))  # after an upgrade: only adds what is missing
    printed = cli("branch", "grant", "clerk_sz01", "GZ02").stdout
    assert "GRANT \"complaintctl_branch_gz02\" TO \"clerk_sz01\";" in printed
    postgres.psql(database, "-c", printed)
    try:
        assert sql(firm["clerk_sz01"], "SELECT branch FROM complaints ORDER BY 1") == [("GZ02",), ("SZ01",)]
    finally:
        postgres.psql(database, "-c", cli("branch", "grant", "clerk_sz01", "GZ02", "--revoke").stdout)
    assert sql(firm["clerk_sz01"], "SELECT branch FROM complaints ORDER BY 1") == [("SZ01",)]


def test_a_login_that_is_no_one_sees_nothing_and_gets_one_line(cli, monkeypatch, firm, postgres):
    postgres.psql("postgres", "-c", "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stranger') "
                                    "THEN CREATE ROLE stranger LOGIN; END IF; END $$")
    stranger = as_login(firm["clerk_sz01"].replace("clerk_sz01", "complaint_clerk"), "stranger")
    said = subprocess.run([sys.executable, "-m", "complaintctl", "--db", stranger, "list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert said.returncode == 1 and len(said.stderr.splitlines()) == 1 and "Traceback" not in said.stderr


# -- what the review of this work found ------------------------------------------------------------------


def test_a_temporary_table_never_stands_in_for_the_ledgers(cli, firm, db_path):
    """The functions behind the policies must not read the login's own `events` or `branches`."""
    with psycopg.connect(firm["clerk_sz01"]) as clerk:
        clerk.execute("CREATE TEMP TABLE events (x int)")  # would make complaintctl_is_owner() true
        clerk.execute("CREATE TEMP TABLE branches (code text)")
        clerk.execute("INSERT INTO branches VALUES ('GZ02')")  # would make the clerk one of GZ02's
        assert clerk.execute("SELECT DISTINCT branch FROM public.complaints").fetchall() == [("SZ01",)]
        assert clerk.execute("UPDATE public.complaints SET handler = 'x' WHERE branch = 'GZ02'").rowcount == 0
        clerk.rollback()


def test_the_administrator_cannot_borrow_the_owners_rights_through_a_trigger(cli, firm, db_path):
    with psycopg.connect(firm["administrator"]) as admin:
        admin.execute("CREATE FUNCTION pg_temp.evil() RETURNS text LANGUAGE plpgsql AS $$ BEGIN "
                      "EXECUTE 'GRANT UPDATE, DELETE ON public.events TO administrator'; RETURN current_user; END $$")
        admin.execute("CREATE TEMP TABLE writers (branch text, who text DEFAULT pg_temp.evil())")
        admin.execute("INSERT INTO public.branches VALUES ('ZZ99', 'x', 0)")
        admin.rollback()
    assert sql(firm["complaint_owner"], "SELECT has_table_privilege('administrator', 'events', 'UPDATE')") == [(False,)]


def test_no_one_breaks_a_chain_for_good(cli, firm, db_path):
    before = dump(db_path)
    for login, branch in (("department", "GZ02"), ("clerk_sz01", "SZ01"), ("department", "")):
        said = refused_sql(firm[login], "INSERT INTO events (branch, complaint, kind, at, recorded_at, actor, payload, "
                                        "prev_hash, hash) VALUES (%s, NULL, 'exported', 'x', 'x', 'x', '{}', 'junk', "
                                        "'junk')", (branch,))
        assert "head of its chain" in said or "row-level security" in said, said
    assert dump(db_path) == before and "ledger OK" in cli("verify").stdout


def test_a_clerks_verify_says_what_it_checked(cli, monkeypatch, firm):
    checked = run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "verify")
    assert "ledger OK" in checked.stdout and "branches SZ01: those were checked, not the whole firm" in checked.stderr
    assert json.loads(run(cli, monkeypatch, firm["clerk_sz01"], "SZ01", "verify", "--json").stdout)[
        "branches_checked"] == ["SZ01"]


def test_branch_grant_quotes_a_code_with_a_hyphen(cli, firm, postgres):
    database = firm["clerk_sz01"].split("/")[3].split("?")[0]
    postgres.psql(database, "-c", cli("branch", "grant", "clerk_gz02", "GZ-01").stdout)
    assert sql(firm["complaint_owner"], "SELECT pg_has_role('clerk_gz02', 'complaintctl_branch_gz-01', 'MEMBER')") \
        == [(True,)]
