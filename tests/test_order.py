"""Business time decides the order of events, and the time of receipt is corrected, never edited (CSA 9.4)."""

import json

from tests.conftest import FULL_FACTS, REGISTER_MINIMAL, RESOLVE
from tests.test_lifecycle import refused


def show(cli, number, *extra) -> dict:
    return json.loads(cli("show", number, "--json", *extra).stdout)


def register_received(cli, received: str, *extra: str) -> str:
    """Registered with --received-at only: no --at."""
    return cli("register", "--received-at", received, *REGISTER_MINIMAL, *FULL_FACTS, *extra).stdout.strip()


# -- point 2: the order of events -------------------------------------------------------------------

def test_register_at_defaults_to_the_time_received(cli):
    number = register_received(cli, "2026-03-02 10:00")
    events = show(cli, number)["events"]
    assert events[0]["kind"] == "registered" and events[0]["at"] == "2026-03-02T10:00:00+08:00"


def test_when_a_registration_was_typed_in_does_not_constrain_later_steps(cli):
    number = register_received(cli, "2026-03-02 10:00")
    cli("accept", number, "--at", "2026-03-03 09:00")
    assert show(cli, number)["accepted_at"] == "2026-03-03T09:00:00+08:00"
    # Typed in months later, with --at: the acceptance may still be dated by when it happened.
    late = cli("register", "--received-at", "2026-03-02 10:00", "--at", "2026-06-01 09:00", *REGISTER_MINIMAL,
               *FULL_FACTS).stdout.strip()
    cli("accept", late, "--at", "2026-03-03 09:00")
    assert show(cli, late)["status"] == "accepted"


def test_no_event_may_be_dated_before_the_receipt(cli, db_path):
    number = register_received(cli, "2026-03-02 10:00")
    refused(cli, db_path, "amend", number, "--facts", "补充事实", "--at", "2026-03-01 09:00", rule="CSA 9.4",
            says="the amendment dated 2026-03-01 09:00 is before TS-2026-0001 was received (2026-03-02 10:00)")
    refused(cli, db_path, "accept", number, "--at", "2026-03-02 09:59", rule="CSA 9.4", says="before")
    refused(cli, db_path, "note", number, "x", "--at", "2026-03-02 09:00", rule="CSA 9.4", says="before")
    refused(cli, db_path, "escalate", number, "--to", "x", "--at", "2026-03-01", rule="CSA 9.4", says="before")
    refused(cli, db_path, "reclassify", number, "--category", "a1", "--reason", "x", "--at", "2026-03-01",
            rule="CSA 9.4", says="before")
    cli("amend", number, "--facts", "补充事实", "--at", "2026-03-02 10:00")  # the same minute is not before


def test_a_status_change_may_not_precede_the_previous_one(cli, db_path):
    number = register_received(cli, "2026-03-02 10:00")
    cli("accept", number, "--at", "2026-03-03 09:00")
    refused(cli, db_path, "assign", number, "--handler", "赵六", "--at", "2026-03-03 08:59", rule="CSA 9.4",
            says="before TS-2026-0001 became accepted (2026-03-03 09:00)")
    cli("assign", number, "--handler", "赵六", "--at", "2026-03-03 09:00")
    # A note is not a change of status: it may be dated between earlier steps.
    cli("note", number, "电话核实", "--at", "2026-03-02 15:00")
    # The timeline reads in business-time order, each entry keeping its number (issue 44).
    timeline = [(e["n"], e["kind"], e["at"][:16]) for e in show(cli, number)["events"]]
    assert timeline == [(1, "registered", "2026-03-02T10:00"), (4, "noted", "2026-03-02T15:00"),
                        (2, "accepted", "2026-03-03T09:00"), (3, "assigned", "2026-03-03T09:00")]


# -- point 3: correcting the time of receipt --------------------------------------------------------

