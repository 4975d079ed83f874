"""The command line as users and cron meet it: help, README reference, warn, list, real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from complaintctl.cli.reference import command_paths, help_text, reference
from tests.conftest import ID_OK, RESOLVE, register

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "complaintctl")
def test_every_command_has_help(path):
    text = help_text(path)
    summary = text.split("\n\n")[1].strip() if "\n\n" in text else ""
    assert text.startswith("Usage: complaintctl") and len(summary) > 10, text


def test_readme_reference_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert reference() in readme, "README is stale: run .venv/bin/python -m complaintctl.cli.reference --write"


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["bash scripts/demo", "bash scripts/test"]


def test_usage_errors_exit_2_with_one_line(cli):
    result = cli("accept", ok=False)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "ID" in result.stderr
    result = cli("register", "--no-such-option", "x", ok=False)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def build_ledger(cli):
    overdue = register(cli, "2026-11-02")  # acceptance due 2026-11-05
    soon = register(cli, "2026-11-17")  # acceptance due 2026-11-20
    done = register(cli, "2026-11-17")
    cli("accept", done, "--at", "2026-11-18")  # completion due 2026-12-15: far away
    return overdue, soon, done


def test_warn_json_and_exit_codes(cli):
    overdue, soon, done = build_ledger(cli)
    result = cli("warn", "--as-of", "2026-11-19", "--json", ok=False)
    assert result.exit_code == 3
    items = json.loads(result.stdout)
    assert [(i["id"], i["kind"], i["due"], i["state"], i["days_left"]) for i in items] == [
        (overdue, "acceptance", "2026-11-05", "overdue", -10),
        (soon, "acceptance", "2026-11-20", "due_soon", 1),
    ]
    assert cli("warn", "--as-of", "2026-11-19", "--within", "8", "--json", ok=False).exit_code == 3
    wide = json.loads(cli("warn", "--as-of", "2026-11-19", "--within", "20", "--json", ok=False).stdout)
    found = [(i["id"], i["kind"], i["due"], i["days_left"]) for i in wide]
    # 11-20 (1), 11-23..27 (6), 11-30 (7), 12-01..04 (11), 12-07..11 (16), 12-14 (17), 12-15 (18)
    assert (done, "completion", "2026-12-15", 18) in found
    assert [kind for number, kind, _due, _left in found if number == overdue] == ["acceptance"]  # never accepted


def test_warn_prints_nothing_and_exits_0_when_nothing_is_due(cli):
    cli("accept", register(cli, "2026-11-17"), "--at", "2026-11-18")
    result = cli("warn", "--as-of", "2026-11-19")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def run(args, env_extra, db):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST",)}
    env.update({"COMPLAINTCTL_DB": str(db), "CI": "true", **env_extra})
    env.pop("TERM", None)
    return subprocess.run([sys.executable, "-m", "complaintctl", *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=60)


def test_warn_as_cron_runs_it_plain_lines_same_in_every_time_zone(cli, db_path):
    overdue, soon, _done = build_ledger(cli)
    outputs = []
    for tz in ("UTC", "Asia/Shanghai", "America/New_York"):
        result = run(["warn", "--as-of", "2026-11-19"], {"TZ": tz}, db_path)
        assert result.returncode == 3 and result.stderr == ""
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].splitlines()
    assert lines == [
        f"overdue    {overdue}  acceptance decision  due 2026-11-05  10 trading days overdue"
        "  complainant 张*  handler -",
        f"due_soon   {soon}  acceptance decision  due 2026-11-20  1 trading day left"
        "  complainant 张*  handler -",
    ]
    assert not any(ch in outputs[0] for ch in "\x1b┃━│─")


def test_today_is_today_in_shanghai(cli, db_path):
    register(cli, "2026-11-17")  # acceptance due Friday 2026-11-20
    # 2026-11-19 17:00 UTC is already Friday 2026-11-20 01:00 in Shanghai: due today, not due soon.
    result = run(["warn", "--json"], {"TZ": "UTC", "COMPLAINTCTL_NOW": "2026-11-19T17:00:00+00:00"}, db_path)
    assert json.loads(result.stdout)[0]["state"] == "due_today"


def test_register_and_show_as_a_real_process(tmp_path):
    db = tmp_path / "x" / "ledger.db"
    assert run(["init"], {}, db).returncode == 0
    made = run(["register", "--method", "letter", "--channel", "direct", "--name", "王五", "--address", "上海市某路1号",
                "--request", "要求解释", "--received-at", "2026-11-20"], {}, db)
    assert made.returncode == 0 and made.stdout.strip() == "TS-2026-0001"
    assert oct(db.stat().st_mode & 0o777) == "0o600" and oct(db.parent.stat().st_mode & 0o777) == "0o700"
    shown = run(["show", "TS-2026-0001", "--json"], {}, db)
    data = json.loads(shown.stdout)
    assert data["status"] == "received" and data["deadlines"][0]["kind"] == "acceptance"
    bad = run(["show", "TS-2026-0002"], {}, db)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_list_filters_and_json(cli):
    overdue, soon, done = build_ledger(cli)
    everything = json.loads(cli("list", "--json").stdout)
    assert [c["id"] for c in everything] == [overdue, soon, done]
    assert [c["id"] for c in json.loads(cli("list", "--status", "accepted", "--json").stdout)] == [done]
    assert [c["id"] for c in json.loads(cli("list", "--received-from", "2026-11-10", "--json").stdout)] == [soon, done]
    assert json.loads(cli("list", "--category", "a1", "--json").stdout) == []
    plain = cli("list", "--open").stdout.splitlines()
    assert plain[0].split("\t")[:3] == [overdue, "2026-11-02", "received"]
    assert cli("list", "--status", "nonsense", ok=False).exit_code == 1


def test_show_json_contract(cli):
    number = register(cli, "2026-11-20")
    data = json.loads(cli("show", number, "--json").stdout)
    for key in ("id", "status", "group", "major", "category", "parent", "deadlines"):
        assert key in data
    assert data["id_number"] == "110105********002X" and data["phone"] == "138****5678"
    assert set(data["deadlines"][0]) >= {"kind", "due", "original_due", "met_at", "provisional"}


def test_demo_scenario_builds_a_realistic_ledger(cli, db_path):
    result = cli("demo", "--scenario", ROOT / "sample_data" / "demo.json")
    assert "complaints" in result.stderr
    records = json.loads(cli("list", "--json").stdout)
    assert len(records) >= 30
    assert {r["status"] for r in records} == {"received", "accepted", "rejected", "assigned", "resolved", "terminated", "closed"}
    assert len({r["category"] for r in records}) >= 8
    methods = {json.loads(cli("show", r["id"], "--json").stdout)["method"] for r in records}
    assert methods == {"onsite", "phone", "letter", "online"}
    overdue = json.loads(cli("warn", "--as-of", "2026-11-20", "--json", ok=False).stdout)
    assert 3 <= len([i for i in overdue if i["state"] == "overdue"]) <= 10
    assert cli("demo", "--scenario", ROOT / "sample_data" / "demo.json", ok=False).exit_code == 1  # not twice


def readme_cron() -> tuple[dict, str, str]:
    """The README's crontab: its environment lines, the schedule and the command, as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### The morning warning (cron)", 1)[1].split("```cron", 1)[1].split("```", 1)[0]
    env, jobs = {}, []
    for line in filter(str.strip, block.splitlines()):
        name, _, value = line.partition("=")
        if name.isidentifier() and " " not in name:
            env[name] = value
        else:
            jobs.append(line)
    assert len(jobs) == 1, jobs
    fields = jobs[0].split(None, 5)
    return env, " ".join(fields[:5]), fields[5]


