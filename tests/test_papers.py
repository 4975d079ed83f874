"""The papers the standard asks for (issue 30): approvals before the result, and the letters, read back
with python-docx and checked against the ledger."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from pathlib import Path

import docx
import pytest

from tests.conftest import ID_OK, REGISTER_MINIMAL, RESOLVE, dump, register
from tests.test_lifecycle import refused

BRANCH_NAME = "某某证券深圳福田路证券营业部"
REFER = ["--refer-to", "开户所在证券公司", "--refer-contact", "该公司客服热线"]  # Firm 26


@pytest.fixture(autouse=True)
def named_branch(cli):
    cli("config", "set", "branch", BRANCH_NAME)
    reachable(cli)


def reachable(cli, *db) -> None:
    """How a letter's reader reaches the branch (issue 45): every letter prints these, and waits for them."""
    for key, value in (("branch-phone", "0755-83210000"), ("branch-address", "深圳市福田区福华路1号"),
                       ("contact", "王芳")):
        cli(*db, "config", "set", key, value)


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


def assigned(cli, *extra) -> str:
    number = register(cli, "2026-11-02 09:30", *extra)
    cli("accept", number, "--at", "2026-11-03 10:00")
    cli("assign", number, "--handler", "赵六", "--dept", "经纪业务部", "--at", "2026-11-03 11:00")
    return number


