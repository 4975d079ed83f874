"""Issue 26 point 5: calendar corrections are part of the record (CSA 9.4; DOMAIN "calendar corrections").

A correction moves deadlines as a policy does: it needs a note saying where it comes from, a reason
when it corrects a day already past, and `show` marks every deadline it moved. Today is TEST_NOW,
2027-06-30, unless a test says otherwise; every date below is written by hand.
"""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from complaintctl.store.calendar_data import corrections, corrections_in_force
from complaintctl.store.ledger import Ledger
from tests.conftest import RESOLVE, register
from tests.test_lifecycle import refused

NOTE = "上交所关于2026年9月28日至30日休市的公告（测试）"
REASON = "公告收到较晚，补录"


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def deadline(cli, number, kind) -> dict:
    return next(d for d in show(cli, number)["deadlines"] if d["kind"] == kind)


def payloads(db_path, kind: str) -> list[dict]:
    conn = sqlite3.connect(db_path)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE kind = ? ORDER BY id", (kind,))]
    finally:
        conn.close()


def schedule_file(tmp_path, year: int, holidays: list[str]):
    path = tmp_path / f"calendar-{year}.toml"
    path.write_text(f'year = {year}\nsource = "测试通知"\nholidays = {json.dumps(holidays)}\nworkdays = []\n',
                    encoding="utf-8")
    return path


# -- (a) a note, always ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["calendar", "add-holiday", "2027-09-15"],  # a Wednesday, after today: no reason needed
    ["calendar", "add-workday", "2027-09-18"],  # a Saturday
    ["calendar", "add-closure", "2027-09-16", "--to", "2027-09-17"],
    ["calendar", "add-closure", "2027-09-16", "--note", "  "],  # blank is no note
])
def test_a_correction_without_a_note_is_refused_and_changes_nothing(cli, db_path, args):
    line = refused(cli, db_path, *args, rule="CSA 9.4", says="a calendar correction needs --note")
    assert "where it comes from" in line
    cli(*(args[:-2] if "--note" in args else args), "--note", NOTE)  # the note is all that was missing


def test_an_import_without_a_note_is_refused_and_changes_nothing(cli, db_path, tmp_path):
    schedule = schedule_file(tmp_path, 2028, ["2028-01-03"])
    refused(cli, db_path, "calendar", "import", schedule, rule="CSA 9.4", says="an imported schedule needs --note")
    cli("calendar", "import", schedule, "--note", "国办发明电〔2027〕N号（测试）")
    assert payloads(db_path, "calendar_imported")[0]["note"] == "国办发明电〔2027〕N号（测试）"
    assert payloads(db_path, "calendar_imported")[0]["source"] == "测试通知"  # the file's source stays as it is


# -- (b) a reason for a day already past ---------------------------------------------------------------

def test_a_past_day_needs_a_reason_and_both_are_kept_in_the_chain(cli, db_path):
    refused(cli, db_path, "calendar", "add-closure", "2026-11-23", "--note", NOTE, rule="CSA 9.4",
            says="2026-11-23 is already past (today is 2027-06-30)")
    refused(cli, db_path, "calendar", "add-closure", "2026-11-23", "--note", NOTE, "--reason", " ", rule="CSA 9.4",
            says="needs --reason")
    # One past day in a range is enough: the first past one is named.
    refused(cli, db_path, "calendar", "add-holiday", "2027-06-29", "--to", "2027-07-02", "--note", NOTE,
            rule="CSA 9.4", says="2027-06-29 is already past")
    cli("calendar", "add-holiday", "2027-06-30", "--to", "2027-07-02", "--note", NOTE)  # from today on: no reason
    cli("calendar", "add-closure", "2026-11-23", "--note", NOTE, "--reason", REASON, "--by", "李娜")
    assert payloads(db_path, "calendar_closure") == [{"days": ["2026-11-23"], "note": NOTE, "reason": REASON}]
    assert payloads(db_path, "calendar_holiday") == [{"days": ["2027-06-30", "2027-07-01", "2027-07-02"],
                                                      "note": NOTE}]
    assert cli("calendar", "next", "1", "--from", "2026-11-20").stdout.strip() == "T+1\t2026-11-24"
    assert cli("verify", ok=False).exit_code == 0


