"""Local calendar data: single-day corrections and imported official holiday schedules.

Each change is an event (complaint = NULL, in the firm-wide chain '': a branch's own file has no other)
plus a row in calendar_days / calendar_years, in one transaction. The event holds all its rows hold,
so `verify` rebuilds the two tables from the events and compares (complaintctl/chain_tables.py).
Deadlines are derived on read, so every open deadline moves with the change.

Schedule file format (TOML, one file a year; see sample_data/calendar-2026.toml):

    year = 2027
    source = "国办发明电〔2026〕N号"          # the notice it was copied from
    holidays = ["2027-01-01", "2027-02-06..2027-02-12"]   # official rest days; A..B is a range
    workdays = ["2027-02-14"]                 # weekend make-up working days (调休上班)
    closures = []                             # exchange-only closures on working weekdays

Calendar corrections are part of the record (CSA 9.4; DOMAIN "calendar corrections"): they move
deadlines as a policy does, so every change needs `--note` (where it comes from: the notice, the
exchange's announcement), kept in its event; a correction of a day already past when typed (an
add-* range with a day before today, or an import that changes a day before today) needs `--reason`
as well. `show` marks a deadline a local correction moved (`corrections_in_force`, `without_corrections`);
the report lists the corrections that touch its period (`corrections`).
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from complaintctl.rules import clock
from complaintctl.rules.calendar import Calendar, DayOverride
from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger
from complaintctl.i18n import _

if TYPE_CHECKING:
    from complaintctl.store.ledger_wide_models import CalendarDay

# The ORM (sqlmodel, complaintctl.store.models) is imported by the writing functions only: `show` reads the
# corrections through the driver alone (tests/test_cli.py, read commands load no ORM).

DAY_KINDS = {"holiday": "法定节假日", "workday": "调休上班", "closure": "交易所休市"}
CORRECTION_EVENTS = {"calendar_holiday": "holiday", "calendar_workday": "workday", "calendar_closure": "closure"}
IMPORT_EVENT = "calendar_imported"
IMPORT_LABEL = "节假日安排导入"  # an imported schedule that changed days already past (it needed a reason)
RULE = "CSA 9.4"  # the ledger records every change truthfully; a calendar change moves deadlines


def _required_note(note: str | None, command: str) -> str:
    text = (note or "").strip()
    if not text:
        if command == "import":
            raise ComplaintError(
                _(
                    "an imported schedule needs --note saying where it comes from (the State Council's "
                    "notice, the exchange's announcement); it moves deadlines as a policy does"
                ),
                RULE,
            )
        raise ComplaintError(
            _(
                "a calendar correction needs --note saying where it comes from (the notice, the "
                "exchange's announcement); it moves deadlines as a policy does"
            ),
            RULE,
        )
    return text


def _past_reason(reason: str | None, past: list[date], today: date, command: str) -> str | None:
    """A correction of a day already past when typed moves deadlines that were already due: it needs a reason."""
    text = (reason or "").strip() or None
    if past and text is None:
        if command == "import":
            raise ComplaintError(
                _(
                    "this schedule changes {day}, a day already past (today is {today}); it moves "
                    "deadlines already due, so it needs --reason saying why it is imported only now"
                ).format(day=past[0], today=today),
                RULE,
            )
        raise ComplaintError(
            _(
                "{day} is already past (today is {today}); a correction of a past day moves deadlines "
                "already due, so it needs --reason saying why it is made only now"
            ).format(day=past[0], today=today),
            RULE,
        )
    return text


def _days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise ComplaintError(_("--to {last} is before {first}").format(last=last, first=first))
    if (last - first).days > 366:
        raise ComplaintError(_("a range may span at most one year"))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def add_days(
    ledger: Ledger,
    kind: str,
    first: date,
    last: date | None,
    note: str | None,
    at: datetime,
    by: str,
    reason: str | None = None,
) -> list[date]:
    """Record local holidays, make-up workdays or exchange closures; they override the package.

    `note` (where it comes from) is required; `reason` too when a day of the range is before today.
    """
    from complaintctl.store.ledger_wide_models import CalendarDay

    note = _required_note(note, "add")
    days = _days_between(first, last or first)
    if kind == "closure":
        weekend = [d for d in days if d.weekday() >= 5]
        if weekend:
            raise ComplaintError(
                _(
                    "{value} is a weekend; the exchanges never open on weekends, so a closure only "
                    "makes sense on a weekday"
                ).format(value=weekend[0])
            )
    if kind == "workday":
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays and all(not ledger.calendar().is_holiday(d) for d in weekdays):
            raise ComplaintError(
                _(
                    "{value} is already a working day; add-workday is for weekend make-up days (调休上班) "
                    "or to correct a wrong holiday"
                ).format(value=weekdays[0])
            )
    today = clock.today()
    reason = _past_reason(reason, [d for d in days if d < today], today, "add")
    payload = {"days": [d.isoformat() for d in days], "note": note}
    if reason is not None:
        payload["reason"] = reason
    with ledger.transaction() as session:
        event = ledger.append(session, None, f"calendar_{kind}", clock.iso(at), by, payload, branch="")
        for day in days:
            row = session.get(CalendarDay, day.isoformat())
            if row is None:
                row = CalendarDay(day=day.isoformat(), kind=kind, note=note, event=event.id)
            else:
                row.kind, row.note, row.event = kind, note, event.id
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
                raise ComplaintError(
                    _("{name}: {day} in '{name2}' is not in {year}").format(
                        name=source.name, day=day, name2=name, year=year
                    )
                )
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
        raise ComplaintError(
            _("{name} is not a valid schedule file (TOML): {exc}").format(name=source.name, exc=exc)
        ) from None
    year = data.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ComplaintError(_("{name}: 'year' must be a year such as 2027").format(name=source.name))
    schedule = {"year": year, "source": str(data.get("source", source.name))}
    for name in ("holidays", "workdays", "closures"):
        schedule[name] = _parse_days(data.get(name, []), year, name, source)
    if not schedule["holidays"]:
        raise ComplaintError(
            _("{name}: 'holidays' is empty; a year's schedule lists its holidays").format(name=source.name)
        )
    both = set(schedule["holidays"]) & set(schedule["workdays"])
    if both:
        raise ComplaintError(
            _("{name}: {min} is listed both as a holiday and a workday").format(name=source.name, min=min(both))
        )
    unknown = set(data) - {"year", "source", "holidays", "workdays", "closures"}
    if unknown:
        raise ComplaintError(
            _("{name}: unknown key {value!r}; the keys are year, source, holidays, workdays, closures").format(
                name=source.name, value=sorted(unknown)[0]
            )
        )
    return schedule


def changed_past_days(calendar: Calendar, schedule: dict, today: date) -> list[date]:
    """The days before today whose trading or working status the schedule would change."""
    year = schedule["year"]
    listed = {
        day: kind
        for kind, name in (("holiday", "holidays"), ("workday", "workdays"), ("closure", "closures"))
        for day in schedule[name]
    }
    after = Calendar(
        overrides=[o for o in calendar.overrides if o.day not in listed]
        + [DayOverride(day, kind) for day, kind in listed.items()],
        imported_years=calendar.imported_years | {year},
    )
    changed, day = [], date(year, 1, 1)
    while day.year == year and day < today:
        if calendar.is_trading_day(day) != after.is_trading_day(day) or calendar.is_working_day(
            day
        ) != after.is_working_day(day):
            changed.append(day)
        day += timedelta(days=1)
    return changed


def import_schedule(
    ledger: Ledger, path: Path, at: datetime, by: str, note: str | None = None, reason: str | None = None
) -> dict:
    """Import a year's official schedule. `note` is required; `reason` too when the schedule changes a
    day already past (the calendar as it stood counted that day otherwise: deadlines already due move)."""
    from complaintctl.store.ledger_wide_models import CalendarDay, CalendarYear

    note = _required_note(note, "import")
    schedule = read_schedule(path)
    year = schedule["year"]
    calendar, today = ledger.calendar(), clock.today()
    with ledger.transaction() as session:
        existing = session.get(CalendarYear, year)
        if existing is not None:
            raise ComplaintError(
                _(
                    "the {year} schedule was already imported ({source}); correct single days with "
                    "`calendar add-holiday` / `add-workday` / `add-closure`"
                ).format(year=year, source=existing.source)
            )
        changed = changed_past_days(calendar, schedule, today)
        reason = _past_reason(reason, changed, today, "import")
        payload = {k: ([d.isoformat() for d in v] if isinstance(v, list) else v) for k, v in schedule.items()}
        payload["note"] = note
        if reason is not None:
            payload["reason"] = reason
        if changed:
            payload["changed_past_days"] = [d.isoformat() for d in changed]
        event = ledger.append(session, None, "calendar_imported", clock.iso(at), by, payload, branch="")
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
    from sqlmodel import select

    from complaintctl.store.ledger_wide_models import CalendarDay

    with ledger.transaction(write=False) as session:
        query = select(CalendarDay).order_by(CalendarDay.day)
        if year is not None:
            query = query.where(CalendarDay.day.startswith(f"{year}-"))
        return list(session.exec(query))


# -- what the corrections changed: for `show` and the report -----------------------------------------


def corrections_in_force(ledger: Ledger) -> list[tuple[date, str, int]]:
    """(day, kind, event) of every calendar day whose entry now comes from add-holiday / add-workday /
    add-closure, not from an imported official schedule (the base). One small query: `show` asks it."""
    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT d.day, d.kind, d.event FROM calendar_days d LEFT JOIN events e ON e.id = d.event "
            "WHERE e.kind IS NULL OR e.kind <> ? ORDER BY d.day",
            (IMPORT_EVENT,),
        ).all()
    return [(date.fromisoformat(day), kind, event) for day, kind, event in rows]


def without_corrections(ledger: Ledger, corrected: list[tuple[date, str, int]]) -> Calendar:
    """The calendar as the package and the imported schedules have it, without the local corrections:
    a corrected day falls back to its imported schedule's entry, or to the package."""
    calendar = ledger.calendar()
    days = {day for day, _kind, _event in corrected}
    imported: dict[date, str] = {}
    if {day.year for day in days} & calendar.imported_years:
        with ledger.reading() as conn:
            payloads = conn.exec_driver_sql(
                "SELECT payload FROM events WHERE complaint IS NULL AND kind = ? ORDER BY id", (IMPORT_EVENT,)
            ).all()
        for (payload,) in payloads:
            data = json.loads(payload)
            for kind, name in (("holiday", "holidays"), ("workday", "workdays"), ("closure", "closures")):
                for text in data.get(name, []):
                    if date.fromisoformat(text) in days:
                        imported[date.fromisoformat(text)] = kind
    overrides = [o for o in calendar.overrides if o.day not in days]
    overrides += [DayOverride(day, kind) for day, kind in sorted(imported.items())]
    return Calendar(overrides=overrides, imported_years=set(calendar.imported_years))


