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

# The ways people write a day (NFKC has already made full-width forms plain).
_DAY = (
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
    r"?|(?P<cm8>\d{2})(?P<cd8>\d{2}))"
)

# ... and as people say them (issue 42): a day counted from today, a month and day without the year,
# and a time of day as it is spoken (下午3点, 10点半), alone or after the day, with or without a space.
PAST, COMING = "past", "coming"  # which 11月20日 is meant: the latest up to today, or the next from today
RELATIVE_DAYS = {"前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
_SAID_DAY = r"(?P<rel>前天|昨天|昨日|今天|今日|明天|明日|后天)|(?P<sm>\d{1,2})月(?P<sd>\d{1,2})[日号]?"
_TIME = (
    r"(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?\s*(?:(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"|(?P<zH>\d{1,2})[点點时時](?:(?P<half>半)|(?P<zM>\d{1,2})分?)?整?)"
)
_SPOKEN = re.compile(rf"(?:(?P<day>{_DAY}|{_SAID_DAY})(?P<gap>\s*T\s*|\s*))?(?P<time>{_TIME})?")
# What each part of the day allows (a 12-hour clock), and what it adds: 下午3点 is 15:00, 下午13点 is refused.
_PARTS = {
    "凌晨": (range(0, 7), 0),
    "早上": (range(0, 12), 0),
    "早晨": (range(0, 12), 0),
    "上午": (range(0, 12), 0),
    "下午": (range(1, 12), 12),
    "傍晚": (range(1, 12), 12),
    "晚上": (range(5, 12), 12),
}


def date_forms(direction: str | None = None) -> str:
    """The forms of a day an option takes, named in every refusal of one, in the user's language."""
    if direction == PAST:
        return _(
            "2026-11-20, 2026/11/20, 2026.11.20, 20261120, 2026年11月20日, 11月20日 (the latest such day up to today), "
            "今天, 昨天, 前天, 明天 or 后天"
        )
    if direction == COMING:
        return _(
            "2026-11-20, 2026/11/20, 2026.11.20, 20261120, 2026年11月20日, 11月20日 (the next such day from today), "
            "今天, 明天, 后天, 昨天 or 前天"
        )
    return _("2026-11-20, 2026/11/20, 2026.11.20, 20261120 or 2026年11月20日")


def time_forms() -> str:
    return _("15:30, 10点, 10点半, 10点30分, 上午9点, 中午12点, 下午3点 or 晚上8点")


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


def _said_day(match: re.Match, direction: str, option: str, text: str) -> date:
    """今天, 昨天 …, or 11月20日: the latest such day up to today (PAST) or the next from today (COMING)."""
    base = today()
    if match.group("rel"):
        return base + timedelta(days=RELATIVE_DAYS[match.group("rel")])
    month, day = int(match.group("sm")), int(match.group("sd"))
    step = -1 if direction == PAST else 1
    for years in range(9):  # 2月29日 is a leap year's, at most eight years away
        try:
            found = date(base.year + step * years, month, day)
        except ValueError:
            continue
        if (found <= base) if direction == PAST else (found >= base):
            return found
    raise ComplaintError(_("{option}: {text} is not a real date").format(option=option, text=text))


def _clock_time(match: re.Match, option: str, text: str) -> time:
    """The time of day of a match of _TIME: 15:30, 10点半, 下午3点 (15:00); a part of the day and an hour that
    contradict each other (上午12点, 下午13点) are refused."""
    if match.group("H") is not None:
        hour, minute, second = int(match.group("H")), int(match.group("M")), int(match.group("S") or 0)
    else:
        hour, second = int(match.group("zH")), 0
        minute = 30 if match.group("half") else int(match.group("zM") or 0)
    part = match.group("part")
    if part == "中午":  # noon: 11点, 12点, 12点半, and 1点 (13:00)
        allowed, add = (range(11, 14), 0) if hour != 1 else (range(1, 2), 12)
    elif part:
        allowed, add = _PARTS[part]
    else:
        allowed, add = range(0, 24), 0
    if not (minute < 60 and second < 60 and hour < 24):
        raise ComplaintError(_("{option}: {text} is not a real time of day").format(option=option, text=text))
    if hour not in allowed:
        raise ComplaintError(
            _("{option}: {text}: {part} and {hour} o'clock contradict each other; write e.g. 下午3点 or 15:00").format(
                option=option, text=text, part=part, hour=hour
            )
        )
    return time(hour + add, minute, second)