def test_an_import_that_changes_a_past_day_needs_a_reason(cli, db_path, tmp_path):
    # 2027 is not in the package: 2027-01-01 (a Friday, already past) counts as a trading day until imported.
    schedule = schedule_file(tmp_path, 2027, ["2027-01-01", "2027-10-01..2027-10-07"])
    refused(cli, db_path, "calendar", "import", schedule, "--note", "测试通知", rule="CSA 9.4",
            says="this schedule changes 2027-01-01, a day already past (today is 2027-06-30)")
    cli("calendar", "import", schedule, "--note", "测试通知", "--reason", REASON)
    (event,) = payloads(db_path, "calendar_imported")
    assert (event["note"], event["reason"], event["changed_past_days"]) == ("测试通知", REASON, ["2027-01-01"])
    assert cli("verify", ok=False).exit_code == 0


def test_an_import_that_changes_only_days_to_come_needs_no_reason(cli, db_path, tmp_path):
    cli("calendar", "import", schedule_file(tmp_path, 2027, ["2027-10-01..2027-10-07"]), "--note", "测试通知")
    (event,) = payloads(db_path, "calendar_imported")
    assert "reason" not in event and "changed_past_days" not in event


# -- (c) the attack: a late completion made on time by a correction is marked ----------------

def resolved_late(cli) -> str:
    number = register(cli, "2026-09-01 10:00")  # a Tuesday
    cli("accept", number, "--at", "2026-09-01 15:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-01 16:00")
    cli("resolve", number, "--result", "已退还", *RESOLVE, "--at", "2026-10-09 10:00")
    return number


def test_a_correction_that_moves_a_missed_deadline_is_marked_with_the_old_day(cli):
    number = resolved_late(cli)
    # T+20 trading days from 2026-09-01: 09-02..04 (3), 07..11 (8), 14..18 (13), 21..24 (17; 09-25 中秋),
    # 28 (18), 29 (19), 30 (20). `calendar next` agrees.
    assert cli("calendar", "next", "20", "--from", "2026-09-01").stdout.splitlines()[-1] == "T+20\t2026-09-30"
    before = deadline(cli, number, "completion")
    assert (before["due"], before["late"], before["moved_by_correction"]) == ("2026-09-30", True, None)

    cli("calendar", "add-closure", "2026-09-28", "--to", "2026-09-30", "--note", NOTE, "--reason", REASON)
    cli("calendar", "add-closure", "2026-08-31", "--note", NOTE, "--reason", REASON)  # before the receipt: moves nothing
    cli("calendar", "add-workday", "2026-09-19", "--note", NOTE, "--reason", REASON)  # a Saturday: still no trading day
    # 09-28..30 closed, 10-01..07 国庆: 10-08 (18), 10-09 (19), 10-12 (20; 10-10 is a make-up Saturday).
    after = deadline(cli, number, "completion")
    assert (after["due"], after["late"]) == ("2026-10-12", False)
    moved = after["moved_by_correction"]
    assert {k: moved[k] for k in ("was", "days")} == {"was": "2026-09-30",
                                                      "days": ["2026-09-28", "2026-09-29", "2026-09-30"]}
    listed = corrections(Ledger(os.environ["COMPLAINTCTL_DB"]), date(2026, 9, 1), date(2026, 9, 30))
    assert [c["days"][0] for c in listed] == ["2026-09-28", "2026-09-19"]
    assert moved["events"] == [listed[0]["event"]]  # the 09-28..30 closure, neither 08-31 nor the Saturday
    # The acceptance (due 09-04) and the callback (2 working days after 10-09) did not move: no mark.
    assert deadline(cli, number, "acceptance")["moved_by_correction"] is None
    assert deadline(cli, number, "callback")["moved_by_correction"] is None

    lines = cli("show", number).stdout.splitlines()
    completion = next(line for line in lines if line.lstrip().startswith("completion"))
    assert completion.endswith("due 2026-10-12 (moved by calendar correction of 2026-09-28…2026-09-30; "
                               "was 2026-09-30)  met 2026-10-09 10:00"), completion
    assert "LATE" not in completion
    assert not any("moved by calendar correction" in line for line in lines if line.lstrip().startswith("callback"))


def test_a_correction_after_a_deadline_does_not_mark_it(cli):
    number = resolved_late(cli)
    cli("calendar", "add-closure", "2026-11-23", "--note", NOTE, "--reason", REASON)
    assert all(d["moved_by_correction"] is None for d in show(cli, number)["deadlines"])
    assert "moved by calendar correction" not in cli("show", number).stdout


