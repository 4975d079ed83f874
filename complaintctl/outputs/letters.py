"""The papers the standard asks for, written from the ledger as it stands: Word documents (.docx).

Each kind has a built-in Chinese template, made here with python-docx and filled by docxtpl (Jinja
placeholders such as `{{ complainant }}`); a firm may set its own .docx per kind (`config set
letter-template.KIND PATH`), held to the same placeholders. A letter goes to the complainant, so
personal data is in full: the file is written privately (0600), recorded as an `unmasked` event with
its SHA-256 before it appears under its name, and, when it is sent (`--sent-via`), as a `letter_sent`
event on the complaint, which satisfies a notice the rules ask for.

Filling is sandboxed (a template is a file from outside) and escaped (a complainant's text is text).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from complaintctl.rules import clock, codes
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

KINDS = codes.LETTER_KINDS  # kind -> (the paper's Chinese name, the rule that asks for it)
SENT_VIA = codes.CodeList(
    "--sent-via",
    "Firm 17",
    {
        "letter": ("信函", "mail"),
        "email": ("电子邮件", "e-mail"),
        "sms": ("短信", "text message"),
        "onsite": ("现场送达", "in person"),
    },
    aliases={"邮寄": "letter", "快递": "letter", "邮件": "email", "当面": "onsite", "现场": "onsite"},
)

# Every placeholder a template may use, with what it holds (README "Letters"). A template naming any other
# is refused: a misspelt placeholder would print as nothing.
PLACEHOLDERS = {
    "branch": "营业部（分支机构）名称，config set branch",
    "title": "文书名称",
    "number": "投诉编号",
    "date": "文书日期（YYYY年M月D日）",
    "complainant": "投诉人姓名或机构名称",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "phone": "联系电话",
    "address": "联系地址",
    "agent": "代理人（姓名、证件号码、电话）",
    "received": "接收日期",
    "method": "投诉方式",
    "channel": "投诉渠道",
    "source": "转办来源",
    "transfer_no": "转办工单号",
    "reply_due": "监管回复期限",
    "category": "业务类别",
    "request": "投诉请求",
    "facts": "主要事实与理由",
    "respondent": "被投诉人（员工）",
    "respondent_dept": "被投诉部门",
    "complainants": "投诉人数",
    "major": "是否重大投诉（是/否）",
    "status": "当前状态",
    "acceptor": "受理人",
    "accepted_on": "受理日期",
    "decision_text": "受理决定（文字）：受理或不予受理，日期、作出决定的人及理由；尚未决定的写明",
    "handler": "处理人",
    "dept": "责任部门",
    "officer": "经办人：处理人，未派发的为作出决定的人",
    "completion_due": "办结期限",
    "original_due": "原办结期限",
    "extension_days": "本次延期天数",
    "extension_unit": "延期天数的单位（交易日/工作日）",
    "extension_reason": "延期原因",
    "extension_approved_by": "延期审批人",
    "new_due": "延期后的办结期限",
    "reject_reason": "不予受理原因",
    "reject_rule": "不予受理所依条款",
    "reject_note": "不予受理说明",
    "result": "处理意见（处理结果）",
    "resolved_on": "办结日期",
    "compensation": "赔偿（补偿）金额（元）",
    "facts_found": "投诉事实及经过",
    "cause": "投诉原因及内控分析",
    "accountability": "内部责任追究",
    "improvement": "存在的不足及管理改进措施",
    "suggestions": "相关工作建议",
    "advice": "对处理意见不满意时的途径（调解、仲裁、诉讼），CSA 9.3(b)",
    "approvals": "审批记录（列表，每项有 what、by、on、amount、note）",
    "approvals_text": "审批记录（文字，一项一行）",
    "callbacks_text": "回访记录（文字，一项一行）",
    "escalations_text": "重大投诉上报记录（文字，一项一行）",
    "letters_text": "文书送达记录（文字，一项一行）",
    "regulator_reply_text": "向监管转办系统回复的文字",
}

DAY_UNITS = {"trading": "交易日", "working": "工作日"}
ADVICE = (
    "如您对上述处理意见有异议，可向中证资本市场法律服务中心等调解组织申请调解；调解不成的，"
    "可依法申请仲裁或向人民法院提起诉讼。"
)


@dataclass
class Letter:
    kind: str
    path: Path
    sha256: str
    text_path: Path | None  # the regulator reply's plain text, beside it
    record: dict


def title(kind: str) -> str:
    return KINDS[kind][0]


# The names offices give these papers.
KIND_WORDS = {
    "不予受理告知": "refusal",
    "不予受理通知书": "refusal",
    "进展告知": "progress",
    "延期告知": "extension",
    "延期通知书": "extension",
    "答复函": "opinion",
    "处理意见": "opinion",
    "处理意见书": "opinion",
    "被投诉人告知": "respondent-result",
    "登记表": "record",
    "投诉登记表": "record",
    "处理单": "record",
    "客户投诉处理单": "record",
    "监管回复": "regulator-reply",
    "转办回复": "regulator-reply",
}


def kind_of(text: str) -> str:
    """A kind by its code, its Chinese name, or the name offices give it (登记表, 答复函 …)."""
    plain = clock.typed(text)
    if plain in KIND_WORDS:
        return KIND_WORDS[plain]
    for kind, (zh, _rule) in KINDS.items():
        if plain in (kind, zh):
            return kind
    raise ComplaintError(
        _("unknown letter {kind!r}; choose one of {kinds}").format(
            kind=text, kinds=", ".join(f"{k} ({zh})" for k, (zh, _rule) in KINDS.items())
        )
    )


# -- what each kind needs ----------------------------------------------------------------------------


def lacks(kind: str, record: dict) -> tuple[str, str] | None:
    """(what it still lacks, rule) when the ledger does not hold what this kind of letter says yet."""
    number, status = record["id"], record["status"]
    if status == "voided":
        return _("{id}'s registration was voided: it counts nowhere and is sent no letter").format(id=number), "CSA 9.4"
    if kind == "refusal" and not record.get("rejected_at"):
        return _("{id} was not refused (不予受理); a refusal notice tells the reason of a refusal").format(
            id=number
        ), KINDS[kind][1]
    if kind == "progress" and status not in ("accepted", "assigned"):
        return _("{id} is {status}; a progress notice is for a complaint accepted and still being handled").format(
            id=number, status=codes.STATUSES.label(status)
        ), KINDS[kind][1]
    if kind == "extension" and not record.get("extensions"):
        return _("{id} has no extension; record it first with `complaintctl extend`").format(id=number), KINDS[kind][1]
    if kind in ("opinion", "respondent-result") and not record.get("resolved_at"):
        return _("{id} has no result yet; record it first with `complaintctl resolve`").format(id=number), KINDS[kind][
            1
        ]
    if kind == "respondent-result" and not (record.get("respondent") or record.get("respondent_dept")):
        return _("{id} names no respondent (被投诉人) to tell").format(id=number), KINDS[kind][1]
    if kind == "regulator-reply":
        if record.get("channel") != "regulator":
            return _("{id} was received directly, not transferred by a regulator").format(id=number), KINDS[kind][1]
        if not (record.get("resolved_at") or record.get("rejected_at") or record.get("terminated_at")):
            return _("{id} has no result, refusal or termination yet to report").format(id=number), KINDS[kind][1]
    return None


# -- the facts ------------------------------------------------------------------------------------------


def _day(text: str | None) -> str:
    if not text:
        return ""
    day = clock.day_of(text) if isinstance(text, str) else text
    return f"{day.year}年{day.month}月{day.day}日"


def _sentence(text: str) -> str:
    """A note typed without its full stop ends as a sentence of the letter does."""
    text = text.strip()
    return text if not text or text[-1] in "。！？；…!?.;）)」”" else text + "。"


def facts(record: dict, *, branch: str, on: date, deadlines: dict) -> dict:
    """Every placeholder's value for this complaint, as the ledger holds it now."""
    rejection = record.get("rejection") or {}
    resolution = record.get("resolution") or {}
    investigation = record.get("investigation") or {}
    extensions = record.get("extensions") or []
    last = extensions[-1] if extensions else {}
    completion = deadlines.get("completion")
    approvals = [
        {
            "what": codes.APPROVALS.label(a["what"]),
            "by": a["by"],
            "on": _day(a["at"]),
            "amount": a.get("amount") or "",
            "note": a.get("note") or "",
        }
        for a in record.get("approvals", [])
    ]
    agent = "，".join(
        v for v in (record.get("agent_name"), record.get("agent_id_number"), record.get("agent_phone")) if v
    )
    callbacks = [
        f"{_day(c['at'])} {c.get('by') or ''} {codes.CALLBACK_OUTCOMES.label(c['outcome'])}"
        + (f"：{c['note']}" if c.get("note") else "")
        for c in record.get("callbacks", [])
    ]
    reason = rejection.get("reason")
    values = {
        "branch": branch,
        "number": record["id"],
        "date": _day(on.isoformat()),
        "complainant": record.get("institution") or record.get("name") or "",
        "id_type": codes.ID_TYPES.label(record.get("id_type")),
        "id_number": record.get("id_number") or "",
        "phone": record.get("phone") or "",
        "address": record.get("address") or "",
        "agent": agent,
        "received": _day(record["received_at"]),
        "method": codes.METHODS.label(record.get("method")),
        "channel": codes.CHANNELS.label(record.get("channel")),
        "source": record.get("source") or "",
        "transfer_no": record.get("transfer_no") or "",
        "reply_due": _day(record.get("reply_due")),
        "category": codes.CATEGORIES.label(record.get("category")),
        "request": record.get("request") or "",
        "facts": record.get("facts") or "",
        "respondent": record.get("respondent") or "",
        "respondent_dept": record.get("respondent_dept") or "",
        "complainants": str(record.get("complainants") or 1),
        "major": "是" if record.get("major") else "否",
        "status": codes.STATUSES.label(record["status"]),
        "acceptor": record.get("accepted_by") or record.get("acceptor") or "",
        "accepted_on": _day(record.get("accepted_at")),
        "handler": record.get("handler") or "",
        "dept": record.get("dept") or "",
        "officer": record.get("handler") or record.get("rejected_by") or record.get("accepted_by") or "",
        "completion_due": _day(completion.due.isoformat()) if completion else "",
        "original_due": _day(completion.original_due.isoformat()) if completion else "",
        "extension_days": str(last.get("days") or ""),
        "extension_unit": DAY_UNITS.get(completion.unit, "") if completion else "",
        "extension_reason": last.get("reason") or "",
        "extension_approved_by": last.get("approved_by") or "",
        "new_due": _day(last.get("new_due")),
        "reject_reason": codes.REJECT_REASONS.label(reason) if reason else "",
        # Cited as a Chinese letter cites a standard: 第9.1.1条c)项, the clause's own lettering.
        "reject_rule": f"第9.1.1条{codes.REJECT_ITEMS[reason]})项" if reason else "",
        "reject_note": _sentence(rejection.get("note") or ""),
        "result": resolution.get("result") or "",
        "resolved_on": _day(record.get("resolved_at")),
        "compensation": resolution.get("compensation") or "",
        **{
            name: investigation.get(name) or ""
            for name in ("facts_found", "cause", "accountability", "improvement", "suggestions")
        },
        "advice": ADVICE,
        "approvals": approvals,
        "approvals_text": "\n".join(
            f"{a['on']} {a['by']} 审批{a['what']}"
            + (f"（不超过 {a['amount']} 元）" if a["amount"] else "")
            + (f"：{a['note']}" if a["note"] else "")
            for a in approvals
        )
        or "无",
        "callbacks_text": "\n".join(callbacks) or "无",
        "escalations_text": "\n".join(
            f"{_day(e['at'])} {e.get('by') or ''} 上报{e['to']}" for e in record.get("escalations", [])
        )
        or "无",
        "letters_text": "\n".join(
            f"{_day(x['at'])} {title(x['kind']) if x['kind'] in KINDS else x['kind']} {SENT_VIA.label(x['via'])}"
            for x in record.get("letters", [])
        )
        or "无",
    }
    values["decision_text"] = decision_text(record, values)
    values["regulator_reply_text"] = regulator_text(record, values)
    return values


