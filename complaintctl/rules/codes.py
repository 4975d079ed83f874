"""The standard's code lists, each code with its Chinese term (CSA 5, 6, 9.1.1; Firm 17, 18).

A user may type the code (`phone`) or the Chinese label (`电话`); both resolve to the code,
which is what the ledger stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from complaintctl.rules.clock import typed
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _, pick


@dataclass(frozen=True)
class CodeList:
    option: str
    rule: str | None
    entries: dict[str, tuple[str, str]]  # code -> (Chinese label, English label)
    # The words offices write for a code (来电 for 电话, 基本满意 for 满意): read as the code, never shown.
    aliases: dict[str, str] = field(default_factory=dict)

    def parse(self, value: str) -> str:
        text = typed(value)
        folded = text.lower()
        for code, (zh, en) in self.entries.items():
            if folded in (code.lower(), en.lower()) or text == zh:
                return code
        if text in self.aliases:
            return self.aliases[text]
        # A long run of digits in a code's column is an ID number or a phone in the wrong column: never repeated.
        value = re.sub(r"\d{7,}", lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), str(value))
        raise ComplaintError(
            _("{option}: unknown value {value!r}; choose one of {choices}").format(
                option=self.option, value=value, choices=self.choices()
            ),
            self.rule,
        )

    def choices(self) -> str:
        return ", ".join(f"{code} ({zh})" for code, (zh, _en) in self.entries.items())

    def shown(self, code: str | None) -> str:
        """The code's label in the user's language."""
        if code is None:
            return ""
        zh, en = self.entries.get(code, (code, code))
        return pick(zh, en)

    def label(self, code: str | None) -> str:
        if code is None:
            return ""
        zh, _en = self.entries.get(code, (code, code))
        return zh

    def __contains__(self, code: object) -> bool:
        return code in self.entries


METHODS = CodeList(
    "--method",
    "CSA 6",
    {
        "onsite": ("现场", "on-site"),
        "phone": ("电话", "telephone"),
        "letter": ("信函", "mail"),
        "online": ("网络", "internet"),
    },
    aliases={
        "来电": "phone",
        "电话投诉": "phone",
        "热线": "phone",
        "来访": "onsite",
        "现场来访": "onsite",
        "临柜": "onsite",
        "来信": "letter",
        "信件": "letter",
        "书面": "letter",
        "网上": "online",
        "网络投诉": "online",
        "邮件": "online",
        "电子邮件": "online",
        "微信": "online",
        "app": "online",
        "APP": "online",
    },
)

CHANNELS = CodeList(
    "--channel",
    "CSA 6",
    {
        "direct": ("自行受理", "received directly"),
        "regulator": ("监管转办", "transferred"),
    },
    aliases={
        "客户直接投诉": "direct",
        "直接投诉": "direct",
        "自行接收": "direct",
        "客户投诉": "direct",
        "本部门接收": "direct",
        "监管转办件": "regulator",
        "转办": "regulator",
    },
)

ID_TYPES = CodeList(
    "--id-type",
    "Firm 15",
    {
        "id_card": ("居民身份证", "resident id"),
        "passport": ("护照", "passport"),
        "hk_macau_permit": ("港澳居民来往内地通行证", "hk/macau permit"),
        "taiwan_permit": ("台湾居民来往大陆通行证", "taiwan permit"),
        "foreign_permanent": ("外国人永久居留身份证", "foreign permanent resident id"),
        "other": ("其他证件", "other id"),
    },
    aliases={
        "身份证": "id_card",
        "二代身份证": "id_card",
        "居民身份证号码": "id_card",
        "港澳通行证": "hk_macau_permit",
        "回乡证": "hk_macau_permit",
        "台胞证": "taiwan_permit",
    },
)

CATEGORIES = CodeList(
    "--category",
    "CSA 5.1",
    {
        "a1": ("经纪业务-账户及权限类", "brokerage: accounts & permissions"),
        "a2": ("经纪业务-证券交易委托类", "brokerage: trading & orders"),
        "a3": ("经纪业务-产品类", "brokerage: products"),
        "a4": ("经纪业务-交易系统及软件", "brokerage: trading systems & software"),
        "a5": ("经纪业务-服务及费用类", "brokerage: service & fees"),
        "a6": ("经纪业务-信用业务类", "brokerage: credit business"),
        "b1": ("其他业务-资产管理", "other business: asset management"),
        "b2": ("其他业务-自营", "other business: proprietary"),
        "b3": ("其他业务-期货中间介绍", "other business: futures ib"),
        "b4": ("其他业务-承销与保荐", "other business: underwriting & sponsorship"),
        "b5": ("其他业务-托管", "other business: custody"),
        "b6": ("其他业务-其他", "other business: other"),
        "c": ("疑似证券市场违法违规行为", "suspected securities-law violation"),
        "d": ("疑似非法证券活动", "suspected illegal securities activity"),
        "e": ("其他投诉", "other complaint"),
    },
)

# A second-level category alone (服务及费用类) names its category when only one has it, as offices write it.
_SECOND_LEVEL: dict[str, list[str]] = {}
for _code, (_zh, _en) in CATEGORIES.entries.items():
    if "-" in _zh and not _zh.endswith("-其他"):
        _SECOND_LEVEL.setdefault(_zh.split("-", 1)[1], []).append(_code)
CATEGORIES.aliases.update({name: found[0] for name, found in _SECOND_LEVEL.items() if len(found) == 1})

# First level of CSA 5.1, for the report's two-level breakdown.
CATEGORY_GROUPS = {
    "a": "经纪业务投诉",
    "b": "其他业务投诉",
    "c": "疑似证券市场违法违规行为",
    "d": "疑似非法证券活动",
    "e": "其他投诉",
}

REJECT_REASONS = CodeList(
    "--reason",
    "CSA 9.1.1",
    {
        "not-customer": ("非本机构客户", "a) not a customer"),
        "no-authorization": ("受托人未取得授权", "b) agent without authorisation"),
        "duplicate": ("同一事实和理由重复投诉", "c) repeat of the same facts"),
        "in-proceedings": ("已进入调解、仲裁、诉讼程序", "d) in mediation/arbitration/litigation"),
        "abusive": ("违反公序良俗或无实质诉求", "e) abusive or no substantive request"),
        "other": ("其他不予受理情形", "f) other"),
    },
    aliases={
        "重复投诉": "duplicate",
        "非本公司客户": "not-customer",
        "非本营业部客户": "not-customer",
        "非客户": "not-customer",
        "未取得授权": "no-authorization",
        "无授权": "no-authorization",
        "已诉讼": "in-proceedings",
        "已仲裁": "in-proceedings",
        "已调解": "in-proceedings",
        "无实质诉求": "abusive",
    },
)
# Each reason's item of CSA 9.1.1, as the standard letters them: what the register and the letters cite.
REJECT_ITEMS = dict(zip(REJECT_REASONS.entries, "abcdef"))

NOTIFY_VIA = CodeList(
    "--notified-via",
    "Firm 17",
    {
        "sms": ("短信", "text message"),
        "email": ("电子邮件", "e-mail"),
        "letter": ("信函", "mail"),
        "phone": ("电话", "telephone"),
    },
    aliases={
        "来电": "phone",
        "电话告知": "phone",
        "电话通知": "phone",
        "短信告知": "sms",
        "邮件": "email",
        "书面": "letter",
        "书面告知": "letter",
    },
)

FEEDBACK_VIA = CodeList(
    "--feedback-via",
    "CSA 9.3",
    {
        "phone": ("电话", "telephone"),
        "sms": ("短信", "text message"),
        "email": ("电子邮件", "e-mail"),
        "letter": ("信函", "mail"),
        "onsite": ("现场", "in person"),
        "regulator": ("监管系统", "regulator's system"),
    },
    aliases={
        "电话告知": "phone",
        "电话反馈": "phone",
        "短信告知": "sms",
        "邮件": "email",
        "书面": "letter",
        "当面": "onsite",
        "12386": "regulator",
        "监管平台": "regulator",
    },
)

CALLBACK_OUTCOMES = CodeList(
    "--outcome",
    "Firm 18(5)",
    {
        "satisfied": ("满意", "content"),
        "dissatisfied": ("不满意", "not satisfied"),
        "unreachable": ("未能联系", "not reached"),
    },
    aliases={
        "基本满意": "satisfied",
        "非常满意": "satisfied",
        "比较满意": "satisfied",
        "很满意": "satisfied",
        "未接通": "unreachable",
        "无人接听": "unreachable",
        "联系不上": "unreachable",
        "无法联系": "unreachable",
        "拒接": "unreachable",
        "空号": "unreachable",
    },
)

CALLBACK_METHODS = CodeList(
    "--method",
    "Firm 18(5)",
    {
        "phone": ("电话", "telephone"),
        "sms": ("短信", "text message"),
        "email": ("电子邮件", "e-mail"),
        "onsite": ("现场", "in person"),
        "letter": ("信函", "mail"),
    },
    aliases={"来电": "phone", "电话回访": "phone", "短信回访": "sms", "邮件": "email", "上门": "onsite"},
)

NOTE_KINDS = CodeList(
    "--kind",
    "CSA 9.2.1(d)",
    {
        "internal": ("内部记录", "internal note"),
        "progress": ("进展反馈", "interim feedback"),
        "late": ("超期原因", "why a deadline was missed"),  # the report's 原因及说明 for a missed deadline
    },
)

ATTACHMENT_KINDS = CodeList(
    "--kind",
    "CSA 9.4",
    {
        "recording": ("录音", "audio"),
        "document": ("书面材料", "paper"),
        "approval": ("审批材料", "sign-off"),
    },
)

STATUSES = CodeList(
    "--status",
    None,
    {
        "received": ("已接收", "registered"),
        "accepted": ("已受理", "taken"),
        "rejected": ("不予受理", "refused"),
        "assigned": ("处理中", "in hand"),
        "resolved": ("已办结", "done"),
        "terminated": ("终止处理", "ended without a result"),
        "closed": ("已归档", "archived"),
        "voided": ("已作废", "voided"),  # its registration was a mistake: it counts nowhere (DOMAIN: a mistaken entry)
    },
)

OPEN_STATUSES = ("received", "accepted", "assigned", "resolved")
# Ended without being closed: a refusal, or a complaint ended without a result; `close` archives them.
ENDED_STATUSES = ("rejected", "terminated")

MAJOR_REASONS = CodeList(
    "--major-reason",
    "CSA 5.3(a)",
    {
        "funds-safety": ("投资者资金安全", "investors' funds at risk"),
        "insider-manipulation": ("内幕交易、操纵市场", "insider trading or market manipulation"),
        "conflict-of-interest": ("利益冲突", "conflict of interest"),
        "group-or-repeated": ("群体投诉、缠访闹访", "group complaint or repeated visits"),
        "system-failure": ("重大技术系统故障", "major system failure"),
        "litigation-reputation": ("重大诉讼或声誉风险", "major litigation or reputation risk"),
        "regulatory-penalty": ("行政处罚或监管措施风险", "risk of a regulatory penalty"),
        "other": ("其他重大情形", "other"),
    },
)

ADVICE = CodeList(
    "--advised",
    "CSA 9.3(b)",
    {
        "mediation": ("调解", "mediation"),
        "arbitration": ("仲裁", "arbitration"),
        "litigation": ("诉讼", "lawsuit"),
    },
)

TERMINATE_REASONS = CodeList(
    "--reason",
    "CSA 9.1.1(d)",
    {
        "withdrawn": ("投诉人撤回投诉", "complainant withdrew"),
        "in-proceedings": ("进入调解、仲裁、诉讼程序", "taken to mediation, arbitration or court"),
        "other": ("其他终止情形", "other"),
    },
)

SETTLED = CodeList(
    "--settled",
    "CSA 9.2.1(c)",
    {
        "yes": ("和解", "settled"),
        "no": ("未和解", "not settled"),
    },
    aliases={"是": "yes", "否": "no", "已和解": "yes", "达成和解": "yes", "y": "yes", "n": "no"},
)

APPROVALS = CodeList(
    "WHAT",
    "Firm 25",
    {
        "opinion": ("处理意见", "handling opinion"),
        "compensation": ("赔偿补偿", "compensation"),
        "extension": ("延期", "extension"),
    },
    aliases={
        "处理意见审批": "opinion",
        "答复意见": "opinion",
        "赔偿": "compensation",
        "补偿": "compensation",
        "延期审批": "extension",
    },
)

# Where an improvement measure stands (CSA 8.2.4, 追踪整改), as `analyze` counts them: the order it lists them in.
RECTIFICATION_STATES = CodeList(
    "STATE",
    "CSA 8.2.4",
    {
        "overdue": ("已逾期", "overdue"),
        "open": ("未到期", "not yet due"),
        "done_late": ("逾期完成", "done late"),
        "done": ("按期完成", "done on time"),
        "untracked": ("未定责任人和期限", "no owner or date"),
    },
)

# The deadlines `warn` follows, by the kind the ledger and --json name them with.
DEADLINES = CodeList(
    "KIND",
    None,
    {
        "acceptance": ("受理决定", "acceptance decision"),
        "completion": ("办结", "completion"),
        "callback": ("回访", "callback"),
        "regulator_reply": ("监管转办回复", "regulator reply"),
        "escalation": ("重大投诉上报", "escalation"),
        "rectification": ("整改", "rectification"),
    },
)


def deadline_name(kind: str) -> str:
    """A deadline's name in the user's language."""
    return DEADLINES.shown(kind)


# The papers the standard asks for (`letter KIND`): kind -> (the paper's Chinese name, the rule that asks for it)
LETTER_KINDS = {
    "refusal": ("不予受理告知书", "Firm 17, CSA 9.1.4(a)(2)"),
    "progress": ("投诉处理进展告知书", "CSA 9.2.1(d)"),
    "extension": ("投诉处理延期告知书", "CSA 9.2.2(d)"),
    "opinion": ("投诉处理意见书", "CSA 9.3"),
    "respondent-result": ("投诉处理结果告知书（被投诉人）", "CSA 9.3"),
    "record": ("客户投诉登记及处理单", "CSA 9.2.2(b), Firm 18(2)"),
    "regulator-reply": ("监管转办投诉处理情况回复", "CSA 9.2.2(e)"),
}
