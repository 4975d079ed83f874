"""Trading days and working days, with the package's data, local corrections and provisional years.

- Trading day (交易日): the Shanghai and Shenzhen exchanges are open: Monday to Friday, not an
  official holiday, and not an exchange-only closure. A weekend make-up working day (调休上班)
  is NOT a trading day.
- Working day (工作日): an official working day, make-up weekend days included (Firm 18(5)).

chinese-calendar knows only the years it ships. For any other year we count weekends only and
call the year *provisional* until the user imports its official schedule (`calendar import`).
Local data (add-holiday, add-workday, add-closure, imports) always wins over the package, so a
correction or a newer State Council notice takes effect without waiting for a package release.

Day lists are built once per process and searched with bisect: asking chinese-calendar about
each day in turn costs ~17 µs a call, far too slow for a ledger-wide deadline scan.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

from complaintctl.i18n import _, pick

# Weekdays on which the exchanges closed although they were official working days. Checked
# against exchange_calendars' XSHG for 2007-2026 in tests/test_calendar.py.
EXCHANGE_CLOSURES: dict[date, tuple[str, str]] = {
    date(2024, 2, 9): (
        "春节前休市（除夕），工作日休市",
        "closed before the Spring Festival (New Year's Eve), an official working day",
    ),
}

HOLIDAY_NAMES = {  # chinese-calendar names its holidays in English
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

FIRST_YEAR = 2004  # the earliest year chinese-calendar ships


@dataclass(frozen=True)
class DayOverride:
    day: date
    kind: str  # "holiday" | "workday" | "closure"
    note: str = ""


@dataclass
class Calendar:
    overrides: list[DayOverride] = field(default_factory=list)
    imported_years: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        from chinese_calendar import constants  # the package's tables, read directly (fast)

        self._package_holidays = constants.holidays
        self._package_workdays = constants.workdays
        self.package_years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
        self._holidays = {o.day for o in self.overrides if o.kind == "holiday"}
        self._workdays = {o.day for o in self.overrides if o.kind == "workday"}
        self._closures = {o.day for o in self.overrides if o.kind == "closure"} | set(EXCHANGE_CLOSURES)
        self._trading: list[date] = []
        self._working: list[date] = []
        self._built_from: date | None = None  # the lists cover whole years, built on first use
        self._built_to: date | None = None

    # -- what a day is -------------------------------------------------------------------------
    def covered(self, year: int) -> bool:
        """Whether we know the year's official schedule (package or import)."""
        return year in self.package_years or year in self.imported_years

    def is_holiday(self, day: date) -> bool:
        """An official rest day falling on a weekday (or a weekend day declared holiday)."""
        if day in self._holidays:
            return True
        if day in self._workdays:
            return False
        return day in self._package_holidays

    def is_working_day(self, day: date) -> bool:
        if day in self._holidays:
            return False
        if day in self._workdays or day in self._package_workdays:
            return True
        return day.weekday() < 5 and not self.is_holiday(day)

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day) and day not in self._closures

    def describe(self, day: date) -> str:
        """Why a day is what it is, for `calendar show`."""
        if day in self._closures and day.weekday() < 5 and not self.is_holiday(day):
            return pick(*EXCHANGE_CLOSURES[day]) if day in EXCHANGE_CLOSURES else _("exchange closure")
        if self.is_holiday(day):
            english = self._package_holidays.get(day) if day not in self._holidays else None
            if english:
                return _("{name} (public holiday)").format(name=pick(HOLIDAY_NAMES.get(english, english), english))
            return _("public holiday")
        if day.weekday() >= 5 and self.is_working_day(day):
            return _("make-up working day, not a trading day")
        return _("weekend") if day.weekday() >= 5 else _("trading day")

    # -- counting ------------------------------------------------------------------------------
    def _build(self, first: date, last: date) -> tuple[list[date], list[date]]:
        trading, working = [], []
        day = first
        while day <= last:
            if self.is_trading_day(day):
                trading.append(day)
            if self.is_working_day(day):
                working.append(day)
            day += timedelta(days=1)
        return trading, working

    def _ensure(self, low: date, high: date) -> None:
        """Build the day lists to cover whole years from low to high, and no more (it is done per process)."""
        if self._built_from is None:
            self._built_from = date(low.year, 1, 1)
            self._built_to = self._built_from - timedelta(days=1)
        if low < self._built_from:
            first = date(low.year, 1, 1)
            trading, working = self._build(first, self._built_from - timedelta(days=1))
            self._trading[:0], self._working[:0] = trading, working
            self._built_from = first
        if high > self._built_to:
            trading, working = self._build(self._built_to + timedelta(days=1), date(high.year, 12, 31))
            self._trading += trading
            self._working += working
            self._built_to = date(high.year, 12, 31)

    def _days(self, kind: str) -> list[date]:
        return self._trading if kind == "trading" else self._working

    def add_days(self, start: date, count: int, kind: str = "trading") -> date:
        """The count-th trading (or working) day after `start`; start itself never counts.

        "Within N days" includes day N (CSA 12.1), so T+3 is the deadline itself. When T is
        not a trading day, counting starts from the next trading day all the same.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        # Build far enough: count days of either kind fit in count*2 + 60 calendar days.
        self._ensure(start, start + timedelta(days=count * 2 + 60))
        days = self._days(kind)
        return days[bisect_right(days, start) + count - 1]

    def count_days(self, after: date, upto: date, kind: str = "trading") -> int:
        """How many trading (working) days d with after < d <= upto; negative if upto < after."""
        if upto < after:
            return -self.count_days(upto, after, kind)
        self._ensure(after, upto)
        days = self._days(kind)
        return bisect_right(days, upto) - bisect_right(days, after)

    def next_days(self, start: date, count: int, kind: str = "trading") -> list[date]:
        self._ensure(start, start + timedelta(days=count * 2 + 60))
        days = self._days(kind)
        i = bisect_right(days, start)
        return days[i : i + count]

    def provisional(self, start: date, end: date) -> list[int]:
        """The years between start and end whose schedule we do not know (weekends only)."""
        if start.year == end.year:  # the common case, asked for every deadline of every open complaint
            return [] if self.covered(start.year) else [start.year]
        return [y for y in range(start.year, end.year + 1) if not self.covered(y)]