def decision_text(record: dict, values: dict) -> str:
    """The acceptance decision of CSA 9.1.1 as the record form states it, whichever way it went."""
    if record.get("rejected_at") or record.get("status") == "rejected":
        note = ((record.get("rejection") or {}).get("note") or "").strip().rstrip("。")
        note = note and f"；说明：{note}"
        who = record.get("rejected_by") or "未记载"
        return (
            f"{_day(record.get('rejected_at')) or '（日期未记载）'} 不予受理：{values['reject_reason']}"
            f"（《证券公司投诉处理标准》{values['reject_rule']}）{note}；决定人：{who}"
        )
    if record.get("accepted_at"):
        return f"{values['accepted_on']} 受理；受理人：{values['acceptor']}"
    if record.get("status") != "received":  # an old ledger's row that never said when it was accepted
        return f"已受理（受理日期未记载）；受理人：{values['acceptor'] or '未记载'}"
    return "尚未作出受理决定"


def regulator_text(record: dict, values: dict) -> str:
    """What the specialist pastes into the regulator's transfer system (CSA 9.2.2(e))."""
    lines = [
        f"工单号：{values['transfer_no'] or '（未记载）'}",
        f"投诉人：{values['complainant']}",
        f"接收日期：{values['received']}",
        f"投诉请求：{values['request']}",
    ]
    if record.get("rejected_at"):
        lines += [
            f"处理情况：经审查，{values['reject_reason']}（《证券公司投诉处理标准》{values['reject_rule']}），决定不予受理，"
            f"已于{_day(record['rejected_at'])}告知投诉人。"
            + (values["reject_note"] and f"说明：{values['reject_note']}")
        ]
    elif record.get("terminated_at"):
        lines += [
            f"处理情况：{codes.TERMINATE_REASONS.label((record.get('termination') or {}).get('reason'))}，"
            f"于{_day(record['terminated_at'])}终止处理。"
        ]
    else:
        lines += [
            f"受理日期：{values['accepted_on']}",
            f"调查核实情况：{values['facts_found'] or '（见处理意见）'}",
            f"处理意见：{values['result']}",
            f"办结日期：{values['resolved_on']}",
        ]
        if values["compensation"]:
            lines.append(f"赔偿（补偿）金额：{values['compensation']} 元")
        if record.get("callbacks"):
            lines.append(f"回访情况：{values['callbacks_text']}")
    lines.append(f"回复单位：{values['branch']}")
    return "\n".join(lines)


