"""No personal data leaves without a trail (CSA 7.8): each attack of issue 27, point 3, on real files.

- `show --json` printed every event payload in full (a registration's ID numbers and phones, an
  amendment's old values, a re-complaint's copied fields): it masks them as the text does.
- Every output in full (`show`, `analyze`, `report`, `backup`, the `import --skip-bad` file) is on record
  before the data leaves, and on a firm ledger in the chain of the branch whose data it is.
- A `report --unmask` killed while it waits for the write lock left a complete workbook of ID numbers
  beside its target, with no event: the next run removes such leftovers before it writes anything.
- The `--skip-bad` file wrote live formulas and overwrote an existing file without `--force`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

from complaintctl.store.backends import backend_for
from tests.conftest import ID_OK, branch_writer_busy, dump, register

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "sample_data" / "demo.json"
firm_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

# The identifiers of the complaints `everything` registers, typed by hand, and each as masked.
PEOPLE = {
    ID_OK: "110105********002X",  # the complainant's ID number, amended away later
    "320102198505056034": "320102********6034",  # ... and the one it was amended to
    "13812345678": "138****5678",  # the complainant's phone, amended away
    "13900001111": "139****1111",
    "440301199001011234": "440301********1234",  # the agent's ID number and phone
    "13922223333": "139****3333",
    "13711112222": "137****2222",  # the group's two representatives' phones
    "13611113333": "136****3333",
    "31010119800101123X": "310101********123X",  # an institution's legal representative
    "13533334444": "135****4444",
    "北京市西城区金融大街1号": "北京市西城区***",
}


def everything(cli) -> None:
    """TS-2026-0001: a group (two representatives) with an agent, amended, then re-complained (0003);
    TS-2026-0002: an institution with its legal representative."""
    cli("register", "--received-at", "2026-11-02 10:00", "--at", "2026-11-02 10:00", "--method", "onsite",
        "--channel", "direct", "--name", "张三", "--id-type", "id_card", "--id-number", ID_OK,
        "--phone", "13812345678", "--address", "北京市西城区金融大街1号", "--agent-name", "李律师",
        "--agent-id-number", "440301199001011234", "--agent-phone", "13922223333", "--agent-authorized",
        "--complainants", "12", "--representative", "王五 13711112222", "--representative", "赵六 13611113333",
        "--request", "退还多收佣金", "--facts", "费率不符", "--respondent", "李四", "--category", "a5")
    cli("register", "--received-at", "2026-11-03 10:00", "--at", "2026-11-03 10:00", "--method", "letter",
        "--channel", "direct", "--institution", "某某投资有限公司", "--uscc", "91350100M000100Y43",
        "--legal-rep", "钱七", "--legal-rep-id-number", "31010119800101123X", "--legal-rep-phone", "13533334444",
        "--address", "上海市浦东新区世纪大道100号", "--request", "解释", "--facts", "事实", "--respondent", "李四",
        "--category", "a5")
    cli("amend", "TS-2026-0001", "--phone", "13900001111", "--id-number", "320102198505056034", "--reason", "更正")
    cli("accept", "TS-2026-0001", "--at", "2026-11-02 11:00")
    cli("escalate", "TS-2026-0001", "--to", "合规部", "--at", "2026-11-02 11:30")
    cli("assign", "TS-2026-0001", "--handler", "赵六", "--at", "2026-11-02 12:00")
    cli("approve", "TS-2026-0001", "opinion", "--by", "陈经理", "--at", "2026-11-09")  # a group's opinion (Firm 25)
    cli("resolve", "TS-2026-0001", "--result", "已退还", "--facts-found", "核实", "--cause", "执行",
        "--feedback-via", "phone", "--respondent-feedback-via", "phone", "--at", "2026-11-10")
    cli("callback", "TS-2026-0001", "--outcome", "dissatisfied", "--advised", "mediation", "--recomplain",
        "--note", "不满意", "--at", "2026-11-12")


def audit(db, kind: str, branch: str | None = None) -> list[tuple[str, dict]]:
    """(branch, payload) of the ledger-wide events of a kind, oldest first (of one branch's chain if given)."""
    with backend_for(db).reading() as conn:
        rows = conn.execute("SELECT branch, payload FROM events WHERE kind = ? AND complaint IS NULL ORDER BY id",
                            (kind,)).fetchall()
    return [(b, json.loads(p)) for b, p in rows if branch is None or b == branch]


def last_kind(db, branch: str) -> str:
    with backend_for(db).reading() as conn:
        return conn.execute("SELECT kind FROM events WHERE branch = ? ORDER BY id DESC LIMIT 1", (branch,)).fetchone()[0]


def run(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "complaintctl", *map(str, args)], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120)


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@contextmanager
def write_lock_held(db, backend: str):
    """Another writer in the middle of its work: SQLite's write lock, or the firm ledger's advisory lock."""
    if backend == "postgres":
        with branch_writer_busy(db):
            yield
        return
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=30)


