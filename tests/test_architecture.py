"""The layout keeps its shape (issue 32): every import of the package, read with the stdlib's `ast`, points
down the layers, never in a circle, never at another module's private name; only the CLI speaks to the
terminal libraries.

    foundation   errors, i18n, progress, scratch: anyone may use them
    rules        pure: the record and its fold, codes, identity, calendar, deadlines, policy, periods
    store        the ledger and what reads or keeps it
    steps        each command's work, applying the rules through the store
    outputs      intake   what leaves the ledger; what comes in bulk (siblings: neither uses the other)
    cli          the commands, on top
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "complaintctl"
RANK = {"foundation": 0, "rules": 1, "store": 2, "steps": 3, "outputs": 4, "intake": 4, "cli": 5}
FOUNDATION = {"errors", "i18n", "progress", "scratch", "__init__", "__main__"}
TERMINAL = ("typer", "rich", "questionary", "click")


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in FOUNDATION:
        return "foundation" if module != "complaintctl.__main__" else "cli"
    return parts[1]


def imports() -> dict[str, list[tuple[str, list[str], int]]]:
    """module -> [(what it imports, the names taken, line)], at any depth (a lazy import is an arrow too)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_of(path)
        arrows = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                arrows += [(alias.name, [], node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "complaintctl":  # `from complaintctl import scratch`: the modules named
                    arrows += [(f"complaintctl.{alias.name}", [], node.lineno) for alias in node.names
                               if (PACKAGE / f"{alias.name}.py").exists() or (PACKAGE / alias.name).is_dir()]
                else:
                    arrows.append((node.module, [alias.name for alias in node.names], node.lineno))
        found[module] = arrows
    return found


def ours(target: str, known: set[str]) -> str | None:
    """The module of ours an import names (a name imported from a package may itself be a module)."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


GRAPH = imports()
MODULES = set(GRAPH)


def test_the_walk_sees_the_whole_package():
    assert {"complaintctl.rules.complaint", "complaintctl.store.ledger", "complaintctl.steps.lifecycle",
            "complaintctl.outputs.report", "complaintctl.intake.legacy", "complaintctl.cli.app"} <= MODULES
    assert all(layer(m) in RANK for m in MODULES), sorted(m for m in MODULES if layer(m) not in RANK)
    assert sum(len(arrows) for arrows in GRAPH.values()) > 150


def test_every_arrow_points_down_the_layers():
    wrong = []
    for module, arrows in GRAPH.items():
        for target, _names, line in arrows:
            to = ours(target, MODULES) if target.startswith("complaintctl") else None
            if to is None or to == module:
                continue
            here, there = layer(module), layer(to)
            if RANK[there] > RANK[here] or (RANK[there] == RANK[here] and there != here):
                wrong.append(f"{module}:{line} ({here}) imports {to} ({there})")
    assert not wrong, "\n".join(wrong)


def test_only_the_cli_speaks_to_the_terminal_libraries():
    wrong = [f"{module}:{line} imports {target}" for module, arrows in GRAPH.items() if layer(module) != "cli"
             for target, _names, line in arrows if target.split(".")[0] in TERMINAL]
    assert not wrong, "\n".join(wrong)


def test_no_module_takes_another_modules_private_name():
    wrong = [f"{module}:{line} takes {name} from {target}" for module, arrows in GRAPH.items()
             for target, names, line in arrows if target.startswith("complaintctl")
             for name in names if name.startswith("_") and not (name.startswith("__") or name == "_")]
    assert not wrong, "\n".join(wrong)


def test_no_circles():
    edges = {module: {ours(target, MODULES) for target, _n, _l in arrows if target.startswith("complaintctl")}
             - {None, module} for module, arrows in GRAPH.items()}
    # A package's __init__ is not an arrow to its modules' contents: `complaintctl.store` importing nothing.
    seen, on_path, circles = set(), [], []

    def visit(module: str) -> None:
        if module in on_path:
            circles.append(" → ".join(on_path[on_path.index(module):] + [module]))
            return
        if module in seen:
            return
        seen.add(module)
        on_path.append(module)
        for to in sorted(edges.get(module, ())):
            visit(to)
        on_path.pop()

    for module in sorted(edges):
        visit(module)
    assert not circles, "\n".join(circles)


@pytest.mark.parametrize("package", ["rules", "store", "steps", "outputs", "intake"])
def test_a_package_init_loads_nothing(package):
    """The re-exports must not load what a command does not use: each package's __init__ is its docstring."""
    tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    assert len(tree.body) == 1 and isinstance(tree.body[0].value, ast.Constant)


def test_main_knows_where_every_command_lives():
    """`main` imports only the module of the command typed (issue 33): its map must name each command's
    module, or that command would be missing when typed."""
    import importlib

    import typer
    from complaintctl.cli.app import COMMAND_MODULES, command_name

    found = {}
    for module in set(COMMAND_MODULES.values()):
        scratch = typer.Typer()
        importlib.import_module(f"complaintctl.cli.{module}").register_commands(scratch)
        for info in scratch.registered_commands:
            found[command_name(info)] = module
        for group in scratch.registered_groups:
            found[group.name] = module
    assert found == COMMAND_MODULES


def test_a_command_typed_loads_only_its_own_module(tmp_path):
    """`complaintctl register` neither imports the other command modules nor builds their options, and
    builds no pydantic adapter for the options it was not given or given as text (cli/common.plain_text)."""
    import importlib.util
    import json
    import subprocess
    import sys

    db = str(tmp_path / "l.db")
    subprocess.run([sys.executable, "-m", "complaintctl", "--db", db, "init"], check=True, capture_output=True)
    code = (
        "import contextlib, json, sys\n"
        "from complaintctl.cli import app\n"
        "sys.argv = ['complaintctl', '--db', sys.argv[1], 'register', '--method', 'phone', '--channel', 'direct',"
        " '--name', '张三', '--phone', '13812345678', '--request', '退还佣金', '--by', '李四']\n"
        "with contextlib.suppress(SystemExit):\n"
        "    app.main()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code, db], capture_output=True, text=True, check=True)
    assert "registered TS-" in run.stdout + run.stderr
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    assert "complaintctl.cli.app" in loaded
    assert not {"complaintctl.cli.views", "complaintctl.cli.reports", "complaintctl.cli.admin"} & set(loaded)
    if importlib.util.find_spec("typer._adapters"):  # Typer 0.29's pydantic coercion
        assert "typer._adapters" not in loaded


def test_help_before_a_command_still_lists_every_command():
    """`complaintctl --help register` is the root's help: the whole list, not only the command named."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "complaintctl", "--help", "register"], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "LANG": "C", "COLUMNS": "100"}).stdout
    assert "Commands:" in out and "  warn " in out and "  calendar " in out, out
