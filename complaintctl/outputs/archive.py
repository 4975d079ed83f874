"""The archive an inspector asks for (CSA Appendix A, A.1–A.6): a period's complaints with their papers.

For each complaint received in the period: its record (客户投诉登记及处理单) as the ledger holds it now,
the letters sent as they were sent, and its attachments under their own names; then the period's
report (the ledger and the statistics), and a manifest of every file with its SHA-256 and the chain
heads of the ledger when it was made. `verify --archive` checks an archive against the ledger: every
file as the manifest lists it, every letter and attachment as the ledger recorded it, and the chain
heads still in the ledger.

Personal data is in full (the complaint's own file): the archive is written privately (0700 folder, or a
0600 .zip), recorded as an `unmasked` event first, and appears under its name only then.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from complaintctl.rules import clock
from complaintctl.errors import DAMAGED, ComplaintError
from complaintctl.i18n import _
from complaintctl.store.asof import not_withdrawn

MANIFEST = "manifest.json"
VERSION = "complaintctl-archive v1"


@dataclass
class Made:
    path: Path
    complaints: int
    files: int
    manifest_sha256: str


def _period_complaints(ledger, period) -> list[dict]:
    with ledger.reading() as conn:
        rows = conn.exec_driver_sql(
            "SELECT record FROM complaints WHERE branch = ? AND received_day >= ? AND received_day <= ? "
            f"AND status <> 'voided'{not_withdrawn('complaints')} ORDER BY year, seq",
            (ledger.branch, period.start.isoformat(), period.end.isoformat()),
        ).all()
    return [json.loads(body) for (body,) in rows]


def _copy_out(archive: Path, stored_as: str, folder: Path, name: str, taken: set[str]) -> Path:
    """A stored file under its own name in `folder` (a second file of that name keeps its hash prefix)."""
    target = folder / (name if name not in taken else PurePosixPath(stored_as).name)
    taken.add(target.name)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archive / stored_as, target)
    return target


def make(ledger, period, out: Path, *, by: str, at: datetime, listener=None) -> Made:
    """Gather, list, record, then place: all of it under `out`, or nothing (see the module's doc)."""
    from complaintctl.outputs import letters
    from complaintctl import scratch
    from complaintctl.outputs import analysis as analysing
    from complaintctl.outputs import report as reporting
    from complaintctl.outputs import workbook  # openpyxl only for this command
    from complaintctl.rules.anchor import heads
    from complaintctl.rules.deadlines import deadlines_for
    from complaintctl.store.ledger import sha256_file
    from complaintctl.outputs.letters import read_template
    from complaintctl.store.settings import TEMPLATE_KEY, config

    zipped = out.suffix.lower() == ".zip"
    settings = config(ledger)
    branch = settings.get("branch")
    if not branch:
        raise ComplaintError(
            _("an archive carries the branch's name: set it first with `complaintctl config set branch NAME`"),
            "CSA 9.4",
        )
    own = settings.get(TEMPLATE_KEY + "record")
    template = read_template(Path(own), TEMPLATE_KEY + "record") if own else letters.builtin_template("record")
    complaints = _period_complaints(ledger, period)
    work = scratch.folder_beside(out)
    try:
        root = work / "archive"
        root.mkdir(mode=0o700)
        attachments = ledger.archive_for(ledger.branch)
        for number, record in enumerate(complaints, 1):
            if listener:
                listener(_("gathering complaints"), number, len(complaints))
            folder = root / record["id"]
            folder.mkdir()
            policy = ledger.policy_on(clock.day_of(record["received_at"]))
            deadlines = {d.kind: d for d in deadlines_for(record, ledger.calendar(), policy)}
            values = {
                **letters.facts(
                    record,
                    branch=branch,
                    on=at.astimezone(clock.SHANGHAI).date(),
                    deadlines=deadlines,
                    settings=settings,
                ),
                "title": letters.title("record"),
            }
            letters.render(template, values, folder / f"{letters.title('record')}.docx")
            taken: set[str] = set()
            for item in record.get("letters", []):
                if item.get("stored_as"):
                    _copy_out(attachments, item["stored_as"], folder / "文书", item["file"], taken)
            for item in record.get("attachments", []):
                _copy_out(attachments, item["stored_as"], folder / "附件", item["file"], taken)
        (root / "统计报表").mkdir()
        done = reporting.prepare(
            ledger,
            period,
            out=root / "统计报表",
            as_of=None,
            unmask=False,
            force=False,
            branches=[ledger.branch] if ledger.firm else None,
        )
        analysis = analysing.for_report(ledger, done)
        written = workbook.write(done, reporting.entries(ledger, done, listener, also=[analysis]), listener)
        reporting.publish(ledger, done, written, by=by)
        with ledger.reading() as conn:
            chain_heads = [anchor.line() for anchor in heads(conn)]
        files = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            files.append(
                {"path": path.relative_to(root).as_posix(), "sha256": sha256_file(path), "size": path.stat().st_size}
            )
        manifest = {
            "format": VERSION,
            "branch": branch,
            "period": period.code,
            "label": period.label,
            "made_at": clock.iso(clock.now()),
            "by": by,
            "complaints": [record["id"] for record in complaints],
            "anchors": chain_heads,
            "files": files,
        }
        (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        digest = sha256_file(root / MANIFEST)
        if zipped:
            packed = work / "archive.zip"
            with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    archive.write(path, path.relative_to(root).as_posix())
            os.chmod(packed, 0o600)
        with ledger.transaction() as session:  # on record before it is anywhere a reader looks
            ledger.append(
                session,
                None,
                "unmasked",
                clock.iso(clock.now()),
                by,
                {
                    "command": f"archive {period.code}",
                    "file": str(out.resolve()),
                    "manifest_sha256": digest,
                    "complaints": len(complaints),
                    **({"sha256": sha256_file(packed)} if zipped else {}),
                },
            )
        if zipped:
            os.replace(packed, out)
        else:
            os.replace(root, out)
    finally:
        scratch.release(work)
    return Made(out, len(complaints), len(files), digest)


# -- checking an archive -------------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict, dict[str, bytes | Path]]:
    """The manifest, and each member: bytes of a .zip's, paths of a folder's."""
    try:
        if path.is_dir():
            members = {p.relative_to(path).as_posix(): p for p in path.rglob("*") if p.is_file()}
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        else:
            with zipfile.ZipFile(path) as archive:
                members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
            manifest = json.loads(members[MANIFEST].decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ComplaintError(
            _("{path} is not an archive made by `complaintctl archive` ({exc})").format(path=path, exc=exc),
            exit_code=DAMAGED,
        ) from None
    if manifest.get("format") != VERSION:
        raise ComplaintError(_("{path}: no complaintctl archive manifest").format(path=path), exit_code=DAMAGED)
    return manifest, members


def check(ledger, path: Path) -> tuple[dict, list[str]]:
    """(the manifest, the problems found): each file against the manifest and the ledger's own records."""
    import hashlib

    if not path.exists():  # nothing to check: a wrong name, not a damaged archive
        raise ComplaintError(_("--archive {path}: no such file or folder").format(path=path))
    manifest, members = _read(path)

    def sha(member) -> str:
        data = member if isinstance(member, bytes) else member.read_bytes()
        return hashlib.sha256(data).hexdigest()

    problems = []
    listed = {item["path"]: item["sha256"] for item in manifest["files"]}
    for name in sorted(set(members) - set(listed) - {MANIFEST}):
        problems.append(_("{name} is in the archive but not in its manifest").format(name=name))
    for name, digest in listed.items():
        if name not in members:
            problems.append(_("{name} is listed in the manifest but missing").format(name=name))
        elif sha(members[name]) != digest:
            problems.append(_("{name} was changed since the archive was made (SHA-256 differs)").format(name=name))
    # The papers the ledger recorded: a letter sent and an attachment are the bytes it holds the SHA-256 of.
    with ledger.reading() as conn:
        for number in manifest["complaints"]:
            row = conn.exec_driver_sql(
                "SELECT record FROM complaints WHERE branch = ? AND id = ?", (ledger.branch, number)
            ).first()
            if row is None:
                problems.append(_("{number} is in the archive but not in this ledger").format(number=number))
                continue
            record = json.loads(row[0])
            recorded = {
                x["sha256"] for x in (*record.get("attachments", []), *record.get("letters", [])) if x.get("stored_as")
            }
            held = {
                listed[name]
                for name in listed
                if name.startswith(f"{number}/文书/") or name.startswith(f"{number}/附件/")
            }
            for digest in sorted(held - recorded):
                problems.append(
                    _("{number}: a paper in the archive (SHA-256 {digest}) is not one the ledger recorded").format(
                        number=number, digest=digest[:16]
                    )
                )
            for digest in sorted(recorded - held):
                problems.append(
                    _("{number}: a paper the ledger recorded (SHA-256 {digest}) is not in the archive").format(
                        number=number, digest=digest[:16]
                    )
                )
    return manifest, problems
