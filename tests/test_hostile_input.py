"""Input that is not text, files that are not ledgers (issue 27, points 6 and 7)."""

import json
import sqlite3

import pytest

from tests.conftest import FULL_FACTS, REGISTER_MINIMAL, dump, register
from tests.test_lifecycle import refused


@pytest.mark.parametrize("option, value, says", [
    ("--name", "张三\n2026-11-20 overdue TS-2026-9999", "--name holds a control character (\\n)"),
    ("--name", "张\x1b[2J三", "--name holds a control character (\\x1b)"),
    ("--request", "退还\x00佣金", "--request holds a control character (\\x00)"),
    ("--respondent", "李\t四", "--respondent holds a control character (\\t)"),
    ("--name", "张" * 201, "--name is 201 characters long; at most 200"),
    ("--request", "退" * 5001, "--request is 5001 characters long; at most 5000"),
])
def test_register_refuses_what_is_not_text(cli, db_path, option, value, says):
    args = dict(zip(REGISTER_MINIMAL[::2], REGISTER_MINIMAL[1::2]))
    args[option] = value
    flat = [item for pair in args.items() for item in pair]
    refused(cli, db_path, "register", "--received-at", "2026-09-01 10:00", *flat, rule="CSA 9.4", says=says)


def test_free_text_keeps_its_newlines_and_other_options_are_checked_too(cli, db_path):
    number = register(cli, "2026-09-01 10:00")
    cli("note", number, "第一行\n第二行\t附注", "--at", "2026-09-01 11:00")
    assert json.loads(cli("show", number, "--json").stdout)["notes"][0]["text"] == "第一行\n第二行\t附注"
    refused(cli, db_path, "note", number, "备注\x1b]0;pwned\x07", rule="CSA 9.4", says="--text holds a control character")
    cli("accept", number, "--at", "2026-09-02 10:00")
    refused(cli, db_path, "assign", number, "--handler", "赵六\r李四", rule="CSA 9.4",
            says="--handler holds a control character (\\r)")


def test_a_name_an_old_ledger_holds_never_breaks_a_cron_line_or_reaches_the_terminal_raw(cli, db_path):
    number = register(cli, "2026-09-01 10:00")  # never accepted: overdue since 09-04
    conn = sqlite3.connect(db_path)  # as a ledger written before names were checked may hold
    record = json.loads(conn.execute("SELECT record FROM complaints").fetchone()[0])
    record["name"] = "张三\noverdue    TS-2026-9999  fake\x1b[2J"
    record["handler"] = "赵六\noverdue    TS-2026-9998  fake\x1b[2J"
    conn.execute("UPDATE complaints SET record = ?", (json.dumps(record, ensure_ascii=False),))
    conn.commit()
    conn.close()
    warned = cli("warn", "--as-of", "2026-09-10", ok=False)
    lines = warned.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("overdue    TS-2026-0001  ")
    assert "\x1b" not in warned.stdout
    assert lines[0].endswith("handler 赵六\\noverdue    TS-2026-9998  fake\\x1b[2J")
    listed = cli("list").stdout
    assert len(listed.splitlines()) == 1 and "\x1b" not in listed
    shown = cli("show", number, "--unmask").stdout
    assert "\x1b" not in shown and "\\x1b[2J" in shown


def test_an_empty_file_at_db_is_refused_and_left_untouched(cli, tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    empty.chmod(0o640)
    for command in (["warn"], ["list"], ["register", *REGISTER_MINIMAL, *FULL_FACTS]):
        result = cli("--db", empty, *command, ok=False)
        assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
        assert "is an empty file (0 bytes), not a complaintctl ledger; left untouched" in result.stderr
    assert empty.read_bytes() == b"" and oct(empty.stat().st_mode & 0o777) == "0o640"


def test_another_programs_sqlite_file_is_refused_and_left_untouched(cli, tmp_path):
    foreign = tmp_path / "other.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = dump(foreign)
    result = cli("--db", foreign, "list", ok=False)
    assert result.exit_code == 1 and "is an SQLite file but not a complaintctl ledger; left untouched" in result.stderr
    assert dump(foreign) == before