# -- the templates ----------------------------------------------------------------------------------------

BODIES = {
    "refusal": [
        "{{ complainant }}：",
        "　　您于{{ received }}向我部提出的投诉（投诉编号：{{ number }}），投诉请求为：{{ request }}",
        "　　经审查，您的投诉属于{{ reject_reason }}的情形（《证券公司投诉处理标准》{{ reject_rule }}），"
        "我部决定不予受理。{% if reject_note %}说明：{{ reject_note }}{% endif %}",
        "　　如您对本决定有疑问，可与我部联系。",
        "　　特此告知。",
    ],
    "progress": [
        "{{ complainant }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}）已于{{ accepted_on }}受理，现正在调查处理中，"
        "我部将于{{ completion_due }}前办结并将处理意见告知您。",
        "　　投诉请求：{{ request }}",
        "　　处理过程中如需补充材料，我部将及时与您联系。",
        "　　特此告知。",
    ],
    "extension": [
        "{{ complainant }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}）原定于{{ original_due }}前办结。"
        "因{{ extension_reason }}，经{{ extension_approved_by }}批准，"
        "办理期限延长{{ extension_days }}个{{ extension_unit }}，延至{{ new_due }}前办结。",
        "　　我部将在延长的期限内办结，并将处理意见告知您。",
        "　　特此告知。",
    ],
    "opinion": [
        "{{ complainant }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}），投诉请求为：{{ request }}",
        "　　经调查核实：{{ facts_found }}",
        "　　处理意见：{{ result }}",
        "{%p if compensation %}",
        "　　赔偿（补偿）金额：人民币 {{ compensation }} 元。",
        "{%p endif %}",
        "　　{{ advice }}",
        "　　特此函复。",
    ],
    "respondent-result": [
        "{{ respondent }}"
        "{% if respondent and respondent_dept %}（{{ respondent_dept }}）{% else %}{{ respondent_dept }}{% endif %}：",
        # A person is 您; a department named alone is 贵部门.
        "　　投诉人{{ complainant }}于{{ received }}提出的涉及{% if respondent %}您{% else %}贵部门{% endif %}的投诉"
        "（投诉编号：{{ number }}）已于{{ resolved_on }}办结。",
        "　　投诉请求：{{ request }}",
        "　　处理结果：{{ result }}",
        "{%p if accountability %}",
        "　　内部责任追究：{{ accountability }}",
        "{%p endif %}",
        "{%p if improvement %}",
        "　　管理改进措施：{{ improvement }}",
        "{%p endif %}",
        "　　请据此落实相关改进要求。",
    ],
    "regulator-reply": ["{{ regulator_reply_text }}"],
}