def _spoken(text: str, direction: str | None) -> re.Match | None:
    """The day and time of `text` as people write and say them; None when it is neither. Year-less and
    relative forms, and a time alone, only where the caller said which way a year-less day goes."""
    match = _SPOKEN.fullmatch(text)
    if not match or not (match.group("day") or match.group("time")):
        return None
    if match.group("day") and match.group("time") and not match.group("gap"):
        if match.group("day")[-1].isdigit() and match.group("time")[0].isdigit():
            return None  # 2026-11-2010:00: where the day ends is a guess
    said = match.group("rel") or match.group("sm") or not match.group("day")
    if said and direction is None:
        return None
    return match


def _the_day(match: re.Match, direction: str | None, option: str, text: str) -> date:
    if match.group("y"):
        return _day(match, option, text)
    return _said_day(match, direction, option, text)


def parse_date(text: str, option: str = "date", direction: str | None = None) -> date:
    """A calendar day in any of date_forms(direction); anything else is refused, impossible dates too.

    `direction` (PAST or COMING) is the caller's word for which 11月20日 is meant, and allows the days
    counted from today (今天, 昨天, 明天 …); without it only a day with its year is taken.
    """
    plain = typed(text)
    match = _spoken(plain, direction)
    if not match or not match.group("day") or match.group("time"):
        raise ComplaintError(
            _("{option}: {text!r} is not a date; write it as {forms}").format(
                option=option, text=text.strip(), forms=date_forms(direction)
            )
        )
    return _the_day(match, direction, option, plain)


FUTURE_SLACK = timedelta(minutes=1)  # a clock a little behind the specialist's watch; a mistyped day is more


def parse_at(text: str, option: str = "--at", check_future: bool = True, direction: str | None = None) -> datetime:
    """When something happened: a day (date_forms), a day and a time (Shanghai), or ISO 8601 with offset.

    A date alone means the start of that day in Shanghai; with `direction` (PAST for what has happened)
    a time alone means today at that time, and the spoken forms are taken (昨天 10点, 11月20日 下午3点).
    Times more than a minute in the future are refused: a ledger entry records what has happened
    (CSA 9.4), and a mistyped day is the commonest slip.
    """
    raw = typed(text)
    match = _spoken(raw, direction)
    if match:
        day = _the_day(match, direction, option, raw) if match.group("day") else today()
        at = _clock_time(match, option, raw) if match.group("time") else time(0, 0)
        moment = datetime.combine(day, at, SHANGHAI)
    else:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            if direction is None:
                raise ComplaintError(
                    _(
                        "{option}: {text!r} is not a date or time; write a day as {forms}, and a time "
                        "after it as {times} (Shanghai time), or ISO 8601 with an offset"
                    ).format(option=option, text=text.strip(), forms=date_forms(), times=time_forms())
                )
            raise ComplaintError(
                _(
                    "{option}: {text!r} is not a date or time; write a day as {forms}; a time as {times}, "
                    "alone for today or after the day (Shanghai time); or e.g. 2026-11-20T10:00+08:00"
                ).format(option=option, text=text.strip(), forms=date_forms(direction), times=time_forms())
            )
        moment = parsed.astimezone(SHANGHAI)
    if moment.year < 1990:
        raise ComplaintError(_("{option}: {raw} is before 1990; check the year").format(option=option, raw=raw))
    if check_future:
        current = now()
        if moment > current + FUTURE_SLACK:
            raise ComplaintError(
                _(
                    "{option}: {raw} ({moment}) is in the future, more than a minute after now ({now}); the "
                    "ledger records what has happened"
                ).format(option=option, raw=raw, moment=_to_second(moment), now=_to_second(current)),
                "CSA 9.4",
            )
    return moment


def _to_second(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


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
