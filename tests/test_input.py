"""Input read the way people type it: full-width characters, phones with separators, dates with slashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import EXTEND, ID_OK, REGISTER_MINIMAL
from test_lifecycle import refused

FULL_WIDTH_ID = "１１０１０５１９４９１２３１００２Ｘ"  # ID_OK as typed with a Chinese input method


def record(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json").stdout)


def test_a_full_width_id_number_and_complaint_number_are_read_as_typed(cli):
    number = cli("register", *REGISTER_MINIMAL, "--id-number", FULL_WIDTH_ID, "--received-at", "2026-11-02").stdout.strip()
    assert record(cli, "ＴＳ－２０２６－０００１")["id_number"] == "110105********002X"
    assert json.loads(cli("show", number, "--json", "--unmask").stdout)["id_number"] == ID_OK


def test_a_full_width_count_of_days(cli):
    number = cli("register", *REGISTER_MINIMAL, "--id-number", ID_OK, "--respondent", "李四", "--facts", "x",
                 "--category", "a5", "--received-at", "2026-11-02").stdout.strip()
    cli("accept", number, "--at", "2026-11-03")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-03")
    cli("extend", number, "--days", "５", "--reason", "需核实", *EXTEND, "--at", "2026-11-10")
    completion = [d for d in record(cli, number)["deadlines"] if d["kind"] == "completion"][0]
    assert (completion["original_due"], completion["due"]) == ("2026-11-30", "2026-12-07")  # + 5 trading days


@pytest.mark.parametrize("typed, stored", [
    ("138-1234-5678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 13812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("0755-12345678", "0755-12345678"),
    ("（021）6123 4567", "021-61234567"),
    ("010 1234 5678", "010-12345678"),
    ("021-61234567 转 808", "021-61234567-808"),
])
def test_phones_as_people_write_them(cli, typed, stored):
    args = [a if a != "13812345678" else typed for a in REGISTER_MINIMAL]
    number = cli("register", *args, "--received-at", "2026-11-02").stdout.strip()
    assert json.loads(cli("show", number, "--json", "--unmask").stdout)["phone"] == stored


@pytest.mark.parametrize("typed", ["2026/11/02", "2026.11.02", "20261102", "2026年11月2日", "２０２６－１１－０２",
                                   "2026/11/2 9:00", "2026-11-02 09:00"])
def test_dates_as_people_write_them(cli, typed):
    number = cli("register", *REGISTER_MINIMAL, "--received-at", typed).stdout.strip()
    assert record(cli, number)["received_at"][:10] == "2026-11-02"


def test_a_refused_date_names_the_forms_that_will_do(cli, db_path):
    cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-02")
    refused(cli, db_path, "accept", "TS-2026-0001", "--at", "11/03/2026", rule="",
            says="2026-11-20, 2026/11/20, 2026.11.20, 20261120, 2026年11月20日")
    refused(cli, db_path, "accept", "TS-2026-0001", "--at", "2026/02/30", rule="", says="not a real date")
    refused(cli, db_path, "accept", "TS-2026-0001", "--at", "2026-11-03 25:00", rule="", says="not a real time")


def test_accept_names_both_ways_of_contact_and_not_the_defaulted_id_type(cli, db_path):
    number = cli("register", "--method", "letter", "--channel", "direct", "--name", "张三", "--address", "福州市",
                 "--request", "x", "--received-at", "2026-11-02").stdout.strip()
    cli("amend", number, "--address", "福州市鼓楼区某路1号")  # a contact on file: none asked for
    result = cli("accept", number, ok=False)
    assert "ID number" in result.stderr and "ID type" not in result.stderr and "phone" not in result.stderr
    registered = cli("register", "--method", "phone", "--channel", "direct", "--name", "李四", "--request", "x",
                     ok=False)
    assert "--phone" in registered.stderr and "--address" in registered.stderr


def test_db_may_follow_the_command(tmp_path):
    db = tmp_path / "other.db"
    env = {**os.environ, "COMPLAINTCTL_DB": str(tmp_path / "none.db")}
    subprocess.run([sys.executable, "-m", "complaintctl", "init", "--db", str(db)], check=True, env=env,
                   capture_output=True)
    listed = subprocess.run([sys.executable, "-m", "complaintctl", "list", "--db", str(db), "--json"], env=env,
                            capture_output=True, text=True)
    assert (listed.returncode, listed.stdout.strip()) == (0, "[]")
    assert not (tmp_path / "none.db").exists()


def test_show_prints_everything_the_record_holds(cli, tmp_path):
    """Refusal reason and note, regulator ticket and reply, callbacks, attachments with their SHA-256."""
    refused_one = cli("register", *REGISTER_MINIMAL, "--received-at", "2026-11-02").stdout.strip()
    cli("reject", refused_one, "--reason", "other", "--note", "非本公司客户的咨询", "--notified-via", "phone",
        "--at", "2026-11-03")
    text = cli("show", refused_one).stdout
    assert "not accepted:" in text and "非本公司客户的咨询" in text and "told by" in text

    number = cli("register", "--method", "online", "--channel", "regulator", "--source", "12386", "--transfer-no",
                 "12386-20261102-0042", "--name", "李雷", "--phone", "13900001111", "--request", "说明平仓",
                 "--id-number", ID_OK, "--respondent", "韩梅", "--facts", "x", "--category", "a6",
                 "--received-at", "2026-11-02").stdout.strip()
    cli("accept", number, "--at", "2026-11-03")
    cli("assign", number, "--handler", "赵六", "--at", "2026-11-03")
    evidence = tmp_path / "录音.mp3"
    evidence.write_bytes(b"recording")
    cli("attach", number, str(evidence), "--kind", "recording", "--at", "2026-11-04")
    cli("approve", number, "compensation", "--by", "合规负责人", "--at", "2026-11-05 09:00")  # Firm 25
    cli("resolve", number, "--result", "已说明", "--facts-found", "f", "--cause", "c", "--feedback-via", "phone",
        "--respondent-feedback-via", "onsite", "--compensation", "120", "--at", "2026-11-05")
    cli("regulator-reply", number, "--note", "已录入12386系统", "--at", "2026-11-05 17:00")
    cli("callback", number, "--outcome", "dissatisfied", "--advised", "mediation", "--note", "仍不认可",
        "--at", "2026-11-06")
    text = cli("show", number).stdout
    for expected in ("12386-20261102-0042", "已录入12386系统", "compensation (yuan):", "120.00", "仍不认可",
                     "advised mediation"):
        assert expected in text, expected
    import hashlib

    assert "sha256 " + hashlib.sha256(b"recording").hexdigest() in text  # in full, not a prefix
