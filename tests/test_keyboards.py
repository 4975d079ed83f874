"""Chinese keyboards (issue 42, point 5): an option typed ——by, －－by, --ｂｙ or glued to its value by a
full-width space is refused before the command runs, in one line that shows the ASCII form to type;
a value typed with them stays as typed; no escape (\\u3000) is ever shown; and every usage error is
wholly in the user's language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import FULL_FACTS, REGISTER_MINIMAL, register

IDEOGRAPHIC = "\u3000"
HAN = re.compile(r"[\u4e00-\u9fff]")


def in_language(cli, lang: str, *args: str):
    """One run of the real CLI with the user's language `lang` (conftest runs every test in English)."""
    from complaintctl import i18n

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLAINTCTL_LANG", lang)
        i18n.use(lang)
        try:
            return cli(*args, ok=False)
        finally:
            i18n.use("en")


def ledger_bytes(path) -> bytes:
    """The ledger file's bytes, once every connection a command of this process left open is closed (the
    last to close writes the write-ahead log into the file)."""
    import gc

    gc.collect()
    wal = Path(f"{path}-wal")
    return Path(path).read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def numbered(cli) -> str:
    return register(cli, "2026-11-02 10:00")


# -- an option typed with a Chinese keyboard ------------------------------------------------------------

