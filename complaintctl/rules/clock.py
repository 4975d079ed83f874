"""Business time: everything the ledger records is in Shanghai time, whatever the machine's zone.

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every
date this ledger can hold and needs no tz database on the machine.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# For tests and demos only: pretend "now" is this Shanghai time ("YYYY-MM-DD HH:MM").
NOW_ENV = "COMPLAINTCTL_NOW"

# The ways people write a day, and a time after it (NFKC has already made full-width forms plain).
_DAY = (
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
    r"?|(?P<cm8>\d{2})(?P<cd8>\d{2}))"
)
_DATE = re.compile(_DAY)
_DATE_TIME = re.compile(_DAY + r"(?:\s*T\s*|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?")

# Named in every refusal of a date, so the user sees at once what will do.
DATE_FORMS = "2026-11-20, 2026/11/20, 2026.11.20, 20261120 or 2026年11月20日"
TIME_FORMS = "9:00 or 09:00"


def typed(text: str) -> str:
    """A value as typed, made plain: full-width digits, letters, hyphens, colons and spaces (NFKC)."""
    import unicodedata

    return unicodedata.normalize("NFKC", text).strip()


_typing_at: datetime | None = None  # set by `typing_at`: the demo's steps are typed in when they happen


@contextmanager
def typing_at(moment: datetime):
    """For the demo only: "now" is `moment` while its steps are recorded, so each event's recorded_at
    is when a specialist would have typed it, and only the entries meant to be late are late."""
    global _typing_at
    previous, _typing_at = _typing_at, moment
    try:
        yield
    finally:
        _typing_at = previous


def now() -> datetime:
    if _typing_at is not None:
        return _typing_at
    fake = os.environ.get(NOW_ENV)
    if fake:
        return parse_at(fake, option=NOW_ENV, check_future=False)
    return datetime.now(SHANGHAI).replace(microsecond=0)


def today() -> date:
    return now().date()


def _day(match: re.Match, option: str, text: str) -> date:
    month = match.group("m") or match.group("cm") or match.group("cm8")
    day = match.group("d") or match.group("cd") or match.group("cd8")
    try:
        return date(int(match.group("y")), int(month), int(day))
    except ValueError:
        raise ComplaintError(_("{option}: {text} is not a real date").format(option=option, text=text)) from None


def parse_date(text: str, option: str = "date") -> date:
    """A calendar day in any of DATE_FORMS; anything else is refused, impossible dates too."""
    plain = typed(text)
    match = _DATE.fullmatch(plain)
    if not match:
        raise ComplaintError(
            _("{option}: {text!r} is not a date; write it as {forms}").format(
                option=option, text=text.strip(), forms=DATE_FORMS
            )
        )
    return _day(match, option, plain)


def parse_at(text: str, option: str = "--at", check_future: bool = True) -> datetime:
    """When something happened: a day (DATE_FORMS), a day and a time (Shanghai), or ISO 8601 with offset.

    A date alone means the start of that day in Shanghai. Times in the future are refused: a
    ledger entry records what has happened, and a mistyped year is the commonest slip.
    """
    raw = typed(text)
    day_only, with_time = _DATE.fullmatch(raw), _DATE_TIME.fullmatch(raw)
    if day_only:
        moment = datetime.combine(_day(day_only, option, raw), time(0, 0), SHANGHAI)
    elif with_time:
        clock_time = (int(with_time.group("H")), int(with_time.group("M")), int(with_time.group("S") or 0))
        if not (clock_time[0] < 24 and clock_time[1] < 60 and clock_time[2] < 60):
            raise ComplaintError(_("{option}: {text} is not a real time of day").format(option=option, text=raw))
        moment = datetime.combine(_day(with_time, option, raw), time(*clock_time), SHANGHAI)
    else:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ComplaintError(
                _(
                    "{option}: {text!r} is not a date or time; write a day as {forms}, and a time "
                    "after it as {times} (Shanghai time), or ISO 8601 with an offset"
                ).format(option=option, text=text.strip(), forms=DATE_FORMS, times=TIME_FORMS)
            )
        moment = parsed.astimezone(SHANGHAI)
    if moment.year < 1990:
        raise ComplaintError(_("{option}: {raw} is before 1990; check the year").format(option=option, raw=raw))
    if check_future and moment > now() + timedelta(minutes=5):
        raise ComplaintError(
            _("{option}: {raw} is in the future; the ledger records what has happened").format(option=option, raw=raw)
        )
    return moment


def iso(moment: datetime) -> str:
    """The stored form: ISO 8601 in Shanghai time with its offset, to the second."""
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(SHANGHAI)


def day_of(text: str) -> date:
    """The Shanghai calendar day of a stored time."""
    if text.endswith("+08:00"):  # how iso() stores every time: the day is its first ten characters
        return date.fromisoformat(text[:10])
    return from_iso(text).date()


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1
