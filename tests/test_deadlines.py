"""Deadlines around holidays, make-up weekends, weekends and the year end, date by date.

Every expected date below was counted by hand from the State Council's holiday notices
(2024: 国办发明电〔2023〕7号; 2026: 国办发明电〔2025〕7号) and is checked again against the
Shanghai exchange's real sessions (exchange_calendars' XSHG) where that calendar covers it.
"""

import json
from datetime import date

import pytest

from tests.conftest import register

xc = pytest.importorskip("exchange_calendars")
XSHG = xc.get_calendar("XSHG")
SESSIONS = {s.date() for s in XSHG.sessions}


def xshg_trading_days_after(start: date, end: date) -> int:
    return sum(1 for d in SESSIONS if start < d <= end)


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
    number = register(cli, received)
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
    cli("resolve", number, "--result", "已答复", "--at", resolved)
    assert deadlines(cli, number)["callback"]["due"] == due


def test_extension_moves_completion_and_keeps_the_original(cli):
    number = register(cli, "2026-09-30")  # T+20 = 2026-11-04
    cli("accept", number, "--at", "2026-10-08")
    cli("assign", number, "--handler", "赵六", "--at", "2026-10-08")
    cli("extend", number, "--days", "5", "--reason", "调取录音", "--at", "2026-11-04")
    found = deadlines(cli, number)["completion"]
    assert found["original_due"] == "2026-11-04"
    assert found["due"] == "2026-11-11"  # 11-05, 06, 09, 10, 11


def test_regulator_reply_is_due_with_completion(cli):
    number = register(cli, "2026-04-30", "--channel", "regulator", "--source", "12386", "--transfer-no", "ZJ-1")
    found = deadlines(cli, number)
    assert found["regulator_reply"]["due"] == found["completion"]["due"] == "2026-06-02"


def test_year_end_is_provisional_until_the_schedule_is_imported(cli, tmp_path):
    # 2027's schedule is not in chinese-calendar: weekends only, marked provisional.
    number = register(cli, "2026-12-14")
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
    cli("calendar", "import", schedule)
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
    before = register(cli, "2026-03-02")
    cli("policy", "set", "--at", "2026-05-20", "--effective-from", "2026-06-01", "--completion-days", "15",
        "--completion-unit", "working")
    after = register(cli, "2026-06-01")
    assert deadlines(cli, before)["completion"]["due"] == "2026-03-30"  # 20 trading days, unchanged
    # 15 working days after Mon 2026-06-01: 06-02..05 (4), 06-08..12 (9), 06-15..18 (13), 06-19 holiday,
    # 06-22 (14), 06-23 (15)
    assert deadlines(cli, after)["completion"]["due"] == "2026-06-23"
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert [p["effective_from"] for p in shown] == ["2026-06-01"]
