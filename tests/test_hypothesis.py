"""No string a user can type makes a command print a traceback or change the ledger when refused."""

import json

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tests.conftest import Cli, dump

text = st.text(min_size=0, max_size=40)
NUMBER = "TS-2026-0001"


def setup_ledger(tmp_path_factory):
    import os

    folder = tmp_path_factory.mktemp("h")
    os.environ["COMPLAINTCTL_DB"] = str(folder / "ledger.db")
    cli = Cli()
    cli("register", "--method", "phone", "--channel", "direct", "--name", "张三", "--phone", "13812345678",
        "--request", "x", "--received-at", "2026-11-20")
    return cli, folder / "ledger.db"


COMMANDS = [
    lambda s: ["accept", s],
    lambda s: ["accept", NUMBER, "--at", s],
    lambda s: ["amend", NUMBER, "--id-number", s],
    lambda s: ["amend", NUMBER, "--uscc", s],
    lambda s: ["amend", NUMBER, "--phone", s],
    lambda s: ["amend", NUMBER, "--received-at", s],
    lambda s: ["amend", NUMBER, "--amount", s],
    lambda s: ["amend", NUMBER, "--complainants", s],
    lambda s: ["register", "--method", s, "--channel", "direct", "--name", "x", "--phone", "13812345678",
               "--request", "y"],
    lambda s: ["reject", NUMBER, "--reason", s, "--notified-via", "sms"],
    lambda s: ["extend", NUMBER, "--days", s, "--reason", "x"],
    lambda s: ["show", s],
    lambda s: ["list", "--received-from", s],
    lambda s: ["warn", "--as-of", s],
    lambda s: ["calendar", "next", "3", "--from", s],
    lambda s: ["callback", NUMBER, "--outcome", s],
    lambda s: ["reclassify", NUMBER, "--category", s, "--reason", "r"],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(range(len(COMMANDS))), value=text)
@example(command=7, value="¹")  # found by hypothesis: str.isdigit() accepts superscripts
@example(command=13, value="")  # an empty --as-of once meant "today"
def test_random_input_never_crashes(tmp_path_factory, command, value):
    global _state
    if "_state" not in globals():
        _state = setup_ledger(tmp_path_factory)
    cli, db = _state
    before = dump(db)
    args = COMMANDS[command](value)
    result = cli.runner.invoke(__import__("complaintctl.cli.app", fromlist=["app"]).app, args,
                               prog_name="complaintctl")
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        assert result.exit_code in (1, 2), (args, result.exit_code, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert dump(db) == before, args


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_any_text_round_trips_exactly(cli, value):
    number = cli("register", "--method", "phone", "--channel", "direct", "--name", "张三", "--phone",
                 "13812345678", "--request", value, "--received-at", "2026-11-20").stdout.strip()
    assert json.loads(cli("show", number, "--json").stdout)["request"] == value
