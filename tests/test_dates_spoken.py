"""Dates as people type them (issue 42, point 4): 昨天, 11月20日, 下午3点, 昨天10点 — in both languages.

"Now" is Friday 2026-11-20 09:30 in Shanghai for every test here; every expected value is written out by
hand from it. 11月25日 is last year's for a past time (--at, --received-at) and this year's for a coming
one (warn --as-of, --within).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime

import pytest

from complaintctl import i18n
from complaintctl.errors import ComplaintError
from complaintctl.rules import clock
from conftest import FULL_FACTS, REGISTER_MINIMAL, dump

NOW = "2026-11-20T09:30:00+08:00"


@pytest.fixture(autouse=True)
def friday_morning(monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", NOW)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@contextmanager
def in_chinese(monkeypatch):
    """Chinese mode, as a Chinese locale gives it (test_ui_round3 does the same in-process)."""
    monkeypatch.setenv("COMPLAINTCTL_LANG", "zh")
    i18n.use("zh")
    try:
        yield
    finally:
        monkeypatch.setenv("COMPLAINTCTL_LANG", "en")
        i18n.use("en")


@contextmanager
def language(lang: str, monkeypatch):
    if lang == "zh":
        with in_chinese(monkeypatch):
            yield
    else:
        yield


def ledger_bytes(path) -> str:
    """The ledger file's md5 once SQLite has put everything written into it (the file is in WAL mode)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def record(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def register(cli, received: str, *extra: str) -> str:
    return cli("register", *REGISTER_MINIMAL, "--received-at", received, *extra).stdout.strip()


# -- the parser itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, past, coming", [
    ("今天", date(2026, 11, 20), date(2026, 11, 20)),
    ("昨天", date(2026, 11, 19), date(2026, 11, 19)),
    ("前天", date(2026, 11, 18), date(2026, 11, 18)),
    ("明天", date(2026, 11, 21), date(2026, 11, 21)),
    ("后天", date(2026, 11, 22), date(2026, 11, 22)),
    ("11月25日", date(2025, 11, 25), date(2026, 11, 25)),
    ("11月20日", date(2026, 11, 20), date(2026, 11, 20)),  # today is neither past nor to come: itself
    ("11月19日", date(2026, 11, 19), date(2027, 11, 19)),
    ("1月5日", date(2026, 1, 5), date(2027, 1, 5)),
    ("12月31号", date(2025, 12, 31), date(2026, 12, 31)),
    ("2月29日", date(2024, 2, 29), date(2028, 2, 29)),  # the nearest leap year either way
    ("１１月２５日", date(2025, 11, 25), date(2026, 11, 25)),  # full-width, as a Chinese input method types
    ("2026年11月2日", date(2026, 11, 2), date(2026, 11, 2)),  # the year given: the same either way
])
def test_a_day_as_people_say_it(typed, past, coming):
    assert clock.parse_date(typed, "--as-of", clock.PAST) == past
    assert clock.parse_date(typed, "--as-of", clock.COMING) == coming


@pytest.mark.parametrize("typed, expected", [
    ("昨天 10点", "2026-11-19T10:00:00+08:00"),
    ("昨天10点", "2026-11-19T10:00:00+08:00"),
    ("前天 下午3点", "2026-11-18T15:00:00+08:00"),
    ("前天下午3点", "2026-11-18T15:00:00+08:00"),
    ("昨天 10点半", "2026-11-19T10:30:00+08:00"),
    ("昨天 10点30", "2026-11-19T10:30:00+08:00"),
    ("昨天 10点30分", "2026-11-19T10:30:00+08:00"),
    ("昨天 上午9点", "2026-11-19T09:00:00+08:00"),
    ("昨天 晚上8点", "2026-11-19T20:00:00+08:00"),
    ("昨天 中午12点", "2026-11-19T12:00:00+08:00"),
    ("昨天 中午1点", "2026-11-19T13:00:00+08:00"),
    ("昨天 15:30", "2026-11-19T15:30:00+08:00"),
    ("昨天 凌晨2点", "2026-11-19T02:00:00+08:00"),
    ("11月19日 下午3点", "2026-11-19T15:00:00+08:00"),
    ("11月19日下午3点", "2026-11-19T15:00:00+08:00"),
    ("11月25日 10点", "2025-11-25T10:00:00+08:00"),
    ("2026-11-19 下午3点", "2026-11-19T15:00:00+08:00"),
    ("2026年11月19日下午3点", "2026-11-19T15:00:00+08:00"),
    ("9点", "2026-11-20T09:00:00+08:00"),  # a time alone: today
    ("上午9点15", "2026-11-20T09:15:00+08:00"),
    ("８点３０", "2026-11-20T08:30:00+08:00"),
    ("０８：３０", "2026-11-20T08:30:00+08:00"),
    ("昨天　１０：３０", "2026-11-19T10:30:00+08:00"),  # an ideographic space between
    ("今天", "2026-11-20T00:00:00+08:00"),
])
def test_a_past_time_as_people_say_it(typed, expected):
    assert clock.parse_at(typed, "--at", direction=clock.PAST) == at(expected)