def test_the_readme_cron_recipe_speaks_on_a_make_up_saturday(cli, db_path):
    # Resolved Thu 2026-10-08: the callback is due 2 working days later, on make-up Saturday 10-10
    # (10-09 is 1, 10-10 is 2); Sunday 10-11 is a rest day; by Monday 10-12 it is overdue.
    number = register(cli, "2026-09-21 10:00")
    cli("accept", number, "--at", "2026-09-21 11:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-09-21 14:00")
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-10-08 10:00")
    env, schedule, command = readme_cron()
    assert schedule.split()[2:] == ["*", "*", "*"], "the job must run every day; the gate decides"
    assert set(env) == {"PATH", "COMPLAINTCTL_DB"}
    bin_dir = str(Path(sys.executable).parent)  # where complaintctl is installed, as PATH= says in the README
    base = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "TERM")}
    said = {}
    for day in ("2026-10-10", "2026-10-11", "2026-10-12"):
        job_env = {**base, "PATH": f"{bin_dir}:/usr/bin:/bin", "COMPLAINTCTL_DB": str(db_path),
                   "COMPLAINTCTL_NOW": f"{day} 08:30"}
        done = subprocess.run(["/bin/sh", "-c", command], env=job_env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60)
        assert done.stderr == ""
        said[day] = (done.returncode, done.stdout)
    assert said["2026-10-10"] == (0, f"due_today  {number}  callback  due 2026-10-10  due today"
                                     "  complainant 张*  handler 赵六\n")
    assert said["2026-10-11"] == (1, "")  # Sunday: the gate says no, nothing is mailed
    assert said["2026-10-12"][0] == 3 and "overdue    " + number in said["2026-10-12"][1]


