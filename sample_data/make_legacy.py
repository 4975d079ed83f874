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


if __name__ == "__main__":
    legacy_workbook()
    transfers_csv()
    print("wrote sample_data/legacy-ledger.xlsx and sample_data/12386-transfers.csv")
