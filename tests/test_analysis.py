"""`analyze` and the report's 分析 sheet (CSA 8.1.7(c), 11, 8.2.4), checked against counts made by hand.

The third quarter of 2026 (no holidays until 中秋 on 09-25; trading days are Monday to Friday):

  before the window   2025-0001  P (ID)      2025-06-30  a3   rejected            -> not counted: before 2025-07-01
  in the window       2025-0002  D (ID)      2025-09-15  a1   rejected            -> D: two in the window,
                      2026-0002  D (ID)      2026-06-08  a2   closed 06-20           none in Q3: not listed
                                 measure owner 孙八, due 07-31, rectified 08-05 (after closing): 5 days late
  previous period Q2  2026-0001  B (ID)      2026-05-11  a1   rejected
  Q3                  2026-0003  P (ID)      07-06 a2  李四 运营部  accepted 07-07, resolved 07-20 (10 trading days,
                                 on time), callback due 07-22, called 07-23 satisfied: late
                                 measure owner 赵六, due 08-31, never done: 30 days overdue on 09-30
                      2026-0004  P (ID)      07-13 a2  "李 四" 运营部  accepted 07-14, due 08-10, extended 5 to 08-17,
                                 resolved 08-14 (24 trading days, after extension), called 08-17 dissatisfied
                                 measure without owner or date
                      2026-0005  P by phone  08-03 a2  "张先生", 138 1234 5678, no ID: rejected 08-04
                      2026-0006  C           08-10 a5  王五 财富部  the same name as P (张三), another ID: not joined;
                                 due T+3 = 08-13, accepted 08-14: late; completion due 09-07, resolved 09-08
                                 (21 trading days): late; called 09-09 satisfied; measure owner 钱七 due 09-15,
                                 done 09-10
                      2026-0007  B (ID)      08-17 a1  王五 财富部  accepted 08-18, unreasonable, resolved 08-28
                                 (9 trading days) with 500.00 yuan; called 08-31 dissatisfied -> re-complaint 0008
                      2026-0008  B (copied)  08-31 a1  王五  undecided
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import openpyxl
import pytest

from tests.conftest import EXTEND, ID_OK, RESOLVE, dump

pytestmark = pytest.mark.backends

P = ["--name", "张三", "--id-type", "id_card", "--id-number", ID_OK, "--phone", "13812345678"]
P_BY_PHONE = ["--name", "张先生", "--phone", "138 1234 5678"]
B = ["--name", "王秀英", "--id-type", "id_card", "--id-number", "330106197806061542", "--phone", "13900000002"]
C = ["--name", "张三", "--id-type", "id_card", "--id-number", "440305197912126602", "--phone", "13700000003"]
D = ["--name", "刘洋", "--id-type", "id_card", "--id-number", "110105198106025900", "--phone", "13600000004"]
REFUSE = ["--reason", "not-customer", "--notified-via", "sms"]


def lodge(cli, received: str, person: list[str], category: str, *extra: str) -> str:
    return cli("register", "--received-at", received, "--at", received, "--method", "phone", "--channel", "direct",
               *person, "--request", "退还多收佣金", "--facts", "费率与约定不符", "--category", category,
               *extra).stdout.strip()


def take(cli, number: str, day: str, dept: str) -> None:
    cli("accept", number, "--at", f"{day} 10:00")
    cli("assign", number, "--handler", "周志强", "--dept", dept, "--at", f"{day} 11:00")


def quarter_ledger(cli) -> None:
    numbers = [
        lodge(cli, "2025-06-30 09:00", P, "a3"),
        lodge(cli, "2025-09-15 09:00", D, "a1"),
        lodge(cli, "2026-05-11 09:00", B, "a1"),
        lodge(cli, "2026-06-08 09:00", D, "a2", "--respondent", "孙悦"),
        lodge(cli, "2026-07-06 09:00", P, "a2", "--respondent", "李四"),
        lodge(cli, "2026-07-13 09:00", P, "a2", "--respondent", "李 四"),
        lodge(cli, "2026-08-03 09:00", P_BY_PHONE, "a2"),
        lodge(cli, "2026-08-10 09:00", C, "a5", "--respondent", "王五"),
        lodge(cli, "2026-08-17 09:00", B, "a1", "--respondent", "王五"),
    ]
    assert numbers == ["TS-2025-0001", "TS-2025-0002", *(f"TS-2026-000{i}" for i in range(1, 8))]
    cli("reject", "TS-2025-0001", *REFUSE, "--at", "2025-07-01")
    cli("reject", "TS-2025-0002", *REFUSE, "--at", "2025-09-16")
    cli("reject", "TS-2026-0001", *REFUSE, "--at", "2026-05-12")
    x1 = "TS-2026-0002"
    take(cli, x1, "2026-06-09", "运营部")
    cli("investigate", x1, "--improvement", "柜台复核", "--improvement-owner", "孙八", "--improvement-due", "2026-07-31",
        "--at", "2026-06-10")
    cli("resolve", x1, "--result", "已说明", *RESOLVE, "--at", "2026-06-15")
    cli("callback", x1, "--outcome", "satisfied", "--at", "2026-06-16")
    cli("close", x1, "--at", "2026-06-20")
    cli("rectified", x1, "--note", "柜台已双人复核", "--at", "2026-08-05")

    take(cli, "TS-2026-0003", "2026-07-07", "运营部")
    cli("investigate", "TS-2026-0003", "--improvement", "费率设置双人复核", "--improvement-owner", "赵六",
        "--improvement-due", "2026-08-31", "--at", "2026-07-15")
    cli("resolve", "TS-2026-0003", "--result", "已退还", *RESOLVE, "--at", "2026-07-20")
    cli("callback", "TS-2026-0003", "--outcome", "satisfied", "--at", "2026-07-23")

    take(cli, "TS-2026-0004", "2026-07-14", "运营部")
    cli("extend", "TS-2026-0004", "--days", "5", "--reason", "等待总部交易日志", *EXTEND, "--at", "2026-08-05")
    cli("resolve", "TS-2026-0004", "--result", "已说明", *RESOLVE, "--improvement", "加强培训", "--at", "2026-08-14")
    cli("callback", "TS-2026-0004", "--outcome", "dissatisfied", "--advised", "mediation", "--at", "2026-08-17")

    cli("reject", "TS-2026-0005", *REFUSE, "--at", "2026-08-04")

    take(cli, "TS-2026-0006", "2026-08-14", "财富部")
    cli("investigate", "TS-2026-0006", "--improvement", "产品适当性复核", "--improvement-owner", "钱七",
        "--improvement-due", "2026-09-15", "--at", "2026-08-20")
    cli("resolve", "TS-2026-0006", "--result", "已说明", *RESOLVE, "--at", "2026-09-08")
    cli("callback", "TS-2026-0006", "--outcome", "satisfied", "--at", "2026-09-09")
    cli("rectified", "TS-2026-0006", "--note", "已上线复核", "--at", "2026-09-10")

    take(cli, "TS-2026-0007", "2026-08-18", "财富部")
    cli("mark-unreasonable", "TS-2026-0007", "--evidence", "调查报告", "--approved-by", "合规负责人",
        "--at", "2026-08-20")
    cli("approve", "TS-2026-0007", "compensation", "--by", "合规负责人", "--at", "2026-08-27")  # Firm 25
    cli("resolve", "TS-2026-0007", "--result", "已补偿", *RESOLVE, "--compensation", "500", "--at", "2026-08-28")
    cli("callback", "TS-2026-0007", "--outcome", "dissatisfied", "--advised", "mediation", "--recomplain",
        "--at", "2026-08-31")


def analyze(cli, *args) -> dict:
    # A firm ledger names its complaints BRANCH/NUMBER; the figures are the same.
    return json.loads(cli("analyze", "--quarter", "2026Q3", "--json", *args).stdout.replace("SZ01/", ""))


def test_repeat_complainants_by_id_number_and_by_phone_never_by_name(cli):
    quarter_ledger(cli)
    result = analyze(cli)
    assert result["period"] == "2026Q3" and result["as_of"] == "2026-09-30"
    assert result["previous_period"] == "2026Q2"
    assert result["window"] == {"from": "2025-07-01", "to": "2026-09-30"}
    people = result["repeat_complainants"]["people"]
    # Most complaints first; among equals, the earliest number first.
    assert people == [
        {"name": "王**", "id_number": "330106********1542", "phones": ["139****0002"], "complaints": 3,
         "in_period": 2, "numbers": ["TS-2026-0001", "TS-2026-0007", "TS-2026-0008"], "joined_by_phone": [],
         "categories": ["a1"], "latest": {"id": "TS-2026-0008", "status": "received", "callback": None}},
        {"name": "张*", "id_number": "110105********002X", "phones": ["138****5678"], "complaints": 3,
         "in_period": 3, "numbers": ["TS-2026-0003", "TS-2026-0004", "TS-2026-0005"],
         "joined_by_phone": ["TS-2026-0005"], "categories": ["a2"],
         "latest": {"id": "TS-2026-0005", "status": "rejected", "callback": None}},
    ]
    assert result["repeat_complainants"]["phone_matches_several"] == 0
    assert "never by name alone" in result["repeat_complainants"]["how"]


def test_categories_respondents_and_departments_against_hand_counts(cli):
    quarter_ledger(cli)
    result = analyze(cli)
    groups = {row["code"]: (row["count"], row["previous"], row["change"]) for row in result["categories"]["groups"]}
    assert groups == {"a": (6, 2, 4), "b": (0, 0, 0), "c": (0, 0, 0), "d": (0, 0, 0), "e": (0, 0, 0)}
    categories = [(row["code"], row["count"], row["previous"], row["change"])
                  for row in result["categories"]["categories"]]
    assert categories == [("a2", 3, 1, 2), ("a1", 2, 1, 1), ("a5", 1, 0, 1)]
    # CSA 5.4 labels accepted complaints only: 王五's undecided 0008 and the refused 0005 are neither
    # reasonable nor unreasonable, and the share is of those accepted.
    assert result["respondents"]["rows"] == [
        {"name": "王五", "complaints": 3, "accepted": 2, "reasonable": 1, "reasonable_share": 0.5},
        {"name": "李四", "complaints": 2, "accepted": 2, "reasonable": 2, "reasonable_share": 1.0}]
    assert result["departments"]["rows"] == [
        {"department": "财富部", "complaints": 2, "accepted": 2, "reasonable": 1, "reasonable_share": 0.5},
        {"department": "运营部", "complaints": 2, "accepted": 2, "reasonable": 2, "reasonable_share": 1.0},
        {"department": None, "complaints": 2, "accepted": 0, "reasonable": 0, "reasonable_share": None}]
    assert result["categories"]["previous_has_data"] is True  # Q2 holds 2026-0001 and 2026-0002


def test_timeliness_and_outcome_against_hand_counts(cli):
    quarter_ledger(cli)
    result = analyze(cli)
    overall = result["timeliness"]["overall"]
    assert overall["handling_days"] == {"median": 15.5, "p90": 24, "max": 24}  # 9, 10, 21, 24
    assert overall["acceptance"] == {"decided": 5, "on_time": 4, "rate": 0.8}
    assert overall["completion"] == {"completed": 4, "on_time": 3, "rate": 0.75}
    assert overall["callback"] == {"due": 4, "on_time": 3, "rate": 0.75}
    assert overall["extension"] == {"completed": 4, "extended": 1, "rate": 0.25}
    departments = {row["department"]: row for row in result["timeliness"]["by_department"]}
    assert list(departments) == ["财富部", "运营部", None]
    assert departments["运营部"]["handling_days"] == {"median": 17, "p90": 24, "max": 24}
    assert departments["运营部"]["callback"] == {"due": 2, "on_time": 1, "rate": 0.5}
    assert departments["财富部"]["handling_days"] == {"median": 15, "p90": 21, "max": 21}
    assert departments["财富部"]["acceptance"] == {"decided": 2, "on_time": 1, "rate": 0.5}
    assert departments["财富部"]["completion"] == {"completed": 2, "on_time": 1, "rate": 0.5}
    assert departments[None]["acceptance"] == {"decided": 1, "on_time": 1, "rate": 1.0}
    assert departments[None]["completion"] == {"completed": 0, "on_time": 0, "rate": None}
    outcome = result["outcome"]
    assert outcome["satisfaction"] == {"satisfied": 2, "dissatisfied": 2, "rate": 0.5}
    assert outcome["recomplaint"] == {"completed": 4, "recomplained": 1, "rate": 0.25}
    # Of the 6 received, 0003, 0004, 0006 and 0007 were accepted; 0007 is unreasonable.
    assert outcome["unreasonable"] == {"received": 6, "accepted": 4, "unreasonable": 1, "share": 0.25}
    assert outcome["compensation"] == {"total": "500.00", "complaints": 1}


def test_rectifications_past_their_date_done_late_after_closing_and_untracked(cli):
    quarter_ledger(cli)
    result = analyze(cli)["rectifications"]
    items = [(i["id"], i["owner"], i["due"], i["done_on"], i["state"], i["days_late"]) for i in result["items"]]
    assert items == [("TS-2026-0003", "赵六", "2026-08-31", None, "overdue", 30),
                     ("TS-2026-0002", "孙八", "2026-07-31", "2026-08-05", "done_late", 5),
                     ("TS-2026-0006", "钱七", "2026-09-15", "2026-09-10", "done", None),
                     ("TS-2026-0004", None, None, None, "untracked", None)]
    assert result["counts"] == {"overdue": 1, "open": 0, "done_late": 1, "done": 1, "untracked": 1}
    # As it stood on 08-01, before TS-2026-0002's fix: overdue by 1 day; TS-2026-0006 had no measure yet.
    early = analyze(cli, "--as-of", "2026-08-01")["rectifications"]["items"]
    assert [(i["id"], i["state"], i["days_late"]) for i in early] == [
        ("TS-2026-0002", "overdue", 1), ("TS-2026-0003", "open", None)]


def test_warn_follows_a_rectification_after_the_complaint_is_closed(cli):
    quarter_ledger(cli)
    soon = json.loads(cli("warn", "--as-of", "2026-07-28", "--json").stdout)
    assert [(i["id"], i["kind"], i["state"], i["days_left"], i["handler"]) for i in soon
            if i["kind"] == "rectification"] == [("TS-2026-0002", "rectification", "due_soon", 3, "孙八")]
    late = cli("warn", "--as-of", "2026-09-30", "--json", ok=False)
    assert late.exit_code == 3
    assert [(i["id"], i["state"], i["due"], i["handler"]) for i in json.loads(late.stdout)
            if i["kind"] == "rectification"] == [("TS-2026-0003", "overdue", "2026-08-31", "赵六")]


def test_unmask_shows_people_in_full_and_is_recorded(cli, db_path, backend):
    quarter_ledger(cli)
    person = analyze(cli, "--unmask")["repeat_complainants"]["people"][1]
    assert (person["name"], person["id_number"], person["phones"]) == ("张三", ID_OK, ["13812345678"])
    if backend != "sqlite":
        return  # the event itself is read below from the file
    conn = sqlite3.connect(db_path)
    kind, payload = conn.execute("SELECT kind, payload FROM events ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert kind == "unmasked"
    assert json.loads(payload) == {"command": "analyze", "period": "2026Q3", "as_of": "2026-09-30",
                                   "complaints": ["TS-2026-0001", "TS-2026-0007", "TS-2026-0008",
                                                  "TS-2026-0003", "TS-2026-0004", "TS-2026-0005"]}


def test_the_report_sheet_shows_the_same_tables_and_a_chart(cli, tmp_path):
    quarter_ledger(cli)
    out = tmp_path / "q3.xlsx"
    cli("report", "--quarter", "2026Q3", "--out", out)
    wb = openpyxl.load_workbook(out)
    assert "分析" in wb.sheetnames and wb.sheetnames.index("分析") < wb.sheetnames.index("投诉台账")
    ws = wb["分析"]
    rows = [row for row in ws.iter_rows(values_only=True)]
    first = {str(row[0]).replace("SZ01/", ""): row[1:] for row in rows if row[0]}
    assert first["张*"][:4] == ("110105********002X", "138****5678", 3, 3)
    assert first["李四"][:4] == (2, 2, 2, 1.0)
    assert first["全部"][:8] == (4, 15.5, 24, 24, 0.8, 0.75, 0.75, 0.25)
    assert first["赔偿金额（元）"][0] == Decimal("500.00") or first["赔偿金额（元）"][0] == 500
    assert first["TS-2026-0003"][:6] == ("费率设置双人复核", "赵六", "2026-08-31", "—", "已逾期", 30)
    assert first["经纪业务-证券交易委托类"][:3] == (3, 1, 2)
    hows = [row[0] for row in rows if row[0] and str(row[0]).startswith("统计口径：")]
    assert len(hows) == 7  # every table but the outcome's, whose rows each say how
    (chart,) = ws._charts
    header = _header_row(rows)  # 业务类别 | 本期 | 上期 | 变化, then a2, a1, a5
    assert [s.tx.strRef.f for s in chart.series] == [f"'分析'!B{header}", f"'分析'!C{header}"]
    assert [s.val.numRef.f for s in chart.series] == [f"'分析'!$B${header + 1}:$B${header + 3}",
                                                      f"'分析'!$C${header + 1}:$C${header + 3}"]


def _header_row(rows) -> int:
    """The row of the second-level category table's header (the chart's series names)."""
    return next(i for i, row in enumerate(rows, 1) if row[0] == "业务类别")


def test_bad_input_gets_one_line_and_changes_nothing(cli, db_path):
    quarter_ledger(cli)
    before = dump(db_path)
    for args, says in (
        (("analyze", "--quarter", "2026Q5"), "--quarter must look like 2026Q3"),
        (("analyze", "--quarter", "2026Q3", "--as-of", "2026-06-30"), "before 2026年第3季度 begins"),
        (("investigate", "TS-2026-0007", "--improvement-owner", "赵六", "--improvement-due", "2026-12-31"),
         "CSA 9.2.2(b) item 4"),
        (("investigate", "TS-2026-0007", "--improvement", "复核", "--improvement-owner", "赵六"), "--improvement-due"),
        (("investigate", "TS-2026-0007", "--improvement", "复核", "--improvement-owner", "赵六", "--improvement-due",
          "2026-08-01", "--at", "2026-08-25"), "before this investigation record"),
        (("investigate", "TS-2026-0006", "--improvement-due", "2026-12-31"), "marked done on 2026-09-10"),
        (("rectified", "TS-2026-0006", "--note", "再次"), "already marked done"),
        (("rectified", "TS-2026-0007", "--note", "做了"), "has no improvement measure"),
        (("rectified", "TS-2026-0003", "--note", "做了", "--at", "2026-07-14"), "before its measure was recorded"),
        (("investigate", "TS-2026-0007", "--improvement", "复核", "--improvement-owner", "赵六", "--improvement-due",
          "2026-02-30"), "--improvement-due"),
    ):
        result = cli(*args, ok=False)
        assert result.exit_code == 1, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], (args, result.stderr)
    assert dump(db_path) == before


def test_analyze_prints_every_section_with_how_it_is_counted(cli):
    quarter_ledger(cli)
    text = cli("analyze", "--quarter", "2026Q3").stdout
    for title in ("Repeat complainants", "Categories, first level", "Categories, second level",
                  "Respondents with 2 or more", "Departments with 2 or more", "Timeliness", "Outcome",
                  "Rectifications"):
        assert title in text
    assert text.count("counted:") == 7
    assert "TS-2026-0005 (by phone)" in text and "110105********002X" in text and ID_OK not in text


def test_a_phone_shared_by_two_people_joins_neither(cli):
    """A household's one phone: the complaint without an ID number cannot be told apart, so it stays alone."""
    shared = ["--phone", "13500000005"]
    lodge(cli, "2026-07-06 09:00", ["--name", "张三", "--id-type", "id_card", "--id-number", ID_OK, *shared], "a1")
    lodge(cli, "2026-07-07 09:00", [*C[:6], *shared], "a1")
    lodge(cli, "2026-07-08 09:00", ["--name", "张先生", *shared], "a1")
    lodge(cli, "2026-07-09 09:00", [*C[:6], "--phone", "137-0000-0003"], "a2")
    result = analyze(cli)["repeat_complainants"]
    assert result["phone_matches_several"] == 1
    assert [(p["id_number"], p["numbers"], p["phones"]) for p in result["people"]] == [
        ("440305********6602", ["TS-2026-0002", "TS-2026-0004"], ["135****0005", "137****0003"])]
