"""Attachments reach the archive whole or not at all, and a killed copy is finished by running again.

Every copy into the archive (attach, move-to, restore, backup) goes to a temporary name, is flushed,
read back and hashed, then renamed. What is recorded is what was stored. A file left wrong at its
final name (what a copy killed half-way used to leave) is replaced from the source on the next run,
and the temporary copies a killed run left are removed. A restore checks the backup with SQLite's
integrity_check first: an index that lacks rows is refused before anything is touched.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from complaintctl.store.backends import backend_for
from complaintctl.errors import ComplaintError
from complaintctl.store.integrity import verify
from complaintctl.store.ledger import ARCHIVE_TEMP, remove_stale_copies, store_file
from tests.conftest import FULL_FACTS, dump, register, as_owner

ROOT = Path(__file__).resolve().parents[1]
firm_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
MB = 1 << 20


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def spawn(*args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "complaintctl", *map(str, args)], cwd=ROOT,
                            env={**os.environ, "CI": "true", **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_while_copying(child: subprocess.Popen, archive: Path, timeout: float = 120) -> None:
    """kill -9 the command the moment a copy into `archive` is under way (its temporary file exists)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if archive.is_dir() and any(archive.rglob(ARCHIVE_TEMP + "*")):
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=30)
            return
        if child.poll() is not None:
            raise AssertionError(f"finished before it copied an attachment: {child.communicate()}")
        time.sleep(0.002)
    child.kill()
    raise AssertionError("never started copying")


def temps(archive: Path) -> list[Path]:
    return sorted(archive.rglob(ARCHIVE_TEMP + "*"))


def attachment(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json").stdout)["attachments"][-1]


# -- the one copy: store_file ------------------------------------------------------------------------


class Growing:
    """A source another program is still writing: after each read, more is appended to the file."""

    def __init__(self, path: Path):
        self.path, self.name, self.f, self.reads = path, str(path), path.open("rb"), 0

    def read(self, size: int) -> bytes:
        block = self.f.read(size)
        self.reads += 1
        if self.reads <= 3:
            with self.path.open("ab") as writer:
                writer.write(b"appended %d\n" % self.reads)
        return block

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_what_is_stored_is_what_is_hashed_even_when_the_source_changes_mid_copy(tmp_path):
    source = tmp_path / "recording.wav"
    source.write_bytes(b"RIFF" + b"\x01" * (3 * MB))
    before = sha256(source.read_bytes())
    with Growing(source) as growing:
        stored = store_file(growing, tmp_path / "archive", lambda sha: f"{sha[:16]}-recording.wav")
    data = stored.path.read_bytes()
    assert stored.sha256 == sha256(data) and stored.size == len(data)
    assert stored.sha256 != before and len(data) > 3 * MB + 4  # it did change while being copied
    assert stored.path.name == f"{stored.sha256[:16]}-recording.wav"
    assert oct(stored.path.stat().st_mode & 0o777) == "0o600"
    assert temps(tmp_path / "archive") == []


def test_a_copy_that_is_not_what_was_recorded_is_refused_and_nothing_is_stored(tmp_path):
    source = tmp_path / "letter.pdf"
    source.write_bytes(b"%PDF changed since")
    with pytest.raises(ComplaintError) as refused:
        store_file(source, tmp_path / "archive", "letter.pdf", expected=sha256(b"%PDF as attached"))
    assert refused.value.exit_code == 5 and "not what was attached" in str(refused.value)
    assert list((tmp_path / "archive").iterdir()) == []  # no final file, no temporary one


def test_a_wrong_file_at_the_name_is_replaced_and_a_right_one_kept(tmp_path):
    source = tmp_path / "call.wav"
    source.write_bytes(b"RIFF whole recording")
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "call.wav").write_bytes(b"RIFF who")  # a copy killed half-way
    stored = store_file(source, folder, "call.wav", expected=sha256(b"RIFF whole recording"))
    assert stored.copied and (folder / "call.wav").read_bytes() == b"RIFF whole recording"
    again = store_file(source, folder, "call.wav", expected=sha256(b"RIFF whole recording"))
    assert not again.copied


