"""`import --dry-run --review OUT.xlsx`: the import's own outcome for every row of the file, in the review's words.

Composed here, from what `intake.matching.record` decided in its transaction, for `outputs.review` to write:
the two packages never meet but through this module.
"""

from __future__ import annotations

from complaintctl.rules import clock, codes, identity
from complaintctl.rules.complaint import FIELD_BY_NAME, MASKS, UNRECORDED_LABELS

SKIPPED = {"blank": "空行", "total": "小计或合计行", "note": "表下注释行", "signature": "签名行（填表人、负责人）"}
SHEET_WHY = {
    "hidden": "隐藏的工作表（用 --sheet 名称 读取）",
    "empty": "空表",
    "no_header": "没有表头行",
    "headers_differ": "表头与 {sheet} 不同",
    "not_named": "未由 --sheet 指定",
}
STEP_LABELS = {
    "accepted": "受理",
    "rejected": "不予受理",
    "assigned": "处理人",
    "resolved": "办结",
    "regulator_replied": "监管转办回复",
    "called_back": "回访",
    "closed": "归档",
    "noted": "备注",
}


def _masked(name: str, value) -> str:
    if name == "name":
        return identity.mask_name(str(value)) or ""
    if name in MASKS:
        return str(MASKS[name](value))
    return str(value).replace("\n", " / ")


def _adds(change) -> str:
    """What a row adds to its complaint, personal data masked: 联系电话 138****5678，办结 2025-07-10."""
    said = [
        f"{FIELD_BY_NAME[name].label if name in FIELD_BY_NAME else name} {_masked(name, new)}"
        for name, (_old, new) in change.fills.items()
        if name != "unrecorded"
    ]
    said += [f"{STEP_LABELS.get(kind, kind)} {clock.day_of(clock.iso(at))}" for kind, at, *_rest in change.steps]
    return "，".join(said)


def _differs(change) -> str:
    from complaintctl.outputs.review import masked_text

    if not change.differs:
        return ""
    return "；与台账不同，未改动（需手工 amend）：" + masked_text("；".join(change.differs))


def _received(values: dict) -> str:
    at = values.get("received_at")
    if not at:
        return ""
    try:
        return clock.iso(clock.from_iso(at))[:16].replace("T", " ")
    except (TypeError, ValueError):
        return str(at)[:16]


def rows(tables, planned, done) -> list:
    """A review row for every row of the tables read: the complaint rows as the import decided, the rest skipped."""
    from complaintctl.outputs.review import Row, complainant, masked_text

    found: dict[int, Row] = {}

    def row(item, outcome: str, number: str | None, note: str) -> None:
        values = item.fields or {k: v for k, v in item.values.items() if isinstance(v, str)}
        found[id(item)] = Row(
            item.origin.get("sheet"),
            item.row,
            outcome,
            number,
            complainant(values),
            _received(item.fields) if item.fields else str(item.values.get("received_at") or "")[:16],
            note,
        )

    for item, number in zip(done.recorded, done.numbers):
        gaps = "、".join(dict.fromkeys(UNRECORDED_LABELS.get(g, g) for g in item.unrecorded))
        row(
            item,
            "new",
            number,
            f"新增为 {number}，状态：{codes.STATUSES.label(item.status)}" + (f"；未记载：{gaps}" if gaps else ""),
        )
    for item in done.already:
        number = done.where.get(id(item))
        row(item, "same", number, f"与 {number} 相同：已导入过，不再记录")
    for change in done.merged:
        row(
            change.item,
            "merged",
            change.number,
            f"合并入 {change.number}：{_adds(change) or '无新事实'}{_differs(change)}",
        )
    for change in done.carried:
        adds = _adds(change)
        note = f"上年续转的投诉 {change.number}（{change.item.carried} 年）" + (f"：记录 {adds}" if adds else "")
        row(change.item, "carried", change.number, note + _differs(change))
    for change in done.changed:
        adds = _adds(change)
        told = "将记录" if change.recorded else "不记录（--update 才记录）"
        note = f"自导入为 {change.number} 后已变更" + (f"：{adds}，{told}" if adds else "") + _differs(change)
        row(change.item, "changed", change.number, note)
    for item in done.fixed_before:
        row(item, "fixed_before", None, "此行有误，已由待修正文件改正后导入过：" + masked_text(item.error or ""))
    for item in done.bad:
        row(item, "bad", done.where.get(id(item)), masked_text(item.error or ""))
    for item in planned:  # every row has its outcome above; none is left out of the review
        if id(item) not in found:
            row(item, "bad" if item.error else "same", None, masked_text(item.error or ""))
    result = list(found.values())
    for table in tables:
        for kind, numbers in table.skipped.items():
            result += [
                Row(table.sheet, number, "skipped", note=f"跳过：{SKIPPED.get(kind, kind)}") for number in numbers
            ]
    order = {table.sheet: index for index, table in enumerate(tables)}
    return sorted(result, key=lambda r: (order.get(r.sheet, 0), r.row))


def sheets(sheets) -> list[tuple[str, int, bool, str]]:
    return [(s.name, s.rows, s.read, SHEET_WHY[s.why].format(sheet=s.like) if s.why else "") for s in sheets]