# -- show --------------------------------------------------------------------------------------------------


@pytest.mark.backends
def test_show_json_masks_every_identifier_in_every_event_payload(cli, db_path, backend):
    everything(cli)
    for number in ("TS-2026-0001", "TS-2026-0002", "TS-2026-0003"):
        for shown in (cli("show", number, "--json").stdout, cli("show", number).stdout):
            assert [full for full in PEOPLE if full in shown] == [], number
    first = json.loads(cli("show", "TS-2026-0001", "--json").stdout)
    registered = next(e["payload"] for e in first["events"] if e["kind"] == "registered")
    assert (registered["id_number"], registered["phone"], registered["agent_id_number"], registered["agent_phone"],
            registered["address"]) == (PEOPLE[ID_OK], PEOPLE["13812345678"], PEOPLE["440301199001011234"],
                                       PEOPLE["13922223333"], PEOPLE["北京市西城区金融大街1号"])
    assert registered["representatives"] == [{"name": "王五", "phone": "137****2222"},
                                             {"name": "赵六", "phone": "136****3333"}]
    amended = next(e["payload"] for e in first["events"] if e["kind"] == "amended")
    assert amended["changes"] == {"phone": ["138****5678", "139****1111"],
                                  "id_number": ["110105********002X", "320102********6034"]}
    assert amended["reason"] == "更正"
    institution = json.loads(cli("show", "TS-2026-0002", "--json").stdout)
    payload = institution["events"][0]["payload"]
    assert (payload["legal_rep_id_number"], payload["legal_rep_phone"]) == ("310101********123X", "135****4444")
    assert payload["uscc"] == "91350100M000100Y43"  # an institution's code is no personal data
    assert audit(db_path, "unmasked") == []  # nothing was shown in full, so nothing is on record


@pytest.mark.backends
def test_show_json_unmask_shows_it_all_and_is_recorded_in_the_complaints_chain(cli, db_path, backend):
    everything(cli)
    shown = cli("show", "TS-2026-0003", "--json", "--unmask").stdout
    assert json.loads(shown)["agent_id_number"] == "440301199001011234"
    assert "320102198505056034" in shown and "13922223333" in shown
    branch = "SZ01" if backend == "postgres" else ""
    number = "SZ01/TS-2026-0003" if backend == "postgres" else "TS-2026-0003"
    assert audit(db_path, "unmasked") == [(branch, {"complaint": number, "command": "show"})]


