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
    ("--name", "张\u202e三", "--name holds a control character (\\u202e)"),  # reads right to left
    ("--respondent", "李\u200b四", "--respondent holds a control character (\\u200b)"),  # zero width: another 李四
    ("--request", "退还\u2066佣金", "--request holds a control character (\\u2066)"),
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


def test_bytes_that_are_not_utf8_are_refused_in_one_line(cli, db_path):
    """What Python hands over for a raw byte such as $'\\xff' on the command line (surrogateescape)."""
    number = register(cli, "2026-09-01 10:00")
    before = dump(db_path)
    noted = cli("note", number, "备注\udcff", ok=False)
    assert noted.exit_code == 1 and noted.stderr == "complaintctl: --text is not UTF-8 text; check the terminal's or the file's encoding\n"
    listed = cli("list", "--handler", "赵\udc85", ok=False)
    assert listed.exit_code == 1 and "--handler is not UTF-8 text" in listed.stderr
    assert dump(db_path) == before


def test_the_assigned_handler_cannot_hide_the_respondent_behind_an_invisible_character(cli, db_path):
    number = register(cli, "2026-09-01 10:00")  # the respondent is 李四 (FULL_FACTS)
    cli("accept", number, "--at", "2026-09-02 10:00")
    for sneaky in ("李\u200b四", "李\u00ad四", "\ufeff李四"):
        refused(cli, db_path, "assign", number, "--handler", sneaky, "--dept", "运营部", rule="CSA 9.4",
                says="--handler holds a control character")


def test_an_old_ledgers_row_with_control_characters_is_a_bad_row(cli, db_path, tmp_path):
    sheet = tmp_path / "old.csv"
    sheet.write_text("登记时间,投诉人,投诉内容,处理人,备注\n"
                     "2025-03-03 10:00,张三,退还佣金,\"赵\x1b[2J六\",ok\n"
                     "2025-03-04 10:00,李四,退还佣金,王五,\"n\x00o\"\n"
                     "2025-03-05 10:00,王五,退还佣金,赵六,\"第一行\n第二行\"\n", encoding="utf-8")
    done = json.loads(cli("import", sheet, "--skip-bad", tmp_path / "bad.xlsx", "--json").stdout)
    assert done["recorded"] == 1
    assert [(b["row"], b["error"].split(":")[0]) for b in done["bad_rows"]] == [(2, "处理人"), (3, "备注")]
    assert "\x1b" not in dump(db_path) and "\\u001b" not in dump(db_path)


def test_a_workbook_with_a_broken_workbook_part_is_refused_in_one_line(cli, db_path, tmp_path):
    import zipfile

    from openpyxl import Workbook

    good = tmp_path / "good.xlsx"
    book = Workbook()
    book.active.append(["登记时间", "投诉人", "投诉内容"])
    book.save(good)
    before = dump(db_path)
    for part in ("xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"):
        broken = tmp_path / f"broken-{part.replace('/', '_')}.xlsx"
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                target.writestr(item, data[: len(data) // 2] if item.filename == part else data)
        result = cli("import", broken, ok=False)
        assert result.exit_code == 1 and "cannot be read as an Excel workbook" in result.stderr, (part, result.stderr)
        assert len(result.stderr.splitlines()) == 1
    assert dump(db_path) == before


def test_an_anchor_workbook_with_a_damaged_member_is_refused_in_one_line(cli, tmp_path):
    import zipfile

    damaged = tmp_path / "report.xlsx"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docProps/custom.xml", "<Properties>" + "x" * 5000 + "</Properties>")
    raw = bytearray(damaged.read_bytes())
    start = raw.index(b"docProps/custom.xml") + len(b"docProps/custom.xml")
    raw[start + 10: start + 40] = b"\xff" * 30  # the deflate stream, not the headers
    damaged.write_bytes(bytes(raw))
    result = cli("verify", "--anchor", damaged, ok=False)
    assert result.exit_code == 1 and "not a readable workbook" in result.stderr, result.stderr


def test_a_struck_migration_is_never_run_again(cli, db_path, tmp_path):
    """Deleting m007's row would have it take calendar rows written behind their events as they stand."""
    register(cli, "2026-09-01 10:00")
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO calendar_days (day, kind, note, event) VALUES ('2026-09-02', 'holiday', '', 0)")
    conn.execute("DELETE FROM migrations WHERE name = 'm007_chain_tables'")
    conn.execute("DROP INDEX ix_events_ledger_wide")
    conn.commit()
    conn.close()
    before = dump(db_path)
    for command in (["warn"], ["verify"], ["list"]):
        result = cli(*command, ok=False)
        assert result.exit_code == 5 and "migrations table was edited" in result.stderr, result.stderr
    assert dump(db_path) == before


@pytest.mark.parametrize("url", [
    "postgresql://u@localhost:1/db?password=sec%ZZret",
    "postgresql://u@localhost:1/db?password=sec ret",
    "postgresql+psycopg://u:secret@localhost:1/db",
    "POSTGRESQL://u:secret@localhost:1/db",
    "postgresql://u:sec@ret@localhost:1/db",
    "postgresql://u:secret@localhost:99999/db",
    "postgresql://u:secret@[::1/db",
    "postgresql://u@localhost:1/db?bogus=1&password=secret",
    "http://u:secret@localhost/db",
    "postgresql://u@127.0.0.1:1/db?pass%77ord=secret",  # libpq decodes the key
    "postgresql://u@127.0.0.1:1/db?password=a+secret",
])
def test_a_password_in_a_url_libpq_cannot_read_is_never_printed(cli, url):
    result = cli("--db", url, "list", ok=False)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "sec" not in result.stderr.replace("security", "") and "ret" not in result.stderr.split("//")[-1], result.stderr


def test_paths_and_urls_are_not_held_to_the_length_of_a_name(cli, db_path, tmp_path):
    deep = tmp_path / ("a" * 120) / ("b" * 100)  # over 200 characters, under SQLite's 512 bytes of a path
    deep.mkdir(parents=True)
    done = json.loads(cli("backup", deep / "copy.db", "--json").stdout)
    assert len(done["backup"]) > 200
    result = cli("restore", done["backup"], "--force", "--by", "王芳\x1b[2J", ok=False)
    assert result.exit_code == 1 and "--by holds a control character" in result.stderr


def test_an_id_number_in_a_code_column_is_never_repeated_in_the_refusal(cli, db_path):
    result = cli("register", "--received-at", "2026-09-01 10:00", "--method", "11010519491231002X", "--channel",
                 "direct", "--name", "张三", "--phone", "13812345678", "--request", "退费", ok=False)
    assert result.exit_code == 1 and "110**************X" in result.stderr and "11010519491231002X" not in result.stderr


def test_skip_bad_records_the_good_rows_and_the_files_event_together_or_neither(cli, db_path, tmp_path, monkeypatch):
    from complaintctl.cli import imports

    sheet = tmp_path / "old.csv"
    sheet.write_text("登记时间,投诉人,投诉内容\n2025-03-03 10:00,张三,退还佣金\n2025-13-45 10:00,李四,退还佣金\n",
                     encoding="utf-8")
    before = dump(db_path)

    def disk_full(temp, table, rows):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imports, "_write_rows", disk_full)  # the disk fills as the file of bad rows is written
    result = cli("import", sheet, "--skip-bad", tmp_path / "bad.xlsx", ok=False)
    assert result.exit_code == 1 and "No space left on device; nothing was recorded" in result.stderr
    assert dump(db_path) == before and not (tmp_path / "bad.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".bad.xlsx")] == []