def test_memory_stays_flat_for_a_large_file(tmp_path):
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        for _ in range(48):
            f.write(b"\x5a" * MB)
    tracemalloc.start()
    try:
        store_file(source, tmp_path / "archive", "big.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB, peak  # a few 1 MiB blocks, never the 48 MiB file


def test_leftovers_are_removed_but_a_copy_being_written_is_not(tmp_path):
    folder = tmp_path / "archive" / "TS-2026-0001"
    folder.mkdir(parents=True)
    (folder / f"{ARCHIVE_TEMP}dead").write_bytes(b"half a copy")  # its writer was killed: no lock held
    live = folder / f"{ARCHIVE_TEMP}live"
    live.write_bytes(b"being written")
    with live.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process still copying
        assert remove_stale_copies(tmp_path / "archive") == 1
    assert [p.name for p in folder.iterdir()] == [f"{ARCHIVE_TEMP}live"]


# -- attach --------------------------------------------------------------------------------------


def test_attach_of_a_file_still_being_written_records_what_it_stored(cli, tmp_path, db_path, archive):
    """Another program keeps appending to the file while it is attached: the ledger still verifies."""
    number = register(cli, "2026-11-02 10:00")
    source = tmp_path / "recording.wav"
    source.write_bytes(b"\x00" * (24 * MB))
    stop = threading.Event()

    def keep_writing():
        with source.open("ab") as f:
            while not stop.is_set():
                f.write(b"\x01" * 65536)
                f.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        cli("attach", number, source, "--kind", "recording", "--at", "2026-11-03")
    finally:
        stop.set()
        writer.join()
    recorded = attachment(cli, number)
    stored = archive / recorded["stored_as"]
    data = stored.read_bytes()
    assert recorded["sha256"] == sha256(data) and recorded["size"] == len(data)
    assert "ledger OK" in cli("verify").stdout


def test_attach_replaces_a_wrong_file_under_its_name_and_removes_leftovers(cli, tmp_path, archive):
    number = register(cli, "2026-11-02 10:00")
    letter = tmp_path / "letter.txt"
    letter.write_bytes("投诉信原件".encode())
    folder = archive / number
    folder.mkdir(parents=True)
    final = folder / f"{sha256(letter.read_bytes())[:16]}-letter.txt"
    final.write_bytes(b"\xe6\x8a")  # what an attach killed mid-copy would have left under the real name
    (folder / f"{ARCHIVE_TEMP}k1").write_bytes(b"half")  # and a temporary copy of an attach killed earlier
    cli("attach", number, letter, "--kind", "document", "--at", "2026-11-03")
    assert final.read_bytes() == "投诉信原件".encode()
    assert temps(archive) == []
    assert "ledger OK" in cli("verify").stdout


# -- move-to -----------------------------------------------------------------------------------------


def branch_with_recording(cli, tmp_path, size: int) -> tuple[Path, bytes]:
    path = tmp_path / "branch.db"
    cli("--db", path, "init")
    cli("--db", path, "register", "--received-at", "2026-10-12 10:00", "--at", "2026-10-12 10:00", "--method", "phone",
        "--channel", "direct", "--name", "张三", "--phone", "13812345678", "--request", "退还多收佣金", *FULL_FACTS)
    recording = tmp_path / "call.wav"
    content = b"RIFF" + bytes(range(256)) * (size // 256)
    recording.write_bytes(content)
    cli("--db", path, "attach", "TS-2026-0001", recording, "--kind", "recording", "--at", "2026-10-12 11:00")
    return path, content


def moved_in_events(db) -> int:
    with backend_for(db).reading() as conn:
        return conn.execute("SELECT count(*) FROM events WHERE kind = 'moved_in'").fetchone()[0]


@firm_only
def test_move_to_over_a_half_copied_attachment_repairs_it(cli, tmp_path, db_path):
    """The state a move-to killed mid-copy left: the events in, the file cut short under its name."""
    source, content = branch_with_recording(cli, tmp_path, 256 * 1024)
    firm_archive = Path(os.environ["COMPLAINTCTL_ARCHIVE"]) / "GZ02"
    cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    stored = next(firm_archive.rglob("*call.wav"))
    stored.write_bytes(content[:1000])
    (stored.parent / f"{ARCHIVE_TEMP}x").write_bytes(content[:5])
    damaged = cli("verify", ok=False)
    assert damaged.exit_code == 5 and "call.wav was changed" in damaged.stderr

    again = json.loads(cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02", "--json").stdout)
    assert (again["events"], again["attachments"]) == (0, 1)
    assert stored.read_bytes() == content and temps(firm_archive) == []
    assert verify(db_path, firm_archive.parent).problems == []
    assert moved_in_events(db_path) == 1
    stored.write_bytes(content[:1000])
    said = cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02").stdout
    assert "1 attachment file(s) copied that were missing" in said and "nothing copied" not in said


@firm_only
def test_move_to_killed_while_copying_an_attachment_is_finished_by_running_it_again(cli, tmp_path, db_path):
    source, content = branch_with_recording(cli, tmp_path, 64 * MB)
    firm_archive = Path(os.environ["COMPLAINTCTL_ARCHIVE"]) / "GZ02"
    kill_while_copying(spawn("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02"), firm_archive)
    assert temps(firm_archive)  # killed half-way: a temporary copy, never a half file under the real name
    assert not any(p.name.endswith("call.wav") for p in firm_archive.rglob("*"))
    assert cli("verify", ok=False).exit_code == 5  # the events are in, the file is not yet

    again = json.loads(cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02", "--json").stdout)
    assert (again["events"], again["already"], again["attachments"]) == (0, 3, 1)
    assert next(firm_archive.rglob("*call.wav")).read_bytes() == content
    assert temps(firm_archive) == []
    assert verify(db_path, firm_archive.parent).problems == []
    assert moved_in_events(db_path) == 1  # recorded with the events, before the kill


@firm_only
def test_move_to_run_again_while_working_at_the_branch_moved_in(cli, tmp_path, db_path, monkeypatch):
    """Its own `moved_in` event must not land in the chain it moved: the next run would find it foreign."""
    source, _content = branch_with_recording(cli, tmp_path, 1024)
    monkeypatch.setenv("COMPLAINTCTL_BRANCH", "GZ02")
    cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    again = cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    assert "nothing copied" in again.stdout
    assert moved_in_events(db_path) == 1


# -- restore -----------------------------------------------------------------------------------------


def handled_with_recording(cli, tmp_path, size: int) -> tuple[str, bytes]:
    number = register(cli, "2026-11-02 10:00")
    recording = tmp_path / "call.wav"
    content = b"RIFF" + bytes(range(256)) * (size // 256)
    recording.write_bytes(content)
    cli("attach", number, recording, "--kind", "recording", "--at", "2026-11-03")
    return number, content


def test_restore_over_a_half_copied_attachment_repairs_it(cli, tmp_path, db_path):
    """A restore killed mid-copy left the backup's pages in place and an attachment cut short."""
    _number, content = handled_with_recording(cli, tmp_path, 256 * 1024)
    copy = tmp_path / "copy.db"
    cli("backup", copy)
    target = tmp_path / "restored" / "ledger.db"
    target.parent.mkdir()
    src, dst = sqlite3.connect(copy), sqlite3.connect(target)
    src.backup(dst)  # what the killed restore had written
    src.close()
    dst.close()
    stored = target.with_name("ledger.db.archive") / next(Path(str(copy) + ".archive").rglob("*call.wav")).relative_to(
        Path(str(copy) + ".archive"))
    stored.parent.mkdir(parents=True)
    stored.write_bytes(content[:4096])
    (stored.parent / f"{ARCHIVE_TEMP}y").write_bytes(b"RIFF")

    cli("--db", target, "restore", copy)
    assert stored.read_bytes() == content and temps(target.with_name("ledger.db.archive")) == []
    assert "ledger OK" in cli("--db", target, "verify", "--full").stdout


def test_restore_killed_while_copying_an_attachment_is_finished_by_running_it_again(cli, tmp_path):
    _number, content = handled_with_recording(cli, tmp_path, 64 * MB)
    copy = tmp_path / "copy.db"
    cli("backup", copy)
    target = tmp_path / "restored" / "ledger.db"
    archive = target.with_name("ledger.db.archive")
    kill_while_copying(spawn("--db", target, "restore", copy), archive)
    assert temps(archive) and not any(p.name.endswith("call.wav") for p in archive.rglob("*"))

    again = cli("--db", target, "restore", copy)
    assert "checked" in again.stdout
    assert next(archive.rglob("*call.wav")).read_bytes() == content and temps(archive) == []
    assert "ledger OK" in cli("--db", target, "verify", "--full").stdout


@firm_only
def test_a_firm_restore_killed_while_copying_an_attachment_is_finished_by_running_it_again(cli, tmp_path, db_path,
                                                                                          postgres):
    _number, content = handled_with_recording(cli, tmp_path, 64 * MB)
    copy = tmp_path / "copy.db"
    cli("backup", copy)
    empty = postgres.url(postgres.fresh_database(), "postgres")
    archive = tmp_path / "restored.archive"
    env = {"COMPLAINTCTL_ARCHIVE": str(archive)}
    kill_while_copying(spawn("--db", empty, "restore", copy, "--by", "王芳", env=env), archive)
    assert verify(empty, archive).problems  # the events are in, the recording is not

    again = subprocess.run([sys.executable, "-m", "complaintctl", "--db", empty, "restore", copy, "--by", "王芳"],
                           cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "checked" in again.stdout, again.stderr
    assert next(archive.rglob("*call.wav")).read_bytes() == content and temps(archive) == []
    assert verify(empty, archive).problems == []
    with backend_for(empty).reading() as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE kind = 'restored'").fetchone()[0] == 1
    # A ledger that did not come from this restore is still never written over.
    refused = cli("--db", db_path, "restore", copy, ok=False)
    assert refused.exit_code == 1 and "never deleted" in refused.stderr


def closed_complaints(cli, tmp_path) -> int:
    """Six complaints, three of them closed."""
    from tests.test_safety import handled

    for _ in range(3):
        number = handled(cli, tmp_path)
        cli("callback", number, "--outcome", "satisfied", "--at", "2026-11-11")
        cli("close", number, "--at", "2026-11-12")
        register(cli, "2026-11-04 10:00")
    return 3


def drop_index_rows(db: Path, index: str, kept: str) -> None:
    """The index keeps its name and definition but lacks rows: its pages swapped with a partial index's.

    SQLite's quick_check reads every page and finds each b-tree sound; only integrity_check matches
    the index against its table."""
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE INDEX ix_partial ON complaints (status) WHERE {kept}")
    conn.commit()
    ours = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    partial = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_partial'").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (partial, index))
    conn.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = 'ix_partial'", (ours,))
    conn.commit()
    conn.close()
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX ix_partial")  # frees the full index's pages: nothing left over for quick_check
    conn.commit()
    assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]
    conn.close()


def test_restore_refuses_a_backup_whose_status_index_lacks_rows(cli, tmp_path, db_path):
    closed = closed_complaints(cli, tmp_path)
    copy = tmp_path / "copy.db"
    cli("backup", copy)
    drop_index_rows(copy, "ix_complaints_status", "status <> 'closed'")
    assert len(json.loads(cli("--db", copy, "list", "--status", "closed", "--json").stdout)) == 0  # what it would do
    assert len(json.loads(cli("list", "--status", "closed", "--json").stdout)) == closed

    fresh = tmp_path / "fresh" / "ledger.db"
    refused = cli("--db", fresh, "restore", copy, ok=False)
    assert refused.exit_code == 5 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "missing from index ix_complaints_status" in refused.stderr and "Traceback" not in refused.stderr
    assert not fresh.exists() and not fresh.with_name("ledger.db.archive").exists()

    before = dump(db_path)
    refused = cli("restore", copy, "--force", ok=False)
    assert refused.exit_code == 5 and len(refused.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before and not list(db_path.parent.glob("ledger.db.replaced-*"))
    assert len(json.loads(cli("list", "--status", "closed", "--json").stdout)) == closed
