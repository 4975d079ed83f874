"""Business time: everything the ledger records is in Shanghai time, whatever the machine's zone.

China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every
date this ledger can hold and needs no tz database on the machine.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta, timezone

from complaintctl.errors import ComplaintError

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# For tests and demos only: pretend "now" is this Shanghai time ("YYYY-MM-DD HH:MM").
NOW_ENV = "COMPLAINTCTL_NOW"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")


def now() -> datetime:
    fake = os.environ.get(NOW_ENV)
    if fake:
        return parse_at(fake, option=NOW_ENV, check_future=False)
    return datetime.now(SHANGHAI).replace(microsecond=0)


def today() -> date:
    return now().date()


def parse_date(text: str, option: str = "date") -> date:
    """A calendar date written YYYY-MM-DD; anything else is refused, impossible dates too."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        raise ComplaintError(f"{option} must be a date written YYYY-MM-DD, not {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ComplaintError(f"{option}: {text} is not a real date") from None


def parse_at(text: str, option: str = "--at", check_future: bool = True) -> datetime:
    """When something happened: YYYY-MM-DD, YYYY-MM-DD HH:MM (Shanghai), or ISO 8601 with offset.

    A date alone means the start of that day in Shanghai. Times in the future are refused: a
    ledger entry records what has happened, and a mistyped year is the commonest slip.
    """
    raw = text.strip()
    if _DATE.fullmatch(raw):
        moment = datetime.combine(parse_date(raw, option), time(0, 0), SHANGHAI)
    else:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is None or not (_DATE_TIME.fullmatch(raw) or parsed.tzinfo is not None):
            raise ComplaintError(
                f"{option} must be YYYY-MM-DD, YYYY-MM-DD HH:MM (Shanghai time) or ISO 8601 "
                f"with an offset, not {text!r}"
            )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=SHANGHAI)
        moment = parsed.astimezone(SHANGHAI)
    if moment.year < 1990:
        raise ComplaintError(f"{option}: {raw} is before 1990; check the year")
    if check_future and moment > now() + timedelta(minutes=5):
        raise ComplaintError(f"{option}: {raw} is in the future; the ledger records what has happened")
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
