"""What a Chinese input method makes of a command line: ——by, －－by, --ｂｙ, or --by　王芳 as one word (issue 42).

Each is refused before the command runs, with the ASCII form to type; none is rewritten and run. A
step is recorded under the specialist's name as a regulator will read it, so what runs must be what
was typed: a guess could take a dash that belongs to a value for an option, or split a value at a
space the user meant, and the record would then hold what nobody typed. Retyping costs seconds; a
wrong record needs an amendment with a reason.

Only words where an option or a command goes are read: a value (`--request 退还——佣金`,
`--name 张三　李四`) stays as typed, unless a full-width space glues an option of the command to it.
"""

from __future__ import annotations

import re
import unicodedata

from complaintctl.i18n import _

# What input methods and word processors type for "-": the em dash (——, Shift+- in Chinese input methods),
# the en dash, the full-width and small hyphen-minus, the minus sign, the hyphens and the horizontal bars.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
IDEOGRAPHIC_SPACE = "\u3000"
OPTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def ascii_word(word: str, commands=()) -> str | None:
    """The option (or command) `word` stands for, typed in ASCII, when it was typed otherwise; else None.

    `——by` and `—by` give `--by`, `－－ｂｙ=王芳` gives `--by=王芳`, `ｌｉｓｔ` gives `list` when list is
    one of `commands`; the value after `=` is kept as typed.
    """
    lead = len(word) - len(word.lstrip("-" + DASHES))
    if lead == 0:
        plain = unicodedata.normalize("NFKC", word)
        return plain if plain != word and plain in commands else None
    rest = word[lead:]
    cut = min((rest.index(sign) for sign in "=＝" if sign in rest), default=len(rest))
    name, value = unicodedata.normalize("NFKC", rest[:cut]), rest[cut + 1 :]
    if name and not OPTION_NAME.fullmatch(name):
        return None  # not an option's name: a value or an argument, Click's to judge
    dashes = "--" if lead > 1 or len(name) > 1 else "-"  # a word processor's one — stands for --
    meant = dashes + name + ("=" + value if cut < len(rest) else "")
    return None if meant == word else meant


def looks_like_option(word: str) -> bool:
    meant = ascii_word(word) or word
    return meant.startswith("-") and bool(OPTION_NAME.fullmatch(meant.lstrip("-").split("=", 1)[0]))


def _options(command) -> tuple[set[str], dict[str, int]]:
    """A command's option names, and how many values each that takes one needs."""
    names, takes = {"-h", "--help"}, {}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") != "option":
            continue
        names.update(param.opts, param.secondary_opts)
        if not param.is_flag and not param.count:
            takes.update(dict.fromkeys(param.opts, param.nargs))
    return names, takes


def slip(group, args: list[str]) -> str | None:
    """The one line that refuses the first word typed with a Chinese keyboard, or None if there is none."""
    command, subcommands = group, getattr(group, "commands", {})
    names, takes = _options(group)
    values = 0  # how many of the next words are an option's values
    for word in args:
        if values:
            values -= 1
            parts = word.split(IDEOGRAPHIC_SPACE)
            if any((ascii_word(part) or part).split("=", 1)[0] in names for part in parts[1:]):
                return _spaced(word)
            continue
        if word == "--":
            return None  # what follows is arguments, as typed
        if IDEOGRAPHIC_SPACE in word:
            parts = word.split(IDEOGRAPHIC_SPACE)
            if parts[0] in subcommands or any(looks_like_option(part) for part in parts):
                return _spaced(word, subcommands)
        meant = ascii_word(word, subcommands)
        if meant is not None:
            return _(
                "command and option names are typed in half-width (ASCII) characters: type {meant}, not {word} "
                "(switch the input method to English and type it again)"
            ).format(meant=meant, word=word)
        if word.startswith("-"):
            if "=" not in word:
                values = takes.get(word, 0)
        elif subcommands:
            command = subcommands.get(word)
            subcommands = getattr(command, "commands", {}) if command is not None else {}
            if command is not None:
                names, takes = _options(command)
    return None


def _spaced(word: str, commands=()) -> str:
    meant = " ".join(ascii_word(part, commands) or part for part in word.split(IDEOGRAPHIC_SPACE) if part)
    return _(
        "words are separated by ordinary spaces: {word} has an ideographic (full-width) space in it; type "
        "{meant} (switch the input method to half-width and type it again)"
    ).format(word=word, meant=meant)
