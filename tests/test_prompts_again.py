"""The interactive `register` on a real terminal of 80 columns (issue 42, point 6): a wrong answer gets one
whole line saying why, the line the command itself gives for that value, and the question again with
nothing in it; the right answer typed then is the one registered."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from tests.conftest import FULL_FACTS, ID_OK
from tests.test_ui_round3 import ENTER, Terminal, env_for

COLUMNS = 80
TRANSFER = ["--method", "phone", "--channel", "regulator", "--source", "12386", "--transfer-no",
            "12386-20261201-0001", "--name", "张三", "--phone", "13812345678", "--request", "退还多收佣金",
            "--id-number", ID_OK, "--respondent", "李四", "--facts", "佣金费率与约定不符"]
NO_PHONE = ["--method", "phone", "--channel", "direct", "--name", "张三", "--request", "退还多收佣金",
            *FULL_FACTS, "--at", "2026-12-01 09:30"]


def refusal(cli, lang: str, *args: str) -> str:
    """The one line the command gives, not asking, for the same value on its command line."""
    from complaintctl import i18n

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTCTL_LANG", lang)
        i18n.use(lang)
        try:
            result = cli("register", "--no-input", *args, ok=False)
        finally:
            i18n.use("en")
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def asked_again(term: Terminal, question: str, error: str, bad: str) -> None:
    """After the wrong answer: the error, whole on one line, then the question again, empty."""
    term.wait(error)  # written whole: the terminal folds it, nothing cuts it
    screen = term.screen()
    line = next(line for line in screen.splitlines() if error in line)
    assert line.strip() == error, line
    term.wait(question)  # asked again after the error...
    after = term.screen()[term.seen:]
    assert bad not in after, after  # ...with nothing typed in it


def registered(cli, screen: str) -> dict:
    number = re.findall(r"TS-2026-\d{4}", screen)[-1]
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_time_received_is_said_in_one_whole_line_and_asked_again_empty(cli, lang):
    bad, good = "明天上午十点", "2026-12-01 09:30"
    error = refusal(cli, lang, *TRANSFER, "--received-at", bad)
    question = "接收时间" if lang == "zh" else "time received"
    assert len(error) > COLUMNS  # longer than the terminal is wide: a bottom bar would cut it
    term = Terminal("register", *TRANSFER, env=env_for(lang), columns=COLUMNS)
    term.answer(question, bad, ENTER)
    asked_again(term, question, error, bad)
    time.sleep(0.2)  # questionary draws the question before it reads
    for key in (good, ENTER):
        os.write(term.fd, key.encode() if isinstance(key, str) else key)
    term.answer("回复期限" if lang == "zh" else "reply date", ENTER)
    term.answer("业务类别" if lang == "zh" else "business category", ENTER)  # a, brokerage
    term.answer("投诉类型" if lang == "zh" else "kind of complaint", ENTER)  # a1
    term.answer("登记这件投诉？" if lang == "zh" else "Register this complaint?", ENTER)
    screen, code = term.finish()
    assert code == 0, screen
    assert bad + good not in screen.replace(" ", "")  # the good answer was not typed onto the bad one
    assert screen.count(error) == 1, screen
    record = registered(cli, screen)
    assert record["received_at"].startswith("2026-12-01T09:30"), record


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_phone_is_said_in_one_whole_line_and_asked_again_empty(cli, lang):
    bad, good = "1381234", "13912345678"
    error = refusal(cli, lang, *NO_PHONE, "--phone", bad)
    question = "联系电话" if lang == "zh" else "phone"
    term = Terminal("register", *NO_PHONE, env=env_for(lang), columns=COLUMNS)
    term.answer(question, bad, ENTER)
    asked_again(term, question, error, bad)
    time.sleep(0.2)
    for key in (good, ENTER):
        os.write(term.fd, key.encode() if isinstance(key, str) else key)
    term.answer("接收时间" if lang == "zh" else "time received", "2026-12-01 09:30", ENTER)
    term.answer("登记这件投诉？" if lang == "zh" else "Register this complaint?", ENTER)
    screen, code = term.finish()
    assert code == 0, screen
    assert screen.count(error) == 1, screen
    record = registered(cli, screen)
    assert record["phone"] == good, record


def test_a_wrong_id_number_is_asked_again_the_same_way(cli):
    """Not only the date and the phone: every typed question behaves alike (here the ID number, in Chinese)."""
    args = [word for word in TRANSFER if word not in ("--id-number", ID_OK)]
    bad = "110105194912310021"  # 18 digits, a wrong check digit
    error = refusal(cli, "zh", *args, "--id-type", "id_card", "--id-number", bad)
    term = Terminal("register", *args, "--id-type", "id_card", "--received-at", "2026-12-01 09:30",
                    "--reply-due", "2026-12-20", "--category", "a5", env=env_for("zh"), columns=COLUMNS)
    term.answer("证件号码", bad, ENTER)
    asked_again(term, "证件号码", error, bad)
    time.sleep(0.2)
    for key in (ID_OK, ENTER):
        os.write(term.fd, key.encode() if isinstance(key, str) else key)
    term.answer("登记这件投诉？", ENTER)
    screen, code = term.finish()
    assert code == 0, screen
    assert registered(cli, screen)["id_number"] == ID_OK