SLIPS = [
    # (what was typed, in the command line of a step; the ASCII form the line must show)
    (["——by", "李明"], "——by", "--by"),  # an em-dash pair: Shift+- in a Chinese input method
    (["－－by", "李明"], "－－by", "--by"),  # full-width hyphen-minus
    (["－－ｂｙ", "李明"], "－－ｂｙ", "--by"),  # all of it full-width
    (["--ｂｙ", "李明"], "--ｂｙ", "--by"),  # full-width letters
    (["—by", "李明"], "—by", "--by"),  # one em dash: what a word processor makes of --
    (["——by=李明"], "——by=李明", "--by=李明"),
    (["--by＝李明"], "--by＝李明", "--by=李明"),  # a full-width equals sign
    (["——json"], "——json", "--json"),  # a flag
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("extra, typed, meant", SLIPS)
def test_an_option_typed_with_chinese_dashes_or_letters_is_refused_with_its_ascii_form(
    cli, db_path, lang, extra, typed, meant
):
    number = numbered(cli)
    before = ledger_bytes(db_path)
    result = in_language(cli, lang, "accept", number, "--at", "2026-11-03 09:00", *extra)
    assert result.exit_code == 2, result.output  # a usage error (errors.USAGE)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stdout == "", result.output
    line = lines[0]
    if lang == "zh":
        assert line.startswith("complaintctl: 命令和选项要用半角（英文）字符输入："), line
        assert f"请输入 {meant}，不是 {typed}" in line, line
        assert not re.search(r"[A-Za-z]{3,}", line.replace("complaintctl", "").replace(meant, "").replace(typed, ""))
    else:
        assert f"type {meant}, not {typed}" in line and not HAN.search(line.replace(meant, "").replace(typed, ""))
    assert ledger_bytes(db_path) == before  # nothing recorded, not even with the guessed option
    assert json.loads(cli("show", number, "--json").stdout)["status"] == "received"


SPACED = [
    # A full-width space where a space belongs: the whole line arrives as one word.
    ("accept", "{n}", "--by\u3000李明"),
    ("accept", "{n}", "--at\u30002026-11-03"),
    ("accept", "{n}\u3000--by", "李明"),
    ("accept", "{n}", "--by", "李明\u3000--json"),  # a value glued to an option of the command
    ("accept\u3000{n}",),  # the command and its argument
    ("list\u3000--open",),
    ("--by\u3000李明\u3000accept", "{n}"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("args", SPACED)
def test_words_split_by_an_ideographic_space_are_refused_showing_the_space_and_the_line_to_type(
    cli, db_path, lang, args
):
    number = numbered(cli)
    args = [arg.format(n=number) for arg in args]
    glued = next(arg for arg in args if IDEOGRAPHIC in arg)
    meant = " ".join(glued.split(IDEOGRAPHIC))
    before = ledger_bytes(db_path)
    result = in_language(cli, lang, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "\\u3000" not in line and "\\u" not in line, line
    assert glued in line, line  # what was typed, the space itself shown...
    if lang == "zh":
        assert "全角空格" in line and f"请输入 {meant}" in line, line  # ...and named, and the line to type
    else:
        assert "ideographic (full-width) space" in line and f"type {meant}" in line, line
    assert ledger_bytes(db_path) == before


def test_a_command_name_in_full_width_letters_is_refused_with_its_ascii_form(cli, db_path):
    before = ledger_bytes(db_path)
    result = in_language(cli, "zh", "ｌｉｓｔ", "--open")
    assert result.exit_code == 2
    assert "请输入 list，不是 ｌｉｓｔ" in result.stderr, result.stderr
    assert ledger_bytes(db_path) == before


def test_dashes_and_full_width_spaces_inside_values_are_kept_as_typed(cli):
    """Only where an option goes: a request, a name or a reason may hold an em dash or a full-width space."""
    result = cli(
        "register",
        "--received-at",
        "2026-11-02 10:00",
        "--at",
        "2026-11-02 10:00",
        *[
            {"张三": "张三\u3000李四", "退还多收佣金": "退还——佣金"}.get(word, word)
            for word in [*REGISTER_MINIMAL, *FULL_FACTS]
        ],
        "--by",
        "——王芳",  # a value: it follows --by, which takes one
    )
    number = result.stdout.strip().splitlines()[0]
    record = json.loads(cli("show", number, "--json", "--unmask").stdout)
    assert record["name"] == "张三\u3000李四"
    assert record["request"] == "退还——佣金"
    history = cli("show", number).stdout
    assert "——王芳" in history
    # After `--` every word is an argument, as typed (here an extra one: Click's own refusal, not ours).
    result = in_language(cli, "zh", "accept", number, "--", "——by")
    assert result.exit_code == 2 and "半角" not in result.stderr and "——by" in result.stderr, result.stderr


# -- no escapes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("args", [
    ("calendar", "show", "20\u300026"),  # Click's invalid value, through whole_number
    ("report", "--month", "2026\u300010"),  # a refusal of the core, quoting the value
    ("registr\u3000x",),  # no such command
    ("list", "--status", "open\u3000x"),
])
def test_a_typed_full_width_space_is_shown_as_itself_never_as_an_escape(cli, lang, args):
    result = in_language(cli, lang, *args)
    assert result.exit_code in (1, 2), result.output
    assert "\\u" not in result.stderr and "\\x" not in result.stderr, result.stderr
    typed = next(arg for arg in args if IDEOGRAPHIC in arg)
    assert typed in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


# -- Click's usage errors, wholly in the user's language ----------------------------------------------------

USAGE_ERRORS = [
    # (the command line, the exit code, what the line must say in Chinese)
    (("registr",), 2, "没有命令 'registr'（是否想用 register、restore？）"),  # no such command, did you mean
    (("xyzzy",), 2, "没有命令 'xyzzy'。"),
    (("calendar", "shwo"), 2, "没有命令 'shwo'（是否想用 show？）"),
    (("list", "--opn"), 2, "没有选项 --opn（是否想用 --json、--open？）"),  # no such option, did you mean
    (("list", "--bogus"), 2, "没有选项 --bogus"),
    (("--bogus",), 2, "没有选项 --bogus"),
    (("accept",), 2, "缺少参数 'ID'"),  # missing argument
    (("import",), 2, "缺少参数 'FILE'"),
    (("terminate", "TS-2026-0001"), 2, "缺少选项 '--reason'"),  # missing option
    (("calendar", "show", "abc"), 2, "'abc' 不是整数"),  # invalid value
    (("accept", "A", "B"), 2, "多余的内容：B"),  # got unexpected extra argument
    (("accept", "A", "B", "C"), 2, "多余的内容：B C"),  # ... arguments
    (("register", "--method"), 2, "选项 '--method' 需要一个值"),  # option requires an argument
    (("--db",), 2, "选项 '--db' 需要一个值"),
    (("list", "--json=yes"), 2, "选项 '--json' 不带值"),  # does not take a value
    (("--branch", "SZ01"), 2, "缺少命令"),  # missing command
    (("list", "--status", "opened"), 1, "无法识别 'opened'"),  # invalid choice: a code list of ours
]


def allowed_ascii(args) -> set[str]:
    """The ASCII words a Chinese line may hold: the program's, commands', metavars' and code values'
    names, and what the user typed; option names are taken out of the line before it is read."""
    import typer.main

    from complaintctl.cli.app import app
    from complaintctl.rules import codes

    words = {"complaintctl"}
    pending = [typer.main.get_command(app)]
    while pending:
        command = pending.pop()
        for name, sub in getattr(command, "commands", {}).items():
            words.add(name)
            pending.append(sub)
        for param in command.params:
            words.update(re.findall(r"[A-Za-z]+", param.metavar or ""))
    for value in vars(codes).values():
        words.update(getattr(value, "entries", {}))
    for arg in args:
        words.update(re.findall(r"[A-Za-z]+", arg))
    return words


@pytest.mark.parametrize("args, code, words", USAGE_ERRORS)
def test_every_usage_error_is_wholly_chinese_in_chinese_mode(cli, db_path, args, code, words):
    before = ledger_bytes(db_path)
    result = in_language(cli, "zh", *args)
    assert result.exit_code == code, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert words in line, line
    assert HAN.search(line)
    assert "。." not in line and ". " not in line and "\\u" not in line, line
    english = [
        word
        for word in re.findall(r"[A-Za-z]+", re.sub(r"(?<![\w-])--?[A-Za-z][\w-]*", " ", line))
        if word not in allowed_ascii(args)
    ]
    assert not english, (english, line)
    assert ledger_bytes(db_path) == before


@pytest.mark.parametrize("args, code, _words", [case for case in USAGE_ERRORS if case[1] == 2])
def test_every_usage_error_is_wholly_english_in_english_mode(cli, args, code, _words):
    """(A code list's choices name each value's Chinese term in English too, by design: not Click's words.)"""
    result = in_language(cli, "en", *args)
    assert result.exit_code == code, result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert not HAN.search(result.stderr) and not re.search(r"[，。：（）；、]", result.stderr), result.stderr
