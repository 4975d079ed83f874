"""What people see, second round (issue 31), the rest: help, errors and plain lines laid out in terminal
cells at 80 and 60 columns in both languages; Click's own words in Chinese; the interactive `register`'s
receipt time, unknown category, reply date and confirmation; English `list --open` at 80 columns."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time
import unicodedata

import pytest
from openpyxl.utils import get_column_letter

from tests.conftest import ANSI, ID_OK, dump, on_terminal, register, run_on_terminal

ENTER, DOWN = b"\r", b"\x1b[B"
HAN = re.compile(r"[\u4e00-\u9fff]")


def cells(line: str) -> int:
    """Terminal cells, counted here by the Unicode table itself, not by the code under test."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def env_for(lang: str) -> dict:
    env = {**os.environ, "TERM": "xterm", "COMPLAINTCTL_LANG": lang}
    env.pop("PYTEST_CURRENT_TEST", None)  # as a user runs it: our error line, not a traceback
    env.pop("COLUMNS", None)
    return env


# -- help, usage errors and plain lines, in cells --------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("command", [(), ("register",), ("import",), ("calendar",), ("resolve",)])
def test_help_fits_the_terminal_in_cells_and_never_splits_an_option(columns, lang, command):
    screen, code = run_on_terminal(columns, *command, "--help", env=env_for(lang))
    assert code == 0, screen
    lines = screen.splitlines()
    assert len(lines) > 8
    too_wide = [line for line in lines if cells(line) > columns]
    assert not too_wide, too_wide
    # An option name is never broken: each `--name` in the help is whole on one line.
    for line in lines:
        for fragment in re.findall(r"--[a-z][a-z-]*", line):
            assert not fragment.endswith("-"), line
    # No line starts with closing punctuation (禁则).
    assert not [line for line in lines if line.strip()[:1] in ("，", "。", "）", "、", "；")], screen
    if lang == "zh":
        assert "用法：" in screen and "选项：" in screen and "Usage:" not in screen and "Options" not in screen
        assert "<str>" not in screen


def test_the_command_list_keeps_each_command_on_one_line_in_chinese():
    screen = on_terminal(80, "--help", env=env_for("zh"))
    commands = screen.split("命令：\n")[1].splitlines()
    names = [line.split()[0] for line in commands if line.startswith("  ") and not line.startswith("    ")]
    assert names[:4] == ["init", "register", "amend", "accept"] and "import" in names
    assert all(line.startswith("  ") and not line.startswith("   " * 5) for line in commands if line.strip())
    assert "…" in screen  # a long first sentence is cut in cells, with an ellipsis


