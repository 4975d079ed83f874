"""A branch's file moved into the firm ledger under a wrong code (issue 42, point 3).

On a real PostgreSQL server (tests/postgres_server.py), through the CLI: a history already in the firm
ledger under one code is refused under another, in one line, with nothing changed; a history moved in
under a wrong code is withdrawn on the record (`branch withdraw`), after which its complaints count
nowhere, `verify` still passes, and the file moves in again under its right code.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from complaintctl.store.integrity import verify
from tests.conftest import FULL_FACTS, as_login, as_owner, dump, register

firm_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

RECEIVED = ("2026-10-12 10:00", "2026-10-20 09:30", "2026-11-20 09:30")
EVENTS = 6  # created, config_set, 3 registered, 1 accepted
COMPLAINTS = 3


def branch_file(cli, tmp_path):
    """Shenzhen's own file, 3 complaints in 6 events, as `init` and the lifecycle make it."""
    path = tmp_path / "sz01.db"
    cli("--db", path, "init")
    cli("--db", path, "config", "set", "branch", "深圳某某路证券营业部")
    for day in RECEIVED:
        cli("--db", path, "register", "--received-at", day, "--at", day, "--method", "phone", "--channel",
            "direct", "--name", "张三", "--phone", "13812345678", "--request", "退还多收佣金", *FULL_FACTS)
    cli("--db", path, "accept", "TS-2026-0001", "--at", "2026-10-12 11:00")
    return path


def count_events(url) -> int:
    with psycopg.connect(as_owner(url)) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def move(cli, source, url, code, ok=True):
    return cli("--db", source, "move-to", as_owner(url), "--branch", code, "--json" if ok else "--quiet", ok=ok)


def one_line(result, says: str) -> None:
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert says in result.stderr, result.stderr


def listed(cli, *args) -> list[tuple[str, str]]:
    return sorted((c["branch"], c["id"]) for c in json.loads(cli("list", *args, "--json").stdout))


def received_in_analysis(cli) -> int:
    return json.loads(cli("analyze", "--month", "2026-10", "--json").stdout)["outcome"]["unreasonable"]["received"]


