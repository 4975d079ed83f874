"""The trading-day table against an independent exchange calendar, and the calendar commands."""

import json
from datetime import date, timedelta

import pytest

from complaintctl.rules.calendar import Calendar

xc = pytest.importorskip("exchange_calendars")


@pytest.fixture(scope="module")
def xshg_sessions() -> set[date]:
    calendar = xc.get_calendar("XSHG")
    return {s.date() for s in calendar.sessions}


def test_trading_days_match_the_shanghai_exchange_for_every_year_both_cover(xshg_sessions):
    ours = Calendar()
    first, last = date(2007, 1, 1), max(xshg_sessions)  # XSHG starts in late 2006
    assert last >= date(2026, 12, 31)
    mismatches = []
    day = first
    while day <= last:
        if ours.covered(day.year) and ours.is_trading_day(day) != (day in xshg_sessions):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_make_up_weekend_days_are_working_days_but_never_trading_days():
    cal = Calendar()
    for makeup in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 10, 10), date(2024, 2, 18)):
        assert cal.is_working_day(makeup)
        assert not cal.is_trading_day(makeup)


def test_exchange_only_closure_2024_lunar_new_years_eve():
    cal = Calendar()
    eve = date(2024, 2, 9)  # an official working Friday; the exchanges closed
    assert cal.is_working_day(eve)
    assert not cal.is_trading_day(eve)


def test_year_without_data_counts_weekends_only_and_is_provisional():
    cal = Calendar()
    assert not cal.covered(2027)
    assert cal.is_trading_day(date(2027, 1, 1))  # a Friday; the real New Year holiday is unknown here
    assert cal.provisional(date(2026, 12, 20), date(2027, 1, 5)) == [2027]
    assert cal.provisional(date(2026, 1, 5), date(2026, 2, 5)) == []


def test_is_trading_day_gates_cron_by_exit_code(cli):
    assert cli("calendar", "is-trading-day", "2026-11-20", ok=False).exit_code == 0  # Friday
    assert cli("calendar", "is-trading-day", "2026-11-21", ok=False).exit_code == 1  # Saturday
    assert cli("calendar", "is-trading-day", "2026-10-10", ok=False).exit_code == 1  # make-up Saturday
    bad = cli("calendar", "is-trading-day", "2026-02-30", ok=False)
    assert bad.exit_code == 1 and "not a real date" in bad.stderr


def test_calendar_next_lists_t_plus_n(cli):
    out = cli("calendar", "next", "3", "--from", "2026-09-30").stdout.splitlines()
    assert out == ["T+1\t2026-10-08", "T+2\t2026-10-09", "T+3\t2026-10-12"]


def test_local_corrections_override_the_package(cli):
    # An (imagined) extra closure on Monday 2026-11-23 moves T+1 of Friday 2026-11-20.
    cli("calendar", "add-closure", "2026-11-23", "--note", "test closure", "--reason", "a past day (TEST_NOW)")
    assert cli("calendar", "next", "1", "--from", "2026-11-20").stdout.strip() == "T+1\t2026-11-24"
    refused = cli("calendar", "add-closure", "2026-11-22", "--note", "test", "--reason", "test", ok=False)
    assert refused.exit_code == 1 and "weekend" in refused.stderr


def test_calendar_show_lists_special_days(cli):
    data = json.loads(cli("calendar", "show", "--year", "2026", "--json").stdout)
    assert data["covered"] is True
    # 2026 has 261 weekdays; 19 of them are holidays: 元旦 2, 春节 6, 清明 1, 劳动 3, 端午 1, 中秋 1, 国庆 5.
    assert data["trading_days"] == 242
    specials = {d["date"]: d for d in data["special_days"]}
    assert specials["2026-10-10"]["working_day"] is True and specials["2026-10-10"]["trading_day"] is False
    assert specials["2026-10-01"]["trading_day"] is False


def test_sample_schedule_matches_the_package(tmp_path):
    """sample_data/calendar-2026.toml was copied from 国办发明电〔2025〕7号; it must agree with the package."""
    from pathlib import Path

    from complaintctl.store.calendar_data import read_schedule
    from chinese_calendar import constants

    schedule = read_schedule(Path(__file__).parent.parent / "sample_data" / "calendar-2026.toml")
    assert set(schedule["holidays"]) == {d for d in constants.holidays if d.year == 2026}
    assert set(schedule["workdays"]) == {d for d in constants.workdays if d.year == 2026}


def test_day_lists_built_late_for_an_earlier_year_give_the_same_answers():
    """The calendar builds only the years asked for; asking for an earlier year later must still count right."""
    from complaintctl.rules.calendar import Calendar

    calendar = Calendar()
    assert calendar.add_days(date(2026, 11, 20), 3) == date(2026, 11, 25)  # Mon 23, Tue 24, Wed 25
    # 2024-02-07 (Wed) + 3 trading days: Thu 8; Fri 9 exchange closure; 10-17 Spring Festival; Mon 19, Tue 20.
    assert calendar.add_days(date(2024, 2, 7), 3) == date(2024, 2, 20)
    assert calendar.count_days(date(2023, 12, 29), date(2024, 1, 5)) == 4  # Jan 1 holiday; 2, 3, 4, 5
    assert Calendar().add_days(date(2024, 2, 7), 3) == date(2024, 2, 20)
