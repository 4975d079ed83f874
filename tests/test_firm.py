"""A firm ledger on a real PostgreSQL server: branches, moving a branch's file in, backups, many writers.

Every test here runs against the session's PostgreSQL server (tests/postgres_server.py), in a
database of its own, as the least-privilege role of docs/firm-roles.sql.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from complaintctl.store.backends import backend_for
from complaintctl.store.integrity import verify
from tests.conftest import FULL_FACTS, REGISTER_MINIMAL, as_owner, branch_writer_busy, dump, register

ROOT = Path(__file__).resolve().parents[1]
firm_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def hashes(db, branch: str) -> list[str]:
    with backend_for(db).reading() as conn:
        return [h for (h,) in conn.execute("SELECT hash FROM events WHERE branch = ? ORDER BY id", (branch,))]


def branch_file(cli, tmp_path, name: str = "branch.db", *received: str) -> Path:
    """A branch's own ledger file, kept as `complaintctl init` and the lifecycle make it."""
    path = tmp_path / name
    cli("--db", path, "init")
    cli("--db", path, "config", "set", "branch", "广州某某路证券营业部")
    for day in received or ("2026-10-12 10:00", "2026-11-20 09:30"):
        cli("--db", path, "register", "--received-at", day, "--at", day, "--method", "phone", "--channel",
            "direct", "--name", "张三", "--phone", "13812345678", "--request", "退还多收佣金", *FULL_FACTS)
    cli("--db", path, "accept", "TS-2026-0001", "--at", "2026-10-12 11:00")
    return path


