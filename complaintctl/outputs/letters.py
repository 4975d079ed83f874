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
    "branch_phone": "营业部联系电话，config set branch-phone",
    "branch_address": "营业部联系地址，config set branch-address",
    "contact": "投诉处理联系人，config set contact",
    "title": "文书名称",
    "number": "投诉编号",
    "date": "文书日期（YYYY年M月D日）",
    "complainant": "投诉人姓名或机构名称",
    "addressee": "称呼：投诉人姓名或机构名称；群体投诉写明人数及全部代表",
    "complainant_title": "投诉人称谓：姓氏加先生/女士（性别不明的为某），告知被投诉人时用（CSA 7.8）",
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
    "request": "投诉请求（以句号结尾）",
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
    "reject_ground": "不予受理的理由，以“您”称呼投诉人写成的句子",
    "reject_rule": "不予受理所依条款",
    "reject_note": "不予受理说明",
    "original_text": "重复投诉：原投诉的编号、日期及处理情况，并告知新的事实或证据可作为新的投诉",
    "refer_to": "受理范围之外的：管辖部门（reject --refer-to），公司制度第二十六条",
    "refer_contact": "管辖部门的联系方式（reject --refer-contact）",
    "result": "处理意见（处理结果），内部记录",
    "told": "告知投诉人的处理意见（resolve --told；未给出的为处理结果）",
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
    rejection = record.get("rejection") or {}
    if kind == "refusal" and rejection.get("reason") == "not-customer" and not rejection.get("refer_to"):
        return _(
            "{id} was refused as outside the branch's scope, with no competent body to refer the complainant "
            "to; such a refusal names it and how to reach it (`reject --refer-to BODY --refer-contact TEXT`)"
        ).format(id=number), "Firm 26"
    if kind == "opinion" and not (record.get("resolution") or {}).get("told"):
        said = next((w for w in THIRD_PERSON if w in ((record.get("resolution") or {}).get("result") or "")), None)
        if said:
            return _(
                "{id}'s result is the internal record, speaking of the complainant as {word}; the opinion letter "
                "addresses 您: record the words the complainant is told with `resolve --told TEXT`"
            ).format(id=number, word=said), "CSA 9.3"
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


# Each refusal's ground as the letter tells it to the complainant (您), CSA 9.1.1's items.
GROUNDS = {
    "not-customer": "您并非本机构客户，所投诉事项不属于我部受理范围",
    "no-authorization": "代为投诉的受托人未取得投诉人的授权",
    "duplicate": "您的投诉系就同一事实和理由重复投诉",
    "in-proceedings": "您投诉的事项已进入调解、仲裁、诉讼程序",
    "abusive": "您的投诉违反公序良俗或无实质诉求",
    "other": "您的投诉属于其他不予受理的情形",
}
# Words of an internal record that speak of the complainant in the third person: never pasted into a letter to 您.
THIRD_PERSON = ("投诉人", "该客户", "客户表示", "客户认可", "客户同意", "客户理解")
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "澹台",
    "端木",
    "轩辕",
    "呼延",
    "南宫",
    "独孤",
    "万俟",
    "闻人",
    "西门",
    "申屠",
)


def complainant_title(record: dict) -> str:
    """张先生, 张女士, or 张某 when the sex is not known (CSA 7.8: the respondent is told no more than that).
    An institution is named as it is; the sex is read from a resident ID's 17th digit (odd: male)."""
    if record.get("institution"):
        return record["institution"]
    name = (record.get("name") or "").strip()
    if not name:
        return "投诉人"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    number = record.get("id_number") or ""
    if record.get("id_type") == "id_card" and len(number) == 18 and number[16].isdigit():
        return surname + ("先生" if int(number[16]) % 2 else "女士")
    return surname + "某"


def addressee(record: dict) -> str:
    """Whom a letter to the complainant addresses: the complainant, or a group by its size and every
    representative it elected (CSA 5.2)."""
    name = record.get("institution") or record.get("name") or ""
    if not record.get("group"):
        return name
    people = [p["name"] for p in record.get("representatives") or []] or [name]
    return f"{people[0]}等{record.get('complainants')}名投诉人（群体投诉，代表：{'、'.join(people)}）"


def original_text(original: dict | None) -> str:
    """A repeat's refusal: the complaint it repeats, its date, what was done, and that new facts are a new one."""
    if not original:
        return ""
    done = f"已于{_day(original.get('accepted_at'))}受理" if original.get("accepted_at") else "已受理"
    if original.get("resolved_at"):
        done += f"，并于{_day(original['resolved_at'])}办结，处理意见已告知您"
    elif original.get("terminated_at"):
        done += f"，并于{_day(original['terminated_at'])}终止处理"
    else:
        done += "，目前正在调查处理中，处理意见将另行告知您"
    return (
        f"您本次投诉与您于{_day(original['received_at'])}提出的投诉（投诉编号：{original['id']}）系同一事实和理由，"
        f"该投诉{done}。如您有新的事实或证据，可作为新的投诉向我部提出。"
    )


