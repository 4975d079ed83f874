"""Long work (verify, backup, restore, report) says how far it has got: a bar on a terminal, and
nothing in a pipe, under cron or with --quiet."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from complaintctl.store import integrity
from complaintctl.store.backup import backup
from complaintctl.store.integrity import verify
from complaintctl.store.ledger import Ledger
from complaintctl.progress import counted
from complaintctl.outputs import analysis as analysing, report as reporting, workbook
from complaintctl.rules.period import parse_period
from tests.conftest import register, run_on_terminal

STRUCTURE = "checking the file's structure"
EVENTS = "checking the hash chain and complaints"


class Heard:
    """A listener that keeps what it is told."""

    def __init__(self):
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self.calls.append((stage, done, total))

    def stages(self) -> list[str]:
        return list(dict.fromkeys(stage for stage, _done, _total in self.calls))

    def last(self, stage: str) -> tuple[int, int | None]:
        return [(done, total) for s, done, total in self.calls if s == stage][-1]


def events_in(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def three(cli, db_path):
    """Three complaints received in November 2026."""
    return [register(cli, f"2026-11-0{day} 10:00") for day in (2, 3, 4)]


# -- the core tells a listener ----------------------------------------------------------------------


def test_counted_tells_the_start_every_step_and_the_end():
    heard = Heard()
    assert list(counted(range(2500), heard, "s", 2500, every=1000)) == list(range(2500))
    assert heard.calls == [("s", 0, 2500), ("s", 1000, 2500), ("s", 2000, 2500), ("s", 2500, 2500)]


def test_counted_ends_full_when_the_estimate_was_high():
    heard = Heard()
    list(counted(["a", "b"], heard, "s", 5, every=1))
    assert heard.calls[-1] == ("s", 2, 2)


def test_without_a_listener_the_items_pass_untouched():
    rows = [1, 2]
    assert counted(rows, None, "s", 2) is rows


def test_verify_tells_the_structure_and_the_events(three, db_path):
    heard = Heard()
    assert verify(db_path, listener=heard).problems == []
    events = events_in(db_path)
    assert heard.stages() == [STRUCTURE, EVENTS]
    assert heard.last(STRUCTURE) == (1, 1)
    assert heard.last(EVENTS) == (events, events)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the chain is checked in a second process only with 2 cores")
def test_verify_in_processes_tells_how_far_the_stretches_are(three, db_path, monkeypatch):
    monkeypatch.setattr(integrity, "PARALLEL_FROM", 0)  # any ledger is "large": take the many-process path
    monkeypatch.setattr(integrity, "TELL_EVERY", 1)  # every event counted, so the parts' counts add up
    heard = Heard()
    assert verify(db_path, listener=heard, parts=3).problems == []
    events = events_in(db_path)
    assert set(heard.stages()) == {STRUCTURE, EVENTS}
    assert heard.last(STRUCTURE) == (1, 1)
    assert heard.last(EVENTS) == (events, events)
    counts = [done for stage, done, _total in heard.calls if stage == EVENTS]
    assert counts == sorted(counts)  # never backwards


def test_backup_tells_the_copy_the_check_and_each_attachment(cli, three, db_path, tmp_path):
    for name in ("letter.txt", "recording.txt"):
        (tmp_path / name).write_text(name)
        cli("attach", three[0], tmp_path / name, "--kind", "document", "--at", "2026-11-05")
    heard = Heard()
    backup(Ledger(db_path), tmp_path / "copy.db", by="王芳", listener=heard)
    assert heard.stages() == ["copying the ledger", STRUCTURE, EVENTS, "copying attachments"]
    pages, total = heard.last("copying the ledger")
    assert pages == total and pages > 1
    assert heard.last("copying attachments") == (2, 2)


def test_report_tells_each_complaint_and_the_save(three, db_path, tmp_path):
    heard = Heard()
    book = Ledger(db_path)
    report = reporting.prepare(book, parse_period(month="2026-11", today=date(2026, 12, 1)),
                               out=tmp_path / "r.xlsx")
    also = [analysing.for_report(book, report)]  # as the report command composes them
    written = workbook.write(report, reporting.entries(book, report, heard, also=also), heard)
    reporting.publish(book, report, written, by="王芳")
    assert (tmp_path / "r.xlsx").is_file() and not written.exists()
    assert heard.stages() == ["writing the complaints", "saving the workbook"]
    assert heard.last("writing the complaints") == (3, 3)
    assert heard.last("saving the workbook") == (1, 1)


# -- the CLI draws it only for a person watching ------------------------------------------------------


def env_for(db_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    env.update({"COMPLAINTCTL_DB": str(db_path), "TERM": "xterm-256color", **extra})
    return env


def test_a_terminal_shows_the_bar_then_the_result(three, db_path):
    text, code = run_on_terminal(80, "verify", env=env_for(db_path, COMPLAINTCTL_LANG="zh"))
    assert code == 0
    events = events_in(db_path)
    assert "核对哈希链与投诉" in text and f"{events}/{events}" in text
    assert "台账完好" in text


def test_quiet_on_a_terminal_prints_nothing(three, db_path, tmp_path):
    env = env_for(db_path)
    for args in (["verify", "--quiet"], ["backup", str(tmp_path / "copy.db"), "-q"],
                 ["report", "--month", "2026-11", "--out", str(tmp_path), "--quiet"]):
        text, code = run_on_terminal(80, *args, env=env)
        assert (code, text) == (0, ""), args
    assert (tmp_path / "copy.db").is_file() and (tmp_path / "complaint-report-2026-11.xlsx").is_file()


def test_quiet_still_says_what_went_wrong(db_path, tmp_path):
    text, code = run_on_terminal(80, "backup", str(tmp_path / "no" / "such" / "folder.db"), "--quiet",
                                 env=env_for(db_path))
    assert code == 1 and text.startswith("complaintctl: backup folder") and text.count("\n") == 1


def test_in_a_pipe_as_under_cron_there_is_no_bar(three, db_path, tmp_path):
    env = env_for(db_path)
    for args, said in ((["verify"], "ledger OK"), (["backup", str(tmp_path / "copy.db")], "backed up"),
                       (["report", "--month", "2026-11", "--out", str(tmp_path)], "wrote ")):
        run = subprocess.run([sys.executable, "-m", "complaintctl", *args], env=env, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL)
        assert (run.returncode, run.stderr) == (0, ""), args
        assert run.stdout.startswith(said), run.stdout