RECORD_ROWS = [
    ("投诉编号", "{{ number }}"),
    ("接收日期", "{{ received }}"),
    ("投诉人", "{{ complainant }}"),
    ("证件类型及号码", "{{ id_type }} {{ id_number }}"),
    ("联系电话", "{{ phone }}"),
    ("联系地址", "{{ address }}"),
    ("代理人", "{{ agent }}"),
    ("投诉方式", "{{ method }}"),
    ("投诉渠道", "{{ channel }} {{ source }} {{ transfer_no }}"),
    ("业务类别", "{{ category }}"),
    ("被投诉人", "{{ respondent }} {{ respondent_dept }}"),
    ("投诉人数", "{{ complainants }}（重大投诉：{{ major }}）"),
    ("投诉请求", "{{ request }}"),
    ("主要事实与理由", "{{ facts }}"),
    ("受理决定", "{{ decision_text }}"),
    ("处理人", "{{ handler }} {{ dept }}"),
    ("办结期限", "{{ completion_due }}"),
    ("一、投诉事实及经过", "{{ facts_found }}"),
    ("二、投诉原因及内控分析", "{{ cause }}"),
    ("三、内部责任追究", "{{ accountability }}"),
    ("四、存在的不足及管理改进措施", "{{ improvement }}"),
    ("五、相关工作建议", "{{ suggestions }}"),
    ("处理意见", "{{ result }}"),
    ("办结日期", "{{ resolved_on }}"),
    ("赔偿（补偿）金额（元）", "{{ compensation }}"),
    ("审批记录", "{{ approvals_text }}"),
    ("重大投诉上报", "{{ escalations_text }}"),
    ("文书送达", "{{ letters_text }}"),
    ("回访情况", "{{ callbacks_text }}"),
    ("部门负责人意见", "\n\n签字：　　　　　　　　日期："),
    ("首席风险官（合规负责人）意见", "\n\n签字：　　　　　　　　日期："),
]