def facts(
    record: dict,
    *,
    branch: str,
    on: date,
    deadlines: dict,
    settings: dict | None = None,
    before_extension: date | None = None,
    original: dict | None = None,
) -> dict:
    """Every placeholder's value for this complaint, as the ledger holds it now. `before_extension`: the
    completion deadline before the last extension, by today's calendar (as `show` counts it)."""
    settings = settings or {}
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
        "branch_phone": settings.get("branch-phone") or "",
        "branch_address": settings.get("branch-address") or "",
        "contact": settings.get("contact") or "",
        "addressee": addressee(record),
        "complainant_title": complainant_title(record),
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
        "request": _sentence(record.get("request") or ""),
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
        "original_due": _day((before_extension or completion.original_due).isoformat()) if completion else "",
        "extension_days": str(last.get("days") or ""),
        "extension_unit": DAY_UNITS.get(completion.unit, "") if completion else "",
        "extension_reason": last.get("reason") or "",
        "extension_approved_by": last.get("approved_by") or "",
        "new_due": _day(completion.due.isoformat()) if completion and last else "",
        "reject_reason": codes.REJECT_REASONS.label(reason) if reason else "",
        "reject_ground": GROUNDS.get(reason, "") if reason else "",
        "original_text": original_text(original) if reason == "duplicate" else "",
        "refer_to": rejection.get("refer_to") or "",
        "refer_contact": rejection.get("refer_contact") or "",
        # Cited as a Chinese letter cites a standard: 第9.1.1条c)项, the clause's own lettering.
        "reject_rule": f"第9.1.1条{codes.REJECT_ITEMS[reason]})项" if reason else "",
        "reject_note": _sentence(rejection.get("note") or ""),
        "result": resolution.get("result") or "",
        "told": _sentence(resolution.get("told") or resolution.get("result") or ""),
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
    lines.append(f"联系人：{values['contact']}，联系电话：{values['branch_phone']}，地址：{values['branch_address']}")
    return "\n".join(lines)


# -- the templates ----------------------------------------------------------------------------------------