@firm_only
def test_a_branch_moves_in_with_every_hash_and_moving_again_copies_nothing(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF fake audio")
    cli("--db", source, "attach", "TS-2026-0002", recording, "--kind", "recording")  # kept beside the file
    theirs = hashes(source, "")
    assert len(theirs) == 6  # created, config_set, 2 registered, accepted, attached

    firm_archive = Path(os.environ["COMPLAINTCTL_ARCHIVE"])
    moved = json.loads(cli("--db", source, "move-to", as_owner(db_path), "--branch", "gz02", "--json").stdout)
    assert (moved["events"], moved["complaints"], moved["attachments"]) == (6, 2, 1)
    assert hashes(db_path, "GZ02") == theirs  # the same events, the same chain, not re-hashed
    assert verify(db_path, firm_archive).problems == []
    shown = json.loads(cli("show", "GZ02/TS-2026-0002", "--json").stdout)
    assert shown["branch"] == "GZ02" and shown["attachments"][0]["file"] == "call.wav"
    assert (firm_archive / "GZ02" / shown["attachments"][0]["stored_as"]).read_bytes() == b"RIFF fake audio"
    names = json.loads(cli("branch", "list", "--json").stdout)
    assert {"code": "GZ02", "name": "广州某某路证券营业部"} in names

    before = dump(db_path)
    again = cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    assert "nothing copied" in again.stdout and dump(db_path) == before

    cli("--db", source, "note", "TS-2026-0001", "补充材料", "--at", "2026-10-13 09:00")  # the branch went on
    later = json.loads(cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02", "--json").stdout)
    assert (later["events"], later["already"], later["complaints"]) == (1, 6, 1)
    assert hashes(db_path, "GZ02") == hashes(source, "")


@firm_only
def test_moving_in_over_a_different_history_is_refused_and_changes_nothing(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00", "--branch", "GZ02")  # the firm ledger's own GZ02 history
    before = dump(db_path)
    result = cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02", ok=False)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "different history for branch GZ02" in result.stderr and "nothing was copied" in result.stderr
    assert dump(db_path) == before


@firm_only
def test_a_number_used_at_two_branches_is_picked_by_branch(cli, tmp_path, db_path, monkeypatch):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00")  # at SZ01 (COMPLAINTCTL_BRANCH)
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    assert json.loads(cli("show", "TS-2026-0001", "--json").stdout)["branch"] == "SZ01"  # the one worked at
    monkeypatch.delenv("COMPLAINTCTL_BRANCH")
    before = dump(db_path)
    for args, says in ((["show", "TS-2026-0001"], "at more than one branch (GZ02, SZ01); write BRANCH/TS-2026-0001"),
                       (["show", "XX01/TS-2026-0001"], "unknown complaint number TS-2026-0001 at branch XX01"),
                       (["--branch", "XX", "register", *REGISTER_MINIMAL], "unknown branch XX"),
                       (["list", "--branch", "NOPE"], "unknown branch NOPE; the branches are: GZ02, SZ01"),
                       (["warn", "--branch", "a/b"], "not a branch code")):
        result = cli(*args, ok=False)
        assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1, args
    assert dump(db_path) == before
    assert json.loads(cli("show", "GZ02/TS-2026-0001", "--json").stdout)["received_at"].startswith("2026-11-03")
    cli("accept", "TS-2026-0001", "--branch", "GZ02", "--at", "2026-11-03 11:00")
    assert json.loads(cli("show", "gz02/ts-2026-0001", "--json").stdout)["status"] == "accepted"
    assert json.loads(cli("show", "SZ01/TS-2026-0001", "--json").stdout)["status"] == "received"
    listed = json.loads(cli("list", "--branch", "GZ02", "--json").stdout)
    assert [(r["branch"], r["id"]) for r in listed] == [("GZ02", "TS-2026-0001")]
    reminders = json.loads(cli("warn", "--as-of", "2026-11-20", "--json", ok=False).stdout)
    assert ("SZ01", "TS-2026-0001", "acceptance") in {(r["branch"], r["id"], r["kind"]) for r in reminders}
    assert ("GZ02", "TS-2026-0001", "acceptance") not in {(r["branch"], r["id"], r["kind"]) for r in reminders}
    assert "SZ01/TS-2026-0001" in cli("warn", "--as-of", "2026-11-20", ok=False).stdout


@pytest.mark.sqlite_only
def test_a_branch_file_refuses_branches(cli):
    result = cli("list", "--branch", "SZ01", ok=False)
    assert result.exit_code == 1 and "one branch's own file" in result.stderr


@firm_only
def test_the_firm_report_counts_each_branch(cli, tmp_path):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-10-12 10:00")
    register(cli, "2026-10-13 10:00")
    register(cli, "2026-10-14 10:00", "--branch", "GZ02")
    cli("accept", "SZ01/TS-2026-0001", "--at", "2026-10-12 11:00")
    cli("report", "--month", "2026-10", "--out", tmp_path / "firm.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "firm.xlsx")
    assert wb.sheetnames == ["汇总", "分支机构", "分析", "投诉台账", "台账明细", "超期与延期", "回访", "补录与更正", "图表"]
    rows = [[c.value for c in row] for row in wb["分支机构"].iter_rows(min_row=3, max_row=5)]
    # code, name, received, carried over, accepted, rejected: counted by hand from the three above
    assert [row[:6] for row in rows] == [["GZ02", "广州某某路证券营业部", 1, 0, 0, 0],
                                        ["SZ01", "深圳某某路证券营业部", 2, 0, 1, 0],
                                        ["合计", None, 3, 0, 1, 0]]
    ledger_rows = [[c.value for c in row][:2] for row in wb["投诉台账"].iter_rows(min_row=1, max_row=4)]
    assert ledger_rows == [["投诉编号", "分支机构"], ["TS-2026-0001", "SZ01"], ["TS-2026-0002", "SZ01"],
                           ["TS-2026-0001", "GZ02"]]
    cli("report", "--month", "2026-10", "--branch", "GZ02", "--out", tmp_path / "gz.xlsx")
    gz = openpyxl.load_workbook(tmp_path / "gz.xlsx")
    assert [c.value for c in gz["投诉台账"]["B"]][:3] == ["分支机构", "GZ02", None]  # then the sign-off
    assert gz["汇总"]["B3"].value == "广州某某路证券营业部"


@firm_only
def test_a_firm_backup_is_a_ledger_file_and_restores_into_a_new_database(cli, tmp_path, db_path, postgres):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00")
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    done = json.loads(cli("backup", tmp_path, "--json").stdout)
    copy = Path(done["backup"])
    assert verify(copy).problems == []
    assert cli("--db", copy, "verify", "--json").stdout.count('"ok": true') == 1
    firm_list = json.loads(cli("list", "--json").stdout)
    assert json.loads(cli("--db", copy, "list", "--json").stdout) == firm_list
    for branch in ("", "SZ01", "GZ02"):
        assert hashes(copy, branch) == hashes(db_path, branch)

    one = Path(json.loads(cli("backup", tmp_path / "gz.db", "--branch", "GZ02", "--json").stdout)["backup"])
    assert hashes(one, "") == hashes(db_path, "GZ02")  # the branch as a file of its own
    assert [r["id"] for r in json.loads(cli("--db", one, "list", "--json").stdout)] == ["TS-2026-0001"]

    empty = postgres.url(postgres.fresh_database(), "postgres")  # restoring makes tables: the owner's work
    cli("--db", empty, "restore", copy, "--by", "王芳")
    assert json.loads(cli("--db", empty, "list", "--json").stdout) == firm_list
    assert verify(empty, tmp_path / "data" / "ledger.db.archive").problems == []
    refused = cli("--db", db_path, "restore", copy, ok=False)
    assert refused.exit_code == 1 and "never deleted" in refused.stderr


def spawn(*args: str, module: str = "complaintctl", env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@firm_only
def test_eight_writers_at_once_lose_and_duplicate_no_number(cli, db_path):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    writers = [spawn("5", module="tests.writer", env={"COMPLAINTCTL_BRANCH": ("SZ01", "GZ02")[i % 2]})
               for i in range(8)]
    readers = [spawn("warn", "--as-of", "2026-11-20") for _ in range(3)]  # never wait for the writers
    printed = []
    for child in writers:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        printed += out.split()
    assert all(r.wait(timeout=120) in (0, 3) and "Traceback" not in r.stderr.read() for r in readers)
    with backend_for(db_path).reading() as conn:
        numbers = conn.execute("SELECT branch, seq FROM complaints ORDER BY branch, seq").fetchall()
    assert [tuple(n) for n in numbers] == [("GZ02", s) for s in range(1, 21)] + [("SZ01", s) for s in range(1, 21)]
    assert len(printed) == 40
    assert verify(db_path).problems == []


@firm_only
def test_a_writer_kept_waiting_exits_4_and_readers_do_not_wait(cli, db_path):

    register(cli, "2026-11-02 10:00")
    before = dump(db_path)
    with branch_writer_busy(db_path):
        child = subprocess.run([sys.executable, "-m", "complaintctl", "accept", "TS-2026-0001"], cwd=ROOT,
                               env={**os.environ, "COMPLAINTCTL_BUSY_TIMEOUT": "1"}, capture_output=True, text=True,
                               timeout=60)
        assert child.returncode == 4 and "busy" in child.stderr and len(child.stderr.splitlines()) == 1
        reader = subprocess.run([sys.executable, "-m", "complaintctl", "list", "--json"], cwd=ROOT, env=os.environ,
                                capture_output=True, text=True, timeout=60)
        assert reader.returncode == 0 and json.loads(reader.stdout)[0]["status"] == "received"
    assert dump(db_path) == before


@firm_only
def test_a_late_entry_needs_a_reason_only_at_a_branch_the_export_covered(cli, tmp_path, db_path, monkeypatch):
    from tests.test_lifecycle import refused

    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-02 09:00")
    register(cli, "2026-10-12 10:00")  # at SZ01 (COMPLAINTCTL_BRANCH)
    register(cli, "2026-10-13 10:00", "--branch", "GZ02")
    cli("report", "--month", "2026-10", "--branch", "GZ02", "--out", tmp_path / "gz02.xlsx")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 10:00")
    refused(cli, db_path, "accept", "GZ02/TS-2026-0001", "--at", "2026-10-14 10:00", rule="CSA 9.4",
            says="within 2026-10, whose report was exported on 2026-11-02")
    cli("accept", "SZ01/TS-2026-0001", "--at", "2026-10-14 10:00")  # SZ01's October was not reported
    cli("accept", "GZ02/TS-2026-0001", "--at", "2026-10-14 10:00", "--late-reason", "受理单漏登")


@firm_only
def test_a_password_in_the_url_is_never_printed(cli, tmp_path, db_path):
    source = branch_file(cli, tmp_path)
    secret = "Sup3r-Secret"
    owner = as_owner(db_path)
    for url in (f"{owner}&password={secret}", owner.replace("postgresql://complaint_owner@",
                                                             f"postgresql://complaint_owner:{secret}@")):
        moved = cli("--db", source, "move-to", url, "--branch", "GZ02")
        refused = cli("--db", url, "show", "TS-2026-0099", ok=False)
        missing = cli("--db", url.replace("/t", "/no_such_db_", 1), "list", ok=False)
        printed = moved.stdout + moved.stderr + refused.stderr + missing.stderr
        assert secret not in printed and "***" in moved.stdout + missing.stderr, printed
        assert missing.exit_code == 1 and len(missing.stderr.splitlines()) == 1


@firm_only
def test_a_firm_backup_with_two_branches_without_events_of_their_own_is_made(cli, tmp_path):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    cli("branch", "add", "BJ03", "--name", "北京某某路证券营业部")
    done = cli("backup", tmp_path, "--json")  # each empty chain's backed_up event names its chain: no shared hash
    copy = Path(json.loads(done.stdout)["backup"])
    assert verify(copy).problems == []