def accepted(cli) -> str:
    number = register_received(cli, "2026-09-04 09:00")  # a Friday; acceptance due Wed 2026-09-09
    cli("accept", number, "--at", "2026-09-10 09:00")  # one day late
    return number


def test_after_acceptance_the_receipt_time_needs_a_reason(cli, db_path):
    number = accepted(cli)
    refused(cli, db_path, "amend", number, "--received-at", "2026-09-04 08:00", rule="CSA 9.4", says="--reason")


def test_a_late_acceptance_cannot_become_on_time_by_moving_the_receipt(cli, db_path):
    number = accepted(cli)
    late = [d for d in show(cli, number)["deadlines"] if d["kind"] == "acceptance"][0]
    assert (late["due"], late["late"]) == ("2026-09-09", True)
    refused(cli, db_path, "amend", number, "--received-at", "2026-09-11 09:00", "--reason", "录入错误",
            rule="CSA 9.4", says="would fall after the acceptance recorded at 2026-09-10 09:00")
    refused(cli, db_path, "amend", number, "--received-at", "2026-09-10 09:01", "--reason", "录入错误",
            rule="CSA 9.4", says="would fall after")


def test_a_correction_with_a_reason_is_shown_old_to_new_with_who_when_and_why(cli):
    number = accepted(cli)
    cli("amend", number, "--received-at", "2026-09-03 16:30", "--reason", "来电记录显示前一日来电",
        "--phone", "13900001111", "--at", "2026-09-11 10:00", "--by", "李娜")
    record = show(cli, number)
    assert record["received_at"] == "2026-09-03T16:30:00+08:00"
    # Thu 2026-09-03: T+3 is Tue 2026-09-08 (09-05/06 weekend)
    assert [d["due"] for d in record["deadlines"] if d["kind"] == "acceptance"] == ["2026-09-08"]
    amended = record["events"][-1]
    assert amended["payload"]["reason"] == "来电记录显示前一日来电" and amended["by"] == "李娜"
    assert amended["payload"]["changes"]["phone"] == ["138****5678", "139****1111"]  # masked in --json too
    lines = cli("show", number).stdout.splitlines()
    at = [i for i, line in enumerate(lines) if "amended" in line][0]
    assert lines[at:at + 3] == ["  3. 2026-09-11 10:00  amended by 李娜 [entered 2027-06-30 12:00]: reason: 来电记录显示前一日来电",
                                "      phone: 138****5678 → 139****1111",
                                "      time received: 2026-09-04 09:00 → 2026-09-03 16:30"]
    unmasked = cli("show", number, "--unmask").stdout
    assert "      phone: 13812345678 → 13900001111" in unmasked.splitlines()


def test_before_the_decision_the_receipt_may_be_corrected_without_a_reason(cli):
    number = register_received(cli, "2026-09-04 09:00")
    # Earlier than the registration: a receipt is never after the registration itself (issue 44).
    cli("amend", number, "--received-at", "2026-09-04 08:15", "--at", "2026-09-04 16:00")
    assert show(cli, number)["received_at"] == "2026-09-04T08:15:00+08:00"


def test_closing_is_not_dated_before_the_callback_it_depends_on(cli, db_path):
    number = register_received(cli, "2026-10-12 09:00")
    cli("accept", number, "--at", "2026-10-12 10:00")
    cli("assign", number, "--handler", "赵六", "--at", "2026-10-12 11:00")
    cli("resolve", number, "--result", "已退还", *RESOLVE, "--at", "2026-10-19 10:00")
    cli("callback", number, "--outcome", "satisfied", "--at", "2026-10-21 15:00")
    refused(cli, db_path, "close", number, "--at", "2026-10-20 09:00", rule="CSA 9.4",
            says="closing dated 2026-10-20 09:00 is before the callback recorded at 2026-10-21 15:00")
    cli("close", number, "--at", "2026-10-21 15:30")
    assert show(cli, number)["status"] == "closed"
