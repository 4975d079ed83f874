"""Writes the synthetic old ledgers in sample_data/ (run from the top folder; the output is committed).

    .venv/bin/python sample_data/make_legacy.py

legacy-ledger.xlsx: a hand-kept 2025 投诉台账 with the usual mess — a title row above two rows of
merged headers, dates as text in several forms, as date cells and as Excel serial numbers, full-width
digits, a blank row, a totals row, and two bad rows (row 8: a wrong ID check digit; row 11: completed
before it was assigned). 12386-transfers.csv: complaints transferred by the 12386 hotline, as its export
is saved by Excel on Chinese Windows: GB18030.
"""

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent

HEADER_TOP = ["序号", "投诉时间", "投诉人信息", None, None, "投诉方式", "来源", "业务类别", "投诉内容",
              "被投诉人", "受理情况", None, "处理人", "处理结果", "办结时间", "回访情况", None, "备注"]
HEADER_SUB = [None, None, "客户姓名", "证件号码", "联系电话", None, None, None, None,
              None, "是否受理", "受理时间", None, None, None, "回访时间", "回访结果", None]
ROWS = [
    ["2025-001", "2025/3/3 9:30", "张伟", "11010519491231002X", "138-1234-5678", "电话", "自行受理",
     "经纪业务-服务及费用类", "佣金费率高于约定", "李四", "是", "2025/3/4", "王芳", "已按约定费率调整并退还差额",
     "2025年3月20日", "2025-03-21", "满意", None],
    ["2025-002", datetime(2025, 4, 8, 14, 0), "陈静", None, "１３９０００１１２２３", "现场", "自行受理",
     "交易系统及软件", "交易软件行情延迟导致委托失败", None, "是", datetime(2025, 4, 9), "周志强",
     "已解释系统异常原因", 45776, None, None, "回访记录缺失"],
    ["2025-003", 45789, "刘洋", None, "021-6123 4567", "信函", "自行受理", "a2", "委托未成交要求赔偿",
     None, "否", "2025.05.12", None, None, None, None, None, "同一事实已答复"],
    ["2025-004", "2025-06-16 10:00", "赵敏", None, "+86 137 0000 1111", "网络", "12386", "经纪业务-产品类",
     "理财产品风险等级与告知不符", "孙悦", "是", "2025-06-17", "刘静", "已补充风险揭示并致歉", "2025-07-10",
     "2025-07-11", "不满意", None],
    ["2025-005", "2025/8/4", "黄磊", "11010519491231001X", "13512345678", "电话", "自行受理",
     "经纪业务-账户及权限类", "销户办理缓慢", None, "是", "2025/8/5", "王芳", "已办结", "2025/8/20", None, None,
     None],
    [None] * 18,
    ["2025-006", "2025/9/1", "吴芳", None, "13600001111", "电话", "自行受理", "经纪业务-信用业务类",
     "融资融券强制平仓", None, "是", "2025/9/2", "周志强", None, None, None, None, "处理中"],
    ["2025-007", "2025/10/9", "郑强", None, "13711112222", "电话", "自行受理", "经纪业务-服务及费用类",
     "客户经理服务态度差", None, "是", "2025/10/10", "刘静", "已批评教育相关员工", "2025/10/8", None, None, None],
    ["2025-008", "20251103", "冯雪", None, "13822223333", "现场", "自行受理", "其他投诉", "营业部停车不便",
     None, None, None, None, None, None, None, None, None],
    ["合计", None, "8 件", None, None, None, None, None, None, None, None, None, None, None, None, None, None,
     None],
]