@pytest.mark.parametrize("typed, says", [
    ("上午12点", "contradict"),
    ("下午13点", "contradict"),
    ("下午0点", "contradict"),
    ("晚上12点", "contradict"),  # midnight, but of which day
    ("晚上2点", "contradict"),
    ("中午3点", "contradict"),
    ("下午15:30", "contradict"),
    ("昨天 25点", "not a real time"),
    ("昨天 10点61", "not a real time"),
    ("2月30日", "not a real date"),
    ("13月1日", "not a real date"),
    ("11/20", "is not a date or time"),  # which number is the month would be a guess
    ("11-20", "is not a date or time"),
    ("昨天 10", "is not a date or time"),
    ("2026-11-1910:00", "is not a date or time"),  # where the day ends would be a guess
    ("下周三", "is not a date or time"),
])
def test_what_is_refused(typed, says):
    with pytest.raises(ComplaintError) as refused:
        clock.parse_at(typed, "--at", direction=clock.PAST)
    assert says in str(refused.value) and "--at" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_refusal_lists_the_forms_the_option_takes():
    with pytest.raises(ComplaintError) as refused:
        clock.parse_at("下周三", "--received-at", direction=clock.PAST)
    line = str(refused.value)
    for form in ("2026-11-20", "2026年11月20日", "11月20日 (the latest such day up to today)", "昨天", "前天",
                 "10点半", "下午3点", "15:30"):
        assert form in line, line
    with pytest.raises(ComplaintError) as refused:
        clock.parse_date("下周三", "--as-of", clock.COMING)
    assert "11月20日 (the next such day from today)" in str(refused.value) and "--as-of" in str(refused.value)


def test_without_a_direction_only_a_day_with_its_year_is_taken():
    """An imported file's 11月20日 or 昨天 says nothing of the year or of the day it was written."""
    for typed in ("昨天", "11月20日", "9点", "昨天 10点"):
        with pytest.raises(ComplaintError):
            clock.parse_at(typed, "投诉时间", check_future=False)
        with pytest.raises(ComplaintError):
            clock.parse_date(typed, "date")
    assert clock.parse_at("2026-11-19 下午3点", "投诉时间") == at("2026-11-19T15:00:00+08:00")


def test_a_day_is_not_a_time_for_parse_date():
    with pytest.raises(ComplaintError):
        clock.parse_date("昨天 10点", "--as-of", clock.COMING)


def test_more_than_a_minute_ahead_is_in_the_future():
    assert clock.parse_at("2026-11-20 09:30:30", direction=clock.PAST) == at("2026-11-20T09:30:30+08:00")
    assert clock.parse_at("2026-11-20 09:31:00", direction=clock.PAST) == at("2026-11-20T09:31:00+08:00")
    for typed in ("2026-11-20 09:31:01", "2026-11-20 09:35", "10点", "下午3点", "明天"):
        with pytest.raises(ComplaintError) as refused:
            clock.parse_at(typed, "--at", direction=clock.PAST)
        assert str(refused.value).startswith("CSA 9.4: --at: ") and "in the future" in str(refused.value)