def builtin_template(kind: str) -> bytes:
    """The built-in template of a kind, as a .docx (A4 portrait, 12 pt, the firm's name, page numbers)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    normal.font.name = "宋体"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")  # python-docx names only the Latin font
    # python-docx's own template declares its East Asian text Japanese: a word processor without 宋体 then
    # prints it in a Japanese font, whose forms of some characters differ. Chinese, as the letters are.
    # Where python-docx's template names no language, nothing is changed (tests/test_papers would say so).
    default_lang = f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
    for said in (document.settings.element.find(qn("w:themeFontLang")), document.styles.element.find(default_lang)):
        if said is not None:
            said.set(qn("w:eastAsia"), "zh-CN")
    normal.paragraph_format.line_spacing = 1.5
    header = section.header.paragraphs[0]
    header.text = "{{ branch }}　　投诉编号 {{ number }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _page_numbers(section.footer.paragraphs[0])
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run("{{ branch }}\n" + title(kind))
    run.bold, run.font.size = True, Pt(16)
    if kind == "record":
        table = document.add_table(rows=0, cols=2)
        table.style, table.autofit = "Table Grid", False
        widths = (Cm(4.6), Cm(11.2))
        for column, width in zip(table.columns, widths):
            column.width = width
        for label, value in RECORD_ROWS:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
            for cell, width in zip(cells, widths):
                cell.width = width
        document.add_paragraph("填表人：{{ acceptor }}　　　　填表日期：{{ date }}")
        document.save(buffer := io.BytesIO())
        return buffer.getvalue()
    for line in BODIES[kind]:
        document.add_paragraph(line)
    if kind == "regulator-reply":
        document.add_paragraph("经办人：　　　　　　　　复核人：　　　　　　　　{{ date }}")
    else:
        for text in ("", "{{ branch }}（盖章）", "{{ date }}"):
            document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        document.add_paragraph("经办人：{{ officer }}　　联系电话：　　　　　　")
    document.save(buffer := io.BytesIO())
    return buffer.getvalue()


def _page_numbers(paragraph) -> None:
    """第 N 页 共 M 页, by Word's own PAGE and NUMPAGES fields (python-docx has no API for fields)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", "PAGE"), (" 页 共 ", "NUMPAGES"), (" 页", None)):
        paragraph.add_run(text)
        if field:
            element = OxmlElement("w:fldSimple")
            element.set(qn("w:instr"), field)
            run = OxmlElement("w:r")
            number = OxmlElement("w:t")
            number.text = "1"
            run.append(number)
            element.append(run)
            paragraph._p.append(element)


# -- filling -------------------------------------------------------------------------------------------


def _environment():
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=True)


def check_template(data: bytes, where: str) -> None:
    """A firm's template: a .docx whose placeholders are all known (one line names the first unknown ones)."""
    from docxtpl import DocxTemplate

    try:
        used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(_environment())
    except Exception as exc:  # noqa: BLE001 - a file from outside: whatever docx or Jinja finds wrong, it is unusable
        raise ComplaintError(
            _("{where} is not a usable .docx template ({exc})").format(
                where=where, exc=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            )
        ) from None
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise ComplaintError(
            _(
                "{where} uses unknown placeholder(s) {names}; the placeholders are listed in the "
                "README (Letters) and by `complaintctl letter --placeholders`"
            ).format(where=where, names=", ".join("{{ " + name + " }}" for name in unknown))
        )