@pytest.mark.parametrize("args, words", [
    (("register", "--bogus"), "没有选项 --bogus"),
    (("accept",), "缺少参数 'ID'。"),
    (("accept", "A", "B", "C"), "多余的内容：B C"),
    (("--db",), "选项 '--db' 需要一个值。"),
    (("--bogus",), "complaintctl：没有选项 --bogus"),
    (("calendar", "show", "abc"), "不是整数"),
])
def test_clicks_usage_errors_are_in_chinese(cli, args, words):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTCTL_LANG", "zh")
        from complaintctl import i18n
        i18n.use("zh")
        try:
            result = cli(*args, ok=False)
        finally:
            i18n.use("en")
    assert result.exit_code == 2, result.output
    assert words in result.stderr, result.stderr
    assert not re.search(r"No such|Missing|Got unexpected|Invalid value|Usage|Error", result.stderr), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bare_command_group_prints_its_help_not_one_escaped_line(cli):
    result = cli("calendar", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: complaintctl calendar") and "\\n" not in result.stderr
    assert "is-trading-day" in result.stderr and len(result.stderr.splitlines()) > 8


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("columns", [80, 60])
def test_plain_lines_are_folded_at_word_and_character_boundaries(cli, tmp_path, columns, lang):
    """show's long values, calendar show and analyze's 统计口径: folded by us in cells, never mid-word,
    and continued under their value; in a pipe each stays one line."""
    number = register(cli, "2026-11-02 10:00", "--request", "要求退还多收取的佣金及利息，并赔偿因系统故障造成的交易损失" * 2)
    cli("amend", number, "--facts", "The commission charged since September exceeds the agreed rate of 0.025 "
                                    "percent, as the account opening agreement shows")
    env = env_for(lang)
    for args in (("show", number), ("calendar", "show", "2026"), ("analyze", "--year", "2026")):
        screen, code = run_on_terminal(columns, *args, env=env)
        assert code == 0, screen
        lines = screen.splitlines()
        assert all(cells(line) <= columns for line in lines), [line for line in lines if cells(line) > columns]
        if args[0] == "show":
            joined = re.sub(r"\n +", " ", screen)
            assert "exceeds the agreed rate of 0.025 percent, as the account opening agreement shows" in joined
            facts = next(i for i, line in enumerate(lines) if "The commission" in line)
            start = cells(lines[facts][:lines[facts].index("The commission")])  # the value's column, in cells
            assert lines[facts + 1].startswith(" " * start) and lines[facts + 1][start] != " "  # under the value
    piped = cli("show", number).stdout
    assert any("exceeds the agreed rate of 0.025 percent, as the account opening agreement shows" in line
               for line in piped.splitlines())


def test_an_error_stays_one_line_on_a_terminal_too(cli):
    """An error is one line everywhere: a log, a cron mail, a copy from the screen holds it whole."""
    screen, code = run_on_terminal(60, "--no-such-option-at-all-here", env=env_for("en"))
    assert code == 2 and screen.count("\n") == 1 and "--no-such-option-at-all-here" in screen
    assert len(cli("accept", "TS-2099-0001", ok=False).stderr.strip().splitlines()) == 1



def test_no_english_in_chinese_show_codes_and_calendar(cli):
    number = register(cli, "2026-11-02 10:00")
    env = env_for("zh")
    shown = on_terminal(80, "show", number, env=env)
    assert "电话（phone）" in shown and "phone (电话)" not in shown
    listed = on_terminal(80, "codes", env=env)
    assert "投诉方式（--method）：" in listed and "telephone" not in listed and "brokerage" not in listed
    calendar = on_terminal(80, "calendar", "show", "2026", env=env)
    assert "chinese-calendar 数据包" in calendar and "package" not in calendar


def test_english_list_open_fits_80_columns_as_a_table_not_blocks(cli):
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        register(cli, f"{day} 10:00")
    screen = on_terminal(80, "list", "--open", env=env_for("en"))
    lines = screen.splitlines()
    assert all(cells(line) <= 80 for line in lines), screen
    assert lines[0].split()[:3] == ["number", "received", "status"] and "─" in lines[2]
    rows = [line for line in lines if line.startswith("TS-2026-")]
    assert [row.split()[1] for row in rows] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    # the acceptance decision's date, whole: 3 trading days after Mon 11-02, Tue 11-03, Wed 11-04
    assert [row.split()[-1] for row in rows] == ["2026-11-05", "2026-11-06", "2026-11-09"]
    piped = cli("list", "--open").stdout.splitlines()
    assert piped[0].split("\t")[6:] == ["2026-11-05", "acceptance decision"]  # scripts keep two columns


def test_english_mode_prints_period_labels_in_english(cli, tmp_path):
    register(cli, "2026-11-02 10:00")
    out = cli("report", "--month", "2026-11", "--out", tmp_path / "r.xlsx").stdout
    first = out.splitlines()[0]  # (the sheets keep their Chinese names, 补录与更正, in either language)
    assert "(2026-11, as of 2026-11-30)" in first and not HAN.search(first)
    analysed = cli("analyze", "--quarter", "2026Q4").stdout
    assert analysed.startswith("2026Q4, as of") and "compared with 2026Q3" in analysed


# -- the interactive register ----------------------------------------------------------------------

class Terminal:
    """The program on a pseudo-terminal, answered as a person would: wait for a question, type."""

    def __init__(self, *args: str, env: dict, columns: int = 100):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(sys.executable, [sys.executable, "-m", "complaintctl", *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.out = b""
        self.seen = 0

    def screen(self) -> str:
        return ANSI.sub("", self.out.decode("utf-8", "replace"))

    def wait(self, text: str, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while text not in self.screen()[self.seen:]:
            assert time.time() < deadline, f"never asked {text!r}:\n{self.screen()}"
            if select.select([self.fd], [], [], 0.2)[0]:
                self.out += os.read(self.fd, 65536)
        self.seen = self.screen().index(text, self.seen) + len(text)

    def answer(self, question: str, *keys: bytes | str) -> None:
        self.wait(question)
        time.sleep(0.2)  # questionary draws the question before it reads
        for key in keys:
            os.write(self.fd, key.encode() if isinstance(key, str) else key)
            time.sleep(0.05)

    def finish(self) -> tuple[str, int]:
        while select.select([self.fd], [], [], 20)[0]:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.out += chunk
        _pid, status = os.waitpid(self.pid, 0)
        return self.screen(), os.waitstatus_to_exitcode(status)


TRANSFER = ("--method", "phone", "--channel", "regulator", "--source", "12386", "--transfer-no", "12386-20261201-0001",
            "--name", "张三", "--phone", "13812345678", "--request", "退还多收佣金", "--id-number", ID_OK,
            "--respondent", "李四", "--facts", "佣金费率与约定不符")


def test_interactive_register_asks_receipt_time_reply_date_allows_an_unknown_category_and_confirms(cli):
    term = Terminal("register", *TRANSFER, env=env_for("zh"))
    term.answer("接收时间", "2026-12-01 09:30", ENTER)
    term.answer("回复期限", "2026-12-20", ENTER)
    term.answer("业务类别", *[DOWN] * 5, ENTER)  # the last choice: not known yet
    term.wait("将登记：")
    term.wait("接收时间：")
    term.answer("登记这件投诉？", ENTER)  # the first choice: register it
    screen, code = term.finish()
    assert code == 0, screen
    assert "监管回复期限：" in screen and "2026-12-20" in screen and "Yes" not in screen
    number = re.search(r"TS-2026-\d{4}", screen).group()
    record = json.loads(cli("show", number, "--json").stdout)
    assert record["received_at"].startswith("2026-12-01T09:30")
    assert record["reply_due"] == "2026-12-20" and not record.get("category")


def test_interactive_register_saves_nothing_when_not_confirmed(cli, db_path):
    before = dump(db_path)
    term = Terminal("register", *TRANSFER, env=env_for("zh"))
    term.answer("接收时间", ENTER)  # empty: now
    term.answer("回复期限", ENTER)  # the ticket gives none
    term.answer("业务类别", ENTER)  # a, brokerage
    term.answer("投诉类型", ENTER)  # a1
    term.wait("将登记：")
    term.wait("现在")
    term.answer("登记这件投诉？", DOWN, ENTER)  # cancel
    screen, code = term.finish()
    assert code == 1, screen
    assert "complaintctl: 未确认登记；未记录任何内容" in screen
    assert dump(db_path) == before


# -- completion, a header for pipes, a read-only ledger ------------------------------------------------

def complete(line: str) -> list[str]:
    """What bash is offered for the last word of `line`, from the real program."""
    import subprocess

    words = line.split(" ")
    env = {**os.environ, "_COMPLAINTCTL_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    done = subprocess.run([sys.executable, "-m", "complaintctl"], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout.split()


def test_completion_offers_codes_and_complaint_numbers(cli):
    for day in ("2026-11-02", "2026-11-03"):
        register(cli, f"{day} 10:00")
    assert complete("complaintctl register --method ") == ["onsite", "phone", "letter", "online"]
    assert complete("complaintctl reject TS-2026-0001 --reason dup") == ["duplicate"]
    assert complete("complaintctl list --category b") == ["b1", "b2", "b3", "b4", "b5", "b6"]
    assert complete("complaintctl accept TS-2026-") == ["TS-2026-0002", "TS-2026-0001"]  # newest first
    assert complete("complaintctl show TS-2025-") == []


def test_list_in_a_pipe_can_name_its_columns(cli):
    register(cli, "2026-11-02 10:00")
    lines = cli("list", "--header").stdout.splitlines()
    assert lines[0].split("\t") == ["id", "received_at", "status", "category", "complainant", "handler", "next_due",
                                    "next_deadline"]
    assert lines[1].startswith("TS-2026-0001\t2026-11-02\treceived\t")
    assert not cli("list").stdout.startswith("id\t")  # only when asked: scripts reading the first line keep working


def reader(*args: str) -> list[str]:
    """The program as an account that may read the ledger but not write it: root, too, once it gives up the
    right to override file permissions."""
    import shutil

    command = [sys.executable, "-m", "complaintctl", *args]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot take away the right to write a 0444 file")
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", *command]
    return command


def test_a_read_only_ledger_can_be_read_and_says_why_it_cannot_be_written(cli, db_path, tmp_path):
    import subprocess

    if not isinstance(db_path, os.PathLike):
        pytest.skip("a file's permissions; a firm ledger's reader is a PostgreSQL role (test_roles)")
    number = register(cli, "2026-11-02 10:00")
    before = dump(db_path)
    os.chmod(db_path, 0o444)
    os.chmod(db_path.parent, 0o555)  # no -wal or -shm can be made beside it either
    try:
        def run(*args):
            return subprocess.run(reader(*args), env=env_for("en"), capture_output=True, text=True, timeout=120)

        listed = run("list", "--open")
        assert listed.returncode == 0 and listed.stdout.startswith(number), listed.stderr
        assert run("verify").returncode == 0
        assert run("show", number).returncode == 0
        for args in (("accept", number), ("report", "--month", "2026-11", "--out", str(tmp_path / "r.xlsx")),
                     ("show", number, "--unmask")):
            refused = run(*args)
            assert refused.returncode == 1, refused
            assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
            assert "CSA 7.8: ledger" in refused.stderr and "is read-only for this account" in refused.stderr
            assert "attempt to write" not in refused.stderr
        assert not (tmp_path / "r.xlsx").exists()
    finally:
        os.chmod(db_path.parent, 0o700)
        os.chmod(db_path, 0o600)
    assert dump(db_path) == before


# -- the report on paper ---------------------------------------------------------------------------

def report_of(cli, tmp_path, *args):
    import openpyxl

    out = tmp_path / "paper.xlsx"
    cli("report", *args, "--out", out, "--force")
    return openpyxl.load_workbook(out)


SIGN_OFF = "编制人：＿＿＿＿＿　复核人：＿＿＿＿＿　负责人：＿＿＿＿＿　日期：＿＿＿＿＿　（盖章）"


def test_the_sign_off_and_seal_are_beside_the_headline_rates_and_on_each_sheets_last_page(cli, tmp_path):
    for day in ("2026-11-02", "2026-11-03"):
        register(cli, f"{day} 10:00")
    wb = report_of(cli, tmp_path, "--month", "2026-11")
    summary = wb["汇总"]
    first = [row[0].value for row in summary.iter_rows()]
    rates, sign = first.index("主要指标"), first.index("签字确认")
    page_break = min((b.id for b in summary.row_breaks.brk), default=10_000)
    assert rates < sign and sign + 4 < page_break  # the same printed page as the rates
    assert summary.cell(row=sign + 1, column=3).value == "（盖章）"
    assert [first[sign + i] for i in range(1, 5)] == ["编制人：", "复核人：", "负责人：", "日期："]
    assert first.count("签字确认") == 2 and first.index("签字确认", sign + 1) > page_break  # and on its last page
    for name in ("投诉台账", "台账明细", "超期与延期", "回访"):
        ws = wb[name]
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        last = rows[-1]
        assert not any(rows[-2]), name  # one empty row, then the sign-off
        breaks = [b.id for b in ws.col_breaks.brk]
        # On one page across it spans the table; on several, each page's own columns, the number column
        # (printed again at each page's left) left empty so no cut-off copy of the line starts a page.
        starts = [1] if not breaks else [2, *(b + 1 for b in breaks)]
        assert [i + 1 for i, value in enumerate(last) if value] == starts, name
        # A page too narrow for the line whole breaks it between entries, never inside one (日期/：).
        assert all(last[i - 1].replace("\n", "　") == SIGN_OFF for i in starts), name
        entries = set(SIGN_OFF.split("　"))
        assert all(set(line.split("　")) <= entries for i in starts for line in last[i - 1].split("\n")), name
        merged = sorted(str(r) for r in ws.merged_cells.ranges if r.min_row == len(rows))
        ends = [*(b for b in breaks), len(last)]
        assert merged == sorted(f"{get_column_letter(a)}{len(rows)}:{get_column_letter(b)}{len(rows)}"
                                for a, b in zip(starts, ends)), name
        assert ws.print_area == f"'{name}'!$A$1:${get_column_letter(len(last))}${len(rows)}", name


def test_empty_columns_go_and_come_back_when_a_complaint_fills_them(cli, tmp_path):
    register(cli, "2025-06-02 10:00")
    wb = report_of(cli, tmp_path, "--month", "2025-06")
    headers = {name: [str(c.value).replace("\n", "") for c in wb[name][1]] for name in ("投诉台账", "台账明细", "超期与延期", "回访")}
    everywhere = [h for hs in headers.values() for h in hs]
    for optional in ("原编号", "代理人", "法定代表人", "再投诉的原投诉编号", "超期（自然日）", "期限暂定"):
        assert optional not in everywhere, optional  # nothing set them (期限暂定 is never a column: a date says it)
    assert "延期天数（交易日）" in headers["台账明细"] and "延期天数（交易日）" in headers["超期与延期"]
    # An agent, a re-complaint and a major complaint bring their columns back.
    late = ("--late-reason", "旧台账补录")  # June's report was exported above
    number = register(cli, "2025-06-03 10:00", "--agent-name", "赵律师", "--agent-phone", "13900001111",
                      "--major", "--major-reason", "funds-safety", *late)
    cli("register", "--received-at", "2025-06-04 10:00", "--at", "2025-06-04 10:00", "--method", "phone",
        "--channel", "direct", "--name", "张三", "--phone", "13812345678", "--request", "再次投诉", "--parent", number,
        *late)
    wb = report_of(cli, tmp_path, "--month", "2025-06")
    details = [str(c.value).replace("\n", "") for c in wb["台账明细"][1]]
    delays = [str(c.value).replace("\n", "") for c in wb["超期与延期"][1]]
    assert "代理人" in details and "再投诉的原投诉编号" in details and "超期（自然日）" in delays
    assert "法定代表人" not in details and "原编号" not in details


def test_headers_never_leave_a_bracket_or_stop_alone_on_a_line(cli, tmp_path):
    register(cli, "2026-11-02 10:00")
    wb = report_of(cli, tmp_path, "--month", "2026-11")
    for name in ("投诉台账", "台账明细", "超期与延期", "回访"):
        ws = wb[name]
        for cell in ws[1]:
            width = ws.column_dimensions[cell.column_letter].width
            for line in str(cell.value).split("\n"):
                assert line.strip("（）()。、") != "", (name, cell.value)
                # each line fits its column: a Chinese character takes two of Excel's width units
                assert sum(2 if ord(ch) > 0x2e80 else 1 for ch in line) <= width, (name, cell.value, width)


def test_a_wide_sheet_prints_across_on_pages_as_even_as_its_columns_allow():
    # Filled greedily, 台账明细's last page across held 3 to 7 of its columns (render of 2026-12-02).
    from complaintctl.outputs.workbook import bands_across

    # 100 units a page: greedily 10+30+30+30 | 10+30+30+30 | 10+10; evenly 70 | 70 | 80.
    assert bands_across([10, 30, 30, 30, 30, 30, 30, 10], 100) == [1, 4, 6]
    # Thirty narrow columns take four pages either way; the widest page is as narrow as it can be (90).
    assert bands_across([10] * 30, 100) == [1, 10, 18, 26]
    assert bands_across([10, 20, 20], 100) == [1]  # one page: no break
    # Never a page wider than the room for the sake of evenness (review: [1, 4] made a page of 120).
    assert bands_across([60, 30, 30, 30], 100) == [1, 3, 4]
    # A column too wide for a page beside the number column has a page of its own, and so has each
    # column that no longer fits beside it (10 + 47 + 47 = 104).
    assert bands_across([10, 95, 47, 47, 47, 47], 100) == [1, 2, 3, 4, 5, 6]
