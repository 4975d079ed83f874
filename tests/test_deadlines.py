"""Deadlines around holidays, make-up weekends, weekends and the year end, date by date.

Every expected date below was counted by hand from the State Council's holiday notices
(2024: 国办发明电〔2023〕7号; 2026: 国办发明电〔2025〕7号) and is checked again against the
Shanghai exchange's real sessions (exchange_calendars' XSHG) where that calendar covers it.
"""

import json
from datetime import date

import pytest

from tests.conftest import EXTEND, RESOLVE, dump, ledger_rows, register, table_rows

pytestmark = pytest.mark.backends  # each test on a branch's SQLite file and on a firm's PostgreSQL

xc = pytest.importorskip("exchange_calendars")
XSHG = xc.get_calendar("XSHG")
SESSIONS = {s.date() for s in XSHG.sessions}


def xshg_trading_days_after(start: date, end: date) -> int:
    return sum(1 for d in SESSIONS if start < d <= end)


def accepted(cli, received: str, *extra: str) -> str:
    """Registered and accepted when received: only an accepted complaint has a completion deadline."""
    number = register(cli, received, *extra)
    cli("accept", number, "--at", received)
    return number


def deadlines(cli, number: str) -> dict:
    data = json.loads(cli("show", number, "--json").stdout)
    return {d["kind"]: d for d in data["deadlines"]}


# received (Shanghai date), expected T+3, expected T+20
CASES = [
    # Spring Festival 2026: holiday 02-15..02-23, make-up Saturdays 02-14 and 02-28 are not trading days.
    ("2026-02-12", "2026-02-25", "2026-03-20"),
    # Qingming 2026: 04-04..04-06; T+20 runs into Labour Day 05-01..05-05.
    ("2026-04-02", "2026-04-08", "2026-05-06"),
    # Labour Day 2026: received the day before; make-up Saturday 05-09 is not a trading day.
    ("2026-04-30", "2026-05-08", "2026-06-02"),
    # Mid-Autumn 2026 (09-25 Friday) and the make-up Sunday 09-20; T+20 crosses National Day:
    # 09-21..24 (4), 09-28..30 (7), 10-08, 09 (9), 10-12..16 (14), 10-19..23 (19), 10-26 (20).
    ("2026-09-18", "2026-09-23", "2026-10-26"),
    # National Day 2026: 10-01..10-07; make-up Saturday 10-10.
    ("2026-09-30", "2026-10-12", "2026-11-04"),
    # Received on a Saturday / a Sunday: counting starts from Monday.
    ("2026-11-21", "2026-11-25", "2026-12-18"),
    ("2026-11-22", "2026-11-25", "2026-12-18"),
    # 2024-02-09, Lunar New Year's Eve: an official working Friday on which the exchanges closed.
    # 02-19..21 (3), 02-22, 23 (5), 02-26..03-01 (10), 03-04..08 (15), 03-11..15 (20).
    ("2024-02-08", "2024-02-21", "2024-03-15"),
]


@pytest.mark.parametrize("received,t3,t20", CASES)
def test_acceptance_and_completion_deadlines(cli, received, t3, t20):
    number = accepted(cli, received)
    found = deadlines(cli, number)
    assert found["acceptance"]["due"] == t3
    assert found["completion"]["due"] == t20
    assert found["completion"]["original_due"] == t20
    assert not found["acceptance"]["provisional"] and not found["completion"]["provisional"]
    start = date.fromisoformat(received)
    assert xshg_trading_days_after(start, date.fromisoformat(t3)) == 3 and date.fromisoformat(t3) in SESSIONS
    assert xshg_trading_days_after(start, date.fromisoformat(t20)) == 20 and date.fromisoformat(t20) in SESSIONS


# resolved on, expected callback due (2 working days: make-up weekend days count)
CALLBACKS = [
    ("2026-02-13", "2026-02-24"),  # Sat 02-14 is a make-up working day (1), holiday, Tue 02-24 (2)
    ("2026-05-08", "2026-05-11"),  # Sat 05-09 make-up (1), Mon 05-11 (2)
    ("2026-10-09", "2026-10-12"),  # Sat 10-10 make-up (1), Mon 10-12 (2)
    ("2026-11-20", "2026-11-24"),  # ordinary Friday: Mon, Tue
]