def corrections(ledger: Ledger, start: date, end: date) -> list[dict]:
    """The calendar corrections that touch [start, end]: a day they change lies in it, or they were typed
    in it (DOMAIN: the report lists those touching its period). Oldest first, each a dict:

    - event: the event's id; branch: whose chain holds it ('' in a branch's own file)
    - type: holiday | workday | closure | import; kind: 法定节假日 | 调休上班 | 交易所休市 | 节假日安排导入
    - days: the days it set (an import: only the days already past that it changed), ISO dates
    - note: where it comes from (None in events written before notes were required); source: an import's
    - reason: why a past day was corrected (None when none was needed or given)
    - by, at (when dated, ISO 8601), recorded_at (when typed); login: the firm server's record of who typed it

    An imported schedule is the base, not a correction: it is listed only when it changed days already
    past when it was imported (such an import needed a reason).
    """
    kinds = (*CORRECTION_EVENTS, IMPORT_EVENT)
    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, branch, kind, at, recorded_at, actor, payload, login FROM events WHERE complaint IS NULL "
            f"AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY id",
            kinds,
        ).all()
    found = []
    for event, branch, kind, at, recorded, actor, payload, login in rows:
        data = json.loads(payload)
        code = CORRECTION_EVENTS.get(kind, "import")
        days = data.get("changed_past_days", []) if code == "import" else data.get("days", [])
        if not days:
            continue
        touches = any(start <= date.fromisoformat(day) <= end for day in days)
        if not touches and not start <= clock.day_of(recorded) <= end:
            continue
        item = {
            "event": event,
            "branch": branch,
            "type": code,
            "kind": IMPORT_LABEL if code == "import" else DAY_KINDS[code],
            "days": list(days),
            "note": data.get("note"),
            "reason": data.get("reason"),
            "by": actor,
            "login": login,
            "at": at,
            "recorded_at": recorded,
        }
        if code == "import":
            item["source"] = data.get("source")
        found.append(item)
    return found
