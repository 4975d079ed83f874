"""Local calendar data: single-day corrections and imported official holiday schedules.

Each change is an event (complaint = NULL) plus a row in calendar_days / calendar_years, in one
transaction. Deadlines are derived on read, so every open deadline moves with the change.

Schedule file format (TOML, one file a year; see sample_data/calendar-2026.toml):

    year = 2027
    source = "国办发明电〔2026〕N号"          # the notice it was copied from
    holidays = ["2027-01-01", "2027-02-06..2027-02-12"]   # official rest days; A..B is a range
    workdays = ["2027-02-14"]                 # weekend make-up working days (调休上班)
    closures = []                             # exchange-only closures on working weekdays
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from complaintctl import clock
from complaintctl.errors import ComplaintError
from complaintctl.ledger import Ledger
from complaintctl.models import CalendarDay, CalendarYear
from complaintctl.i18n import _

DAY_KINDS = {"holiday": "法定节假日", "workday": "调休上班", "closure": "交易所休市"}


def _days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ComplaintError(_("--to {last} is before {first}").format(last=last, first=first))
    if (last - first).days > 366:
        raise ComplaintError(_("a range may span at most one year"))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def add_days(ledger: Ledger, kind: str, first: date, last: date | None, note: str | None,
             at: datetime, by: str) -> list[date]:
    """Record local holidays, make-up workdays or exchange closures; they override the package."""
    days = _days_between(first, last or first)
    if kind == "closure":
        weekend = [d for d in days if d.weekday() >= 5]
        if weekend:
            raise ComplaintError(_("{value} is a weekend; the exchanges never open on weekends, so a closure only makes sense on a weekday").format(value=weekend[0]))
    if kind == "workday":
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays and all(not ledger.calendar().is_holiday(d) for d in weekdays):
            raise ComplaintError(_("{value} is already a working day; add-workday is for weekend make-up days (调休上班) or to correct a wrong holiday").format(value=weekdays[0]))
    with ledger.transaction() as session:
        event = ledger.append(session, None, f"calendar_{kind}", clock.iso(at), by,
                              {"days": [d.isoformat() for d in days], "note": note})
        for day in days:
            row = session.get(CalendarDay, day.isoformat())
            if row is None:
                row = CalendarDay(day=day.isoformat(), kind=kind, note=note or "", event=event.id)
            else:
                row.kind, row.note, row.event = kind, note or "", event.id
            session.add(row)
    ledger.forget_cached()
    return days


def _parse_days(values, year: int, name: str, source: Path) -> list[date]:
    if not isinstance(values, list):
        raise ComplaintError(_("{source}: '{name}' must be a list of dates").format(source=source, name=name))
    days: list[date] = []
    for value in values:
        text = str(value)
        first_text, _dots, last_text = text.partition("..")
        first = clock.parse_date(first_text, f"{source.name}: {name}")
        last = clock.parse_date(last_text, f"{source.name}: {name}") if last_text else first
        for day in _days_between(first, last):
            if day.year != year:
                raise ComplaintError(_("{name}: {day} in '{name2}' is not in {year}").format(name=source.name, day=day, name2=name, year=year))
            days.append(day)
    return days


def read_schedule(path: Path) -> dict:
    """Parse and check a schedule file; nothing is written."""
    source = Path(path)
    if not source.is_file():
        raise ComplaintError(_("calendar import: no such file {source}").format(source=source))
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ComplaintError(_("{name} is not a valid schedule file (TOML): {exc}").format(name=source.name, exc=exc)) from None
    year = data.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ComplaintError(_("{name}: 'year' must be a year such as 2027").format(name=source.name))
    schedule = {"year": year, "source": str(data.get("source", source.name))}
    for name in ("holidays", "workdays", "closures"):
        schedule[name] = _parse_days(data.get(name, []), year, name, source)
    if not schedule["holidays"]:
        raise ComplaintError(_("{name}: 'holidays' is empty; a year's schedule lists its holidays").format(name=source.name))
    both = set(schedule["holidays"]) & set(schedule["workdays"])
    if both:
        raise ComplaintError(_("{name}: {min} is listed both as a holiday and a workday").format(name=source.name, min=min(both)))
    unknown = set(data) - {"year", "source", "holidays", "workdays", "closures"}
    if unknown:
        raise ComplaintError(_("{name}: unknown key {value!r}; the keys are year, source, holidays, workdays, closures").format(name=source.name, value=sorted(unknown)[0]))
    return schedule


def import_schedule(ledger: Ledger, path: Path, at: datetime, by: str) -> dict:
    schedule = read_schedule(path)
    year = schedule["year"]
    with ledger.transaction() as session:
        existing = session.get(CalendarYear, year)
        if existing is not None:
            raise ComplaintError(_("the {year} schedule was already imported ({source}); correct single days with `calendar add-holiday` / `add-workday` / `add-closure`").format(year=year, source=existing.source))
        payload = {k: ([d.isoformat() for d in v] if isinstance(v, list) else v) for k, v in schedule.items()}
        event = ledger.append(session, None, "calendar_imported", clock.iso(at), by, payload)
        for kind, name in (("holiday", "holidays"), ("workday", "workdays"), ("closure", "closures")):
            for day in schedule[name]:
                row = session.get(CalendarDay, day.isoformat())
                note = f"{year} schedule: {schedule['source']}"
                if row is None:
                    row = CalendarDay(day=day.isoformat(), kind=kind, note=note, event=event.id)
                else:
                    row.kind, row.note, row.event = kind, note, event.id
                session.add(row)
        session.add(CalendarYear(year=year, source=schedule["source"], event=event.id))
    ledger.forget_cached()
    return schedule


def local_days(ledger: Ledger, year: int | None = None) -> list[CalendarDay]:
    with ledger.transaction(write=False) as session:
        query = select(CalendarDay).order_by(CalendarDay.day)
        if year is not None:
            query = query.where(CalendarDay.day.startswith(f"{year}-"))
        return list(session.exec(query))