BODIES = {
    "refusal": [
        "{{ addressee }}：",
        "　　您于{{ received }}向我部提出的投诉（投诉编号：{{ number }}），投诉请求为：{{ request }}",
        "　　经审查，{{ reject_ground }}，属于《证券公司投诉处理标准》{{ reject_rule }}规定的不予受理情形，"
        "我部决定不予受理。{% if reject_note %}说明：{{ reject_note }}{% endif %}",
        "{%p if original_text %}",
        "　　{{ original_text }}",
        "{%p endif %}",
        "{%p if refer_to %}",
        "　　您所投诉的事项可向{{ refer_to }}反映，联系方式：{{ refer_contact }}。",
        "{%p endif %}",
        "　　如您对本决定有疑问，可与我部联系（联系人：{{ contact }}，电话：{{ branch_phone }}，"
        "地址：{{ branch_address }}）。",
        "　　特此告知。",
    ],
    "progress": [
        "{{ addressee }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}）已于{{ accepted_on }}受理，现正在调查处理中，"
        "我部将于{{ completion_due }}前办结并将处理意见告知您。",
        "　　您的投诉请求为：{{ request }}",
        "　　处理过程中如需补充材料，我部将及时与您联系；您也可与我部联系（联系人：{{ contact }}，"
        "电话：{{ branch_phone }}）。",
        "　　特此告知。",
    ],
    "extension": [
        "{{ addressee }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}）原定于{{ original_due }}前办结。"
        "因{{ extension_reason }}，经{{ extension_approved_by }}批准，"
        "办理期限延长{{ extension_days }}个{{ extension_unit }}，延至{{ new_due }}前办结。",
        "　　我部将在延长的期限内办结，并将处理意见告知您。如有疑问，可与我部联系（联系人：{{ contact }}，"
        "电话：{{ branch_phone }}）。",
        "　　特此告知。",
    ],
    "opinion": [
        "{{ addressee }}：",
        "　　您于{{ received }}提出的投诉（投诉编号：{{ number }}），投诉请求为：{{ request }}",
        "　　经调查核实：{{ facts_found }}",
        "　　处理意见：{{ told }}",
        "{%p if compensation %}",
        "　　赔偿（补偿）金额：人民币 {{ compensation }} 元。",
        "{%p endif %}",
        "　　{{ advice }}",
        "　　如有疑问，可与我部联系（联系人：{{ contact }}，电话：{{ branch_phone }}，地址：{{ branch_address }}）。",
        "　　特此函复。",
    ],
    "respondent-result": [
        "{{ respondent }}"
        "{% if respondent and respondent_dept %}（{{ respondent_dept }}）{% else %}{{ respondent_dept }}{% endif %}：",
        # A person is 您; a department named alone is 贵部门.
        "　　投诉人{{ complainant_title }}于{{ received }}提出的涉及"
        "{% if respondent %}您{% else %}贵部门{% endif %}的投诉（投诉编号：{{ number }}）已于{{ resolved_on }}办结。",
        "　　投诉请求：{{ request }}",
        "　　处理结果：{{ result }}",
        "{%p if accountability %}",
        "　　内部责任追究：{{ accountability }}",
        "{%p endif %}",
        "{%p if improvement %}",
        "　　管理改进措施：{{ improvement }}",
        "{%p endif %}",
        "　　请据此落实相关改进要求。如有疑问，请与{{ contact }}联系（电话：{{ branch_phone }}）。",
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
        document.add_paragraph("联系人：{{ contact }}　　联系电话：{{ branch_phone }}　　地址：{{ branch_address }}")
        document.save(buffer := io.BytesIO())
        return buffer.getvalue()
    for line in BODIES[kind]:
        document.add_paragraph(line)
    if kind == "regulator-reply":
        document.add_paragraph("经办人：　　　　　　　　复核人：　　　　　　　　{{ date }}")
    else:
        for text in ("", "{{ branch }}（盖章）", "{{ date }}"):
            document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        document.add_paragraph("经办人：{{ officer }}　　联系人：{{ contact }}　　联系电话：{{ branch_phone }}")
        document.add_paragraph("地址：{{ branch_address }}")
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
    dated: date | None = None,
) -> Letter:
    """Fill, record and place one letter: all recorded and in place, or nothing (see the module's doc)."""
    from complaintctl import scratch
    from complaintctl.rules.complaint import apply
    from complaintctl.rules.deadlines import deadlines_for
    from complaintctl.store.ledger import sha256_file, store_file
    from complaintctl.steps.lifecycle import in_order, save, warm, load
    from complaintctl.store.settings import config

    from complaintctl.store.settings import LETTER_SETTINGS

    via = SENT_VIA.parse(sent_via) if sent_via else None
    settings = config(ledger)
    branch = settings.get("branch")
    if not branch:
        raise ComplaintError(
            _("a letter carries the branch's name: set it first with `complaintctl config set branch NAME`"),
            KINDS[kind][1],
        )
    unset = [key for key in LETTER_SETTINGS if not settings.get(key)]
    if unset:
        raise ComplaintError(
            _(
                "a letter tells its reader how to reach the branch: set {keys} first with "
                "`complaintctl config set {key} VALUE`"
            ).format(keys=", ".join(unset), key=unset[0]),
            KINDS[kind][1],
        )
    sent_on = at.astimezone(clock.SHANGHAI).date()
    on = dated or sent_on
    if via and on > sent_on:
        raise ComplaintError(
            _(
                "--date {dated} is after the letter was sent ({sent}); a letter is dated no later than it is sent"
            ).format(dated=on, sent=sent_on),
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
            calendar = ledger.calendar()  # as `show` counts: calendar corrections included
            deadlines = {d.kind: d for d in deadlines_for(record, calendar, policy)}
            completion = deadlines.get("completion")
            if kind == "progress" and completion and on > completion.due:
                raise ComplaintError(
                    _(
                        "{id}'s completion deadline {due} has passed by the letter's date {on}; a progress notice "
                        "would promise a past date: record the extension first with `complaintctl extend {id}`"
                    ).format(id=record["id"], due=completion.due, on=on),
                    "CSA 9.2.2(d)",
                )
            extensions = record.get("extensions") or []
            before = None
            if extensions:
                earlier = {
                    d.kind: d for d in deadlines_for({**record, "extensions": extensions[:-1]}, calendar, policy)
                }
                before = earlier["completion"].due if "completion" in earlier else None
            original = None
            repeated = (record.get("rejection") or {}).get("original")
            if repeated:
                found = (
                    session.connection()
                    .exec_driver_sql(
                        "SELECT record FROM complaints WHERE branch = ? AND id = ?", (row.branch, repeated)
                    )
                    .first()
                )
                original = json.loads(found[0]) if found else None
            values = {
                **facts(
                    record,
                    branch=branch,
                    on=on,
                    deadlines=deadlines,
                    settings=settings,
                    before_extension=before,
                    original=original,
                ),
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