def test_show_json_of_the_demo_ledger_prints_no_identifier_in_full(cli, db_path):
    cli("demo", "--scenario", DEMO)
    conn = sqlite3.connect(db_path)
    numbers = [n for (n,) in conn.execute("SELECT id FROM complaints ORDER BY id")]
    payloads = [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE complaint IS NOT NULL")]
    conn.close()
    keys = ("id_number", "phone", "agent_id_number", "agent_phone", "legal_rep_id_number", "legal_rep_phone")
    full: set[str] = set()

    def collect(value, key=None):  # every identifier any event holds: a registration's, an amendment's both sides
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif key in keys and isinstance(value, str) and len(value) >= 7:
            full.add(value)

    for payload in payloads:
        collect(payload)
    assert len(full) > 50 and len(numbers) > 30
    leaks = {number: [v for v in full if v in cli("show", number, "--json").stdout] for number in numbers}
    assert {n: v for n, v in leaks.items() if v} == {}


# -- on record before the data leaves ------------------------------------------------------------------------


@pytest.mark.backends
def test_every_output_in_full_waits_for_its_event_and_prints_nothing_without_it(cli, db_path, tmp_path, backend):
    """With another writer holding the ledger, the event cannot be recorded: nothing in full may come out."""
    register(cli, "2026-11-02 10:00")
    register(cli, "2026-11-03 10:00")  # the same person again: a repeat complainant for `analyze`
    out = tmp_path / "out"
    out.mkdir()
    before = dump(db_path)
    with write_lock_held(db_path, backend):
        for args in (["show", "TS-2026-0001", "--json", "--unmask"], ["show", "TS-2026-0001", "--unmask"],
                     ["analyze", "--month", "2026-11", "--unmask", "--json"], ["analyze", "--month", "2026-11", "--unmask"],
                     ["report", "--month", "2026-11", "--unmask", "--out", out / "r.xlsx"],
                     ["backup", out / "b.db"]):
            result = run(*args, env={"COMPLAINTCTL_BUSY_TIMEOUT": "0.5"})
            assert result.returncode == 4 and "busy" in result.stderr, (args, result.stderr)
            assert result.stdout == "" and ID_OK not in result.stderr, args
    assert sorted(os.listdir(out)) == []  # no report, no backup, no temporary copy of either
    assert dump(db_path) == before


@firm_only
def test_on_a_firm_ledger_the_event_goes_into_the_chain_of_the_branch_whose_data_it_is(cli, db_path, tmp_path):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00", "--branch", "GZ02")  # we work at SZ01 (COMPLAINTCTL_BRANCH)
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")  # the same person: a repeat complainant
    register(cli, "2026-11-04 10:00")  # the same person again, at SZ01
    cli("show", "GZ02/TS-2026-0001", "--json", "--unmask")
    assert audit(db_path, "unmasked") == [("GZ02", {"complaint": "GZ02/TS-2026-0001", "command": "show"})]
    cli("show", "TS-2026-0001", "--unmask", "--branch", "SZ01")
    assert audit(db_path, "unmasked", "SZ01") == [("SZ01", {"complaint": "SZ01/TS-2026-0001", "command": "show"})]

    people = json.loads(cli("analyze", "--quarter", "2026Q4", "--unmask", "--json").stdout)
    assert people["repeat_complainants"]["people"][0]["id_number"] == ID_OK
    analyzed = [(b, p["complaints"]) for b, p in audit(db_path, "unmasked") if p["command"] == "analyze"]
    # One person, complaints at two branches: each branch's chain names its own complaints.
    assert analyzed == [("GZ02", ["GZ02/TS-2026-0001", "GZ02/TS-2026-0002"]), ("SZ01", ["SZ01/TS-2026-0001"])]

    one = Path(json.loads(cli("backup", tmp_path / "gz.db", "--branch", "GZ02", "--json").stdout)["backup"])
    assert audit(db_path, "backed_up") == [("GZ02", {"file": str(one), "branch": "GZ02"})]
    assert last_kind(one, "") == "backed_up"  # the copy holds its own event
    whole = Path(json.loads(cli("backup", tmp_path / "all.db", "--json").stdout)["backup"])
    assert [b for b, p in audit(db_path, "backed_up") if p["file"] == str(whole)] == ["GZ02", "SZ01"]
    assert last_kind(whole, "GZ02") == last_kind(whole, "SZ01") == "backed_up"


# -- no copy outlives a kill -------------------------------------------------------------------------------


def scratch_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_report_killed_while_it_waits_for_the_lock_leaves_nothing_the_next_run_keeps(cli, db_path, tmp_path,
                                                                                        backend):
    register(cli, "2026-11-02 10:00")
    out, temp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    temp.mkdir()
    with write_lock_held(db_path, backend):
        child = subprocess.Popen([sys.executable, "-m", "complaintctl", "report", "--month", "2026-11", "--unmask",
                                  "--out", str(out / "r.xlsx")], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env={**os.environ, "COMPLAINTCTL_BUSY_TIMEOUT": "120",
                                                              "TMPDIR": str(temp)})
        deadline = time.monotonic() + 60
        while True:  # until the workbook is written whole and the report waits for the lock to record it
            complete = [p for p in out.iterdir() if zipfile.is_zipfile(p)]
            if complete and _readable(complete[0]) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert child.poll() is None, child.communicate()
        child.kill()  # kill -9
        child.wait(timeout=30)
    assert audit(db_path, "exported") == []
    (left,) = out.iterdir()  # what the attack found: a whole workbook of full ID numbers, under a hidden name
    assert left.name.startswith(".r.") and (left.stat().st_mode & 0o777) == 0o600
    assert ID_OK in _text_of(left)
    assert scratch_names(temp) == []  # openpyxl's sheet files went with the write

    cli("report", "--month", "2026-11", "--out", out / "again.xlsx", "--unmask")  # the next run, same folder
    assert scratch_names(out) == ["again.xlsx"]
    assert [p["file"] for _b, p in audit(db_path, "exported")] == [str((out / "again.xlsx").resolve())]


def _readable(path: Path) -> bool:
    try:
        openpyxl.load_workbook(path, read_only=True).close()
        return True
    except Exception:
        return False


def _text_of(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def test_leftovers_of_killed_runs_are_removed_and_a_live_writers_file_is_not(cli, tmp_path, monkeypatch):
    register(cli, "2026-11-02 10:00")
    out, temp = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    dead = out / ".r.xlsx.k2j3h4g5.scratch"  # its writer was killed: nobody holds its lock
    dead.write_bytes(b"a workbook of ID numbers")
    earlier = out / ".complaint-report-2026-10.ab12cd34.partial"  # an earlier version's, from before this run
    earlier.write_bytes(b"a workbook of ID numbers")
    os.utime(earlier, (time.time() - 3600, time.time() - 3600))
    sheets = temp / "complaintctl-sheets-q1w2e3r4.scratch"  # openpyxl's sheet files of a killed run
    sheets.mkdir()
    (sheets / "openpyxl.abc.xml").write_text(ID_OK)
    live = out / ".other.xlsx.livelive.scratch"  # another report, still writing: its lock is held
    live.write_bytes(b"being written")
    others = out / ".ledger.db.zz99yy88.partial"  # not ours to judge (a backup being copied, say)
    others.write_bytes(b"x")
    with live.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        cli("report", "--month", "2026-11", "--out", out / "r.xlsx", "--unmask")
        assert scratch_names(out) == sorted([live.name, others.name, "r.xlsx"])
        assert scratch_names(temp) == []
    cli("report", "--month", "2026-11", "--out", out / "r2.xlsx")  # its writer gone now
    assert scratch_names(out) == sorted([others.name, "r.xlsx", "r2.xlsx"])


# -- import --skip-bad -----------------------------------------------------------------------------------------


def bad_rows_file(tmp_path: Path) -> Path:
    data = tmp_path / "in.csv"
    data.write_text("原编号,接收时间,投诉人,联系电话,证件号码,投诉内容\n"
                    "K-1,2025-03-03 10:00,王五,13512345678,11010519491231002X,要求解释扣费\n"
                    'K-2,2025-03-04 10:00,赵六,13512345679,110105194912310021,"=HYPERLINK(""http://x"",""y"")"\n'
                    "K-3,2025-03-05 10:00,孙七,13512345670,110105194912310021,#N/A\n", encoding="utf-8")
    return data


@pytest.mark.backends
def test_the_skip_bad_file_holds_text_not_formulas_is_0600_and_on_record_first(cli, db_path, tmp_path, backend):
    data = bad_rows_file(tmp_path)
    bad = tmp_path / "bad.xlsx"
    result = cli("import", data, "--skip-bad", bad)
    assert "imported 1 complaint(s)" in result.stdout and "2 bad row(s) written to" in result.stdout
    rows = list(openpyxl.load_workbook(bad).active.iter_rows())
    formula, error = rows[1][5], rows[2][5]
    assert (formula.value, formula.data_type) == ('=HYPERLINK("http://x","y")', "s")
    assert (error.value, error.data_type) == ("#N/A", "s")
    assert rows[1][4].value == "110105194912310021"  # in full: the point is to fix it and import it again
    assert (bad.stat().st_mode & 0o777) == 0o600
    branch = "SZ01" if backend == "postgres" else ""
    assert audit(db_path, "unmasked") == [(branch, {
        "command": "import --skip-bad", "file": str(bad.resolve()), "rows": [3, 4],
        "sha256": hashlib.sha256(bad.read_bytes()).hexdigest(), "source": str(data.resolve()),
        "source_sha256": hashlib.sha256(data.read_bytes()).hexdigest()})]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_skip_bad_file_replaces_a_file_only_with_force(cli, db_path, tmp_path):
    data = bad_rows_file(tmp_path)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"the specialist's own file")
    before = dump(db_path)
    refused = cli("import", data, "--skip-bad", bad, ok=False)
    assert refused.exit_code == 1 and refused.stderr == (
        f"complaintctl: {bad} already exists; kept as it is (use --force to replace it)\n")
    assert bad.read_bytes() == b"the specialist's own file" and dump(db_path) == before  # nothing imported
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    refused = cli("import", data, "--skip-bad", folder, "--force", ok=False)
    assert refused.exit_code == 1 and "is a folder" in refused.stderr and dump(db_path) == before
    cli("import", data, "--skip-bad", bad, "--force")
    assert [r[0] for r in openpyxl.load_workbook(bad).active.iter_rows(values_only=True)] == ["原编号", "K-2", "K-3"]
    assert (bad.stat().st_mode & 0o777) == 0o600
    assert [p["sha256"] for _b, p in audit(db_path, "unmasked")] == [hashlib.sha256(bad.read_bytes()).hexdigest()]
