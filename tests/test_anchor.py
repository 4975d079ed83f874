"""Anchors: the chain head written where the ledger cannot reach it, and checked by `verify --anchor`.

The attacks are the issue's, made as someone with the file and the project's own hash function would
make them: the append-only triggers dropped, an event edited or deleted, every later hash computed
again and the complaint's row folded again, so that the chain and the state check. `verify` alone
cannot know (it says OK: tested, so the README's warning stays true); an anchor taken before can.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from complaintctl.rules.anchor import Anchor, parse
from complaintctl.store.backends import backend_for
from complaintctl.rules.complaint import apply, columns_of, record_json
from complaintctl.store.chain import GENESIS_HASH, event_hash
from tests.conftest import register, as_owner

ROOT = Path(__file__).resolve().parent.parent
firm_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def rewrite(db: Path, *statements: tuple[str, tuple] | str) -> None:
    """Drop the guards, change the events, compute every hash again in order and fold every complaint
    again: what `verify` alone then finds is a sound ledger."""
    conn = sqlite3.connect(db)
    for trigger in ("events_append_only_update", "events_append_only_delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in statements:
        sql, params = (statement, ()) if isinstance(statement, str) else statement
        conn.execute(sql, params)
    heads: dict[str, str] = {}
    rows = conn.execute("SELECT id, branch, complaint, kind, at, recorded_at, actor, payload FROM events "
                        "ORDER BY id").fetchall()
    for event_id, branch, complaint, kind, at, recorded, actor, payload in rows:
        prev = heads.get(branch, GENESIS_HASH)
        digest = event_hash(prev, complaint, kind, at, recorded, actor, payload)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, event_id))
        heads[branch] = digest
    folds: dict[tuple, tuple] = {}
    for event_id, branch, complaint, kind, at, _recorded, actor, payload in rows:
        if complaint is not None and conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone():
            record = folds.get((branch, complaint), (None, 0))[0]
            folds[branch, complaint] = (apply(record, kind, json.loads(payload), at, actor), event_id)
    for (branch, number), (record, last) in folds.items():
        values = dict(columns_of(record), last_event=last, record=record_json(record))
        conn.execute(f"UPDATE complaints SET {', '.join(f'{k} = ?' for k in values)} WHERE branch = ? AND id = ?",
                     (*values.values(), branch, number))
    conn.commit()
    conn.close()


def five_events(cli) -> str:
    """Events 1-5 of the ledger's chain: two registrations, a note, an acceptance."""
    register(cli, "2026-11-02 10:00")  # 1
    register(cli, "2026-11-03 10:00")  # 2
    cli("note", "TS-2026-0001", "客户补充了对账单", "--at", "2026-11-03 11:00")  # 3
    cli("accept", "TS-2026-0001", "--at", "2026-11-04 10:00")  # 4
    cli("accept", "TS-2026-0002", "--at", "2026-11-04 11:00")  # 5
    return cli("anchor").stdout


def stored_hash(db, event_id: int) -> str:
    with backend_for(db).reading() as conn:
        return conn.execute("SELECT hash FROM events WHERE id = ?", (event_id,)).fetchone()[0]


# -- the anchor itself ------------------------------------------------------------------------------------


def test_anchor_prints_the_head_in_a_form_that_can_be_pasted_back(cli, db_path):
    printed = five_events(cli)
    digest = stored_hash(db_path, 5)
    assert printed == f"complaintctl-anchor v1 branch= id=5 count=5 sha256={digest}\n"
    assert json.loads(cli("anchor", "--json").stdout) == [
        {"branch": "", "id": 5, "count": 5, "sha256": digest, "anchor": printed.strip()}]
    # Pasted back as it arrives in a mail: quoted, among other lines.
    assert parse(f"Subject: 台账链头\n> {printed}\n-- \n") == [Anchor("", 5, 5, digest)]
    result = cli("verify", "--anchor", f"> {printed}")
    assert result.stdout.splitlines()[-1] == f"anchor held: event 5 of chain '', 5 events, SHA-256 {digest[:16]}…"
    cli("note", "TS-2026-0002", "又来电", "--at", "2026-11-05 09:00")  # events after the anchor are new, not a change
    mail = Path(os.environ["COMPLAINTCTL_DB"]).parent / "anchor-mail.txt"
    mail.write_text(f"From: cron\n\n{printed}", encoding="utf-8")
    done = json.loads(cli("verify", "--anchor", mail, "--json").stdout)
    assert done["ok"] is True and done["anchors"] == [
        {"branch": "", "id": 5, "count": 5, "sha256": digest, "anchor": printed.strip(), "held": True,
         "found_as": None}]