def test_the_readme_cron_recipe_is_not_silent_about_a_wrong_path(tmp_path):
    env, _schedule, command = readme_cron()
    job_env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    job_env.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", COMPLAINTCTL_DB=str(tmp_path / "typo.db"))
    done = subprocess.run(["/bin/sh", "-c", command], env=job_env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith(f"complaintctl: no ledger at {tmp_path / 'typo.db'}")
    assert not (tmp_path / "typo.db").exists()


@pytest.mark.parametrize("content", [b"SQLite format 3\x00\xff\xfe", b"[1, 2]", b"{\"as_of\": 1"])
def test_demo_refuses_a_file_that_is_not_a_scenario_in_one_line(cli, tmp_path, content):
    bad = tmp_path / "scenario.json"
    bad.write_bytes(content)
    result = cli("demo", "--scenario", bad, ok=False)
    assert result.exit_code == 1 and result.stderr.startswith(f"complaintctl: {bad} is not a demo scenario")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("step, says", [
    ({"do": "investigate", "fact_found": "核实"}, "step 1 (investigate): not an item of the investigation record: fact_found"),
    ({"do": "accept", "bogus": 1}, "step 1 (accept): "),
    ({"do": "acept"}, "unknown step 'acept'; one of accept, reject"),
])
def test_a_scenario_step_the_tool_does_not_know_is_one_line_not_an_internal_error(cli, tmp_path, step, says):
    scenario = tmp_path / "scenario.json"
    register = {"at": "2026-11-02 09:30", "by": "王芳", "method": "phone", "channel": "direct", "name": "张三",
                "phone": "13812345678", "request": "退还多收佣金"}
    steps = [{**step, "at": "2026-11-03 10:00", "by": "赵六"}]  # refused before the complaint's state is looked at
    scenario.write_text(json.dumps({"as_of": "2026-11-02 09:00", "complaints": [{"register": register, "steps": steps}]}),
                        encoding="utf-8")
    result = cli("demo", "--scenario", scenario, ok=False)
    assert result.exit_code == 1, result.stderr  # the file's slip, not ours (70)
    assert result.stderr.startswith(f"complaintctl: scenario.json, complaint 1: {says}"), result.stderr
    assert len(result.stderr.splitlines()) == 1


GOOD_REGISTER = {"at": "2026-11-02 09:30", "by": "王芳", "method": "phone", "channel": "direct", "name": "张三",
                 "phone": "13812345678", "request": "退还多收佣金", "id_type": "id_card", "id_number": ID_OK,
                 "respondent": "李四", "facts": "费率不符", "category": "a5"}


@pytest.mark.parametrize("second, says", [
    # A value of the wrong JSON type reached the step and failed inside it: exit 70, "internal error".
    ({"register": GOOD_REGISTER, "steps": [
        {"do": "accept", "at": "2026-11-03 10:00", "by": "王芳"},
        {"do": "assign", "handler": "赵六", "dept": None, "at": "2026-11-03 11:00", "by": "王芳"},
        {"do": "extend", "days": "five", "reason": "调取数据", "approved_by": "陈经理", "notified_via": "phone",
         "at": "2026-11-20 10:00", "by": "赵六"}]},
     'complaint 2: step 3 (extend): days must be a whole number, not "five"'),
    ({"register": {**GOOD_REGISTER, "name": ["张三"]}}, 'complaint 2: name must be a text, not ["张三"]'),
    ({"register": {**GOOD_REGISTER, "major": "yes"}}, 'complaint 2: major must be true or false, not "yes"'),
    ({"register": {**GOOD_REGISTER, "by": 7}}, "complaint 2, register: by must be a text"),
    ({"register": GOOD_REGISTER, "steps": [{"do": "reject", "reason": None, "at": "2026-11-03", "by": "王芳"}]},
     "complaint 2: step 1 (reject): reason must be a text, not null"),
    ({"register": GOOD_REGISTER, "steps": [{"do": "accept", "by": "王芳"}]}, "complaint 2: step 1 (accept): at must be"),
    ({"register": GOOD_REGISTER, "steps": "accept"}, "complaint 2: steps must be a list"),
    ({"steps": []}, "complaint 2, register: must be a JSON object"),
    # A misspelt field was dropped without a word, and the complaint recorded without it.
    ({"register": {**GOOD_REGISTER, "respondant": "李四"}}, "complaint 2: no field respondant; the record's fields"),
    ({"register": {**GOOD_REGISTER, "at": "2026-13-45"}}, "complaint 2: "),
    # A misspelt key: the complaint was recorded without its steps.
    ({"register": GOOD_REGISTER, "stpes": []}, "complaint 2: no key stpes; one of register, steps"),
    ({"register": GOOD_REGISTER, "steps": [{"do": "accept", "at": "2026-11-03", "by": "王芳", "typed_at": "soon"}]},
     "complaint 2: step 1 (accept): typed_at: "),
    ({"register": GOOD_REGISTER, "steps": [{"do": "accept", "at": "2026-11-03", "by": "王芳",
                                            "typed_at": "2026-11-02 10:00"}]},
     "complaint 2: step 1 (accept): typed_at is before at"),
    ({"register": GOOD_REGISTER, "steps": [{"do": "amend", "at": "2026-11-03", "by": "王芳"}]},
     "complaint 2: step 1 (amend): name at least one field to amend"),
])
def test_a_scenario_is_checked_whole_before_anything_is_recorded(cli, tmp_path, second, says):
    scenario = tmp_path / "scenario.json"
    first = {"register": GOOD_REGISTER, "steps": [{"do": "accept", "at": "2026-11-03 10:00", "by": "王芳"}]}
    scenario.write_text(json.dumps({"as_of": "2026-11-20 09:00", "complaints": [first, second]}), encoding="utf-8")
    db = tmp_path / "demo.db"
    result = cli("--db", db, "demo", "--scenario", scenario, ok=False)
    assert result.exit_code == 1, result.stderr  # the file's slip, not ours (70)
    assert result.stderr.startswith(f"complaintctl: scenario.json, {says}"), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert cli("--db", db, "list", "--json").stdout.strip() in ("", "[]")  # complaint 1 is not recorded either


def test_a_scenarios_misspelt_top_key_and_a_file_nested_too_deep_are_one_line(cli, tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"as_of": "2026-11-20", "brnach": "x", "complaints": []}), encoding="utf-8")
    result = cli("--db", tmp_path / "a.db", "demo", "--scenario", scenario, ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("complaintctl: scenario.json: no key brnach"), result.stderr
    scenario.write_text("[" * 100_000, encoding="utf-8")  # was RecursionError: exit 70
    result = cli("--db", tmp_path / "b.db", "demo", "--scenario", scenario, ok=False)
    assert result.exit_code == 1 and "is not a demo scenario" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_scenario_step_may_leave_out_what_the_command_line_may(cli, tmp_path):
    # `assign --dept` is optional; the scenario had to say "dept": null. A rule broken while recording
    # names the step, not only the complaint.
    scenario = tmp_path / "scenario.json"
    steps = [{"do": "accept", "at": "2026-11-03 10:00", "by": "王芳"},
             {"do": "assign", "handler": "赵六", "at": "2026-11-03 11:00", "by": "王芳"},
             {"do": "accept", "at": "2026-11-04 10:00", "by": "王芳"}]
    scenario.write_text(json.dumps({"as_of": "2026-11-20 09:00", "complaints": [{"register": GOOD_REGISTER, "steps": steps}]}),
                        encoding="utf-8")
    result = cli("--db", tmp_path / "demo.db", "demo", "--scenario", scenario, ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("complaintctl: scenario.json, complaint 1: step 3 (accept): ")
    shown = json.loads(cli("--db", tmp_path / "demo.db", "show", "TS-2026-0001", "--json").stdout)
    assert shown["handler"] == "赵六" and not shown.get("dept")


def test_every_scenario_option_type_is_one_the_checker_knows():
    # The checker reads each step's keyword annotations as written; a new spelling (int | None) would be
    # a KeyError, exit 70, the first time a scenario used it.
    import inspect

    from complaintctl.intake import demo

    for kind, step in demo.STEPS.items():
        if step is None:
            continue
        for name, parameter in inspect.signature(step).parameters.items():
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("at", "by"):
                assert parameter.annotation in demo._KINDS, (kind, name, parameter.annotation)


def test_read_commands_load_neither_sqlalchemy_nor_sqlmodel(cli, db_path):
    """warn, list and show read through the driver alone: the ORM is most of a command's start-up."""
    number = register(cli, "2026-11-02 10:00")
    code = ("import runpy, sys\nsys.argv = ['complaintctl', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('complaintctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules), file=sys.stderr)")
    env = {**os.environ, "COMPLAINTCTL_DB": str(db_path), "COMPLAINTCTL_NOW": "2026-11-05 09:00"}
    for args in (["warn"], ["list", "--open"], ["show", number], ["--help"]):
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "[]", (args, done.stderr)
    done = subprocess.run([sys.executable, "-c", code, "note", number, "进展", "--at", "2026-11-05 09:00"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert "'sqlmodel'" in done.stderr  # a change does load it: the test can tell