def render(template: bytes, values: dict, out: Path) -> None:
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    document = DocxTemplate(io.BytesIO(template))
    try:
        document.render(values, _environment(), autoescape=True)
    except TemplateError as exc:  # the sandbox refused, or the template's own logic failed: the template is wrong
        raise ComplaintError(
            _("the letter's template cannot be filled: {exc}").format(
                exc=str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            )
        ) from None
    document.save(str(out))


def output_name(number: str, kind: str) -> str:
    return f"{number}-{title(kind)}.docx"


def write(
    ledger,
    number: str,
    kind: str,
    out: Path,
    *,
    by: str,
    at: datetime,
    template: bytes | None,
    sent_via: str | None = None,
) -> Letter:
    """Fill, record and place one letter: all recorded and in place, or nothing (see the module's doc)."""
    from complaintctl import scratch
    from complaintctl.rules.complaint import apply
    from complaintctl.rules.deadlines import deadlines_for
    from complaintctl.store.ledger import sha256_file, store_file
    from complaintctl.steps.lifecycle import in_order, save, warm, load
    from complaintctl.store.settings import config

    via = SENT_VIA.parse(sent_via) if sent_via else None
    branch = config(ledger).get("branch")
    if not branch:
        raise ComplaintError(
            _("a letter carries the branch's name: set it first with `complaintctl config set branch NAME`"),
            KINDS[kind][1],
        )
    warm(ledger)
    temp = scratch.file_beside(out)
    text_temp = scratch.file_beside(out.with_suffix(".txt")) if kind == "regulator-reply" else None
    try:
        with ledger.transaction() as session:
            row = load(ledger, session, number)
            record = json.loads(row.record)
            problem = lacks(kind, record)
            if problem:
                raise ComplaintError(*problem)
            policy = ledger.policy_on(clock.day_of(record["received_at"]))
            deadlines = {d.kind: d for d in deadlines_for(record, ledger.calendar(), policy)}
            values = {
                **facts(record, branch=branch, on=at.astimezone(clock.SHANGHAI).date(), deadlines=deadlines),
                "title": title(kind),
            }
            render(template or builtin_template(kind), values, temp)
            digest = sha256_file(temp)
            audit = {
                "command": f"letter {kind}",
                "complaint": record["id"],
                "file": str(out.resolve()),
                "sha256": digest,
            }
            if text_temp is not None:
                text_temp.write_text(values["regulator_reply_text"] + "\n", encoding="utf-8")
                audit["text_file"], audit["text_sha256"] = (
                    str(out.with_suffix(".txt").resolve()),
                    sha256_file(text_temp),
                )
            ledger.append(session, None, "unmasked", clock.iso(clock.now()), by, audit, row.branch)
            if via:  # the paper as sent is kept with the complaint's attachments, for the file and the archive
                archive = ledger.archive_for(row.branch)
                stored = store_file(temp, archive / record["id"], f"{digest[:16]}-{out.name}", expected=digest)
                os.chmod(archive, 0o700)
                payload = {
                    "kind": kind,
                    "via": via,
                    "sha256": digest,
                    "file": out.name,
                    "stored_as": stored.path.relative_to(archive).as_posix(),
                }
                in_order(record, "letter_sent", at)
                record = apply(record, "letter_sent", payload, clock.iso(at), by)
                event = ledger.append(session, record["id"], "letter_sent", clock.iso(at), by, payload, row.branch)
                save(session, record, event.id, row)
        for f in filter(None, (temp, text_temp)):
            with f.open("rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(temp, out)
        if text_temp is not None:
            os.replace(text_temp, out.with_suffix(".txt"))
    finally:
        scratch.release(temp)
        if text_temp is not None:
            scratch.release(text_temp)
    return Letter(kind, out, digest, out.with_suffix(".txt") if text_temp is not None else None, record)


def read_template(path: Path, key: str) -> bytes:
    """A firm's letter template, read and checked (a .docx, only known placeholders)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ComplaintError(
            _("{key}: cannot read {path} ({error})").format(key=key, path=path, error=exc.strerror or exc)
        ) from None
    check_template(data, f"{key} {path.name}")
    return data
