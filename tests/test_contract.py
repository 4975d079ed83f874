"""The scripting interface, walked over the whole command tree: options, help, --json."""

import pytest
from typer.main import get_command

from complaintctl.cli.app import app

# Commands whose output is not data: `demo` only reports on stderr what it built.
NO_DATA = {"demo"}


def leaves(group=None, path=()):
    group = group or get_command(app)
    for name, command in group.commands.items():
        if getattr(command, "commands", None):
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(leaves())


def test_the_tree_is_walked():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"register", "amend", "warn", "init", "calendar is-working-day", "policy set", "report"} <= names


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help_and_a_plain_name(path, command):
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        names = [*param.opts, *param.secondary_opts]
        assert param.help and param.help.strip(), f"{' '.join(path)} {names[0]} has no help"
        for name in names:
            # `--as-of` is a real option (warn, report); `--as-json` was a parameter name leaking out.
            assert not name.startswith("--as-") or name == "--as-of", f"{' '.join(path)}: {name}"
            assert not name.startswith("--no-no-"), f"{' '.join(path)}: {name}"


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_that_prints_data_has_json(path, command):
    if " ".join(path) in NO_DATA:
        return
    options = {name for param in command.params for name in getattr(param, "opts", [])}
    assert "--json" in options, f"{' '.join(path)} has no --json"


def test_register_and_amend_take_json(cli):
    import json

    made = json.loads(cli("register", "--method", "phone", "--channel", "direct", "--name", "张三", "--phone",
                          "13812345678", "--request", "退还佣金", "--received-at", "2026-11-20 10:00",
                          "--json").stdout)
    assert made["id"] == "TS-2026-0001" and made["status"] == "received"
    amended = json.loads(cli("amend", "TS-2026-0001", "--facts", "费率不符", "--json").stdout)
    assert amended["facts"] == "费率不符"


# -- a ledger is never created by accident ------------------------------------------------------------

NEEDS_A_LEDGER = [["warn"], ["list"], ["show", "TS-2026-0001"], ["register", "--method", "phone"],
                  ["accept", "TS-2026-0001"], ["report", "--month", "2026-10"], ["verify"], ["backup"],
                  ["calendar", "is-working-day", "2026-10-10"], ["policy", "show"], ["config", "set", "user", "王芳"]]


@pytest.mark.parametrize("args", NEEDS_A_LEDGER, ids=lambda a: " ".join(a[:2]))
def test_a_path_without_a_ledger_is_refused_and_nothing_is_created(cli, tmp_path, args):
    wrong = tmp_path / "wrong" / "path" / "ledger.db"
    result = cli("--db", wrong, *args, ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"complaintctl: no ledger at {wrong}; create one with: complaintctl init --db {wrong}\n"
    assert not (tmp_path / "wrong").exists()


def test_the_environment_variable_path_is_refused_the_same_way(cli, tmp_path, monkeypatch):
    wrong = tmp_path / "typo.db"
    monkeypatch.setenv("COMPLAINTCTL_DB", str(wrong))
    result = cli("warn", ok=False)
    assert result.exit_code == 1 and f"no ledger at {wrong}" in result.stderr and not wrong.exists()


def test_init_creates_a_private_ledger_once(cli, tmp_path):
    path = tmp_path / "new" / "branch" / "ledger.db"
    made = cli("--db", path, "init")
    assert made.stdout == f"created ledger {path}\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.parent.parent.stat().st_mode & 0o777) == "0o700"
    assert cli("--db", path, "warn").stdout == ""  # an empty ledger, usable at once
    before = path.read_bytes()
    again = cli("--db", path, "init", ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr and path.read_bytes() == before


def test_init_records_who_created_the_ledger(cli, tmp_path):
    import sqlite3

    path = tmp_path / "l.db"
    cli("--db", path, "init", "--by", "王芳")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT kind, actor, complaint FROM events").fetchall() == [("created", "王芳", None)]
    conn.close()
    assert cli("--db", path, "verify").exit_code == 0


def test_the_demo_still_creates_its_own_ledger(cli, tmp_path):
    from pathlib import Path

    path = tmp_path / "demo" / "ledger.db"
    scenario = Path(__file__).resolve().parent.parent / "sample_data" / "demo.json"
    cli("--db", path, "demo", "--scenario", scenario)
    assert path.is_file()


def test_init_on_a_folder_says_so(cli, tmp_path):
    result = cli("--db", tmp_path, "init", ok=False)
    assert result.exit_code == 1 and result.stderr == (
        f"complaintctl: {tmp_path} is a folder; give --db the ledger's file path, e.g. {tmp_path}/ledger.db\n")


def imports_of(path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_core_never_imports_the_cli_libraries_and_the_report_never_imports_its_writer():
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "complaintctl"
    cli_libraries = ("typer", "rich", "questionary", "click")
    for path in package.rglob("*.py"):
        if "cli" in path.relative_to(package).parts:
            continue
        names = imports_of(path)
        assert not [n for n in names if n.split(".")[0] in cli_libraries], path.name
    # One way: the report computes, the workbook writes, the `report` command joins them.
    report = imports_of(package / "outputs" / "report.py")
    assert not [n for n in report if n.startswith("openpyxl") or "workbook" in n], report
    assert "complaintctl.outputs.report" in imports_of(package / "outputs" / "workbook.py")
