"""Every test gets its own real ledger file in tmp_path; nothing touches the user's ledger."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import sqlite3
import struct
import sys
import termios
from pathlib import Path

# Tests read English messages, whatever the machine's locale; test_i18n.py runs both languages.
os.environ["COMPLAINTCTL_LANG"] = "en"

import pytest
from typer.testing import CliRunner

from complaintctl.cli.app import app
from complaintctl.ledger import Ledger

# "Now" for tests: late enough that every hand-written date in the tests is in the past.
TEST_NOW = "2027-06-30 12:00"

# A valid resident ID (GB 11643's own example) and USCC (GB 32100 example).
ID_OK = "11010519491231002X"
USCC_OK = "91350100M000100Y43"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A new ledger, as `complaintctl init` makes it, for every test."""
    monkeypatch.setenv("COMPLAINTCTL_DB", str(tmp_path / "data" / "ledger.db"))
    monkeypatch.setenv("COMPLAINTCTL_USER", "王芳")
    monkeypatch.setenv("COMPLAINTCTL_NOW", TEST_NOW)
    monkeypatch.delenv("NO_COLOR", raising=False)
    Ledger(tmp_path / "data" / "ledger.db", create=True).engine.dispose()
    yield


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "ledger.db"


class Cli:
    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True, input: str | None = None):
        result = self.runner.invoke(app, [str(a) for a in args], input=input, prog_name="complaintctl")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if ok and result.exit_code != 0:
            raise AssertionError(f"{args} exited {result.exit_code}: {result.stderr}")
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


def dump(path: Path) -> str:
    """The ledger's whole content as SQL text: to show a refused command changed nothing."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


REGISTER_MINIMAL = ["--method", "phone", "--channel", "direct", "--name", "张三", "--phone", "13812345678",
                    "--request", "退还多收佣金"]
FULL_FACTS = ["--id-type", "id_card", "--id-number", ID_OK, "--respondent", "李四", "--facts", "费率与约定不符",
              "--category", "a5"]

# What `resolve` needs besides the result: CSA 9.2.2(b) items 1-2 and how the opinion reached both sides (9.3).
RESOLVE = ["--facts-found", "核实委托记录与录音", "--cause", "营业部执行环节未按约定设置", "--feedback-via", "phone",
           "--respondent-feedback-via", "phone"]
# What `extend` needs besides days and reason: the approval and the interim feedback (CSA 9.2.2(d), 9.2.1(d)).
EXTEND = ["--approved-by", "陈经理", "--notified-via", "phone"]


def register(cli: Cli, received: str, *extra: str) -> str:
    result = cli("register", "--received-at", received, "--at", received, *REGISTER_MINIMAL, *FULL_FACTS, *extra)
    return result.stdout.strip()


# -- a real terminal -------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(columns: int, *args: str, env: dict) -> str:
    """The screen text of one run on a pseudo-terminal `columns` wide."""
    return run_on_terminal(columns, *args, env=env)[0]


def run_on_terminal(columns: int, *args: str, env: dict) -> tuple[str, int]:
    """The program run with stdin, stdout and stderr on one pseudo-terminal: (what it wrote, exit code)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, its stdout a terminal
        os.execve(sys.executable, [sys.executable, "-m", "complaintctl", *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _pid, status = os.waitpid(pid, 0)
    return ANSI.sub("", out.decode("utf-8")).replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)
