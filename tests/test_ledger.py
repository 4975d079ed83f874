"""The ledger file: migrations, append-only events, refusing files that are not ledgers."""

import sqlite3

import pytest

from complaintctl.errors import ComplaintError
from complaintctl.ledger import Ledger, event_hash, GENESIS_HASH
from complaintctl.models import SQLModel
from tests.conftest import dump, register


def columns(path, table):
    conn = sqlite3.connect(path)
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def test_migrated_schema_matches_the_models(db_path):
    Ledger(db_path)
    for table in SQLModel.metadata.sorted_tables:
        assert columns(db_path, table.name) == {c.name for c in table.columns}, table.name
    conn = sqlite3.connect(db_path)
    assert [r[0] for r in conn.execute("SELECT name FROM migrations")] == ["m001_initial", "m002_report_indexes", "m003_refold_0_11", "m004_branches"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_events_cannot_be_updated_or_deleted(cli, db_path):
    register(cli, "2026-11-20")
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET actor = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        conn.execute("DELETE FROM complaints")


def test_events_are_hash_chained(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("accept", number)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT complaint, kind, at, recorded_at, actor, payload, prev_hash, hash FROM events "
                        "ORDER BY id").fetchall()
    previous = GENESIS_HASH
    for complaint, kind, at, recorded, actor, payload, prev, digest in rows:
        assert prev == previous
        assert digest == event_hash(prev, complaint, kind, at, recorded, actor, payload)
        previous = digest
    assert [r[1] for r in rows][-2:] == ["registered", "accepted"]


def test_newer_schema_is_refused_untouched(db_path):
    Ledger(db_path).engine.dispose()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO migrations VALUES ('m999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = dump(db_path)
    with pytest.raises(ComplaintError, match="newer complaintctl"):
        Ledger(db_path)
    assert dump(db_path) == before


@pytest.mark.parametrize("content,says", [
    (b"name,phone\n", "not an SQLite file"),
    (b"SQLite format 3\x00" + b"\x00" * 100, "truncated"),
])
def test_files_that_are_not_ledgers_are_refused_and_kept(cli, tmp_path, content, says):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    result = cli("--db", bad, "list", ok=False)
    assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1
    assert bad.read_bytes() == content


def test_a_folder_is_refused(cli, tmp_path):
    result = cli("--db", tmp_path, "list", ok=False)
    assert result.exit_code == 1 and "folder" in result.stderr


def test_new_ledger_is_private(db_path):
    Ledger(db_path)
    assert oct(db_path.stat().st_mode & 0o777) == "0o600"
    assert oct(db_path.parent.stat().st_mode & 0o777) == "0o700"
