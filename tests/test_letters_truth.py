"""Issue 45, points 1-3: a letter never says what the ledger contradicts, tells its reader how to reach the
branch, and reads as written to its reader. Each test drives the real CLI on a real SQLite ledger and reads
the .docx back with python-docx; the dates are counted here by hand (November 2026's trading days)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXTEND, ID_OK, REGISTER_MINIMAL, RESOLVE, register
from tests.test_lifecycle import refused
from tests.test_papers import BRANCH_NAME, reachable, text_of

# Received Monday 2026-11-02: 20 trading days end Monday 2026-11-30 (CSA 9.2.2(c)); +5 trading days end
# Monday 2026-12-07, or Tuesday 2026-12-08 once Thursday 2026-12-03 is recorded as a holiday.


@pytest.fixture(autouse=True)
def named_branch(cli):
    cli("config", "set", "branch", BRANCH_NAME)
    reachable(cli)


def assigned(cli, *extra) -> str:
    number = register(cli, "2026-11-02 09:30", *extra)
    cli("accept", number, "--at", "2026-11-03 10:00")
    cli("assign", number, "--handler", "赵六", "--dept", "经纪业务部", "--at", "2026-11-03 11:00")
    return number


def letter(cli, tmp_path, kind, number, *extra) -> str:
    path = tmp_path / f"{kind}-{number}-{len(list(tmp_path.iterdir()))}.docx"
    cli("letter", kind, number, "--out", path, *extra)
    return text_of(path)


def show(cli, number) -> dict:
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


def completion_due(cli, number) -> str:
    return next(d["due"] for d in show(cli, number)["deadlines"] if d["kind"] == "completion")


# -- 1. never what the ledger contradicts -------------------------------------------------------------------


def test_the_extension_letter_promises_the_deadline_show_gives_after_a_calendar_correction(cli, tmp_path):
    number = assigned(cli)
    cli("approve", number, "extension", "--by", "陈经理", "--at", "2026-11-19")
    cli("extend", number, "--days", "5", "--reason", "需调取交易所数据", *EXTEND, "--at", "2026-11-20")
    cli("calendar", "add-holiday", "2026-12-03", "--note", "当地补充通知", "--reason", "补录（测试）")
    assert completion_due(cli, number) == "2026-12-08"
    text = letter(cli, tmp_path, "extension", number, "--date", "2026-11-20")
    assert "原定于2026年11月30日前办结" in text
    assert "延至2026年12月8日前办结" in text and "12月7日" not in text


def test_a_progress_letter_after_the_deadline_is_refused_until_the_extension_is_recorded(cli, db_path, tmp_path):
    number = assigned(cli)
    text = letter(cli, tmp_path, "progress", number, "--date", "2026-11-30")  # the last day: still true
    assert "我部将于2026年11月30日前办结" in text
    line = refused(cli, db_path, "letter", "progress", number, "--out", tmp_path / "late.docx", "--date", "2026-12-01",
                   rule="CSA 9.2.2(d)", says="completion deadline 2026-11-30 has passed by the letter's date 2026-12-01")
    assert "complaintctl extend" in line and not (tmp_path / "late.docx").exists()
    cli("approve", number, "extension", "--by", "陈经理", "--at", "2026-11-19")
    cli("extend", number, "--days", "5", "--reason", "需调取交易所数据", *EXTEND, "--at", "2026-11-20")
    assert "我部将于2026年12月7日前办结" in letter(cli, tmp_path, "progress", number, "--date", "2026-12-01")


def test_a_letter_is_dated_the_day_it_is_sent_or_its_date(cli, db_path, tmp_path):
    number = assigned(cli)
    sent = letter(cli, tmp_path, "progress", number, "--sent-via", "letter", "--at", "2026-11-05 10:00")
    assert "2026年11月5日" in sent.splitlines() and "2027年6月30日" not in sent  # not the day it was generated
    dated = letter(cli, tmp_path, "record", number, "--date", "2026-11-04")
    assert "填表日期：2026年11月4日" in dated
    refused(cli, db_path, "letter", "progress", number, "--out", tmp_path / "x.docx", "--sent-via", "letter",
            "--at", "2026-11-06 10:00", "--date", "2026-11-09", rule="CSA 9.2.1(d)",
            says="--date 2026-11-09 is after the letter was sent (2026-11-06)")


# -- 2. the branch can be reached -------------------------------------------------------------------------


def test_a_letter_waits_for_the_branchs_phone_address_and_contact(cli, db_path, tmp_path):
    fresh = tmp_path / "fresh.db"
    cli("--db", fresh, "init")
    cli("--db", fresh, "config", "set", "branch", BRANCH_NAME)
    number = cli("--db", fresh, "register", "--received-at", "2026-11-02 09:30", "--at", "2026-11-02 09:30",
                 *REGISTER_MINIMAL).stdout.strip()
    refused(cli, fresh, "--db", fresh, "letter", "record", number, "--out", tmp_path, rule="CSA 9.2.2(b)",
            says="set branch-phone, branch-address, contact first with `complaintctl config set branch-phone VALUE`")
    cli("--db", fresh, "config", "set", "branch-phone", "0755-83210000")
    cli("--db", fresh, "config", "set", "branch-address", "深圳市福田区福华路1号")
    refused(cli, fresh, "--db", fresh, "letter", "record", number, "--out", tmp_path, rule="CSA 9.2.2(b)",
            says="set contact first with `complaintctl config set contact VALUE`")
    assert list(tmp_path.glob("*.docx")) == []
    cli("--db", fresh, "config", "set", "contact", "王芳")
    cli("--db", fresh, "letter", "record", number, "--out", tmp_path)
    cli("--db", fresh, "verify")  # the settings are chained: verify rebuilds them from their events
    assert {"branch-phone", "branch-address", "contact"} <= set(json.loads(
        cli("--db", fresh, "config", "show", "--json").stdout))


def test_every_letter_prints_how_to_reach_the_branch(cli, tmp_path):
    number = register(cli, "2026-08-03 09:30", "--channel", "regulator", "--source", "12386",
                      "--transfer-no", "12386-20260803-0001")
    cli("accept", number, "--at", "2026-08-04 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-08-04 11:00")
    cli("approve", number, "extension", "--by", "陈经理", "--at", "2026-08-10")
    cli("extend", number, "--days", "5", "--reason", "需调取数据", *EXTEND, "--at", "2026-08-10")
    for kind in ("progress", "extension"):
        text = letter(cli, tmp_path, kind, number, "--date", "2026-08-10")
        assert "0755-83210000" in text and "王芳" in text, kind
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-08-20")
    for kind in ("opinion", "respondent-result", "record", "regulator-reply"):
        text = letter(cli, tmp_path, kind, number, "--date", "2026-08-20")
        assert "0755-83210000" in text and "王芳" in text, kind
        if kind != "respondent-result":
            assert "深圳市福田区福华路1号" in text, kind
    other = register(cli, "2026-11-02 09:40")
    cli("reject", other, "--reason", "abusive", "--at", "2026-11-03")
    text = letter(cli, tmp_path, "refusal", other)
    assert "联系人：王芳，电话：0755-83210000，地址：深圳市福田区福华路1号" in text


# -- 3. written to its reader ---------------------------------------------------------------------------------


def test_a_sentence_ends_with_its_full_stop(cli, tmp_path):
    number = register(cli, "2026-11-02 09:30")
    cli("reject", number, "--reason", "abusive", "--at", "2026-11-03")
    text = letter(cli, tmp_path, "refusal", number)
    assert "投诉请求为：退还多收佣金。\n" in text
    assert "经审查，您的投诉违反公序良俗或无实质诉求，属于《证券公司投诉处理标准》第9.1.1条e)项规定的不予受理情形" in text


def test_the_opinion_tells_the_words_told_never_the_internal_result(cli, db_path, tmp_path):
    internal = assigned(cli)
    cli("resolve", internal, "--result", "已向投诉人说明情况，投诉人表示理解。", *RESOLVE, "--at", "2026-11-10")
    refused(cli, db_path, "letter", "opinion", internal, "--out", tmp_path / "o.docx", rule="CSA 9.3",
            says="speaking of the complainant as 投诉人")
    told = register(cli, "2026-11-02 10:30")
    cli("accept", told, "--at", "2026-11-03 10:00")
    cli("assign", told, "--handler", "赵六", "--at", "2026-11-03 11:00")
    cli("resolve", told, "--result", "已向投诉人说明情况，投诉人表示理解。", "--told", "经核查，我部已向您说明情况",
        *RESOLVE, "--at", "2026-11-10")
    text = letter(cli, tmp_path, "opinion", told)
    assert "处理意见：经核查，我部已向您说明情况。" in text and "投诉人表示理解" not in text
    assert "调解；调解不成的，可依法申请仲裁或向人民法院提起诉讼" in text
    assert show(cli, told)["resolution"]["told"] == "经核查，我部已向您说明情况"
    record = letter(cli, tmp_path, "record", told)
    assert "投诉人表示理解" in record  # the internal record keeps the internal result


def test_a_repeat_is_refused_naming_the_original_its_date_what_was_done_and_new_evidence(cli, tmp_path):
    first = assigned(cli)
    cli("resolve", first, "--result", "已退还差额", *RESOLVE, "--at", "2026-11-10")
    again = register(cli, "2026-11-16 09:30")
    cli("reject", again, "--reason", "duplicate", "--original", first, "--at", "2026-11-17")
    text = letter(cli, tmp_path, "refusal", again)
    assert (
        f"您本次投诉与您于2026年11月2日提出的投诉（投诉编号：{first}）系同一事实和理由，该投诉已于2026年11月3日受理，"
        "并于2026年11月10日办结，处理意见已告知您。如您有新的事实或证据，可作为新的投诉向我部提出。"
    ) in text


def test_an_out_of_scope_refusal_names_the_competent_body_and_how_to_reach_it(cli, db_path, tmp_path):
    bare = register(cli, "2026-11-02 09:30")
    cli("reject", bare, "--reason", "not-customer", "--at", "2026-11-03")
    refused(cli, db_path, "letter", "refusal", bare, "--out", tmp_path / "r.docx", rule="Firm 26",
            says="--refer-to BODY --refer-contact TEXT")
    refused(cli, db_path, "reject", register(cli, "2026-11-02 09:40"), "--reason", "not-customer", "--refer-to",
            "某某期货公司", "--at", "2026-11-03", rule="Firm 26", says="give both --refer-to and --refer-contact")
    referred = register(cli, "2026-11-02 09:50")
    cli("reject", referred, "--reason", "not-customer", "--refer-to", "您开户的某某期货公司",
        "--refer-contact", "客服电话 400-000-0000", "--at", "2026-11-03")
    text = letter(cli, tmp_path, "refusal", referred)
    assert "您所投诉的事项可向您开户的某某期货公司反映，联系方式：客服电话 400-000-0000。" in text
    assert "您并非本机构客户" in text and "属于非本机构客户的情形" not in text


def test_the_respondents_letter_names_the_complainant_by_surname_and_title(cli, tmp_path):
    number = assigned(cli)  # 张三, ID_OK: a woman (its 17th digit is even)
    assert int(ID_OK[16]) % 2 == 0
    cli("resolve", number, "--result", "已退还差额", *RESOLVE, "--at", "2026-11-10")
    text = letter(cli, tmp_path, "respondent-result", number)
    assert "投诉人张女士于2026年11月2日提出" in text and "张三" not in text and ID_OK not in text
    unknown = cli("register", "--received-at", "2026-11-02 10:00", "--at", "2026-11-02 10:00", *REGISTER_MINIMAL,
                  "--id-type", "passport", "--id-number", "E12345678", "--facts", "费率与约定不符", "--category",
                  "a5", "--respondent", "李四").stdout.strip()  # a passport tells no sex
    cli("accept", unknown, "--at", "2026-11-03 10:00")
    cli("assign", unknown, "--handler", "赵六", "--at", "2026-11-03 11:00")
    cli("resolve", unknown, "--result", "已说明", *RESOLVE, "--at", "2026-11-10")
    assert "投诉人张某于" in letter(cli, tmp_path, "respondent-result", unknown)


def test_a_groups_letters_name_the_group_and_every_representative(cli, tmp_path):
    number = register(cli, "2026-11-02 09:30", "--method", "onsite", "--complainants", "12", "--representative",
                      "谢雨 13926548810", "--representative", "林涛 13926548811")
    cli("escalate", number, "--to", "合规部", "--at", "2026-11-02 10:00")
    cli("accept", number, "--at", "2026-11-03 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-03 11:00")
    text = letter(cli, tmp_path, "progress", number, "--date", "2026-11-05")
    assert "张三等12名投诉人（群体投诉，代表：谢雨、林涛）：" not in text
    assert "谢雨等12名投诉人（群体投诉，代表：谢雨、林涛）：" in text.splitlines()


def test_proceedings_are_written_with_the_enumeration_comma(cli, tmp_path):
    number = register(cli, "2026-11-02 09:30")
    cli("reject", number, "--reason", "in-proceedings", "--at", "2026-11-03")
    text = letter(cli, tmp_path, "refusal", number)
    assert "您投诉的事项已进入调解、仲裁、诉讼程序" in text and "调解仲裁诉讼" not in text