def text_of(path) -> str:
    """Every paragraph and table cell of a .docx, in order, as python-docx reads it back."""
    document = docx.Document(str(path) if isinstance(path, Path) else path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    parts += [p.text for section in document.sections for p in section.header.paragraphs]
    return "\n".join(parts)


def audits(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM events WHERE kind = 'unmasked' ORDER BY id")]
    finally:
        conn.close()


# -- approvals (maker-checker) --------------------------------------------------------------------------


@pytest.mark.backends
def test_a_compensation_is_approved_before_the_result_by_someone_else(cli, db_path):
    number = assigned(cli)
    pay = ["resolve", number, "--result", "退还多收佣金", *RESOLVE, "--compensation", "800", "--at", "2026-11-10"]
    refused(cli, db_path, *pay, rule="Firm 25", says="a compensation of 800.00 yuan is approved before the result")
    refused(cli, db_path, "approve", number, "compensation", "--by", "赵六", "--at", "2026-11-09", rule="CSA 7.7",
            says="the approver 赵六 is the handler")
    refused(cli, db_path, "approve", number, "compensation", "--by", "李四", "--at", "2026-11-09", rule="CSA 7.7",
            says="is the respondent")
    cli("approve", number, "compensation", "--by", "陈经理", "--amount", "500", "--note", "同意在500元内补偿",
        "--at", "2026-11-09")
    refused(cli, db_path, *pay, rule="Firm 25", says="陈经理 approved a compensation of 500.00 yuan, not 800.00")
    cli("approve", number, "compensation", "--by", "陈经理", "--amount", "800", "--at", "2026-11-09 15:00")
    cli(*pay)
    record = show(cli, number)
    assert [(a["what"], a["by"], a.get("amount")) for a in record["approvals"]] == [
        ("compensation", "陈经理", "500.00"), ("compensation", "陈经理", "800.00")]
    assert record["resolution"]["compensation"] == "800.00"


def test_the_opinion_on_a_major_complaint_is_approved_first(cli, db_path):
    number = assigned(cli, "--major-reason", "funds-safety")
    cli("escalate", number, "--to", "合规部", "--at", "2026-11-02 17:00")
    resolve = ["resolve", number, "--result", "已说明", *RESOLVE, "--at", "2026-11-10"]
    refused(cli, db_path, *resolve, rule="CSA 8.1.1(a)", says="the opinion on a major complaint is approved")
    cli("approve", number, "opinion", "--by", "陈经理", "--at", "2026-11-09")
    cli(*resolve)


def test_a_firm_may_ask_approval_of_every_opinion_and_above_an_amount_only(cli, db_path):
    cli("policy", "set", "--effective-from", "2026-10-01", "--approval-opinions", "all",
        "--approval-compensation-above", "1000", "--at", "2026-10-01")
    number = assigned(cli)
    resolve = ["resolve", number, "--result", "已退还", *RESOLVE, "--compensation", "300", "--at", "2026-11-10"]
    refused(cli, db_path, *resolve, rule="Firm 18(2)", says="every handling opinion is approved")
    cli("approve", number, "处理意见", "--by", "陈经理", "--at", "2026-11-09")
    cli(*resolve)  # 300 yuan is under the firm's 1000: no approval of the amount
    refused(cli, db_path, "policy", "set", "--effective-from", "2026-12-01", "--approval-opinions", "some",
            "--at", "2026-11-20", rule="Firm 18(2)", says="choose major or all")


def test_an_extension_takes_the_approvers_own_record(cli, db_path):
    number = assigned(cli)
    extend = ["extend", number, "--days", "5", "--reason", "需调取交易所数据", "--notified-via", "phone",
              "--at", "2026-11-20"]
    refused(cli, db_path, *extend, rule="CSA 9.2.2(d)", says="approve")
    refused(cli, db_path, "approve", number, "extension", "--by", "赵六", "--at", "2026-11-19", rule="CSA 7.7")
    cli("approve", number, "extension", "--by", "陈经理", "--at", "2026-11-19")
    cli(*extend)
    assert show(cli, number)["extensions"][0]["approved_by"] == "陈经理"
    again = ["extend", number, "--days", "5", "--reason", "仍需数据", "--at", "2026-11-25"]
    refused(cli, db_path, *again, rule="CSA 9.2.2(d)", says="approve")  # an approval is used once


# -- letters ------------------------------------------------------------------------------------------------


def test_an_opinion_letter_holds_the_ledgers_facts_in_full(cli, db_path, tmp_path):
    number = assigned(cli)
    cli("approve", number, "compensation", "--by", "陈经理", "--at", "2026-11-09")
    cli("resolve", number, "--result", "已按约定费率退还差额", *RESOLVE, "--compensation", "120.50", "--at", "2026-11-10")
    result = cli("letter", "opinion", number, "--out", tmp_path, "--at", "2026-11-10 15:00")
    path = tmp_path / f"{number}-投诉处理意见书.docx"
    assert f"wrote {path} (投诉处理意见书)" in result.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = text_of(path)
    for fact in (BRANCH_NAME, "投诉处理意见书", "张三：", number, "2026年11月2日", "退还多收佣金", "核实委托记录与录音",
                 "已按约定费率退还差额", "人民币 120.50 元", "申请调解", "申请仲裁或向人民法院提起诉讼", "2026年11月10日",
                 "经办人：赵六", "（盖章）"):
        assert fact in text, fact
    audit = audits(db_path)[-1]
    assert audit["command"] == "letter opinion" and audit["complaint"] == number
    import hashlib

    assert audit["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and audit["file"] == str(path.resolve())


def test_the_record_shows_the_five_items_and_each_approval(cli, tmp_path):
    number = assigned(cli)
    cli("investigate", number, "--accountability", "对经办员工批评教育", "--improvement", "完善复核", "--at", "2026-11-05")
    cli("approve", number, "opinion", "--by", "陈经理", "--note", "同意", "--at", "2026-11-09")
    out = tmp_path / "record.docx"
    cli("letter", "登记表", number, "--out", out)
    text = text_of(out)
    assert "证件类型及号码 | 居民身份证 " + ID_OK in text  # in full: it goes in the complaint's file
    assert "三、内部责任追究 | 对经办员工批评教育" in text and "四、存在的不足及管理改进措施 | 完善复核" in text
    assert "审批记录 | 2026年11月9日 陈经理 审批处理意见：同意" in text
    assert "部门负责人意见" in text and "首席风险官（合规负责人）意见" in text


def test_a_letter_tells_the_word_processor_its_text_is_chinese(cli, tmp_path):
    # python-docx's own template says Japanese: without 宋体 on the machine, LibreOffice then printed the
    # letters in a Japanese font (seen on a render of every kind, 2026-12-02).
    import zipfile

    out = tmp_path / "record.docx"
    cli("letter", "record", assigned(cli), "--out", out)
    with zipfile.ZipFile(out) as docx_file:
        settings = docx_file.read("word/settings.xml").decode()
        styles = docx_file.read("word/styles.xml").decode()
    assert 'w:eastAsia="zh-CN"' in settings and "ja-JP" not in settings
    defaults = styles[styles.index("<w:docDefaults>") : styles.index("</w:docDefaults>")]
    assert 'w:eastAsia="zh-CN"' in defaults


def test_each_kind_names_what_it_lacks_and_writes_nothing(cli, db_path, tmp_path):
    number = assigned(cli)
    for kind, says in (("opinion", "has no result yet"), ("refusal", "was not refused"),
                       ("extension", "has no extension"), ("regulator-reply", "was received directly")):
        before = dump(db_path)
        result = cli("letter", kind, number, "--out", tmp_path, ok=False)
        assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1 and says in result.stderr, result.stderr
        assert dump(db_path) == before
    assert list(tmp_path.glob("*.docx")) == [] and list(tmp_path.glob(".*")) == []


@pytest.mark.backends
def test_a_refusal_without_notice_is_owed_until_its_letter_is_sent(cli, db_path, tmp_path):
    number = register(cli, "2026-11-02 09:30")
    result = cli("reject", number, "--reason", "not-customer", *REFER, "--at", "2026-11-03")
    assert "Firm 17: the complainant is still to be told of the refusal" in result.stderr
    refused(cli, db_path, "close", number, "--at", "2026-11-04", rule="Firm 17", says="never told")
    cli("letter", "refusal", number, "--out", tmp_path, "--sent-via", "信函", "--at", "2026-11-03 15:00")
    text = text_of(tmp_path / f"{number}-不予受理告知书.docx")
    assert "非本机构客户" in text and "不予受理" in text
    assert "属于《证券公司投诉处理标准》第9.1.1条a)项规定的不予受理情形" in text  # as a Chinese letter cites, not "CSA 9.1.1(a)"
    letters = show(cli, number)["letters"]
    assert [(item["kind"], item["via"]) for item in letters] == [("refusal", "letter")]
    cli("close", number, "--at", "2026-11-04")


def test_a_progress_letter_sent_counts_as_the_interim_feedback(cli, tmp_path):
    number = assigned(cli)
    cli("letter", "progress", number, "--out", tmp_path, "--sent-via", "sms", "--at", "2026-11-20")
    cli("approve", number, "extension", "--by", "陈经理", "--at", "2026-11-20 10:00")
    cli("extend", number, "--days", "5", "--reason", "需调取交易所数据", "--at", "2026-11-25")  # no --notified-via
    cli("letter", "extension", number, "--out", tmp_path, "--sent-via", "letter", "--at", "2026-11-25 15:00")
    text = text_of(tmp_path / f"{number}-投诉处理延期告知书.docx")
    assert "需调取交易所数据" in text and "陈经理" in text and "延长5个交易日" in text
    assert "原定于2026年11月30日前办结" in text and "延至2026年12月7日前办结" in text  # 11-30 + 5 trading days


def test_a_regulator_reply_is_written_as_text_too(cli, tmp_path):
    number = register(cli, "2026-11-02 09:30", "--channel", "regulator", "--source", "12386", "--transfer-no",
                      "12386-20261102-0001")
    cli("accept", number, "--at", "2026-11-03 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-03 11:00")
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-11-10")
    cli("letter", "regulator-reply", number, "--out", tmp_path / "reply.docx")
    plain = (tmp_path / "reply.txt").read_text(encoding="utf-8")
    assert plain.splitlines()[:2] == ["工单号：12386-20261102-0001", "投诉人：张三"]
    assert "处理意见：已退还差额" in plain and f"回复单位：{BRANCH_NAME}" in plain
    assert stat.S_IMODE((tmp_path / "reply.txt").stat().st_mode) == 0o600
    assert plain.strip() in text_of(tmp_path / "reply.docx")


def test_a_firms_own_template_is_used_and_an_unknown_placeholder_refused(cli, db_path, tmp_path):
    own = docx.Document()
    own.add_paragraph("本所函〔{{ number }}〕 致 {{ complainant }}：{{ result }}")
    good = tmp_path / "own.docx"
    own.save(str(good))
    bad_doc = docx.Document()
    bad_doc.add_paragraph("{{ complainant }} {{ complainant_name }}")
    bad = tmp_path / "bad.docx"
    bad_doc.save(str(bad))
    refused(cli, db_path, "config", "set", "letter-template.opinion", bad, rule="",
            says="uses unknown placeholder(s) {{ complainant_name }}")
    cli("config", "set", "letter-template.opinion", good)
    number = assigned(cli)
    cli("resolve", number, "--result", "已说明<原因>&致歉", *RESOLVE, "--at", "2026-11-10")
    cli("letter", "opinion", number, "--out", tmp_path / "o.docx")
    assert text_of(tmp_path / "o.docx").splitlines()[0] == f"本所函〔{number}〕 致 张三：已说明<原因>&致歉"
    good.write_bytes(bad.read_bytes())  # changed since it was set: checked again, refused
    refused(cli, db_path, "letter", "opinion", number, "--out", tmp_path / "o2.docx", rule="",
            says="unknown placeholder")


def test_a_template_cannot_reach_outside_its_placeholders(cli, db_path, tmp_path):
    sneaky = docx.Document()
    sneaky.add_paragraph("{{ complainant.__class__.__mro__[1].__subclasses__() }}")
    path = tmp_path / "sneaky.docx"
    sneaky.save(str(path))
    number = assigned(cli)
    cli("resolve", number, "--result", "已说明", *RESOLVE, "--at", "2026-11-10")
    cli("config", "set", "letter-template.opinion", path)  # its only placeholder is a known one
    refused(cli, db_path, "letter", "opinion", number, "--out", tmp_path / "o.docx", rule="",
            says="the letter's template cannot be filled: access to attribute '__class__' of 'str' object is unsafe")
    assert not (tmp_path / "o.docx").exists()


def test_the_built_in_template_can_be_written_out_and_lists_its_placeholders(cli, tmp_path):
    cli("letter", "opinion", "--template-out", tmp_path / "t.docx")
    assert "{{ told }}" in text_of(tmp_path / "t.docx") and "{{ advice }}" in text_of(tmp_path / "t.docx")
    listed = json.loads(cli("letter", "--placeholders", "--json").stdout)
    assert listed["advice"].startswith("对处理意见不满意") and "approvals_text" in listed


def test_an_existing_file_is_kept_and_a_bad_target_is_one_line(cli, db_path, tmp_path):
    number = assigned(cli)
    kept = tmp_path / "record.docx"
    kept.write_bytes(b"keep me")
    for args, says in ((["--out", kept], "already exists"), (["--out", tmp_path / "no" / "r.docx"], "does not exist"),
                       (["--out", tmp_path / "r.pdf"], "ending in .docx")):
        before = dump(db_path)
        result = cli("letter", "record", number, *args, ok=False)
        assert result.exit_code == 1 and says in result.stderr and len(result.stderr.splitlines()) == 1
        assert dump(db_path) == before
    assert kept.read_bytes() == b"keep me"


# -- the archive ---------------------------------------------------------------------------------------------


def closed_with_papers(cli, tmp_path) -> str:
    """A complaint from receipt to close, every paper sent and approved, an attachment on file."""
    number = register(cli, "2026-11-02 09:30", "--channel", "regulator", "--source", "12386", "--transfer-no",
                      "12386-20261102-0007")
    cli("accept", number, "--at", "2026-11-03 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-03 11:00")
    evidence = tmp_path / "通话录音.mp3"
    evidence.write_bytes(b"recording")
    cli("attach", number, evidence, "--kind", "recording", "--at", "2026-11-04")
    letters = tmp_path / "letters"
    letters.mkdir()
    cli("letter", "progress", number, "--out", letters, "--sent-via", "sms", "--at", "2026-11-05")
    cli("approve", number, "compensation", "--by", "陈经理", "--at", "2026-11-09")
    cli("resolve", number, "--result", "退还差额", *RESOLVE, "--compensation", "100", "--at", "2026-11-10")
    cli("letter", "opinion", number, "--out", letters, "--sent-via", "letter", "--at", "2026-11-10 15:00")
    cli("letter", "respondent-result", number, "--out", letters, "--sent-via", "onsite", "--at", "2026-11-10 16:00")
    cli("letter", "regulator-reply", number, "--out", letters, "--at", "2026-11-11")
    cli("regulator-reply", number, "--note", "已录入", "--at", "2026-11-11 10:00")
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-11-12")
    cli("close", number, "--at", "2026-11-13")
    return number


def test_an_archive_holds_each_complaints_papers_and_verify_checks_it(cli, db_path, tmp_path):
    number = closed_with_papers(cli, tmp_path)
    out = tmp_path / "2026-11.zip"
    result = cli("archive", "--month", "2026-11", "--out", out)
    assert f"wrote {out}: 1 complaint(s) of 2026-11" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    import zipfile

    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        record = text_of(io.BytesIO(archive.read(f"{number}/客户投诉登记及处理单.docx")))
    assert {f"{number}/客户投诉登记及处理单.docx", f"{number}/附件/通话录音.mp3",
            f"{number}/文书/{number}-投诉处理意见书.docx", f"{number}/文书/{number}-投诉处理进展告知书.docx",
            f"{number}/文书/{number}-投诉处理结果告知书（被投诉人）.docx", "manifest.json"} <= names
    assert any(name.startswith("统计报表/") and name.endswith(".xlsx") for name in names)
    assert manifest["complaints"] == [number] and manifest["anchors"][0].startswith("complaintctl-anchor v1")
    assert "审批记录 | 2026年11月9日 陈经理 审批赔偿补偿" in record and "回访情况 | 2026年11月12日" in record
    assert "文书送达 | 2026年11月5日 投诉处理进展告知书 短信\n2026年11月10日 投诉处理意见书 信函" in record
    assert audits(db_path)[-1]["command"] == "archive 2026-11"
    checked = cli("verify", "--archive", out)
    assert "archive " + str(out) + " holds: " in checked.stdout and "anchor held" in checked.stdout


@pytest.mark.backends
def test_an_archive_changed_since_is_named_by_verify(cli, db_path, tmp_path):
    number = closed_with_papers(cli, tmp_path)
    folder = tmp_path / "folder"
    cli("archive", "--month", "2026-11", "--out", folder)
    opinion = folder / number / "文书" / f"{number}-投诉处理意见书.docx"
    opinion.write_bytes(opinion.read_bytes() + b"\0")
    changed = cli("verify", "--archive", folder, ok=False)
    assert changed.exit_code == 5
    assert f"{number}/文书/{number}-投诉处理意见书.docx was changed since the archive was made" in changed.stderr
    opinion.unlink()
    (folder / number / "附件" / "extra.txt").write_text("x")
    extra = cli("verify", "--archive", folder, ok=False)
    assert extra.exit_code == 5 and "附件/extra.txt is in the archive but not in its manifest" in extra.stderr


def test_an_archive_is_never_written_over_and_needs_the_branchs_name(cli, db_path, tmp_path):
    closed_with_papers(cli, tmp_path)
    (tmp_path / "taken").mkdir()
    before = dump(db_path)
    result = cli("archive", "--month", "2026-11", "--out", tmp_path / "taken", ok=False)
    assert result.exit_code == 1 and "already exists" in result.stderr and dump(db_path) == before


def test_the_readme_lists_every_placeholder_and_kind():
    from complaintctl.outputs import letters

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in letters.PLACEHOLDERS:
        assert "| `{{ " + name + " }}` |" in readme, name
    for kind in letters.KINDS:
        assert f"| `{kind}` |" in readme, kind


def test_verify_names_an_archive_that_is_not_there(cli, db_path):
    before = dump(db_path)
    result = cli("verify", "--archive", "nothing.zip", ok=False)
    assert result.exit_code == 1 and result.stderr.strip() == "complaintctl: --archive nothing.zip: no such file or folder"
    assert dump(db_path) == before


# -- what each paper says, read as its reader reads it ------------------------------------------------------


def record_row(path, label: str) -> str:
    """The value beside a label in the record form (登记表)."""
    rows = [row for table in docx.Document(str(path)).tables for row in table.rows]
    return next(row.cells[1].text for row in rows if row.cells[0].text == label)


def test_the_record_states_the_acceptance_decision_whichever_way_it_went(cli, tmp_path):
    # Before any decision the form said only the registrar's name in its 受理 row; a refusal was not on it.
    waiting = register(cli, "2026-11-02 09:30")
    cli("letter", "record", waiting, "--out", tmp_path / "waiting.docx")
    assert record_row(tmp_path / "waiting.docx", "受理决定") == "尚未作出受理决定"

    accepted = register(cli, "2026-11-02 09:40")
    cli("accept", accepted, "--at", "2026-11-03 10:00")
    cli("letter", "record", accepted, "--out", tmp_path / "accepted.docx")
    assert record_row(tmp_path / "accepted.docx", "受理决定") == "2026年11月3日 受理；受理人：王芳"

    refused_one = register(cli, "2026-11-02 09:50")
    cli("reject", refused_one, "--reason", "not-customer", "--note", "非本营业部开户", "--by", "陈经理",
        "--at", "2026-11-04")
    cli("letter", "record", refused_one, "--out", tmp_path / "refused.docx")
    assert record_row(tmp_path / "refused.docx", "受理决定") == (
        "2026年11月4日 不予受理：非本机构客户（《证券公司投诉处理标准》第9.1.1条a)项）；说明：非本营业部开户；决定人：陈经理"
    )


def test_a_refusals_note_is_labelled_and_absent_when_there_is_none(cli, tmp_path):
    with_note = register(cli, "2026-11-02 09:30")
    cli("reject", with_note, "--reason", "not-customer", *REFER, "--note", "非本营业部开户", "--at", "2026-11-03")
    cli("letter", "refusal", with_note, "--out", tmp_path / "a.docx")
    assert "我部决定不予受理。说明：非本营业部开户。\n" in text_of(tmp_path / "a.docx")  # typed without its 。
    without = register(cli, "2026-11-02 09:40")
    cli("reject", without, "--reason", "not-customer", *REFER, "--at", "2026-11-03")
    cli("letter", "refusal", without, "--out", tmp_path / "b.docx")
    text = text_of(tmp_path / "b.docx")
    assert "我部决定不予受理。\n" in text and "说明" not in text


def test_the_respondents_letter_addresses_a_person_as_you_and_a_department_as_yours(cli, tmp_path):
    person = assigned(cli, "--respondent-dept", "经纪业务部")
    cli("resolve", person, "--result", "已退还差额", *RESOLVE, "--at", "2026-11-10")
    cli("letter", "respondent-result", person, "--out", tmp_path / "person.docx")
    lines = text_of(tmp_path / "person.docx").splitlines()
    assert "李四（经纪业务部）：" in lines
    assert any("涉及您的投诉" in line for line in lines) and not any("您（部门）" in line for line in lines)

    department = cli("register", "--received-at", "2026-11-02 10:30", "--at", "2026-11-02 10:30", *REGISTER_MINIMAL,
                     "--id-type", "id_card", "--id-number", ID_OK, "--facts", "无人接听", "--category", "a5",
                     "--respondent-dept", "机构业务部").stdout.strip()
    cli("accept", department, "--at", "2026-11-03 10:00")
    cli("assign", department, "--handler", "赵六", "--at", "2026-11-03 11:00")
    cli("resolve", department, "--result", "已说明", *RESOLVE, "--at", "2026-11-10")
    cli("letter", "respondent-result", department, "--out", tmp_path / "department.docx")
    lines = text_of(tmp_path / "department.docx").splitlines()
    assert "机构业务部：" in lines
    assert any("涉及贵部门的投诉" in line for line in lines)