@pytest.mark.parametrize("resolved,due", CALLBACKS)
def test_callback_deadline_counts_working_days(cli, resolved, due):
    number = register(cli, "2026-01-05")
    cli("accept", number, "--at", "2026-01-05 15:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-01-05 15:00")
    cli("resolve", number, "--result", "已答复", *RESOLVE, "--at", resolved)
    assert deadlines(cli, number)["callback"]["due"] == due


def test_extension_moves_completion_and_keeps_the_original(cli):
    number = register(cli, "2026-09-30")  # T+20 = 2026-11-04
    cli("accept", number, "--at", "2026-10-08")
    cli("assign", number, "--handler", "赵六", "--at", "2026-10-08")
    cli("extend", number, "--days", "5", "--reason", "调取录音", *EXTEND, "--at", "2026-11-04")
    found = deadlines(cli, number)["completion"]
    assert found["original_due"] == "2026-11-04"
    assert found["due"] == "2026-11-11"  # 11-05, 06, 09, 10, 11


def test_regulator_reply_is_due_with_completion(cli):
    number = accepted(cli, "2026-04-30", "--channel", "regulator", "--source", "12386", "--transfer-no", "ZJ-1")
    found = deadlines(cli, number)
    assert found["regulator_reply"]["due"] == found["completion"]["due"] == "2026-06-02"


def test_year_end_is_provisional_until_the_schedule_is_imported(cli, tmp_path):
    # 2027's schedule is not in chinese-calendar: weekends only, marked provisional.
    number = accepted(cli, "2026-12-14")
    early = register(cli, "2026-12-30")
    found = deadlines(cli, number)
    assert found["acceptance"] == {**found["acceptance"], "due": "2026-12-17", "provisional": False}
    # 12-15..18 (4), 12-21..25 (9), 12-28..31 (13), Fri 2027-01-01 counted (14), 01-04..08 (19), 01-11 (20)
    assert found["completion"]["due"] == "2027-01-11" and found["completion"]["provisional"] is True
    assert deadlines(cli, early)["acceptance"]["due"] == "2027-01-04"
    shown = cli("show", number)
    assert "2027-01-11 (provisional)" in shown.stdout
    assert "calendar import" in shown.stderr
    assert "2027" in cli("list").stderr and "calendar import" in cli("list").stderr
    warned = cli("warn", "--as-of", "2027-01-08", ok=False)
    assert len(warned.stderr.splitlines()) == 1 and "depend on 2027," in warned.stderr  # once per run, 2027 only

    # A schedule for 2027 (test data, not the real notice): New Year's Day is Friday 01-01.
    schedule = tmp_path / "calendar-2027.toml"
    schedule.write_text('year = 2027\nsource = "test"\nholidays = ["2027-01-01"]\nworkdays = []\n', encoding="utf-8")
    # 2027-01-01 is already past today (TEST_NOW), and the schedule changes it: a note and a reason (CSA 9.4).
    cli("calendar", "import", schedule, "--note", "国办发明电（测试）", "--reason", "安排公布后未及时导入")
    found = deadlines(cli, number)
    assert found["completion"]["due"] == "2027-01-12" and found["completion"]["provisional"] is False
    assert deadlines(cli, early)["acceptance"] == {**deadlines(cli, early)["acceptance"],
                                                   "due": "2027-01-05", "provisional": False}
    assert "provisional" not in cli("show", number).stderr


def test_receipt_day_is_the_shanghai_day_whatever_the_offset(cli):
    # 16:30 UTC on Friday 2026-11-20 is 00:30 on Saturday 2026-11-21 in Shanghai.
    number = register(cli, "2026-11-20T16:30:00+00:00")
    assert json.loads(cli("show", number, "--json").stdout)["received_at"] == "2026-11-21T00:30:00+08:00"
    assert deadlines(cli, number)["acceptance"]["due"] == "2026-11-25"


def test_policy_change_applies_from_its_effective_date_only(cli):
    before = accepted(cli, "2026-03-02")
    cli("policy", "set", "--at", "2026-05-20", "--effective-from", "2026-06-01", "--completion-days", "15",
        "--completion-unit", "working")
    after = accepted(cli, "2026-06-01")
    assert deadlines(cli, before)["completion"]["due"] == "2026-03-30"  # 20 trading days, unchanged
    # 15 working days after Mon 2026-06-01: 06-02..05 (4), 06-08..12 (9), 06-15..18 (13), 06-19 holiday,
    # 06-22 (14), 06-23 (15)
    assert deadlines(cli, after)["completion"]["due"] == "2026-06-23"
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert [p["effective_from"] for p in shown] == ["1990-01-01", "2026-06-01"]  # the CSA defaults first (issue 31)