def test_an_anchor_that_is_not_one_is_refused_in_one_line(cli, tmp_path):
    for value in ("complaintctl-anchor v1 branch= id=5 count=5 sha256=abc", str(tmp_path)):
        result = cli("verify", "--anchor", value, ok=False)
        assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
        assert "--anchor: no anchor in" in result.stderr or "not a readable" in result.stderr, result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = cli("verify", "--anchor", broken, ok=False)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1


# -- the attacks: each passes `verify` alone, and is caught by an anchor taken before -------------------


@pytest.mark.sqlite_only
def test_an_event_rewritten_and_every_later_hash_computed_again_fails_the_anchor(cli, db_path):
    printed = five_events(cli)
    anchored = stored_hash(db_path, 5)
    rewrite(db_path, "UPDATE events SET payload = replace(payload, '客户补充了对账单', '客户撤回投诉') WHERE id = 3")
    assert "客户撤回投诉" in cli("show", "TS-2026-0001").stdout
    assert "ledger OK" in cli("verify").stdout  # the chain checks: verify alone cannot know
    result = cli("verify", "--anchor", printed, ok=False)
    assert result.exit_code == 5 and result.stderr == (
        f"complaintctl: {db_path}: anchor '' #5 (5 events, SHA-256 {anchored[:16]}…): event 5 no longer has that "
        f"hash (it has {stored_hash(db_path, 5)[:16]}…): events up to it were changed and the chain's hashes "
        "computed again since the anchor was taken\n")


@pytest.mark.sqlite_only
def test_with_an_earlier_anchor_too_the_change_is_placed_between_them(cli, db_path):
    register(cli, "2026-11-02 10:00")  # 1
    register(cli, "2026-11-03 10:00")  # 2
    early = cli("anchor").stdout
    cli("note", "TS-2026-0001", "客户补充了对账单", "--at", "2026-11-03 11:00")  # 3
    cli("accept", "TS-2026-0001", "--at", "2026-11-04 10:00")  # 4
    late = cli("anchor").stdout
    rewrite(db_path, "UPDATE events SET payload = replace(payload, '客户补充了对账单', '客户撤回投诉') WHERE id = 3")
    result = cli("verify", "--anchor", early + late, ok=False)
    assert result.exit_code == 5 and len(result.stderr.splitlines()) == 1
    assert result.stderr.endswith("; the anchor at event 2 (2 events) still holds, so the first change comes after "
                                  "it\n")


@pytest.mark.sqlite_only
def test_a_middle_event_deleted_and_the_rest_rehashed_fails_the_anchor_naming_it(cli, db_path):
    printed = five_events(cli)
    anchored = stored_hash(db_path, 5)
    rewrite(db_path, "DELETE FROM events WHERE id = 3")
    assert "ledger OK" in cli("verify").stdout
    result = cli("verify", "--anchor", printed, ok=False)
    assert result.exit_code == 5 and result.stderr == (
        f"complaintctl: {db_path}: anchor '' #5 (5 events, SHA-256 {anchored[:16]}…): event 5 is now event 4 of "
        "chain '', not 5: events before it were removed or inserted since the anchor was taken; event 3 is "
        "missing (ids go from 2 to 4)\n")


@pytest.mark.sqlite_only
def test_the_newest_exported_events_deleted_fail_the_anchor(cli, db_path, tmp_path):
    five_events(cli)
    cli("report", "--month", "2026-11", "--out", tmp_path / "a.xlsx")  # 6: exported
    cli("report", "--month", "2026-11", "--out", tmp_path / "b.xlsx")  # 7: exported
    printed = cli("anchor").stdout
    assert " id=7 count=7 " in printed
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_append_only_delete")
    conn.execute("DELETE FROM events WHERE kind = 'exported'")  # no rehash needed: the chain's tail is just shorter
    conn.commit()
    conn.close()
    assert "ledger OK" in cli("verify").stdout
    result = cli("verify", "--anchor", printed, ok=False)
    assert result.exit_code == 5 and result.stderr == (
        f"complaintctl: {db_path}: anchor '' #7 (7 events, SHA-256 {printed.split('sha256=')[1][:16]}…): the ledger "
        "no longer holds event 7 in chain '', which now ends at event 5 with 5 events: events were removed since "
        "the anchor was taken\n")


