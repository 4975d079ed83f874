"""`verify`: is the ledger exactly what its events say, untouched since they were written?

Four checks, each naming the first problem it finds:
1. SQLite's own `PRAGMA integrity_check` (the file's structure);
2. the hash chain: every event's SHA-256 over its canonical content and the previous event's hash;
3. the current state: each complaint's record and query columns rebuilt by folding its events;
4. the archive: every attachment's file present with the SHA-256 recorded when it was attached.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from complaintctl.complaint import apply, columns_of
from complaintctl.errors import DAMAGED, ComplaintError
from complaintctl.ledger import GENESIS_HASH, event_hash


@dataclass
class Verified:
    events: int = 0
    complaints: int = 0
    attachments: int = 0
    head: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


def verify(path: Path, archive: Path | None = None, first_only: bool = True, state: bool = True) -> Verified:
    """Run the checks on the ledger file at `path`, reading one consistent snapshot.

    `problems` lists what is wrong (only the first unless first_only=False). `state=False` skips
    rebuilding the current state (for a backup just written, whose chain and structure are enough).
    """
    result = Verified()
    if not Path(path).is_file():
        result.fail("no such file")
        return result
    # Not mode=ro: after a crash, reading needs the WAL index rebuilt, which a read-only connection
    # cannot do. Only reads are issued, inside one transaction.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one snapshot for every check, even while others write
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            lines = [line for r in rows for line in str(r[0]).splitlines() if not line.startswith("***")]
            result.fail(f"SQLite integrity check failed ({len(lines)} findings), first: {lines[0]}; "
                        "restore it from a backup")
            return result
        _check_chain(conn, result)
        if state and not (result.problems and first_only):
            _check_state(conn, result, archive, first_only)
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        result.fail(f"cannot be read as a ledger ({exc})")
    finally:
        conn.close()
    return result


def _check_chain(conn, result: Verified) -> None:
    prev = GENESIS_HASH
    rows = conn.execute(
        "SELECT id, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash FROM events ORDER BY id")
    for number, complaint, kind, at, recorded, actor, payload, prev_hash, digest in rows:
        result.events += 1
        if prev_hash != prev:
            result.fail(f"event {number}: the hash chain is broken before it (an event was removed or inserted)")
            return
        if event_hash(prev, complaint, kind, at, recorded, actor, payload) != digest:
            result.fail(f"event {number} ({kind}{', ' + complaint if complaint else ''}) was changed after it "
                        "was written: its content no longer matches its hash")
            return
        prev = digest
    result.head = prev


def _check_state(conn, result: Verified, archive: Path | None, first_only: bool) -> None:
    """Fold each complaint's events and compare with the stored current state (a merge of two sorted scans)."""
    stored = conn.execute(
        "SELECT id, status, received_at, received_day, category, handler, complainant_key, parent, is_open, "
        "ended_day, last_event, record FROM complaints ORDER BY id")
    events = iter(conn.execute(
        "SELECT complaint, id, kind, at, actor, payload FROM events WHERE complaint IS NOT NULL "
        "ORDER BY complaint, id"))
    pending = next(events, None)
    names = ("status", "received_at", "received_day", "category", "handler", "complainant_key", "parent",
             "is_open", "ended_day")
    for number, *columns, last_event, text in stored:
        result.complaints += 1
        record, last_id = None, None
        while pending is not None and pending[0] < number:
            result.fail(f"events of {pending[0]} exist but the complaint is missing from the current state")
            if first_only:
                return
            pending = next(events, None)
        while pending is not None and pending[0] == number:
            _complaint, last_id, kind, at, actor, payload = pending
            record = apply(record, kind, json.loads(payload), at, actor)
            pending = next(events, None)
        problem = _compare(number, record, last_id, dict(zip(names, columns)), last_event, text)
        if problem is None:
            problem = _check_attachments(number, record, archive, result)
        if problem:
            result.fail(problem)
            if first_only:
                return
    if pending is not None:
        result.fail(f"events of {pending[0]} exist but the complaint is missing from the current state")


def _compare(number: str, record: dict | None, last_id, columns: dict, last_event: int, text: str) -> str | None:
    if record is None:
        return f"{number} has a current state but no events: it was not made by complaintctl"
    if json.loads(text) != record:
        stored = json.loads(text)
        keys = sorted(k for k in set(stored) | set(record) if stored.get(k) != record.get(k))
        return f"{number}: the stored current state differs from its events in {', '.join(keys)}"
    expected = columns_of(record)
    wrong = [name for name, value in columns.items() if expected[name] != value]
    if wrong or last_event != last_id:
        return f"{number}: the stored query columns differ from its events ({', '.join(wrong or ['last_event'])})"
    return None


def _check_attachments(number: str, record: dict, archive: Path | None, result: Verified) -> str | None:
    for attachment in record.get("attachments", []):
        result.attachments += 1
        if archive is None:
            continue
        path = archive / attachment["stored_as"]
        if not path.is_file():
            return f"{number}: attachment {attachment['file']} is missing from the archive ({path})"
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != attachment["sha256"]:
            return f"{number}: attachment {attachment['file']} was changed since it was attached (SHA-256 differs)"
    return None


def require_sound(path: Path, archive: Path | None = None, state: bool = True) -> Verified:
    result = verify(path, archive, state=state)
    if result.problems:
        raise ComplaintError(f"{path}: {result.problems[0]}", exit_code=DAMAGED)
    return result
