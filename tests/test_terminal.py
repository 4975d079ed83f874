"""What a person sees on a real terminal of 80 and 60 columns: nothing cut, Chinese lined up.

Each run is the real program on a pseudo-terminal whose window size is set with TIOCSWINSZ, as a
terminal emulator sets it; COLUMNS is not set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import ID_OK, on_terminal


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> tuple[Path, dict]:
    """Complaints with long names and texts, overdue and coming due, on 2026-11-20."""
    db = tmp_path_factory.mktemp("terminal") / "ledger.db"
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "LANG", "LC_ALL", "NO_COLOR", "COMPLAINTCTL_LANG")}
    env.update({"COMPLAINTCTL_DB": str(db), "COMPLAINTCTL_NOW": "2026-11-20 09:00", "COMPLAINTCTL_USER": "王芳",
                "TERM": "xterm-256color"})
    from typer.testing import CliRunner

    from complaintctl.cli.app import app

    def cli(*args):
        result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COMPLAINTCTL_NOW": "2026-11-20 09:00"})
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    cli("init")
    base = ["--method", "phone", "--channel", "direct", "--phone", "13812345678", "--id-number", ID_OK,
            "--category", "a5"]
    cli("register", *base, "--name", "欧阳明月", "--respondent", "司马长风", "--request", "要求退还多收取的佣金及利息" * 3,
        "--facts", "费率与开户时约定不符，" * 6, "--received-at", "2026-11-02 10:00")
    cli("accept", "TS-2026-0001", "--at", "2026-11-03 09:00")
    cli("assign", "TS-2026-0001", "--handler", "诸葛晓东", "--dept", "营业部运营管理组", "--at", "2026-11-03 10:00")
    cli("extend", "TS-2026-0001", "--days", "10", "--reason", "需调取交易所回报记录", "--approved-by", "陈经理",
        "--notified-via", "phone", "--at", "2026-11-10 10:00")
    cli("register", *base, "--name", "某某投资管理有限公司全称很长", "--request", "查询", "--received-at", "2026-11-16 10:00")
    cli("register", *base, "--name", "李四", "--request", "咨询", "--received-at", "2026-11-19 10:00")
    return db, env


NUMBERS = ("TS-2026-0001", "TS-2026-0002", "TS-2026-0003")


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("lang", ["zh_CN.UTF-8", "C.UTF-8"])
def test_list_and_warn_show_every_number_and_date_in_full(ledger, columns, lang):
    db, env = ledger
    env = {**env, "LANG": lang}
    listed = on_terminal(columns, "list", "--open", env=env)
    warned = on_terminal(columns, "warn", "--within", "3", env=env)
    for screen in (listed, warned):
        assert "…" not in screen
        assert all(cell_len(line) <= columns for line in screen.splitlines()), screen
    for number in NUMBERS:
        assert number in listed
    # Received days, and the next deadlines (hand-counted: 11-02 + 20 + 10 trading days is Mon 12-14; 11-16 + 3; 11-19 + 3).
    for day in ("2026-11-02", "2026-11-16", "2026-11-19", "2026-12-14", "2026-11-24"):
        assert day in listed, listed
    assert "TS-2026-0002" in warned and "2026-11-19" in warned  # acceptance overdue since 11-19
    assert "TS-2026-0003" in warned and "2026-11-24" in warned  # acceptance due within its window
    if columns == 80 and lang.startswith("zh"):  # a long name folds between Chinese characters: still a table
        rows = [line for line in listed.splitlines() if line.startswith("TS-2026-")]
        assert len(rows) == 3 and all("2026-11-" in row for row in rows), listed


@pytest.mark.parametrize("columns", [80, 60])
def test_show_keeps_every_value_and_lines_up_the_due_column_in_chinese(ledger, columns):
    db, env = ledger
    screen = on_terminal(columns, "show", "TS-2026-0001", env={**env, "LANG": "zh_CN.UTF-8"})
    text = screen.replace("\n", "").replace(" ", "")  # folded onto more lines, never cut
    assert "要求退还多收取的佣金及利息" * 3 in text
    assert "需调取交易所回报记录" in text and "陈经理" in text  # the extension's reason and approver
    assert all(cell_len(line) <= columns for line in screen.splitlines()), screen  # folded by us, in cells
    deadline_lines = screen.split("期限：\n")[1].split("处理经过：")[0].splitlines()
    assert [line.split()[0] for line in deadline_lines] == ["受理决定", "办结"]
    due_columns = {cell_len(line[:line.index("到期")]) for line in deadline_lines}
    assert len(due_columns) == 1, deadline_lines  # "到期" starts in the same cell on every line
