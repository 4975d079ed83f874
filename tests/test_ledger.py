"""The ledger file: migrations, append-only events, refusing files that are not ledgers."""

import pytest

from complaintctl.store.backends import backend_for

from complaintctl.errors import ComplaintError
from complaintctl.store.ledger import Ledger
from complaintctl.store.chain import event_hash, GENESIS_HASH
from complaintctl.store import ledger_wide_models  # noqa: F401  (its tables join SQLModel.metadata)
from complaintctl.store.models import SQLModel
from tests.conftest import as_owner, dump, register

pytestmark = pytest.mark.backends  # each test on a branch's SQLite file and on a firm's PostgreSQL


def connect(db):
    """A plain DB-API connection to either backend, taking `?` statements."""
    return backend_for(db).connect()


def columns(db, table) -> set[str]:
    conn = connect(db)
    try:
        return {column[0] for column in conn.execute(f"SELECT * FROM {table} LIMIT 0").description}
    finally:
        conn.close()


def test_migrated_schema_matches_the_models(db_path, backend):
    Ledger(db_path)
    assert {t.name for t in SQLModel.metadata.sorted_tables} == {
        "events", "complaints", "calendar_days", "calendar_years", "policies", "settings", "branches"}
    for table in SQLModel.metadata.sorted_tables:
        assert columns(db_path, table.name) == {c.name for c in table.columns}, table.name
    conn = connect(db_path)
    assert [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")] == [
        "m001_initial", "m002_report_indexes", "m003_refold_0_11", "m004_branches",
        "m005_rectifications", "m006_late_entries", "m007_chain_tables", "m008_firm_security", "m009_voids"]
    if backend == "sqlite":
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_events_cannot_be_updated_or_deleted(cli, db_path, backend):
    register(cli, "2026-11-20")
    owners = [db_path]
    if backend == "postgres":  # the working role may not even try; the owner, who may, meets the triggers
        clerk = connect(db_path)
        for statement in ("DELETE FROM events", "UPDATE events SET actor = 'x'", "TRUNCATE events"):
            with pytest.raises(Exception, match="permission denied"):
                clerk.execute(statement)
            clerk._conn.rollback()
        owners = [db_path.replace("complaint_clerk@", "postgres@")]
    for statement, says in (("DELETE FROM events", "append-only"), ("UPDATE events SET actor = 'x'", "append-only"),
                            ("DELETE FROM complaints", "never deleted")):
        conn = connect(owners[0])
        with pytest.raises(Exception, match=says):
            conn.execute(statement)
        conn.close()
    if backend == "postgres":
        conn = connect(owners[0])
        with pytest.raises(Exception, match="append-only"):
            conn.execute("TRUNCATE events")
        conn.close()


def test_events_are_hash_chained(cli, db_path):
    number = register(cli, "2026-11-20")
    cli("accept", number)
    conn = connect(db_path)
    rows = conn.execute("SELECT branch, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash, login, "
                        "written_at FROM events ORDER BY id").fetchall()
    previous = {}  # each branch chains its own events
    for branch, complaint, kind, at, recorded, actor, payload, prev, digest, login, written in rows:
        assert prev == previous.get(branch, GENESIS_HASH)
        # A firm server stamps each event with its login and time, and the hash covers them; a file has neither.
        assert (login is None) == (written is None) == (not str(db_path).startswith("postgresql://"))
        assert digest == event_hash(prev, complaint, kind, at, recorded, actor, payload, login, written)
        previous[branch] = digest
    assert [r[2] for r in rows][-2:] == ["registered", "accepted"]
    assert len({r[0] for r in rows if r[1] == number}) == 1


def test_newer_schema_is_refused_untouched(db_path):
    Ledger(db_path).engine.dispose()
    conn = connect(as_owner(db_path) if str(db_path).startswith("postgresql://") else db_path)  # the owner's table
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
@pytest.mark.sqlite_only
def test_files_that_are_not_ledgers_are_refused_and_kept(cli, tmp_path, content, says):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    result = cli("--db", bad, "list", ok=False)
    assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1
    assert bad.read_bytes() == content


@pytest.mark.sqlite_only
def test_a_folder_is_refused(cli, tmp_path):
    result = cli("--db", tmp_path, "list", ok=False)
    assert result.exit_code == 1 and "folder" in result.stderr


@pytest.mark.sqlite_only
def test_new_ledger_is_private(db_path):
    Ledger(db_path)
    assert oct(db_path.stat().st_mode & 0o777) == "0o600"
    assert oct(db_path.parent.stat().st_mode & 0o777) == "0o700"
