"""`import` reads headers as offices make them and facts as offices write them (issue 43, points 5, 6, 9).

Two-row headers under a group heading, a second 日期, a time kept in its own column, the 12386 platform's
诉求 words, a call centre's KF… number; a refusal, a withdrawal, an extension and a callback written in
处理结果 or 备注, recorded as those steps and counted; nothing dated that the file does not date.

Every file is built here, imported through the command into a real ledger, and every expected value was
worked out by hand from the rows written.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, time
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import dump

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def early_january(monkeypatch):
    monkeypatch.setenv("COMPLAINTCTL_NOW", "2026-01-08 09:00")


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def show(cli, number: str) -> dict:
    return json.loads(cli("show", number, "--json", "--unmask").stdout)


def day(value: str | None) -> str | None:
    return value[:10] if value else None


# -- 5. headers ----------------------------------------------------------------------------------------------


def test_two_row_headers_under_group_headings_are_read(cli, tmp_path):
    path = tmp_path / "two-rows.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "投诉时间", "投诉人", "投诉内容", "处理情况", None, "回访情况", None])
    ws.append([None, None, None, None, "处理结果", "办结日期", "日期", "结果"])
    for column in range(1, 5):
        ws.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    ws.merge_cells("E1:F1")
    ws.merge_cells("G1:H1")
    ws.append([1, "2025-03-03 10:00", "王五", "要求解释扣费", "已解释扣费依据", "2025-03-10", "2025-03-12", "满意"])
    book.save(path)
    shown = cli("import", path, "--show-map", "--json")
    columns = [c["field"] for c in json.loads(shown.stdout)["columns"]]
    assert columns == ["original_no", "received_at", "name", "request", "result", "resolved_at", "called_at",
                       "callback_outcome"]
    cli("import", path)
    record = show(cli, "TS-2025-0001")
    assert record["resolution"]["result"] == "已解释扣费依据" and day(record["resolved_at"]) == "2025-03-10"
    assert [(day(c["at"]), c["outcome"]) for c in record["callbacks"]] == [("2025-03-12", "satisfied")]
    assert record["status"] == "closed" and day(record["closed_at"]) == "2025-03-12"


def test_a_second_date_after_a_callback_column_is_the_callbacks_day(cli, tmp_path):
    path = write_csv(tmp_path / "dates.csv", [
        ["投诉时间", "投诉人", "投诉内容", "处理结果", "日期", "回访结果", "日期"],
        ["2025-03-03 10:00", "王五", "要求解释扣费", "已解释", "2025-03-10", "满意", "2025-03-12"],
    ])
    result = cli("import", path)
    assert result.stderr == ""
    record = show(cli, "TS-2025-0001")
    assert day(record["resolved_at"]) == "2025-03-10"
    assert [(day(c["at"]), c["outcome"]) for c in record["callbacks"]] == [("2025-03-12", "satisfied")]


def test_a_repeated_date_is_said_and_mapped_by_its_column_letter(cli, tmp_path):
    path = write_csv(tmp_path / "dates.csv", [
        ["日期", "投诉人", "投诉内容", "日期", "处理人", "处理结果", "办结日期"],
        ["2025-03-03", "王五", "要求解释扣费", "2025-03-05", "刘静", "已解释", "2025-03-10"],
    ])
    plain = cli("import", path, "--dry-run")
    # the second 日期 follows 投诉内容: no field is guessed for it, and it is not dropped unseen
    assert plain.stderr.splitlines() == [
        'warning: column D (日期) is read by no field: another column has that header; a --map line such as "D" = '
        '"called_at" names the field it holds']
    renames = tmp_path / "map.toml"
    renames.write_text('[columns]\n"D" = "accepted_at"\n', encoding="utf-8")
    shown = json.loads(cli("import", path, "--map", renames, "--show-map", "--json").stdout)
    assert [c["field"] for c in shown["columns"]] == ["received_at", "name", "request", "accepted_at", "handler",
                                                       "result", "resolved_at"]
    assert shown["unmatched_map_keys"] == []
    result = cli("import", path, "--map", renames)
    assert result.stderr == ""
    record = show(cli, "TS-2025-0001")
    assert day(record["accepted_at"]) == "2025-03-05" and "accepted_at" not in record["unrecorded"]
    # and by its header and place: 日期#2 is the second column headed 日期
    other = tmp_path / "map2.toml"
    other.write_text('[columns]\n"日期#2" = "accepted_at"\n"Z" = "note"\n', encoding="utf-8")
    shown = json.loads(cli("import", path, "--map", other, "--show-map", "--json").stdout)
    assert shown["columns"][3]["field"] == "accepted_at" and shown["unmatched_map_keys"] == ["Z"]


def test_a_time_column_joins_its_date(cli, tmp_path):
    path = tmp_path / "times.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["接收日期", "接收时间", "投诉人", "投诉内容"])
    ws.append([datetime(2025, 3, 3), time(14, 30), "王五", "要求解释扣费"])
    ws.append(["2025-03-04", "9:05", "赵七", "要求退费"])
    book.save(path)
    cli("import", path)
    assert show(cli, "TS-2025-0001")["received_at"] == "2025-03-03T14:30:00+08:00"
    assert show(cli, "TS-2025-0002")["received_at"] == "2025-03-04T09:05:00+08:00"
    generic = write_csv(tmp_path / "generic.csv", [
        ["日期", "时间", "投诉人", "投诉内容", "处理结果", "办结日期", "回访结果", "回访日期", "时间"],
        ["2025-05-06", "16:45", "孙九", "要求退费", "已退费", "2025-05-12", "满意", "2025-05-13", "10:00"],
    ])
    columns = [c["field"] for c in json.loads(cli("import", generic, "--show-map", "--json").stdout)["columns"]]
    # 时间 beside the day received joins it; the one after 回访日期 is no time of receipt
    assert columns == ["received_at", "received_time", "name", "request", "result", "resolved_at",
                       "callback_outcome", "called_at", None]
    cli("import", generic)
    assert show(cli, "TS-2025-0003")["received_at"] == "2025-05-06T16:45:00+08:00"
    other = write_csv(tmp_path / "times.csv", [
        ["日期", "时间", "投诉人", "投诉内容"],
        ["2025-05-06", "下班后", "钱八", "要求退费"],
    ])
    refused = cli("import", other, ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("row 2, 时间: '下班后' is not a time of day")


# the platform's own words, GBK, with ="…" numbers, as its export is saved on a branch's Windows PC
EXPORT_GBK = [
    ["序号", "工单编号", "诉求人", "联系电话", "诉求内容", "诉求类型", "转办时间", "办理时限", "处理情况", "回复时间"],
    ["1", '="202511060101"', "何平", "13912345678", "要求核实开户时费率约定", "服务及费用类", "2025-11-06",
     "2025-11-27", "已办结", "2025-11-20"],
    ["2", '="202511180233"', "罗兰", "15800001111", "两融合约展期未提醒", "信用业务类", "2025-11-18", "2025-12-09",
     "未办结", ""],
]


def test_a_gbk_12386_export_in_the_platforms_words_imports(cli, tmp_path):
    path = write_csv(tmp_path / "12386.csv", EXPORT_GBK, encoding="gbk")
    result = cli("import", path)
    assert "imported 2 complaint(s) from 12386.csv (TS-2025-0001 … TS-2025-0002): accepted 1, closed 1" in (
        result.stdout)
    done, open_ = show(cli, "TS-2025-0001"), show(cli, "TS-2025-0002")
    assert (done["transfer_no"], done["channel"], done["source"]) == ("202511060101", "regulator", "12386")
    assert (done["name"], done["request"], done["category"], done["reply_due"]) == (
        "何平", "要求核实开户时费率约定", "a5", "2025-11-27")
    assert day(done["resolved_at"]) == day(done["regulator_replied_at"]) == "2025-11-20"
    # 未办结: still open, accepted (the day not recorded), never completed
    assert open_["status"] == "accepted" and "resolved_at" not in open_ and "accepted_at" in open_["unrecorded"]
    assert open_["received_at"] == "2025-11-18T00:00:00+08:00"


def test_a_call_centres_ticket_is_never_a_regulator_ticket(cli, tmp_path):
    path = write_csv(tmp_path / "calls.csv", [
        ["投诉时间", "投诉人", "投诉内容", "工单号", "客服工单号"],
        ["2025-03-03 10:00", "王五", "要求解释扣费", "KF20250303001", ""],
        ["2025-03-04 10:00", "赵七", "要求退费", "12386-20250304-0011", "KF20250304007"],
    ])
    cli("import", path)
    kf = show(cli, "TS-2025-0001")
    assert "transfer_no" not in kf and kf.get("channel") != "regulator"
    assert [n["text"] for n in kf["notes"]] == ["客服工单号 KF20250303001"]
    both = show(cli, "TS-2025-0002")
    assert both["transfer_no"] == "12386-20250304-0011"
    assert [n["text"] for n in both["notes"]] == ["客服工单号 KF20250304007"]


# -- 6. facts from text ---------------------------------------------------------------------------------------

LEDGER_HEADER = ["序号", "投诉时间", "投诉人", "联系电话", "投诉内容", "处理人", "处理结果", "办结日期", "备注"]
LEDGER = [
    LEDGER_HEADER,
    # 1: a refusal in 处理结果 alone, its ground and notice with it
    [1, "2025-03-03 10:00", "王五", "13512345678", "要求解释扣费", "", "不予受理：非本营业部客户，已电话告知", "", ""],
    # 2: 处理结果 says only 不予受理; the ground and the notice in 备注
    [2, "2025-03-04 10:00", "赵七", "13612345678", "要求退费", "", "不予受理", "", "非本公司客户，已短信告知"],
    # 3: a refusal on a ground the words do not give: f), the words kept
    [3, "2025-03-05 10:00", "钱八", "13712345678", "要求赔偿", "", "不予受理：材料不全", "", ""],
    # 4: withdrawn, on the day the file gives
    [4, "2025-03-06 10:00", "孙九", "13812345678", "要求调整费率", "刘静", "客户撤诉", "2025-03-12", ""],
    # 5: withdrawn, written in 备注, no day given
    [5, "2025-03-07 10:00", "周十", "13912345678", "要求解除限制", "刘静", "", "", "客户撤回投诉"],
    # 6: an extension in 备注, and completed within it
    [6, "2025-03-10 11:00", "吴一", "13512340000", "要求核实交易", "王芳", "已核实并说明", "2025-04-21",
     "延期10个交易日，已告知客户"],
    # 7: a callback written only as text, the year from the row
    [7, "2025-11-20 09:00", "郑二", "13612340000", "要求解释利率", "王芳", "已解释", "2025-12-03",
     "12月5日电话回访，客户满意"],
    # 8: a callback across the year's end
    [8, "2025-12-10 09:00", "冯三", "13712340000", "要求退费", "王芳", "已退费", "2025-12-29", "1月3日回访，不满意"],
    # 9: a callback with no day in the file: 未记载, never the completion day
    [9, "2025-12-11 09:00", "陈四", "13812340000", "要求说明", "王芳", "已说明", "2025-12-30", "已电话回访，客户满意"],
]


def test_facts_written_in_the_result_or_notes_become_their_steps(cli, tmp_path):
    result = cli("import", write_csv(tmp_path / "ledger.csv", LEDGER))
    assert result.stderr == ""
    assert ("imported 9 complaint(s) from ledger.csv (TS-2025-0001 … TS-2025-0009): closed 4, rejected 3, "
            "terminated 2") in result.stdout
    assert ("read from text (处理结果, 备注): 3 refusal(s), 2 refusal notice(s), 2 withdrawal(s), 1 extension(s), "
            "2 callback(s), 1 callback(s) without a day (未记载)") in result.stdout
    first, second, third = (show(cli, f"TS-2025-000{n}") for n in (1, 2, 3))
    assert (first["status"], first["rejection"]["reason"], first["rejection"]["notified_via"]) == (
        "rejected", "not-customer", "phone")
    assert "accepted_at" not in first and "resolved_at" not in first
    assert (second["status"], second["rejection"]["reason"], second["rejection"]["notified_via"]) == (
        "rejected", "not-customer", "sms")
    assert "reject_notified_via" not in second["unrecorded"]  # the notice is not shown as owed
    assert (third["rejection"]["reason"], third["rejection"]["note"]) == ("other", "不予受理：材料不全")
    assert "reject_notified_via" in third["unrecorded"]
    withdrawn = show(cli, "TS-2025-0004")
    assert (withdrawn["status"], withdrawn["termination"]["reason"], day(withdrawn["terminated_at"])) == (
        "terminated", "withdrawn", "2025-03-12")
    assert "resolved_at" not in withdrawn and "closed_at" not in withdrawn
    assert withdrawn["termination"]["note"] == "客户撤诉"
    noted = show(cli, "TS-2025-0005")
    assert (noted["status"], noted["termination"]["reason"]) == ("terminated", "withdrawn")
    assert noted["termination"]["note"] == "客户撤回投诉"
    assert "terminated_at" in noted["unrecorded"]
    extended = show(cli, "TS-2025-0006")
    (extension,) = extended["extensions"]
    # received Mon 2025-03-10: 20 trading days end 04-08 (清明, Fri 04-04, closed); 10 more end 04-22
    assert (extension["days"], extension["new_due"], extension["notified"]) == (10, "2025-04-22", True)
    assert extension["reason"] == "延期10个交易日，已告知客户"  # the words as the file has them
    assert "extended_at" in extended["unrecorded"]
    completion = {d["kind"]: d for d in extended["deadlines"]}["completion"]
    assert completion["due"] == "2025-04-22"
    called = show(cli, "TS-2025-0007")
    assert [(day(c["at"]), c["outcome"], c["method"]) for c in called["callbacks"]] == [
        ("2025-12-05", "satisfied", "phone")]
    assert day(called["closed_at"]) == "2025-12-05"
    across = show(cli, "TS-2025-0008")
    assert [(day(c["at"]), c["outcome"]) for c in across["callbacks"]] == [("2026-01-03", "dissatisfied")]
    undated = show(cli, "TS-2025-0009")
    assert undated["callbacks"] == [] and "callback" in undated["unrecorded"]
    assert day(undated["closed_at"]) == "2025-12-30"
    more = [LEDGER_HEADER, [10, *LEDGER[1][1:]], [11, *LEDGER[2][1:]]]
    as_json = json.loads(cli("import", "--dry-run", write_csv(tmp_path / "more.csv", more), "--json").stdout)
    assert as_json["read_from_text"] == {"refusal": 2, "notice": 2} and as_json["would_record"] == 2


def test_accepted_in_its_column_but_refused_in_the_result_is_a_bad_row(cli, db_path, tmp_path):
    path = write_csv(tmp_path / "both.csv", [
        ["投诉时间", "投诉人", "投诉内容", "是否受理", "处理结果", "办结日期"],
        ["2025-03-03 10:00", "王五", "要求解释扣费", "是", "不予受理：非本营业部客户", "2025-03-05"],
    ])
    before = dump(db_path)
    refused = cli("import", path, ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        "row 2, 是否受理: '是', but 处理结果 says it was not accepted ('不予受理：非本营业部客户'); correct one of them")
    assert dump(db_path) == before


def test_a_callbacks_day_in_words_is_the_one_beside_it_and_never_moved_a_year_on(cli, db_path, tmp_path):
    header = ["投诉时间", "投诉人", "投诉内容", "处理结果", "办结日期", "备注"]
    cli("import", write_csv(tmp_path / "near.csv", [
        header, ["2025-06-16", "赵七", "要求说明", "已说明", "2025-06-30", "已于6月30日办结，7月2日电话回访，满意"]]))
    assert [day(c["at"]) for c in show(cli, "TS-2025-0001")["callbacks"]] == ["2025-07-02"]
    before = dump(db_path)
    # 3月1日 before a completion on 06-30: a mistake in the file, refused, never taken for 2026-03-01
    refused = cli("import", write_csv(tmp_path / "early.csv", [
        header, ["2025-06-16", "王五", "要求说明", "已说明", "2025-06-30", "3月1日电话回访，满意"]]), ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == "row 2, 备注 2025-03-01 is before 办结日期 2025-06-30 (CSA 9.4)"
    assert dump(db_path) == before


def test_a_callback_outcome_without_its_day_is_not_dated_on_the_completion_day(cli, tmp_path):
    path = write_csv(tmp_path / "outcome.csv", [
        ["投诉时间", "投诉人", "投诉内容", "处理结果", "办结日期", "回访结果"],
        ["2025-03-03 10:00", "王五", "要求解释扣费", "已解释", "2025-03-10", "满意"],
    ])
    cli("import", path)
    record = show(cli, "TS-2025-0001")
    assert record["callbacks"] == [] and "callback" in record["unrecorded"]
    assert [n["text"] for n in record["notes"]] == ["回访结果：满意（回访日期未记载）"]


# -- 9. --update ---------------------------------------------------------------------------------------------


def test_update_never_dates_a_decision_at_the_receipt_nor_adds_a_step_after_the_closing(cli, db_path, tmp_path):
    header = ["序号", "投诉时间", "投诉人", "投诉内容", "是否受理", "处理人", "处理结果", "办结日期", "回访日期", "回访结果"]
    first = write_csv(tmp_path / "ledger.csv", [
        header,
        [1, "2025-03-03 10:00", "王五", "要求解释扣费", "", "", "", "", "", ""],
        [2, "2025-03-04 10:00", "赵七", "要求退费", "是", "刘静", "已退费", "2025-03-20", "", ""],
    ])
    cli("import", first)
    later = write_csv(tmp_path / "ledger.csv", [
        header,
        [1, "2025-03-03 10:00", "王五", "要求解释扣费", "是", "刘静", "", "", "", ""],
        [2, "2025-03-04 10:00", "赵七", "要求退费", "是", "刘静", "已退费", "2025-03-20", "", ""],
    ])
    cli("import", later, "--update")
    record = show(cli, "TS-2025-0001")
    assert record["status"] == "assigned" and "accepted_at" in record["unrecorded"]
    text = cli("show", "TS-2025-0001").stdout
    assert "accepted at:" not in text or "not recorded" in text
    # the closed complaint, with a callback the file now dates after its closing on 03-20
    before = dump(db_path)
    late = write_csv(tmp_path / "ledger.csv", [
        header,
        [1, "2025-03-03 10:00", "王五", "要求解释扣费", "是", "刘静", "", "", "", ""],
        [2, "2025-03-04 10:00", "赵七", "要求退费", "是", "刘静", "已退费", "2025-03-20", "2025-03-25", "满意"],
    ])
    refused = cli("import", late, "--update", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        "row 3, 回访 2025-03-25 is after TS-2025-0002 was closed (2025-03-20); nothing is added after a complaint's "
        "closing: correct the date in the file, or the complaint by hand")
    assert dump(db_path) == before


# -- the samples: sample_data/text-facts-ledger.xlsx and 12386-export-gbk.csv (make_legacy.py) -----------------

SAMPLES = ROOT / "sample_data"


def test_the_text_facts_samples_give_the_2025_report_counted_by_hand(cli, tmp_path):
    with pytest.raises(UnicodeDecodeError):  # the platform's export as a branch's Windows PC saves it
        (SAMPLES / "12386-export-gbk.csv").read_text(encoding="utf-8")
    ledger = cli("import", SAMPLES / "text-facts-ledger.xlsx")
    assert ("imported 8 complaint(s) from text-facts-ledger.xlsx (TS-2025-0001 … TS-2025-0008): assigned 1, "
            "closed 4, rejected 2, terminated 1") in ledger.stdout
    assert ("read from text (处理结果, 备注): 2 refusal(s), 2 refusal notice(s), 1 withdrawal(s), 1 extension(s), "
            "1 callback(s), 1 callback(s) without a day (未记载)") in ledger.stdout
    assert "skipped 2 row(s) that are not complaints: 1 subtotal or total (row 12), 1 signature (row 13)" in (
        ledger.stdout)
    export = cli("import", SAMPLES / "12386-export-gbk.csv")
    assert "imported 2 complaint(s) from 12386-export-gbk.csv (TS-2025-0009 … TS-2025-0010): accepted 1, closed 1" in (
        export.stdout)
    assert "row 3 (202511030288) merged into TS-2025-0007" in export.stdout
    assert show(cli, "TS-2025-0001")["received_at"] == "2025-01-06T09:30:00+08:00"  # 接收日期 + 接收时间
    kf = show(cli, "TS-2025-0006")
    assert "transfer_no" not in kf and "客服工单号 KF20250901003" in [n["text"] for n in kf["notes"]]
    out = tmp_path / "2025.xlsx"
    cli("report", "--year", "2025", "--out", out)
    summary = openpyxl.load_workbook(out)["汇总"]
    figures = {r[0].strip(): r[1] for r in summary.iter_rows(values_only=True) if isinstance(r[0], str)}
    # received: the sheet's 8 rows and the export's 2 tickets the sheet lacks (郑二's is its row 7): 10.
    # Transfers: row 7, 何平, 陈四. Refused (both a): rows 2, 8. Accepted: the other 8.
    # Completed: rows 1, 4, 5, 6 and 何平; row 4 after its 10-day extension (due 05-08 → 05-22, done 05-20).
    # Terminated: row 3 (客户撤诉). Open at the year's end: 郑二 (row 7) and 陈四 (未办结).
    keys = ("本期接收投诉", "其中自行接收", "其中监管转办", "上期结转", "本期受理", "本期不予受理", "a) 非本机构客户",
            "f) 其他不予受理情形", "本期办结", "其中按期", "其中延期后按期", "其中超期", "本期终止处理", "期末未办结",
            "本期延期（次）", "本期延期天数合计")
    assert [figures[k] for k in keys] == [10, 7, 3, 0, 8, 2, 2, 0, 5, 4, 1, 0, 1, 2, 1, 10]
    # callbacks: row 1 (回访情况 日期 01-22) and row 5 (备注 7月2日), both satisfied and within 2 working days;
    # row 6's has no day, rows 4 and 何平's none at all: left out, never 未回访
    assert [figures[k] for k in ("本期应回访（件）", "本期已回访（次）", "满意", "不满意", "回访及时率")] == [2, 2, 2, 0, 1]
