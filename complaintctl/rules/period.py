"""A report's period: a month, a quarter or a year, as typed (--month 2026-10, --quarter 2026Q3,
--year 2026, 'last'), and the day its figures are counted to. Pure: dates in, dates out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from complaintctl.rules import clock
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

# -- the period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    start: date
    end: date
    code: str  # 2026-10 | 2026Q3 | 2026: for file names and the audit event
    label: str  # 2026年10月 | 2026年第3季度 | 2026年度

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= _day(day) <= self.end

    def months(self) -> list[tuple[int, int]]:
        return [(self.start.year, m) for m in range(self.start.month, self.end.month + 1)]


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def month_period(year: int, month: int) -> Period:
    end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return Period("month", date(year, month, 1), end, f"{year}-{month:02d}", f"{year}年{month}月")


def quarter_period(year: int, quarter: int) -> Period:
    first = month_period(year, 3 * quarter - 2)
    last = month_period(year, 3 * quarter)
    return Period("quarter", first.start, last.end, f"{year}Q{quarter}", f"{year}年第{quarter}季度")


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31), f"{year}", f"{year}年度")


def parse_period(
    month: str | None = None, quarter: str | None = None, year: str | None = None, today: date | None = None
) -> Period:
    """Exactly one of --month 2026-10, --quarter 2026Q3, --year 2026; 'last' means the last complete one."""
    today = today or clock.today()
    given = [
        (name, value) for name, value in (("month", month), ("quarter", quarter), ("year", year)) if value is not None
    ]
    if len(given) != 1:
        raise ComplaintError(
            _(
                "give exactly one of --month YYYY-MM, --quarter YYYYQn or --year YYYY ('last' for the "
                "last complete one)"
            ),
            "CSA 9.2.3",
        )
    name, raw = given[0]
    text = raw.strip().upper().replace(" ", "")
    if name == "month":
        if text in ("LAST", "上月"):
            prior = today.replace(day=1) - timedelta(days=1)
            period = month_period(prior.year, prior.month)
        else:
            match = re.fullmatch(r"(\d{4})(?:-|年)(\d{1,2})月?", text)
            if not match or not 1 <= int(match.group(2)) <= 12:
                raise ComplaintError(_("--month must look like 2026-10, not {raw!r}").format(raw=raw))
            period = month_period(int(match.group(1)), int(match.group(2)))
    elif name == "quarter":
        if text in ("LAST", "上季度"):
            y, q = clock.quarter_of(today)
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
            period = quarter_period(y, q)
        else:
            match = re.fullmatch(r"(\d{4})-?Q([1-4])", text) or re.fullmatch(r"(\d{4})年第?([1-4])季度?", text)
            if not match:
                raise ComplaintError(_("--quarter must look like 2026Q3, not {raw!r}").format(raw=raw))
            period = quarter_period(int(match.group(1)), int(match.group(2)))
    else:
        if text in ("LAST", "上年"):
            period = year_period(today.year - 1)
        else:
            match = re.fullmatch(r"(\d{4})年?", text)
            if not match:
                raise ComplaintError(_("--year must look like 2026, not {raw!r}").format(raw=raw))
            period = year_period(int(match.group(1)))
    if period.start.year < 1990:
        raise ComplaintError(_("--{name} {raw}: the ledger holds nothing before 1990").format(name=name, raw=raw))
    if period.start > today:
        raise ComplaintError(
            _("{label} has not begun yet (today is {today})").format(label=period.label, today=today), "CSA 9.2.3"
        )
    return period


def cutoff_for(period: Period, as_of: date | None, today: date | None = None) -> date:
    """The last day whose events count: the period's end, or today while the period runs."""
    today = today or clock.today()
    if as_of is None:
        return min(period.end, today)
    if as_of < period.start:
        raise ComplaintError(
            _("--as-of {as_of} is before {label} begins ({start})").format(
                as_of=as_of, label=period.label, start=period.start
            )
        )
    if as_of > today:
        raise ComplaintError(
            _("--as-of {as_of} is in the future; the report shows what has happened").format(as_of=as_of)
        )
    return as_of
