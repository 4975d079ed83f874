"""The language of what people read: Chinese on a Chinese locale, English otherwise.

Messages are written in English in the code and translated through the stdlib's gettext from the
catalog in complaintctl/locale (extracted and compiled with Babel: see `scripts/i18n`). What scripts
read never changes with the language: command and option names, `--json` keys and code values, exit
codes.

The language is chosen once per process, from COMPLAINTCTL_LANG (zh|en), else the first of LC_ALL,
LC_MESSAGES, LANG that is set, as the C library would.
"""

from __future__ import annotations

import gettext
from contextlib import contextmanager
import os
from pathlib import Path
import re
import string
import unicodedata

DOMAIN = "complaintctl"
LOCALE_DIR = Path(__file__).parent / "locale"
LANG_ENV = "COMPLAINTCTL_LANG"

_translation: gettext.NullTranslations | None = None
_language: str | None = None


def wanted_language(environ=os.environ) -> str:
    """'zh' or 'en' from the environment."""
    chosen = environ.get(LANG_ENV, "").strip().lower()
    if chosen:
        return "zh" if chosen.startswith("zh") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def use(language: str | None = None) -> str:
    """Choose the language (default: from the environment) and return it."""
    global _translation, _language
    _language = language or wanted_language()
    if _language == "zh":
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"], fallback=True)
    else:
        _translation = gettext.NullTranslations()
    # Typer's own words (Options, Arguments, Commands, default, required) go through the global
    # gettext domain; point it at our catalog and language so its help reads like ours.
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = "zh_CN" if _language == "zh" else "en"
    return _language


@contextmanager
def untranslated():
    """English for a while: text that goes into --json, which never changes with the language."""
    global _translation, _language
    saved = _translation, _language
    _translation, _language = gettext.NullTranslations(), "en"
    try:
        yield
    finally:
        _translation, _language = saved


def language() -> str:
    if _language is None:
        use()
    return _language


def chinese() -> bool:
    return language() == "zh"


class Message(str):
    """A message whose `{value!r}` shows a typed space as the space itself: `'2026　10'`, not the
    `'2026\\u300010'` of Python's repr, which no user typed or can read (issue 42). Anything else is
    quoted as repr quotes it, control characters escaped."""

    def format(self, *args, **kwargs) -> str:
        return _SHOWN.vformat(self, args, kwargs)


class _Shown(string.Formatter):
    def convert_field(self, value, conversion):
        if conversion == "r" and isinstance(value, str):
            return _ESCAPE.sub(_unescaped_space, repr(value))
        return super().convert_field(value, conversion)


# An escape of repr's, not a typed backslash (repr doubles those): one preceded by an even run of backslashes.
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")
_SHOWN = _Shown()


def _unescaped_space(found: re.Match) -> str:
    char = chr(int(found.group(2)[1:], 16))
    return found.group(1) + (char if unicodedata.category(char) == "Zs" else found.group(0)[len(found.group(1)) :])


def _(message: str) -> str:
    """The message in the user's language."""
    if _translation is None:
        use()
    return Message(_translation.gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    if _translation is None:
        use()
    return Message(_translation.ngettext(singular, plural, n))


def N_(message: str) -> str:
    """Mark a message for the catalog where it is defined; translate it with _() where it is shown."""
    return message


def name_of(code: str, names: dict[str, str]) -> str:
    """A code's name from a table of N_() names, in the user's language; the code itself if it has none."""
    return _(names[code]) if code in names else code


def series(items) -> str:
    """Names listed in running text: 调解、诉讼 in Chinese (the enumeration comma), "mediation, lawsuit" in English."""
    return ("、" if chinese() else ", ").join(items)


def pick(zh: str, en: str) -> str:
    """One of a code's two official labels (codes.py holds both), in the user's language."""
    return zh if chinese() else en


# Typer prints these around our help (through the global gettext domain `use()` points at us), and
# "Show this message and exit." is its --help's help; listed here so the catalog carries them.
TYPER_WORDS = (
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
)