# -- reports carry the head --------------------------------------------------------------------------------


def test_a_report_carries_the_head_in_its_properties_and_on_its_sign_off(cli, db_path, backend, tmp_path):
    five_events(cli)
    head = cli("anchor").stdout.strip().splitlines()
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2026-11", "--out", out)
    wb = openpyxl.load_workbook(out)
    assert wb.custom_doc_props["complaintctl-anchor"].value.splitlines() == head
    assert wb.properties.description.splitlines()[1:] == head
    text = [row[0] for row in wb["汇总"].iter_rows(values_only=True) if row[0]]
    sign = len(text) - 1 - text[::-1].index("签字确认")  # the sheet's last sign-off (its first is under 主要指标)
    chains = [parse(line)[0] for line in head]
    if backend == "sqlite":
        (only,) = chains
        assert text[sign + 5:] == [
            f"台账链头：事件 #5 / 共 5 条 / SHA-256 前 16 位 {only.sha256[:16]}", only.line(),
            "核对：complaintctl verify --anchor 本报告文件（或上列 complaintctl-anchor 行）。导出后台账如被改写、删除或截断，"
            "核对不通过（退出码 5）。"]
    else:  # the firm's own chain '' and the branch the report covers
        firm, branch = chains
        assert (firm.branch, branch.branch) == ("", "SZ01")
        assert text[sign + 5:sign + 9] == [
            f"全公司链头：事件 #{firm.id} / 共 {firm.count} 条 / SHA-256 前 16 位 {firm.sha256[:16]}", firm.line(),
            f"分支机构 SZ01 链头：事件 #{branch.id} / 共 {branch.count} 条 / SHA-256 前 16 位 {branch.sha256[:16]}",
            branch.line()]
    result = cli("verify", "--anchor", out)
    assert result.stdout.count("anchor held:") == len(head)


@pytest.mark.sqlite_only
def test_a_report_anchor_catches_a_rewrite_after_the_export(cli, db_path, tmp_path):
    five_events(cli)
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2026-11", "--out", out)
    rewrite(db_path, "UPDATE events SET payload = replace(payload, '客户补充了对账单', '客户撤回投诉') WHERE id = 3")
    result = cli("verify", "--anchor", out, ok=False)
    assert result.exit_code == 5 and "event 5 no longer has that hash" in result.stderr


