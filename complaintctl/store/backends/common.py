"""What both backends use: SQLite's parameter style turned into psycopg's, and how long a writer waits.

Apart from the package's `backend_for`, which imports the backends: they import this, not it.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|:([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """`?` → `%s` and `:name` → `%(name)s`: the same statement in psycopg's parameter style."""
    if "%" in sql:  # psycopg reads % as its own; no statement of ours needs one (pass it as a value)
        raise ValueError(f"a literal % in SQL: {sql[:60]!r}")

    def swap(match: re.Match) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if match.group(1):
            return f"%({match.group(1)})s"
        return token

    return _TOKENS.sub(swap, sql)


BUSY_ENV = "COMPLAINTCTL_BUSY_TIMEOUT"


def busy_timeout() -> int:  # here, not in the ledger: the SQLite backend's backups wait on it too
    """How long a writer waits for another to finish, in ms: COMPLAINTCTL_BUSY_TIMEOUT seconds, default 10."""
    from complaintctl.errors import ComplaintError
    from complaintctl.i18n import _

    text = os.environ.get(BUSY_ENV, "10")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 600:
        raise ComplaintError(
            _("{BUSY_ENV} must be a number of seconds from 0 to 600, not {text!r}").format(BUSY_ENV=BUSY_ENV, text=text)
        )
    return int(seconds * 1000)