def test_without_the_correction_a_day_is_as_its_imported_schedule_has_it(cli, tmp_path, monkeypatch):
    """The base is the package plus the imported schedules: a correction of an imported day is measured
    against the import, not against the package (which knows nothing of 2027)."""
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-12-20 12:00")
    number = register(cli, "2026-12-14 10:00")
    cli("accept", number, "--at", "2026-12-14 11:00")  # only an accepted complaint has a completion deadline
    cli("calendar", "import", schedule_file(tmp_path, 2027, ["2027-01-01"]), "--note", "测试通知")
    # With 2027-01-01 a holiday: 12-15..31 (13), 01-04..08 (18), 01-11 (19), 01-12 (20).
    imported = deadline(cli, number, "completion")
    assert (imported["due"], imported["moved_by_correction"]) == ("2027-01-12", None)  # the import is the base
    assert corrections_in_force(Ledger(os.environ["COMPLAINTCTL_DB"])) == []
    cli("calendar", "add-workday", "2027-01-01", "--note", "更正：元旦假期录入有误（测试）")
    completion = deadline(cli, number, "completion")
    assert completion["due"] == "2027-01-11"
    assert {k: completion["moved_by_correction"][k] for k in ("was", "days")} == {"was": "2027-01-12",
                                                                                  "days": ["2027-01-01"]}


def test_show_with_corrections_still_loads_no_orm(cli, db_path):
    number = resolved_late(cli)
    cli("calendar", "add-closure", "2026-09-28", "--to", "2026-09-30", "--note", NOTE, "--reason", REASON)
    code = ("import runpy, sys\nsys.argv = ['complaintctl', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('complaintctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules), file=sys.stderr)")
    env = {**os.environ, "COMPLAINTCTL_DB": str(db_path)}
    done = subprocess.run([sys.executable, "-c", code, "show", number], env=env, capture_output=True, text=True,
                          timeout=60)
    assert "moved by calendar correction" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr


# -- (d) the corrections touching a period, for the report --------------------------------------------

def test_corrections_lists_those_touching_a_period(cli, db_path, tmp_path):
    cli("calendar", "add-closure", "2026-09-28", "--to", "2026-09-30", "--note", NOTE, "--reason", REASON,
        "--at", "2027-06-29 09:00", "--by", "李娜")
    cli("calendar", "add-holiday", "2027-09-15", "--note", "测试通知")  # a day to come: no reason
    cli("calendar", "import", schedule_file(tmp_path, 2028, ["2028-01-03"]), "--note", "测试通知")  # the base
    ledger = Ledger(str(db_path))

    (found,) = corrections(ledger, date(2026, 9, 1), date(2026, 9, 30))  # the days lie in it
    assert {k: v for k, v in found.items() if k != "event"} == {
        "branch": "", "type": "closure", "kind": "交易所休市", "days": ["2026-09-28", "2026-09-29", "2026-09-30"],
        "note": NOTE, "reason": REASON, "by": "李娜", "at": "2027-06-29T09:00:00+08:00",
        "recorded_at": "2027-06-30T12:00:00+08:00", "login": None}
    assert corrections(ledger, date(2026, 9, 30), date(2026, 9, 30)) == [found]  # one day of it is enough
    assert corrections(ledger, date(2026, 10, 1), date(2026, 12, 31)) == []  # an unrelated period
    # Typed in the period (today): both corrections, whatever days they change; the import is not one.
    typed = corrections(ledger, date(2027, 6, 1), date(2027, 6, 30))
    assert [(c["type"], c["days"], c["reason"]) for c in typed] == [
        ("closure", ["2026-09-28", "2026-09-29", "2026-09-30"], REASON), ("holiday", ["2027-09-15"], None)]


def test_corrections_lists_an_import_that_changed_past_days(cli, tmp_path, db_path):
    cli("calendar", "import", schedule_file(tmp_path, 2027, ["2027-01-01", "2027-10-01..2027-10-07"]),
        "--note", "测试通知", "--reason", REASON)
    (found,) = corrections(Ledger(str(db_path)), date(2027, 1, 1), date(2027, 1, 31))
    assert (found["type"], found["kind"], found["days"], found["source"], found["reason"]) == (
        "import", "节假日安排导入", ["2027-01-01"], "测试通知", REASON)
    assert corrections(Ledger(str(db_path)), date(2027, 2, 1), date(2027, 5, 31)) == []
