"""What people see, second round (issue 31): the points of it this round covers.

`show` marks a passed deadline as `warn` does; `policy show` always shows the CSA defaults; words offices
type are read; a folder that does not exist is said so; each option is blamed for its own value; Ctrl-C
exits 130; and the industry's headline figures (和解率 and the rest) in the report and `analyze --json`.
"""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import openpyxl

from tests.conftest import ANSI, RESOLVE, dump, ledger_rows, register
from tests.test_lifecycle import refused

ROOT = Path(__file__).resolve().parent.parent


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def test_show_marks_a_passed_open_deadline_as_warn_does(cli, monkeypatch):
    cli("demo", "--scenario", ROOT / "sample_data" / "demo.json")
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-11-20 08:30")
    text = cli("show", "TS-2026-0021").stdout
    # completion due Tuesday 2026-11-17; by Friday the 20th, the 18th, 19th and 20th have passed: 3 trading days
    assert "completion           due 2026-11-17  [3 trading days overdue]" in text
    assert "acceptance decision  due 2026-10-23  met 2026-10-21 10:00\n" in text  # met: no mark
    states = {d["kind"]: d["state"] for d in show(cli, "TS-2026-0021")["deadlines"]}
    assert states == {"acceptance": "met", "completion": "overdue", "regulator_reply": "overdue"}
    assert "TS-2026-0021  completion  due 2026-11-17  3 trading days overdue" in cli("warn", ok=False).stdout


def test_policy_show_keeps_the_csa_defaults_and_answers_for_a_day(cli):
    cli("policy", "set", "--effective-from", "2027-07-01", "--completion-days", "15", "--at", "2027-06-30")
    listed = json.loads(cli("policy", "show", "--json").stdout)
    assert [(p["effective_from"], p["completion_days"]) for p in listed] == [("1990-01-01", 20), ("2027-07-01", 15)]
    assert json.loads(cli("policy", "show", "--on", "2027-06-30", "--json").stdout)[0]["completion_days"] == 20
    assert json.loads(cli("policy", "show", "--on", "2027-07-01", "--json").stdout)[0]["completion_days"] == 15
    assert "completion-unit              trading days" in cli("policy", "show").stdout


def test_the_words_offices_type_for_a_reason_and_a_category(cli):
    first = register(cli, "2027-06-01 10:00", "--category", "服务及费用类")
    assert show(cli, first)["category"] == "a5"
    cli("accept", first, "--at", "2027-06-01 11:00")
    again = register(cli, "2027-06-02 10:00")
    cli("reject", again, "--reason", "重复投诉", "--original", first, "--notified-via", "电话", "--at", "2027-06-02 11:00")
    assert show(cli, again)["rejection"]["reason"] == "duplicate"


def test_a_folder_that_does_not_exist_is_named_as_a_folder(cli, db_path, tmp_path):
    missing = f"{tmp_path}/nowhere/"
    before = dump(db_path)
    backup = cli("backup", missing, ok=False)
    assert backup.exit_code == 1 and f"backup folder {tmp_path}/nowhere does not exist" in backup.stderr
    report = cli("report", "--month", "2027-05", "--out", missing, ok=False)
    assert report.exit_code == 1 and "--out " + missing + ": folder" in report.stderr
    assert not (tmp_path / "nowhere").exists() and dump(db_path) == before


def test_an_unknown_value_is_blamed_on_its_own_option(cli, db_path):
    number = register(cli, "2027-06-01 10:00")
    cli("accept", number, "--at", "2027-06-01 11:00")
    cli("assign", number, "--handler", "赵六", "--at", "2027-06-01 12:00")
    line = refused(cli, db_path, "resolve", number, "--result", "r", "--facts-found", "f", "--cause", "c",
                   "--feedback-via", "phone", "--respondent-feedback-via", "x", rule="CSA 9.3")
    assert "--respondent-feedback-via: unknown value 'x'" in line


def test_calendar_show_takes_the_year_as_typed(cli):
    assert cli("calendar", "show", "2026").stdout.splitlines()[0].startswith("2026: 242 trading days")


def test_ctrl_c_exits_130_in_our_words(tmp_path):
    env = {**os.environ, "COMPLAINTCTL_LANG": "zh", "TERM": "xterm"}
    env.pop("PYTEST_CURRENT_TEST", None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "complaintctl", "register"], env)
    out, deadline = b"", time.time() + 30
    while "投诉方式".encode() not in out and time.time() < deadline:  # the first question is on the screen
        if select.select([fd], [], [], 0.5)[0]:
            out += os.read(fd, 65536)
    os.write(fd, b"\x03")
    while select.select([fd], [], [], 10)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _pid, status = os.waitpid(pid, 0)
    screen = ANSI.sub("", out.decode("utf-8"))
    assert os.waitstatus_to_exitcode(status) == 130
    assert "complaintctl: 已取消登记；未记录任何内容" in screen and "Cancelled by user" not in screen


