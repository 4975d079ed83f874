"""Facts an old ledger wrote in words (处理结果, 备注) rather than in their own columns, read and never invented.

`不予受理：非本营业部客户` is a refusal on ground a) of CSA 9.1.1; `客户撤诉` a withdrawal (终止处理);
`延期10个交易日，已告知客户` an extension of 10 days, told; `12月5日电话回访，客户满意` a callback on that day,
satisfied. What the words do not say (a ground, a date) is not guessed: a ground is f) with the text kept,
a date is 未记载.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from complaintctl.errors import ComplaintError
from complaintctl.rules import clock, codes

REFUSAL = re.compile(r"不予受理|不受理|不予处理")
WITHDRAWAL = re.compile(r"撤诉|撤回投诉|撤销投诉|撤回")
EXTENSION = re.compile(r"延期\s*(\d{1,3})\s*个?\s*(交易日|工作日|自然日|天|日)?")
TOLD = re.compile(r"(?:已|并)?(电话|短信|书面|邮件|信函|微信)?(?:告知|通知)")
CALLBACK = re.compile(r"回访")
# A day as an office writes it in a sentence: 2025年12月5日, 12月5日, 12/5, 2025-12-05.
DAY = re.compile(
    r"(?:(?P<y>(?:19|20)\d\d)\s*[年./-]\s*)?(?P<m>1[0-2]|0?[1-9])\s*(?:月|[./-])\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*[日号]?"
)
# A refusal's ground as offices word it, beyond the code list's own labels and aliases.
GROUNDS = {
    "非本营业部客户": "not-customer",
    "非本公司客户": "not-customer",
    "非本机构客户": "not-customer",
    "非我司客户": "not-customer",
    "不是本公司客户": "not-customer",
    "非客户": "not-customer",
    "未取得授权": "no-authorization",
    "无授权": "no-authorization",
    "未经授权": "no-authorization",
    "重复投诉": "duplicate",
    "诉讼": "in-proceedings",
    "仲裁": "in-proceedings",
    "调解": "in-proceedings",
    "无实质诉求": "abusive",
    "恶意投诉": "abusive",
}
VIA = {"电话": "phone", "短信": "sms", "书面": "letter", "信函": "letter", "邮件": "email"}
OUTCOMES = (  # the longer first: 不满意 before 满意
    ("不满意", "dissatisfied"),
    ("未接通", "unreachable"),
    ("无人接听", "unreachable"),
    ("未能联系", "unreachable"),
    ("联系不上", "unreachable"),
    ("无法联系", "unreachable"),
    ("满意", "satisfied"),
)
CALLBACK_VIA = {"电话": "phone", "短信": "sms", "上门": "onsite", "现场": "onsite", "邮件": "email"}


def _plain(text: str | None) -> str:
    return "".join(clock.typed(text or "").split())


def refused(*texts: str | None) -> bool:
    """Whether the words say the complaint was not accepted."""
    return any(REFUSAL.search(_plain(t)) for t in texts)


def withdrawn(*texts: str | None) -> bool:
    """Whether the words say the complainant withdrew (客户撤诉, 客户撤回投诉, 撤回)."""
    return any(WITHDRAWAL.search(_plain(t)) for t in texts)


def ground(text: str | None) -> str | None:
    """The CSA 9.1.1 ground a text gives, or None: the code list's words, whole or within the text."""
    plain = _plain(text)
    if not plain:
        return None
    try:
        code = codes.REJECT_REASONS.parse(plain)
        return None if code == "other" else code
    except ComplaintError:  # not one of the code list's words: looked for within the text
        pass
    found = [(plain.find(word), code) for word, code in _grounds().items() if word in plain]
    return min(found)[1] if found else None


@cache
def _grounds() -> dict[str, str]:
    """Every word that names a ground: the code list's labels and aliases, and the offices' own (GROUNDS)."""
    words = {**{zh: code for code, (zh, _en) in codes.REJECT_REASONS.entries.items()}, **GROUNDS}
    words.update(codes.REJECT_REASONS.aliases)
    return {word: code for word, code in words.items() if code != "other"}


def reason_text(text: str | None) -> str | None:
    """A refusal's text without the word 不予受理 itself: what is left says why, if anything."""
    plain = REFUSAL.sub("", _plain(text)).strip("：:，,。；;、 ")
    return plain or None


def told_via(*texts: str | None) -> str | None:
    """How the complainant was told, where the words say so (已电话告知, 已短信告知 …): a notify code."""
    for text in texts:
        for match in TOLD.finditer(_plain(text)):
            if match.group(1) in VIA:
                return VIA[match.group(1)]
    return None


def extension(*texts: str | None) -> tuple[int, bool, str] | None:
    """(days, told, the words) of an extension the words give (延期10个交易日，已告知客户), or None."""
    for text in texts:
        plain = _plain(text)
        match = EXTENSION.search(plain)
        if match:
            rest = plain[match.end() :]
            return (
                int(match.group(1)),
                bool(re.match(r"[，,；;、]?(?:并|且)?已?(?:\S{0,4})?(?:告知|通知)", rest)),
                str(text).strip(),  # the words as written
            )
    return None


def extension_via(text: str) -> str | None:
    """How an extension was told, where its words say it (延期10个交易日，已电话告知客户)."""
    return told_via(text)


def callback(*texts: str | None) -> tuple[tuple[int | None, int, int] | None, str | None, str | None, str] | None:
    """((year or None, month, day) or None, outcome, method, the words) of a callback the words tell of, or None.

    The day is the one written in the same clause as 回访; no day written, none given (未记载). Words without an
    outcome (回访记录缺失) tell of no callback."""
    for text in texts:
        plain = _plain(text)
        at = CALLBACK.search(plain)
        if not at:
            continue
        clauses = re.split(r"[；;。\n]", plain)
        clause = next(c for c in clauses if "回访" in c)
        # the day nearest before 回访 (已于12月5日办结，12月8日电话回访: the 8th), else the first after it
        day = ([*DAY.finditer(clause[: clause.find("回访")])] or [DAY.search(clause)])[-1]
        told = (
            (int(day.group("y")) if day.group("y") else None, int(day.group("m")), int(day.group("d"))) if day else None
        )
        after = clause[clause.find("回访") :]
        outcome = next((code for word, code in OUTCOMES if word in after), None) or next(
            (code for word, code in OUTCOMES if word in clause), None
        )
        if outcome is None:  # 回访记录缺失: words about a callback, not one told
            continue
        before = clause[: clause.find("回访")]
        method = next((code for word, code in CALLBACK_VIA.items() if before.endswith(word)), None)
        return told, outcome, method, str(text).strip()
    return None


def day_in_context(told: tuple[int | None, int, int], after: date) -> date | None:
    """The day a callback's words give, its year from the row: `after`'s, or the next when the day falls in the
    two months after `after` across the year's end."""
    year, month, day = told
    try:
        if year is not None:
            return date(year, month, day)
        found = date(after.year, month, day)
        # across the year's end (办结 12-29, 1月3日回访) only: any other earlier day stays, and is refused as such
        later = date(after.year + 1, month, day)
        return later if found < after and (later - after).days <= 62 else found
    except ValueError:  # 2月30日
        return None
