"""The message catalog: extract every message from the source, update the Chinese catalog, compile it.

    .venv/bin/python scripts/i18n.py update    # after changing messages: new ones come in untranslated
    .venv/bin/python scripts/i18n.py check     # what tests/test_i18n.py checks: complete and compiled

Messages are found three ways, all with Babel:
- `_()`, `N_()` and `ngettext()` calls (Babel's Python extractor);
- Typer's help texts: `help="..."` string arguments, and the docstrings of the functions registered
  as commands (their help), which complaintctl translates when a command is looked up
  (cli/common.py, translate_help);
- the words Typer itself prints around them (i18n.py, TYPER_WORDS).

The compiled .mo is committed, so a plain `pip install` has it; the check fails when it is stale.
"""

from __future__ import annotations

import ast
import inspect
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "complaintctl"
PO = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / "complaintctl.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _commands(tree: ast.Module) -> set[str]:
    """Names of the functions a module registers as commands: @x.command(...) or x.command(...)(name)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
                    names.add(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call):
            inner = node.func.func
            if isinstance(inner, ast.Attribute) and inner.attr == "command":
                for arg in node.args:
                    if isinstance(arg, ast.Name):
                        names.add(arg.id)
                    elif isinstance(arg, ast.Attribute):
                        names.add(arg.attr)
    return names


def _help_texts(path: Path, commands: set[str]):
    """(line, text) of every literal help= argument, and of every command function's docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    yield keyword.value.lineno, keyword.value.value
        elif isinstance(node, ast.FunctionDef) and node.name in commands:
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, inspect.cleandoc(doc)


def template() -> Catalog:
    """Every message the program can show, from the source."""
    catalog = Catalog(project="complaintctl", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
        catalog.add(message, locations=[(f"complaintctl/{filename}", lineno)], auto_comments=comments,
                    context=context)
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted((PACKAGE / "cli").glob("*.py"))}
    commands = set().union(*(_commands(tree) for tree in trees.values()))
    for path in trees:
        for lineno, text in _help_texts(path, commands):
            catalog.add(text, locations=[(str(path.relative_to(ROOT)), lineno)])
    return catalog


def read_catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="zh_CN")


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> None:
    """Bring new messages into the .po (untranslated) and drop the ones no longer in the source."""
    source = template()
    if PO.exists():
        catalog = read_catalog()
        catalog.update(source, no_fuzzy_matching=True)
    else:
        PO.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale="zh_CN", project="complaintctl", charset="utf-8")
        catalog.update(source, no_fuzzy_matching=True)
    catalog.language_team = "complaintctl"
    with PO.open("wb") as f:
        write_po(f, catalog, width=120, ignore_obsolete=True, omit_header=False, sort_output=False,
                 include_previous=False)
    compile_mo()
    untranslated = problems()
    print(f"{PO.relative_to(ROOT)}: {len(catalog)} messages; {len(untranslated)} need a translation")


def compile_mo() -> None:
    MO.write_bytes(compiled(read_catalog()))


def problems() -> list[str]:
    """Messages in the source without a finished Chinese translation, or whose placeholders differ."""
    import string

    catalog = read_catalog()
    found = []
    for message in template():
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            found.append(f"not in the catalog: {message.id!r}")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            found.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        else:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            wanted = {f for text in ids for _, f, _, _ in string.Formatter().parse(text) if f}
            for text in strings:
                given = {f for _, f, _, _ in string.Formatter().parse(text) if f}
                if not given <= wanted:
                    found.append(f"placeholders {sorted(given - wanted)} not in {message.id!r}")
    return found


def content(mo: bytes) -> dict:
    """What a compiled catalog says: each (context, id) with its string(s), and the plural rule.

    Compared instead of the bytes: the header names the Babel version that wrote the file
    (Generated-By), so a new Babel release must not make a catalog with the same messages "stale".
    """
    from babel.messages.mofile import read_mo

    def frozen(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    catalog = read_mo(io.BytesIO(mo))
    messages = {(m.context, frozen(m.id)): frozen(m.string) for m in catalog if m.id}
    return {"messages": messages, "plural_forms": catalog.plural_forms}


def stale() -> bool:
    return not MO.exists() or content(MO.read_bytes()) != content(compiled(read_catalog()))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        return 0
    if command == "compile":
        compile_mo()
        return 0
    if command == "untranslated":  # the messages still to translate, one msgid a line (JSON)
        import json

        catalog = read_catalog()
        for message in catalog:
            if message.id and not message.string:
                print(json.dumps(message.id, ensure_ascii=False))
        return 0
    found = problems() + (["the .mo is stale: run scripts/i18n.py compile"] if stale() else [])
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