def test_the_question_at_the_terminal_takes_the_same_forms():
    from complaintctl.cli.prompts import _validator

    check = _validator("received_at", {})
    assert check("昨天 10点") is True
    assert check("11月19日 下午3点") is True
    assert "is not a date or time" in check("下周三")
    assert "in the future" in check("明天 10点")


# -- through the command line, in both languages ---------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_register_and_amend_take_a_receipt_as_people_say_it(cli, monkeypatch, lang):
    with language(lang, monkeypatch):
        first = register(cli, "昨天 10点")
        second = register(cli, "11月25日")
        third = register(cli, "前天下午3点")
        cli("amend", third, "--received-at", "１１月１８日 上午９点")  # never after its registration (issue 44)
    assert record(cli, first)["received_at"] == "2026-11-19T10:00:00+08:00"
    assert record(cli, second)["received_at"] == "2025-11-25T00:00:00+08:00"
    assert record(cli, third)["received_at"] == "2026-11-18T09:00:00+08:00"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_step_takes_its_time_as_people_say_it(cli, monkeypatch, lang):
    with language(lang, monkeypatch):
        number = register(cli, "前天 下午3点", *FULL_FACTS)
        cli("accept", number, "--at", "昨天10点")
        cli("assign", number, "--handler", "赵六", "--at", "9点")
    shown = record(cli, number)
    assert shown["accepted_at"] == "2026-11-19T10:00:00+08:00"
    assert [e["at"] for e in shown["events"] if e["kind"] == "assigned"] == ["2026-11-20T09:00:00+08:00"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_warn_as_of_a_coming_day(cli, monkeypatch, lang):
    """Received Thursday 11-19 10:00: the acceptance decision is due Tuesday 11-24 (3 trading days)."""
    number = register(cli, "2026-11-19 10:00")
    with language(lang, monkeypatch):
        due_today = json.loads(cli("warn", "--as-of", "11月24日", "--json").stdout)
        due_soon = json.loads(cli("warn", "--as-of", "１１月２３日", "--json").stdout)
        tomorrow = json.loads(cli("warn", "--as-of", "明天", "--json").stdout)
    assert [(r["id"], r["state"], r["due"]) for r in due_today] == [(number, "due_today", "2026-11-24")]
    assert [(r["state"], r["days_left"]) for r in due_soon] == [("due_soon", 1)]
    assert tomorrow == []  # Saturday: two trading days left, more than acceptance's window of one


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_warn_within_a_coming_day(cli, monkeypatch, lang):
    """From Friday 11-20, 11月24日 is two trading days away (Monday, Tuesday): the window reaches the deadline."""
    number = register(cli, "2026-11-19 10:00")
    with language(lang, monkeypatch):
        reached = json.loads(cli("warn", "--within", "11月24日", "--json").stdout)
        short = json.loads(cli("warn", "--within", "11月23日", "--json").stdout)
        counted = json.loads(cli("warn", "--within", "２", "--json").stdout)
    assert [(r["id"], r["state"], r["days_left"]) for r in reached] == [(number, "due_soon", 2)]
    assert short == []
    assert counted == reached


# -- refusals: one line, the exit code, the user's language, the ledger untouched -------------------

ASCII_ALLOWED = [
    r"complaintctl(?: warn)?",  # the program (and the command, in a usage error)
    r"`complaintctl warn --help`",
    r"--[a-z]+(?:-[a-z]+)*",  # option names
    r"CSA \d+(?:\.\d+)*",  # the rule
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+08:00",  # the ISO example
]


def chinese_only(line: str) -> bool:
    """No English word left once the program, option names, the rule and the examples are taken out."""
    rest = line
    for allowed in ASCII_ALLOWED:
        rest = re.sub(allowed, " ", rest)
    return re.search(r"[A-Za-z]{2,}", rest) is None and re.search(r"[\u4e00-\u9fff]", rest) is not None


@pytest.mark.parametrize("args, code, names, says", [
    (["accept", "TS-2026-0001", "--at", "下周三"], 1, "--at", ("昨天", "昨天")),  # the forms it takes
    (["accept", "TS-2026-0001", "--at", "下午13点"], 1, "--at", ("contradict", "相矛盾")),
    (["accept", "TS-2026-0001", "--at", "明天 10点"], 1, "--at", ("CSA 9.4", "CSA 9.4")),
    (["amend", "TS-2026-0001", "--received-at", "11/19"], 1, "--received-at", ("11月20日 (the latest", "11月20日（")),
    (["register", *REGISTER_MINIMAL, "--received-at", "2月30日"], 1, "--received-at",
     ("not a real date", "不是真实存在的日期")),
    (["register", *REGISTER_MINIMAL, "--received-at", "后天"], 1, "--received-at", ("CSA 9.4", "CSA 9.4")),
    (["warn", "--as-of", "下周三"], 1, "--as-of", ("11月20日 (the next", "11月20日（")),
    (["warn", "--within", "下周三"], 2, "--within", ("11月20日 (the next", "11月20日（")),  # a usage error, as before
    (["warn", "--within", "11月19日"], 1, "--within", ("60", "60")),  # next year's: more than 60 trading days
])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_refusal_is_one_line_in_the_users_language_and_changes_nothing(cli, db_path, monkeypatch, lang,
                                                                           args, code, names, says):
    register(cli, "2026-11-19 10:00")
    before, contents = ledger_bytes(db_path), dump(db_path)
    with language(lang, monkeypatch):
        result = cli(*args, ok=False)
    assert result.exit_code == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("complaintctl"), result.stderr
    assert names in lines[0] and result.stdout == "" and "Traceback" not in result.stderr
    assert says[lang == "zh"] in lines[0], lines[0]
    if lang == "zh":
        assert chinese_only(lines[0]), lines[0]
    else:
        assert not chinese_only(lines[0]), lines[0]  # English words, the forms being Chinese examples
    assert ledger_bytes(db_path) == before and dump(db_path) == contents


def test_the_chinese_refusal_lists_the_forms_in_chinese(cli, monkeypatch):
    register(cli, "2026-11-19 10:00")
    with in_chinese(monkeypatch):
        line = cli("accept", "TS-2026-0001", "--at", "下周三", ok=False).stderr.strip()
    assert "11月20日（取今天或之前最近的一个）" in line and "、明天或后天" in line, line
    assert "下午3点或晚上8点" in line and " or " not in line and "Shanghai" not in line, line


def test_a_receipt_or_a_step_a_minute_ahead(cli, db_path):
    """More than a minute ahead is refused (it was five minutes); half a minute is a clock a little behind."""
    before = ledger_bytes(db_path)
    refused = cli("register", *REGISTER_MINIMAL, *FULL_FACTS, "--received-at", "2026-11-20 09:31:01", ok=False)
    assert refused.exit_code == 1 and refused.stderr.startswith("complaintctl: CSA 9.4: --received-at: ")
    assert "in the future" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert ledger_bytes(db_path) == before
    four = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-20 09:34", ok=False)
    assert four.exit_code == 1 and "in the future" in four.stderr

    number = register(cli, "2026-11-20 09:30:30", *FULL_FACTS)
    assert record(cli, number)["received_at"] == "2026-11-20T09:30:30+08:00"
    step = cli("accept", number, "--at", "2026-11-20 09:31:01", ok=False)
    assert step.exit_code == 1 and "CSA 9.4: --at: " in step.stderr and "in the future" in step.stderr
    cli("accept", number, "--at", "2026-11-20 09:30:45")
    assert record(cli, number)["accepted_at"] == "2026-11-20T09:30:45+08:00"


def test_a_receipt_a_minute_ahead_in_chinese(cli, monkeypatch):
    with in_chinese(monkeypatch):
        result = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-20 09:31:01", ok=False)
    line = result.stderr.strip()
    assert result.exit_code == 1 and len(line.splitlines()) == 1
    assert "CSA 9.4: --received-at：" in line and "在未来" in line and "晚一分钟以上" in line, line
    assert chinese_only(line), line
