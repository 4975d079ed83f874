"""Chinese on a Chinese locale, English otherwise; the scripting interface the same in both.

These run the real program in a subprocess: the language is chosen once per process, from the
environment, as it is for a user.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import i18n as catalog  # noqa: E402  (scripts/i18n.py)

from conftest import ID_OK, TEST_NOW  # noqa: E402

ZH = {"LANG": "zh_CN.UTF-8"}
EN = {"LANG": "C"}


def run(db: Path, *args: str, env: dict, ok: bool = True) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "COMPLAINTCTL_LANG")}
    environ.update({"COMPLAINTCTL_NOW": TEST_NOW, "COMPLAINTCTL_USER": "王芳", "PYTHONIOENCODING": "utf-8",
                    "COMPLAINTCTL_DB": str(db)}, **env)
    result = subprocess.run([sys.executable, "-m", "complaintctl", *args], capture_output=True, env=environ)
    if ok:
        assert result.returncode == 0, result.stderr.decode()
    return result


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    """A small ledger: one complaint accepted and assigned, one only registered."""
    db = tmp_path_factory.mktemp("i18n") / "ledger.db"
    run(db, "init", env=EN)
    base = ["--method", "phone", "--channel", "direct", "--name", "张三", "--phone", "13812345678",
            "--request", "退还多收佣金", "--id-number", ID_OK, "--respondent", "李四", "--facts", "费率与约定不符",
            "--category", "a5"]
    run(db, "register", *base, "--received-at", "2026-11-02 10:00", env=EN)
    run(db, "accept", "TS-2026-0001", "--at", "2026-11-03 09:00", env=EN)
    run(db, "assign", "TS-2026-0001", "--handler", "赵六", "--at", "2026-11-03 10:00", env=EN)
    run(db, "register", *base[:10], "--received-at", "2026-11-04 10:00", env=EN)
    return db


def test_every_message_in_the_source_has_a_finished_chinese_translation():
    assert catalog.problems() == []


def test_the_compiled_catalog_is_the_one_the_po_file_gives():
    assert not catalog.stale(), "run: .venv/bin/python scripts/i18n.py compile"


def test_the_compiled_catalog_ships_in_the_package():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'complaintctl = ["locale/*/LC_MESSAGES/*.mo"]' in pyproject
    assert (ROOT / "complaintctl/locale/zh_CN/LC_MESSAGES/complaintctl.mo").stat().st_size > 10_000


def test_a_refusal_is_chinese_on_a_chinese_locale_and_english_under_c(ledger):
    zh = run(ledger, "extend", "TS-2026-0001", "--days", "25", "--reason", "需核实", "--approved-by", "陈经理",
             "--notified-via", "phone", env=ZH, ok=False)
    en = run(ledger, "extend", "TS-2026-0001", "--days", "25", "--reason", "需核实", "--approved-by", "陈经理",
             "--notified-via", "phone", env=EN, ok=False)
    assert zh.returncode == en.returncode == 1
    assert zh.stderr.decode() == "complaintctl: CSA 9.2.2(d): 每次延期最多 20 个交易日；本次申请 25 个\n"
    assert en.stderr.decode() == ("complaintctl: CSA 9.2.2(d): each extension may be at most 20 trading days; "
                                  "this one asks 25\n")


def test_complaintctl_lang_overrides_the_locale_both_ways(ledger):
    unknown = ("accept", "TS-2026-0099")
    assert "台账中没有投诉编号" in run(ledger, *unknown, env={**EN, "COMPLAINTCTL_LANG": "zh"}, ok=False).stderr.decode()
    assert "unknown complaint number" in run(ledger, *unknown, env={**ZH, "COMPLAINTCTL_LANG": "en"},
                                             ok=False).stderr.decode()
    assert "台账中没有投诉编号" in run(ledger, *unknown, env={"LC_ALL": "zh_CN.UTF-8"}, ok=False).stderr.decode()


@pytest.mark.parametrize("args", [
    ("show", "TS-2026-0001", "--json"),
    ("list", "--json"),
    ("warn", "--json", "--as-of", "2026-11-30"),
    ("codes", "--json"),
    ("calendar", "show", "--year", "2026", "--json"),
    ("calendar", "is-trading-day", "2026-10-01", "--json"),
    ("policy", "show", "--json"),
    ("verify", "--json"),
])
def test_json_is_byte_identical_in_both_languages(ledger, args):
    zh = run(ledger, *args, env=ZH, ok=False)
    en = run(ledger, *args, env=EN, ok=False)
    assert (zh.returncode, zh.stdout) == (en.returncode, en.stdout)
    assert zh.stdout.strip().startswith((b"{", b"["))


def test_help_tables_and_warn_lines_are_chinese(ledger):
    text = run(ledger, "--help", env=ZH).stdout.decode()
    assert "选项" in text and "命令" in text and "登记一件新投诉" in text
    assert "--db" in text and "register" in text  # the scripting interface stays English
    options = run(ledger, "extend", "--help", env=ZH).stdout.decode()
    assert "延长办结期限" in options and "审批人" in options and "--approved-by" in options
    warned = run(ledger, "warn", "--as-of", "2026-11-30", env=ZH, ok=False).stdout.decode().splitlines()
    assert warned[0].startswith("overdue    TS-2026-0002  受理决定  到期 2026-11-09  已超期 15 个交易日  投诉人 张*")
    shown = run(ledger, "show", "TS-2026-0001", env=ZH).stdout.decode()
    assert "处理经过：" in shown and "期限：" in shown and "受理决定" in shown


def test_a_notice_is_a_warning_not_an_error(ledger):
    result = run(ledger, "register", "--method", "phone", "--channel", "direct", "--name", "钱七", "--phone",
                 "13812345678", "--request", "投诉客户经理", "--respondent", "王芳", env=ZH)
    assert result.stderr.decode().startswith("注意：CSA 7.7：王芳 登记了投诉 王芳 的投诉")
    english = run(ledger, "register", "--method", "phone", "--channel", "direct", "--name", "钱七", "--phone",
                  "13812345678", "--request", "投诉客户经理", "--respondent", "王芳", env=EN)
    assert english.stderr.decode().startswith("warning: CSA 7.7: 王芳 registered a complaint against 王芳")


def test_a_steps_confirmation_is_said_in_the_language_of_the_moment(cli):
    # Each step command's "done" word is translated when it runs (cli/app.step takes an N_() message), not
    # when the module is imported: the language is once per process in use, but never frozen at import.
    from complaintctl import i18n
    from tests.conftest import register

    number = register(cli, "2026-11-02 09:30")
    cli("accept", number, "--at", "2026-11-03 10:00")
    i18n.use("zh")
    try:
        said = cli("assign", number, "--handler", "赵六", "--at", "2026-11-03 11:00").stdout
    finally:
        i18n.use("en")
    assert said.startswith(f"{number} 已派发"), said


def test_show_lists_the_advised_ways_with_the_enumeration_comma_in_chinese(cli):
    # CSA 9.3(b): what the complainant was told they may still do. Chinese lists names with 、, not ", ".
    from complaintctl import i18n
    from tests.test_lifecycle import resolved

    number = resolved(cli)
    cli("callback", number, "--outcome", "dissatisfied", "--advised", "mediation", "--advised", "litigation",
        "--recomplain", "--at", "2026-11-11 10:00")
    assert "advised mediation, lawsuit" in cli("show", number).stdout
    i18n.use("zh")
    try:
        shown = cli("show", number).stdout
    finally:
        i18n.use("en")
    assert "调解、诉讼" in shown, shown
    assert "调解, 诉讼" not in shown