@firm_only
def test_a_history_moved_in_as_sz01_is_refused_as_gz02_and_nothing_changes(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    moved = json.loads(move(cli, source, db_path, "SZ01").stdout)
    assert (moved["events"], moved["complaints"]) == (EVENTS, COMPLAINTS)
    before, events = dump(db_path), count_events(db_path)
    assert events == 1 + 1 + EVENTS  # the firm's created and branch_added SZ01, then the file's 6 (moved_in: 9th)

    result = move(cli, source, db_path, "GZ02", ok=False)
    one_line(result, "CSA 9.4: this ledger's history was moved into ")
    assert "as branch SZ01 already; it is not moved in again as GZ02" in result.stderr
    assert count_events(db_path) == events and dump(db_path) == before

    cli("--db", source, "note", "TS-2026-0002", "补充材料", "--at", "2026-10-21 09:00")  # the file went on
    one_line(move(cli, source, db_path, "gz02", ok=False), "as branch SZ01 already; it is not moved in again as GZ02")
    assert count_events(db_path) == events and dump(db_path) == before
    assert len(listed(cli)) == COMPLAINTS  # each complaint once


@firm_only
def test_moving_again_under_the_same_code_copies_only_what_is_new(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    move(cli, source, db_path, "SZ01")
    cli("--db", source, "note", "TS-2026-0001", "补充材料", "--at", "2026-10-13 09:00")
    cli("--db", source, "accept", "TS-2026-0002", "--at", "2026-10-20 11:00")
    again = json.loads(move(cli, source, db_path, "SZ01").stdout)
    assert (again["events"], again["already"], again["complaints"]) == (2, EVENTS, 2)
    assert listed(cli) == [("SZ01", f"TS-2026-000{n}") for n in (1, 2, 3)]


@firm_only
def test_a_wrong_move_withdrawn_counts_nowhere_and_the_file_moves_in_under_its_code(cli, tmp_path, db_path,
                                                                                       monkeypatch):
    source = branch_file(cli, tmp_path)
    monkeypatch.delenv("COMPLAINTCTL_BRANCH")  # the department's view: every branch
    move(cli, source, db_path, "GZ02")  # the wrong code
    assert listed(cli) == [("GZ02", f"TS-2026-000{n}") for n in (1, 2, 3)]
    gz02_report = cli("report", "--month", "2026-10", "--branch", "GZ02", "--out", tmp_path / "gz02.xlsx", "--json")
    assert json.loads(gz02_report.stdout)["complaints"] == 2  # October's two
    assert received_in_analysis(cli) == 2

    owner = as_owner(db_path)
    done = cli("--db", owner, "branch", "withdraw", "GZ02", "--reason", "误以 GZ02 迁入，实为 SZ01 的台账")
    assert "branch GZ02 withdrawn: its 7 events and 3 complaints stay" in done.stdout  # 6, and the report's export
    shown = json.loads(cli("branch", "list", "--json").stdout)
    gz02 = next(b for b in shown if b["code"] == "GZ02")
    assert gz02["withdrawn"]["reason"] == "误以 GZ02 迁入，实为 SZ01 的台账"
    assert (gz02["withdrawn"]["events"], gz02["withdrawn"]["complaints"]) == (EVENTS + 1, COMPLAINTS)
    assert "withdrawn 2027-06-30 12:00 by 王芳: 误以 GZ02 迁入" in cli("branch", "list").stdout

    assert listed(cli) == [] and listed(cli, "--open") == []
    warned = cli("warn", "--as-of", "2026-11-25", "--json")  # exit 0: nothing overdue any more
    assert json.loads(warned.stdout) == []
    assert received_in_analysis(cli) == 0
    one_line(cli("list", "--branch", "GZ02", ok=False), "the history of branch GZ02 was withdrawn")
    cli("config", "set", "branch", "某某证券股份有限公司")
    one_line(cli("archive", "--month", "2026-10", "--branch", "GZ02", "--out", tmp_path / "gz02-archive", ok=False),
             "--branch GZ02: the history of branch GZ02 was withdrawn and counts nowhere")
    assert not (tmp_path / "gz02-archive").exists()
    assert json.loads(cli("show", "GZ02/TS-2026-0001", "--json").stdout)["id"] == "TS-2026-0001"  # still on record
    assert "ledger OK" in cli("verify").stdout
    assert verify(owner).problems == []

    moved = json.loads(move(cli, source, db_path, "SZ01").stdout)  # the right code: not refused as a second move
    assert (moved["events"], moved["already"], moved["complaints"]) == (EVENTS, 0, COMPLAINTS)
    assert listed(cli) == [("SZ01", f"TS-2026-000{n}") for n in (1, 2, 3)]
    assert "TS-2026-0002" in cli("show", "TS-2026-0002").stdout  # the number alone: SZ01's, not ambiguous
    report = json.loads(cli("report", "--month", "2026-10", "--out", tmp_path / "firm.xlsx", "--json").stdout)
    assert report["complaints"] == 2 and report["received"] == 2  # SZ01's two, not GZ02's as well
    assert received_in_analysis(cli) == 2
    overdue = json.loads(cli("warn", "--as-of", "2026-11-25", "--json", ok=False).stdout)
    assert {r["branch"] for r in overdue} == {"SZ01"}
    assert "ledger OK" in cli("verify").stdout

    # The withdrawn code stays closed: not the same file again, nor anything recorded there.
    before, events = dump(db_path), count_events(db_path)
    one_line(move(cli, source, db_path, "GZ02", ok=False), "CSA 9.4: the history of branch GZ02 was withdrawn")
    one_line(cli("accept", "GZ02/TS-2026-0002", "--at", "2026-10-21 09:00", ok=False),
             "nothing more is recorded or moved in under GZ02")
    one_line(cli("--db", owner, "branch", "withdraw", "GZ02", "--reason", "再次", ok=False), "already withdrawn")
    assert count_events(db_path) == events and dump(db_path) == before


@firm_only
def test_a_withdrawal_needs_a_reason_the_owner_and_a_history_no_one_worked_on_here(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    move(cli, source, db_path, "GZ02")
    owner = as_owner(db_path)
    before, events = dump(db_path), count_events(db_path)
    one_line(cli("--db", owner, "branch", "withdraw", "GZ02", ok=False), "CSA 9.4: a withdrawal needs --reason")
    one_line(cli("--db", owner, "branch", "withdraw", "GZ02", "--reason", "  ", ok=False), "needs --reason")
    for login in ("complaint_clerk", "administrator", "department", "clerk_gz02"):
        one_line(cli("--db", as_login(db_path, login), "branch", "withdraw", "GZ02", "--reason", "误迁", ok=False),
                 f"CSA 9.4: the login {login} may not withdraw a branch's history")
    one_line(cli("--db", owner, "branch", "withdraw", "XX09", "--reason", "误迁", ok=False), "unknown branch XX09")
    assert count_events(db_path) == events and dump(db_path) == before

    register(cli, "2026-11-02 10:00")  # typed in the firm ledger at SZ01: never withdrawn
    one_line(cli("--db", owner, "branch", "withdraw", "SZ01", "--reason", "误迁", ok=False),
             "branch SZ01 holds no history moved in by `move-to`")
    cli("accept", "GZ02/TS-2026-0002", "--at", "2026-10-21 09:00")  # a clerk worked on the moved history
    one_line(cli("--db", owner, "branch", "withdraw", "GZ02", "--reason", "误迁", ok=False),
             "1 event(s) were recorded at branch GZ02 in the firm ledger since its history was moved in")


@pytest.mark.sqlite_only
def test_a_branch_file_has_no_branch_to_withdraw(cli):
    one_line(cli("branch", "withdraw", "GZ02", "--reason", "误迁", ok=False), "one branch's own file")