# -- a policy is never retroactive (CSA 9.4), and more time than CSA's needs a basis (CSA 9.2.2(c)) ---

def late_in_september(cli) -> str:
    number = register(cli, "2026-09-04 09:00")  # Friday: acceptance due Wed 2026-09-09
    cli("accept", number, "--at", "2026-09-10 09:00")
    return number


def test_a_policy_dated_before_its_decision_is_refused_and_late_stays_late(cli, db_path):
    from tests.test_lifecycle import refused

    number = late_in_september(cli)
    refused(cli, db_path, "policy", "set", "--at", "2026-11-23", "--effective-from", "2026-01-01",
            "--acceptance-days", "30", "--completion-days", "60", "--basis", "某证监局通知",
            rule="CSA 9.4", says="--effective-from 2026-01-01 is before the day it is decided (2026-11-23)")
    acceptance = deadlines(cli, number)["acceptance"]
    assert (acceptance["due"], acceptance["late"]) == ("2026-09-09", True)


def test_a_backdated_decision_still_cannot_move_a_recorded_deadline(cli, db_path):
    from tests.test_lifecycle import refused

    late_in_september(cli)
    refused(cli, db_path, "policy", "set", "--at", "2026-01-01", "--effective-from", "2026-01-01",
            "--acceptance-days", "2", rule="CSA 9.4",
            says="TS-2026-0001, received 2026-09-04, is already in the ledger")


def test_more_time_than_the_standard_needs_the_regulators_basis(cli, db_path):
    from tests.test_lifecycle import refused

    message = refused(cli, db_path, "policy", "set", "--at", "2026-11-23", "--effective-from", "2026-12-01",
                      "--acceptance-days", "5", "--completion-days", "30", rule="CSA 9.2.2(c)", says="--basis")
    assert "acceptance-days 5 > 3" in message and "completion-days 30 > 20" in message
    refused(cli, db_path, "policy", "set", "--at", "2026-11-23", "--effective-from", "2026-12-01",
            "--extension-total-max", "25", rule="CSA 9.2.2(c)", says="extension-total-max 25 > 20")
    cli("policy", "set", "--at", "2026-05-20", "--effective-from", "2026-06-01", "--completion-days", "30",
        "--basis", "深圳证监局〔2026〕12号")
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert [(p["effective_from"], p["completion_days"], p["basis"]) for p in shown] == [
        ("1990-01-01", 20, None), ("2026-06-01", 30, "深圳证监局〔2026〕12号")]
    assert [line.split() for line in cli("policy", "show").stdout.splitlines() if line.startswith("  basis")] == [
        ["basis", "深圳证监局〔2026〕12号"]]
    # 30 trading days from Mon 2026-06-01: 06-02..05 (4), 06-08..12 (9), 06-15..18 (13; 06-19 端午),
    # 06-22..26 (18), 06-29..30 (20), 07-01..03 (23), 07-06..10 (28), 07-13 (29), 07-14 (30)
    number = register(cli, "2026-06-01 10:00")
    cli("accept", number, "--at", "2026-06-01 11:00")
    assert deadlines(cli, number)["completion"]["due"] == "2026-07-14"


def test_stricter_numbers_need_no_basis(cli):
    cli("policy", "set", "--at", "2026-11-23", "--effective-from", "2026-11-24", "--completion-days", "15",
        "--completion-unit", "working")
    assert json.loads(cli("policy", "show", "--json").stdout)[0]["basis"] is None


def test_the_report_prints_the_policy_and_its_basis(cli, tmp_path):
    import openpyxl

    cli("policy", "set", "--at", "2026-09-20", "--effective-from", "2026-10-01", "--completion-days", "30",
        "--basis", "深圳证监局〔2026〕12号")
    register(cli, "2026-10-09 10:00")
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2026-10", "--out", out)
    rows = [r for r in openpyxl.load_workbook(out)["汇总"].iter_rows(values_only=True) if r and r[0] == "时限政策"]
    assert [r[:2] for r in rows] == [("时限政策", "自2026-10-01起接收的投诉：受理决定3个交易日，办结30个交易日，"
                                    "延期每次≤20、合计≤20，回访2个工作日；宽于标准时限，"
                                    "依据：深圳证监局〔2026〕12号（CSA 9.2.2(c) 当地监管机构另行规定）")]