@pytest.mark.sqlite_only
def test_the_report_keeps_its_anchor_when_libreoffice_saves_it_and_without_properties(cli, db_path, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    head = five_events(cli).strip()  # what the report carries: the head before its own export event
    out = tmp_path / "r.xlsx"
    cli("report", "--month", "2026-11", "--out", out)
    # Properties lost (some tool saved it bare): the anchor is read from the 汇总 sheet's text.
    bare = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(bare, "w") as target:
        for item in source.infolist():
            if not item.filename.startswith("docProps/"):
                target.writestr(item, source.read(item))
    assert "anchor held: event 5" in cli("verify", "--anchor", bare).stdout
    if office is None or not (shutil.which("localc") or shutil.which("scalc")):
        pytest.skip("LibreOffice Calc is not installed")  # LibreOffice with Writer alone cannot load a workbook
    saved = tmp_path / "saved"
    subprocess.run([office, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", saved, out], check=True, capture_output=True, timeout=180)
    wb = openpyxl.load_workbook(saved / "r.xlsx")
    assert wb.custom_doc_props["complaintctl-anchor"].value == head
    assert head in wb.properties.description
    assert "anchor held: event 5" in cli("verify", "--anchor", saved / "r.xlsx").stdout


# -- the README's cron line ---------------------------------------------------------------------------------


def readme_anchor_cron() -> tuple[dict, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The morning warning (cron)", 1)[1].split("\n## ", 1)[0]
    block = section.split("```cron", 2)[2].split("```", 1)[0]
    env, jobs = {}, []
    for line in filter(str.strip, block.splitlines()):
        name, _, value = line.partition("=")
        if name.isidentifier() and " " not in name:
            env[name] = value
        else:
            jobs.append(line)
    (job,) = jobs
    return env, job.split(None, 5)[5]


@pytest.mark.sqlite_only
def test_the_readme_mails_the_anchor_daily_and_what_it_mails_verifies(cli, db_path):
    five_events(cli)
    env, command = readme_anchor_cron()
    assert set(env) == {"MAILTO", "PATH", "COMPLAINTCTL_DB"} and command == "complaintctl anchor"
    job_env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    job_env.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", COMPLAINTCTL_DB=str(db_path))
    done = subprocess.run(["/bin/sh", "-c", command], env=job_env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0 and done.stderr == "" and len(parse(done.stdout)) == 1
    assert "anchor held: event 5" in cli("verify", "--anchor", done.stdout).stdout


# -- a firm ledger: one chain per branch, and the chains copied elsewhere -------------------------------------


@firm_only
def test_a_firm_ledger_anchors_each_chain_and_a_removed_tail_of_one_shows(cli, db_path, tmp_path):
    cli("branch", "add", "GZ02", "--name", "广州某某路证券营业部")
    register(cli, "2026-11-02 10:00")  # at SZ01
    register(cli, "2026-11-03 10:00", "--branch", "GZ02")
    cli("note", "GZ02/TS-2026-0001", "补充材料", "--at", "2026-11-03 11:00")
    printed = cli("anchor").stdout.splitlines()
    assert [parse(line)[0].branch for line in printed] == ["", "GZ02", "SZ01"]
    assert [parse(line)[0].count for line in printed] == [2, 2, 1]  # branch_added ×2; registered + noted; registered
    assert cli("verify", "--anchor", "\n".join(printed)).stdout.count("anchor held:") == 3
    gz = parse(printed[1])[0]
    owner = backend_for(db_path.replace("complaint_clerk@", "postgres@")).connect()
    owner.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    owner.execute("DELETE FROM events WHERE id = ?", (gz.id,))  # the note: the chain's newest event
    record, last = None, None
    for event_id, kind, at, actor, payload in owner.query(
            "SELECT id, kind, at, actor, payload FROM events WHERE branch = 'GZ02' AND complaint = 'TS-2026-0001' "
            "ORDER BY id").fetchall():
        record, last = apply(record, kind, json.loads(payload), at, actor), event_id
    values = dict(columns_of(record), last_event=last, record=record_json(record))
    owner.execute(f"UPDATE complaints SET {', '.join(f'{k} = ?' for k in values)} WHERE branch = 'GZ02' "
                  "AND id = 'TS-2026-0001'", tuple(values.values()))
    owner.commit()
    owner.close()
    assert "ledger OK" in cli("verify").stdout
    result = cli("verify", "--anchor", "\n".join(printed), ok=False)
    assert result.exit_code == 5 and result.stderr.endswith(
        f"the ledger no longer holds event {gz.id} in chain GZ02, which now ends at event {gz.id - 1} with 1 events: "
        "events were removed since the anchor was taken\n")


@firm_only
def test_an_anchor_of_a_branch_file_holds_in_the_firm_ledger_it_moved_into(cli, db_path, tmp_path):
    source = tmp_path / "branch.db"
    cli("--db", source, "init")
    register(cli, "2026-11-02 10:00", "--db", source)
    printed = cli("--db", source, "anchor").stdout
    cli("--db", source, "move-to", as_owner(db_path), "--branch", "GZ02")
    held = cli("verify", "--anchor", printed).stdout.splitlines()[-1]
    assert held.startswith("anchor held: event 2 of chain '', 2 events") and "(found as event " in held
    assert held.endswith(" of chain GZ02)")
    copy = Path(json.loads(cli("backup", tmp_path, "--json").stdout)["backup"])
    firm_heads = cli("anchor").stdout
    assert cli("--db", copy, "verify", "--anchor", firm_heads).stdout.count("anchor held:") == 3