def legacy_workbook() -> None:
    book = Workbook()
    ws = book.active
    ws.title = "2025年投诉台账"
    ws.append(["某某证券深圳福田路证券营业部 投诉台账（2025年）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER_TOP))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(HEADER_TOP)
    ws.append(HEADER_SUB)
    for first, last in ((3, 5), (11, 12), (16, 17)):  # the merged group headers
        ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)
    for column, top in enumerate(HEADER_TOP, 1):  # the others span both header rows
        if top is not None and HEADER_SUB[column - 1] is None and column not in (3, 11, 16):
            ws.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for row in ROWS:
        ws.append(row)
    for cell in ws["B"][3:] + ws["L"][3:] + ws["O"][3:]:
        if isinstance(cell.value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm" if cell.value.hour else "yyyy-mm-dd"
    book.properties.creator = "complaintctl sample"
    book.properties.created = book.properties.modified = datetime(2026, 1, 5, 9, 0)  # the same bytes each run
    book.save(HERE / "legacy-ledger.xlsx")


TRANSFERS = [
    ["工单号", "登记时间", "投诉人", "联系电话", "投诉内容", "被投诉人", "业务类别", "来源"],
    ["12386-20251106-0101", "2025-11-06 10:12", "何平", "13912345678", "要求核实开户时费率约定", None, "a5",
     "12386热线"],
    ["12386-20251118-0233", "2025/11/18 15:40", "罗兰", "15800001111", "两融合约展期未提醒", "孙悦", "a6",
     "12386热线"],
]


def transfers_csv() -> None:
    with open(HERE / "12386-transfers.csv", "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows(TRANSFERS)


# -- a branch's 2024–2025 ledger, the 12386 platform's export of the same year, and the year-end copy in WPS --
#
# branch-ledger.xlsx: one sheet a year, 序号 restarting at 1, as the office keeps it, in its own words (来电,
# 来访, 客户直接投诉, √, ×, 基本满意, 未接通, and / or - for nothing). 2024 row 4 is a group complaint
# (王建国等12人); 2024 row 3 and 2025 row 5 are refusals whose reason sits in 处理结果; 2024 row 6 has no
# 受理时间; 2025 row 2's ID was typed into a number cell, so Excel kept 445202195610137000 (bad).
# 12386-export-2025.csv: six tickets; three are in the ledger (2025 rows 3, 4, 6), three are not.
# branch-ledger-2025-wps.csv: the 2025 sheet as saved by WPS in January 2026: rows 6 and 7 since completed,
# row 2's ID typed again as text.

BRANCH_HEADER = ["序号", "投诉时间", "投诉人", "证件类型", "证件号码", "联系电话", "投诉方式", "投诉渠道", "转办单号",
                 "业务类别", "投诉内容", "被投诉人", "是否受理", "受理时间", "处理人", "处理结果", "办结日期",
                 "回访日期", "回访结果", "回访人", "告知方式", "备注"]
ID_LOST = 445202195610137000  # what Excel keeps of 445202195610137024 in a number cell
BRANCH_2024 = [
    [1, "2024-03-05 09:10", "张伟", "身份证", "11010519491231002X", "13812345678", "来电", "客户直接投诉", "/",
     "经纪业务-服务及费用类", "佣金费率高于开户时约定", "李四", "√", "2024-03-06", "王芳", "已按约定费率调整并退还差额",
     "2024-03-20", "2024-03-22", "基本满意", "李娜", "-", None],
    [2, "2024-05-10 14:30", "陈静", "-", "-", "13900011223", "来访", "客户直接投诉", "/", "交易系统及软件",
     "交易软件行情延迟导致委托失败", "/", "√", "2024-05-11", "周志强", "已解释系统异常原因并致歉", "2024-05-30", "/",
     "/", "/", "-", None],
    [3, "2024-07-01 10:00", "刘洋", "-", "-", "021-6123 4567", "来信", "客户直接投诉", "/", "证券交易委托类",
     "委托未成交要求赔偿", "/", "×", "2024-07-02", "/", "同一事实已于2024年5月答复，不予受理", "/", "/", "/", "/",
     "电话", None],
    [4, "2024-09-12 09:30", "王建国等12人", "-", "-", "13711112222", "来访", "客户直接投诉", "/", "信用业务类",
     "融资融券强制平仓前未通知", "/", "√", "2024-09-13", "刘静", "已核查通知记录并逐一说明", "2024-10-15",
     "2024-10-17", "满意", "李娜", "-", "群体投诉，共12人，推选代表3人"],
    [5, "2024-11-04 16:20", "赵敏", "-", "-", "13700001111", "网络", "12386转办", "GD12386-2024-0117",
     "经纪业务-产品类", "理财产品风险等级与告知不符", "孙悦", "√", "2024-11-05", "刘静", "已补充风险揭示并致歉",
     "2024-11-25", "2024-11-27", "未接通", "李娜", "-", None],
    [6, "2024-12-20 11:00", "黄磊", "身份证", "110105198001011238", "13512345678", "来电", "客户直接投诉", "/",
     "账户及权限类", "销户办理缓慢", "/", "√", "-", "王芳", "已协调加快办理", "2025-01-10", "2025-01-13", "满意",
     "李娜", "-", None],
]
BRANCH_2025 = [
    [1, "2025-01-06 09:40", "孙丽", "-", "-", "13600001111", "来电", "客户直接投诉", "/", "服务及费用类",
     "客户经理服务态度差", "钱七", "√", "2025-01-07", "王芳", "已批评教育相关员工并致歉", "2025-01-20", "2025-01-22",
     "满意", "李娜", "-", None],
    [2, "2025-02-14 15:00", "周强", "身份证", ID_LOST, "13822223333", "来访", "客户直接投诉", "/", "账户及权限类",
     "要求解除账户限制", "/", "√", "2025-02-17", "周志强", "已核实并解除限制", "2025-03-05", "2025-03-07", "满意",
     "李娜", "-", None],
    [3, "2025-04-02 10:15", "吴芳", "-", "-", "13611112222", "来电", "12386", "12386-20250402-0021", "信用业务类",
     "两融合约展期未提醒", "/", "√", "2025-04-03", "周志强", "已补发提醒并调整展期", "2025-04-25", "2025-04-28",
     "满意", "李娜", "-", None],
    [4, "2025-06-18 14:00", "郑强", "-", "-", "13911112222", "来电", "12386", "12386-20250618-0107", "账户及权限类",
     "开户资料被要求重复提交", "/", "√", "2025-06-19", "刘静", "已说明补充材料原因", "2025-07-08", "/", "/", "/", "-",
     None],
    [5, "2025-09-09 10:30", "冯雪", "-", "-", "13822229999", "来访", "客户直接投诉", "/", "其他投诉",
     "营业部停车不便", "/", "×", "2025-09-10", "/", "非证券业务投诉，已告知物业联系方式", "/", "/", "/", "/", "短信",
     None],
    [6, "2025-10-20 09:00", "何平", "-", "-", "13912345678", "来电", "12386", "12386-20251020-0233", "服务及费用类",
     "要求核实开户时费率约定", "/", "√", "2025-10-21", "王芳", None, None, None, None, None, "-", None],
    [7, "2025-11-25 13:20", "罗兰", "-", "-", "15800001111", "来电", "客户直接投诉", "/", "证券交易委托类",
     "撤单未成功", "/", "√", "2025-11-26", "周志强", None, None, None, None, None, "-", None],
]
# The same year as saved at its end: rows 6 and 7 completed since, row 2's ID typed again as text.
LATER = {6: ["已核实费率并退还差额", "2025-11-14", "2025-11-17", "满意", "李娜"],
         7: ["已查明撤单失败原因并说明", "2025-12-19", "2025-12-22", "基本满意", "李娜"]}
EXPORT_HEADER = ["工单编号", "登记时间", "转办日期", "投诉人", "联系电话", "投诉内容", "业务类别", "办理时限", "办理状态",
                 "回复内容", "回复时间"]
EXPORT_2025 = [
    ["12386-20250312-0009", "2025-03-11 16:02", "2025-03-12", "马超", "13300001111", "要求解释融资利率调整",
     "信用业务类", "2025-03-28", "已办结", "已向投资者说明利率调整依据", "2025-03-26"],
    ["12386-20250402-0021", "2025-04-01 20:11", "2025-04-02", "吴芳", "13611112222", "两融合约展期未提醒",
     "信用业务类", "2025-04-22", "已办结", "营业部已补发提醒并调整展期，投资者表示认可", "2025-04-25"],
    ["12386-20250618-0107", "2025-06-17 09:30", "2025-06-18", "郑强", "13911112222", "开户资料被要求重复提交",
     "账户及权限类", "2025-07-10", "已办结", "已向投资者说明补充材料原因", "2025-07-09"],
    ["12386-20250815-0150", "2025-08-14 11:45", "2025-08-15", "林涛", "13500002222", "行情软件闪退",
     "交易系统及软件", "2025-09-05", "已办结", "已协助升级软件版本", "2025-09-01"],
    ["12386-20251020-0233", "2025-10-19 18:30", "2025-10-20", "何平", "13912345678", "要求核实开户时费率约定",
     "服务及费用类", "2025-11-14", "办理中", None, None],
    ["12386-20251103-0288", "2025-11-02 10:05", "2025-11-03", "高原", "13700003333", "基金赎回到账慢",
     "产品类", "2025-11-21", "已办结", "已说明赎回到账规则", "2025-11-19"],
]


def _title(ws, text: str, width: int, row: int, size: int) -> None:
    ws.cell(row=row, column=1, value=text).font = Font(bold=row == 1, size=size)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def branch_workbook() -> None:
    book = Workbook()
    book.remove(book.active)
    for year, rows in ((2024, BRANCH_2024), (2025, BRANCH_2025)):
        ws = book.create_sheet(f"{year}年")
        _title(ws, f"某某证券深圳福田路证券营业部 客户投诉登记台账（{year}年）", len(BRANCH_HEADER), 1, 14)
        _title(ws, "填表单位：合规管理岗　　填表人：王芳　　审核：刘静", len(BRANCH_HEADER), 2, 10)
        ws.append(BRANCH_HEADER)
        for row in rows:
            ws.append(row)
        ws.cell(row=ws.max_row + 1, column=1, value="合计")
        ws.cell(row=ws.max_row, column=3, value=f"{len(rows)} 件")
    book.properties.creator = "complaintctl sample"
    book.properties.created = book.properties.modified = datetime(2025, 12, 1, 9, 0)
    book.save(HERE / "branch-ledger.xlsx")


def export_csv() -> None:
    with open(HERE / "12386-export-2025.csv", "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([EXPORT_HEADER, *EXPORT_2025])


def wps_csv() -> None:
    """WPS on Chinese Windows: GB18030, CRLF line ends, every cell text (the ID typed again as text)."""
    rows = []
    for row in BRANCH_2025:
        row = list(row)
        if row[0] in LATER:
            row[15:20] = LATER[row[0]]
        if row[4] == ID_LOST:
            row[4] = "445202195610137024"
        rows.append(["" if v is None else str(v) for v in row])
    with open(HERE / "branch-ledger-2025-wps.csv", "w", encoding="gb18030", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([BRANCH_HEADER, *rows])


# -- facts written in words, two-row headers, the platform's 诉求 words (issue 43, points 5 and 6) --
#
# text-facts-ledger.xlsx: a 2025 sheet under a title, its header in two rows: 处理情况 merged over 处理人 | 处理结果 |
# 办结日期, 回访情况 over 日期 | 结果, and the time of receipt in its own column (接收日期 | 接收时间). What the
# office did is often written only in words: row 2 refused in 处理结果 (非本营业部客户, 备注 已电话告知), row 3
# withdrawn (客户撤诉), row 4 extended in 备注 (延期10个交易日，已告知客户: completed 05-20, within the 05-22 it
# moved to), row 5's callback only in 备注 (7月2日电话回访，客户满意), row 6's without a day (已回访，客户满意:
# 未记载) and with a call centre's KF ticket in 工单号, row 8 refused with its ground in 备注. Row 7 is a 12386
# transfer still in hand at the year's end. A 合计 row and the signatures close the sheet.
# 12386-export-gbk.csv: the platform's export in its own words (工单编号, 诉求人, 诉求内容, 办理时限 …), GBK, its
# tickets as ="…": 何平's answered, 郑二's the ledger's row 7 (merged), 陈四's 未办结 (open at the year's end).

TEXT_TOP = ["序号", "接收日期", "接收时间", "投诉人", "联系电话", "投诉渠道", "工单号", "投诉内容", "处理情况", None, None,
            "回访情况", None, "备注"]
TEXT_SUB = [None, None, None, None, None, None, None, None, "处理人", "处理结果", "办结日期", "日期", "结果", None]
TEXT_2025 = [
    [1, "2025-01-06", "09:30", "王五", "13512345678", "客户直接投诉", "/", "要求解释扣费", "王芳", "已解释扣费依据",
     "2025-01-20", "2025-01-22", "满意", None],
    [2, "2025-02-10", "14:00", "赵七", "13612345678", "客户直接投诉", "/", "要求开通创业板权限", None,
     "不予受理：非本营业部客户", None, None, None, "已电话告知"],
    [3, "2025-03-03", "10:15", "钱八", "13712345678", "客户直接投诉", "/", "要求赔偿交易损失", "刘静", "客户撤诉",
     "2025-03-12", None, None, None],
    [4, "2025-04-07", "11:00", "孙九", "13812345678", "客户直接投诉", "/", "佣金多收要求退还", "周志强",
     "已核实并退还差额", "2025-05-20", None, None, "延期10个交易日，已告知客户"],
    [5, "2025-06-16", "09:00", "周十", "13912345678", "客户直接投诉", "/", "费率调整未通知", "王芳", "已说明费率调整",
     "2025-06-30", None, None, "7月2日电话回访，客户满意"],
    [6, "2025-09-01", "15:20", "吴一", "13512340000", "客户直接投诉", "KF20250901003", "交易权限被误限制", "刘静",
     "已协调恢复交易权限", "2025-09-10", None, None, "已回访，客户满意"],
    [7, "2025-11-03", "10:00", "郑二", "13612340000", "12386", "12386-20251103-0288", "基金赎回到账慢", "周志强", None,
     None, None, None, None],
    [8, "2025-12-01", "16:00", "冯三", "13712340000", "客户直接投诉", "/", "要求查询他人账户", None, "不予受理", None,
     None, None, "非本公司客户，已短信告知"],
]
GBK_HEADER = ["序号", "工单编号", "诉求人", "联系电话", "诉求内容", "诉求类型", "转办时间", "办理时限", "处理情况", "回复时间"]
GBK_2025 = [
    ["1", '="202510150101"', "何平", "13912340000", "要求核实开户时费率约定", "服务及费用类", "2025-10-15", "2025-11-05",
     "已办结", "2025-11-03"],
    ["2", '="202511030288"', "郑二", "13612340000", "基金赎回到账慢", "产品类", "2025-11-03", "2025-11-24", "未办结", ""],
    ["3", '="202512090301"', "陈四", "13812340000", "两融合约展期未提醒", "信用业务类", "2025-12-09", "2025-12-30",
     "未办结", ""],
]


def text_facts_workbook() -> None:
    book = Workbook()
    ws = book.active
    ws.title = "2025年"
    _title(ws, "某某证券深圳福田路证券营业部 投诉登记台账（2025年）", len(TEXT_TOP), 1, 14)
    ws.append(TEXT_TOP)
    ws.append(TEXT_SUB)
    ws.merge_cells(start_row=2, start_column=9, end_row=2, end_column=11)  # 处理情况
    ws.merge_cells(start_row=2, start_column=12, end_row=2, end_column=13)  # 回访情况
    for column, top in enumerate(TEXT_TOP, 1):  # the others span both header rows
        if top is not None and column not in (9, 12):
            ws.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for row in TEXT_2025:
        ws.append(row)
    ws.append(["合计", None, None, f"{len(TEXT_2025)} 件"])
    ws.append(["填表人：王芳　　负责人：刘静"])
    book.properties.creator = "complaintctl sample"
    book.properties.created = book.properties.modified = datetime(2026, 1, 5, 9, 0)
    book.save(HERE / "text-facts-ledger.xlsx")


def gbk_export_csv() -> None:
    with open(HERE / "12386-export-gbk.csv", "w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows([GBK_HEADER, *GBK_2025])


if __name__ == "__main__":
    legacy_workbook()
    transfers_csv()
    branch_workbook()
    export_csv()
    wps_csv()
    text_facts_workbook()
    gbk_export_csv()
    print("wrote sample_data/legacy-ledger.xlsx, 12386-transfers.csv, branch-ledger.xlsx, 12386-export-2025.csv, "
          "branch-ledger-2025-wps.csv, text-facts-ledger.xlsx and 12386-export-gbk.csv")