# -- a reply date set by the regulator for one complaint (CSA 9.2.2(e)) ---------------------------------

TRANSFERRED = ["--channel", "regulator", "--source", "12386", "--transfer-no", "ZJ-2026-0088"]


def test_the_regulators_reply_date_is_the_deadline_when_earlier(cli, tmp_path):
    import openpyxl

    # Mon 2026-11-02: completion T+20 = 11-30 (11-03..06, 09..13, 16..20, 23..27, 30)
    number = register(cli, "2026-11-02 09:00", *TRANSFERRED, "--reply-due", "2026-11-16")
    cli("accept", number, "--at", "2026-11-02 10:00")
    found = deadlines(cli, number)
    assert found["completion"]["due"] == "2026-11-30"
    assert (found["regulator_reply"]["due"], found["regulator_reply"]["provisional"]) == ("2026-11-16", False)
    assert json.loads(cli("show", number, "--json").stdout)["reply_due"] == "2026-11-16"  # kept with the ticket
    soon = json.loads(cli("warn", "--as-of", "2026-11-13", "--json").stdout)
    assert [(i["kind"], i["due"], i["state"], i["days_left"]) for i in soon] == [
        ("regulator_reply", "2026-11-16", "due_soon", 1)]
    late = json.loads(cli("warn", "--as-of", "2026-11-17", "--json", ok=False).stdout)
    assert [(i["kind"], i["state"], i["days_left"]) for i in late] == [("regulator_reply", "overdue", -1)]
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2026-11", "--as-of", "2026-11-17", "--out", out)
    wb = openpyxl.load_workbook(out)
    row = ledger_rows(wb)[0]
    assert (row["转办工单号"], row["监管回复期限"].date().isoformat()) == ("ZJ-2026-0088", "2026-11-16")
    overdue = table_rows(wb["超期与延期"])
    assert [(r["期限类别"], r["期限"].date().isoformat()) for r in overdue] == [("监管转办回复", "2026-11-16")]


def test_a_later_reply_date_leaves_the_completion_deadline(cli):
    number = register(cli, "2026-11-02 09:00", *TRANSFERRED)
    cli("amend", number, "--reply-due", "2026-12-31")
    assert deadlines(cli, number)["regulator_reply"]["due"] == "2026-11-30"
    cli("amend", number, "--reply-due", "2026-11-20")
    assert deadlines(cli, number)["regulator_reply"]["due"] == "2026-11-20"


def test_a_reply_date_only_for_transferred_complaints_and_not_before_receipt(cli, db_path):
    from tests.test_lifecycle import refused

    direct = register(cli, "2026-11-02 09:00")
    refused(cli, db_path, "amend", direct, "--reply-due", "2026-11-16", rule="CSA 9.2.2(e)",
            says="received directly")
    transferred = register(cli, "2026-11-02 09:00", *TRANSFERRED)
    refused(cli, db_path, "amend", transferred, "--reply-due", "2026-10-30", rule="CSA 9.2.2(e)",
            says="before the complaint was received (2026-11-02)")
    refused(cli, db_path, "amend", transferred, "--reply-due", "2026-11-31", rule="", says="not a real date")


@pytest.mark.parametrize("body, says", [
    ('year = 2027\nsource = "t"\nholidays = "2027-01-01"\nworkdays = []\n', "'holidays' must be a list of dates"),
    ('year = 2027\nsource = "t"\nholidays = ["2027-13-01"]\nworkdays = []\n', "holidays: 2027-13-01 is not a real date"),
])
def test_a_wrong_schedule_file_gets_one_line_and_changes_nothing(cli, tmp_path, db_path, body, says):
    schedule = tmp_path / "calendar-2027.toml"
    schedule.write_text(body, encoding="utf-8")
    before = dump(db_path)
    result = cli("calendar", "import", schedule, "--note", "test", "--reason", "test", ok=False)
    assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert dump(db_path) == before