def test_the_industrys_figures_are_in_the_report_and_the_analysis(cli, tmp_path):
    """Counted by hand: June 2027, four received (two by 12386, one by another regulator, one direct), one
    refused, three accepted and completed: one settled, one not, one not told; two replies to the regulator, one
    after its reply date, and the refused transfer's reply, due 06-25, never made: missed (DOMAIN: a rate's
    denominator); 1,000 yuan claimed, 300 paid."""
    numbers = [register(cli, "2027-06-01 10:00", "--amount", "1000")]
    for day, source, ticket, due in (("02", "12386", "12386-20270602-0001", "2027-06-25"),
                                     ("03", "12386热线", "12386-20270603-0002", "2027-06-15"),
                                     ("04", "深圳证监局", "SZ-2027-0004", "2027-06-25")):
        numbers.append(register(cli, f"2027-06-{day} 10:00", "--channel", "regulator", "--source", source,
                                "--transfer-no", ticket, "--reply-due", due))
    cli("reject", numbers[3], "--reason", "not-customer", "--notified-via", "sms", "--at", "2027-06-04 11:00")
    for number, settled in zip(numbers[:3], ("yes", "no", None)):
        cli("accept", number, "--at", "2027-06-04 14:00")
        cli("assign", number, "--handler", "赵六", "--at", "2027-06-04 15:00")
        extra = ["--settled", settled] if settled else []
        if settled == "yes":
            cli("approve", number, "compensation", "--by", "陈经理", "--at", "2027-06-09")
            extra += ["--compensation", "300"]
        cli("resolve", number, "--result", "已处理", *RESOLVE, *extra, "--at", "2027-06-10")
    cli("regulator-reply", numbers[1], "--at", "2027-06-11")
    cli("regulator-reply", numbers[2], "--at", "2027-06-20")  # after its reply date, 06-15: late
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2027-06", "--out", out)
    summary = {r[0]: r[1:3] for r in openpyxl.load_workbook(out)["汇总"].iter_rows(values_only=True) if r[0]}
    assert summary["办结率"] == (1, "本期办结 3 件 ÷ 应办理 3 件（上期结转与本期受理）")
    assert summary["和解率"] == (0.5, "本期办结中达成和解 1 件 ÷ 记录了是否和解的 2 件；未记载 1 件不计")
    assert summary["不予受理率"] == (0.25, "本期不予受理 1 件 ÷ 本期作出的受理决定 4 件")
    assert summary["12386转办占比"][0] == 0.5 and summary["其他监管转办占比"][0] == 0.25
    assert summary["监管转办回复及时率"] == (
        1 / 3, "截至统计时点应回复监管转办 3 件（本期回复 2 件，已过回复期限仍未回复 1 件，期限未到的不计）中，"
        "不晚于回复期限 1 件（CSA 9.2.2(e)）")
    assert summary["投诉涉及金额（元）"][0] == 1000 and summary["赔偿（补偿）金额（元）"][0] == 300
    ledger = ledger_rows(openpyxl.load_workbook(out))
    assert [row["和解"] for row in ledger] == ["和解", "未和解", "未记载", None]
    industry = json.loads(cli("analyze", "--month", "2027-06", "--json").stdout)["industry"]
    assert industry == {"completion_rate": 1.0, "settlement_rate": 0.5, "rejection_rate": 0.25, "share_12386": 0.5,
                        "share_other_regulators": 0.25, "regulator_reply_on_time_rate": 1 / 3, "advised_mediation": 0,
                        "amount_claimed": "1000.00", "compensation_paid": "300.00"}


def test_no_color_keeps_the_layout_and_drops_the_bold(cli, db_path):
    from tests.conftest import run_on_terminal

    cli("demo", "--scenario", ROOT / "sample_data" / "demo.json")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "PYTEST_CURRENT_TEST")}
    env.update({"COMPLAINTCTL_DB": str(db_path), "COMPLAINTCTL_NOW": "2026-11-20 08:30", "COMPLAINTCTL_LANG": "en",
                "TERM": "xterm-256color"})
    coloured, code = run_on_terminal(100, "list", "--open", env=env, raw=True)
    plain, plain_code = run_on_terminal(100, "list", "--open", env={**env, "NO_COLOR": "1"}, raw=True)
    assert code == plain_code == 0
    assert "\x1b[1m" in coloured and "\x1b[1m" not in plain
    assert ANSI.sub("", coloured) == ANSI.sub("", plain) and "─" in plain  # the same table, not tab-separated lines


def test_help_names_no_python_types(cli):
    import typer

    from complaintctl.cli.app import app

    def walk(group, path):
        for name, command in group.commands.items():
            yield [*path, name]
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])

    seen = 0
    for path in walk(typer.main.get_command(app), []):
        text = cli(*path, "--help").stdout
        assert "list[str]" not in text, (path, text)  # Typer's <str> is its own style; a list's type is not
        seen += 1
    assert seen > 40


def test_a_cut_short_ledger_exits_5_as_the_readme_says(cli, db_path):
    cli("policy", "show")
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    result = cli("list", ok=False)
    assert result.exit_code == 5 and "is damaged or not a ledger" in result.stderr
