"""Validation of the identifiers a complainant gives (DOMAIN.md "Identifier formats").

Messages never repeat the number itself: error output may end up in logs or cron mail, and
an ID number is personal data (CSA 7.8).
"""

from __future__ import annotations

import re
from datetime import date

from complaintctl.rules.clock import typed
from complaintctl.errors import ComplaintError
from complaintctl.i18n import _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def check_resident_id(number: str, option: str = "--id-number") -> str:
    """GB 11643: 18 characters, a real birth date in positions 7-14, and the check digit."""
    value = typed(number).upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ComplaintError(
            _(
                "{option}: a resident ID number has 17 digits and a final digit or X (18 characters); "
                "got {value} characters"
            ).format(option=option, value=len(value)),
            "GB 11643",
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ComplaintError(
            _("{option}: positions 7-14 of a resident ID number must be a real birth date").format(option=option),
            "GB 11643",
        ) from None
    if born.year < 1900 or born > date.today():
        raise ComplaintError(
            _("{option}: the birth date in the resident ID number is not plausible").format(option=option), "GB 11643"
        )
    if resident_id_check_digit(value[:17]) != value[17]:
        raise ComplaintError(
            _("{option}: the resident ID number's check digit is wrong; check the number for a typing slip").format(
                option=option
            ),
            "GB 11643",
        )
    return value


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def check_uscc(code: str, option: str = "--uscc") -> str:
    """GB 32100: 18 characters from the 31-character set (no I, O, S, V, Z) and the check character."""
    value = typed(code).upper()
    if len(value) != 18 or any(c not in _USCC_CHARS for c in value):
        raise ComplaintError(
            _(
                "{option}: a unified social credit code (统一社会信用代码) is 18 digits and capital letters "
                "other than I, O, S, V, Z"
            ).format(option=option),
            "GB 32100",
        )
    if uscc_check_char(value[:17]) != value[17]:
        raise ComplaintError(
            _("{option}: the unified social credit code's check character is wrong").format(option=option), "GB 32100"
        )
    return value


def check_other_id(number: str, option: str = "--id-number") -> str:
    """Passports and permits: the looser check DOMAIN.md allows (letters, digits, 5-20 long)."""
    value = typed(number).upper()
    if not re.fullmatch(r"[A-Z0-9()\-]{5,20}", value):
        raise ComplaintError(_("{option}: an ID document number is 5 to 20 letters or digits").format(option=option))
    return value


def check_id_number(id_type: str | None, number: str, option: str = "--id-number") -> str:
    if id_type in (None, "id_card"):
        return check_resident_id(number, option)
    return check_other_id(number, option)


def check_phone(phone: str, option: str = "--phone") -> str:
    """A mainland mobile, a landline with its area code, a service number, or +country number.

    Read as people write them: 138-1234-5678, 138 1234 5678, +86 13812345678, (021) 6123 4567,
    021-61234567 转 808. Stored plain: 13812345678, 021-61234567, 021-61234567-808.
    """
    value = typed(phone)
    extension = None
    split = re.fullmatch(r"(.+?)\s*(?:转|ext\.?|x|-(?=\d{1,6}$)(?<=\d{7}-))\s*(\d{1,6})", value, re.IGNORECASE)
    if split and re.sub(r"\D", "", split.group(1)).startswith("0"):
        value, extension = split.group(1), split.group(2)
    plain = re.sub(r"[\s\-()]", "", value)
    if plain.startswith("+86") or plain.startswith("0086"):
        plain = plain[3:] if plain.startswith("+") else plain[4:]
        if not plain.startswith(("0", "1")):
            plain = "0" + plain  # +86 21 6123 4567: an area code without its trunk 0
    if re.fullmatch(r"1\d{10}", plain) and not extension:
        return plain
    if re.fullmatch(r"0\d{9,11}", plain):
        area = 3 if plain[1] in "12" else 4  # 010 and 02X have three digits, every other area four
        number = plain[:area] + "-" + plain[area:]
        if 7 <= len(plain) - area <= 8:
            return number + (f"-{extension}" if extension else "")
    if re.fullmatch(r"\+\d{6,15}", plain):
        return plain
    if re.fullmatch(r"95\d{3,6}|400\d{7}", plain):
        return plain
    raise ComplaintError(
        _(
            "{option}: not a phone number: a mainland mobile has 11 digits starting with 1 "
            "(138-1234-5678 "
            "and +86 138 1234 5678 will do); a landline needs its area code (021-61234567)"
        ).format(option=option)
    )


def mask_id(value: str | None) -> str | None:
    """Keep the first 6 and last 4 characters (region and check), hide the birth date."""
    if not value:
        return value
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 7:
        return value[:2] + "*" * (len(value) - 2)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """Keep the surname: the first character (the first word for a Latin-script name)."""
    if not value:
        return value
    if " " in value.strip():
        return value.strip().split()[0] + " *"
    return value[0] + "*" * max(1, len(value) - 1)


def mask_address(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "***" if len(value) > 6 else "***"


def person_key(name: str | None) -> str:
    """A name as compared for avoidance (CSA 7.7): NFKC, all whitespace (U+3000 too) removed, case folded.

    "刘　洋", "刘 洋" and "刘洋" are one person; so are full-width and half-width Latin letters.
    """
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def same_person(a: str | None, b: str | None) -> bool:
    return bool(person_key(a)) and person_key(a) == person_key(b)


def phone_key(phone: str | None) -> str | None:
    """A phone as compared across complaints: the stored plain form (138-1234-5678 and +86 13812345678 are
    one number); a number an old ledger kept unchecked is compared by its digits."""
    if not phone:
        return None
    try:
        return check_phone(phone)
    except ComplaintError:
        digits = re.sub(r"\D", "", phone)
        return digits or None


# -- identifiers as a spreadsheet holds them -------------------------------------------------------------
# WPS, and many exports, keep a long number as text by writing it as a formula: ="202301050001"; Excel's
# own way is a leading apostrophe. Neither is part of the number.
_WRAPPED = re.compile(r'=\s*"(.*)"', re.DOTALL)
# The platform's name before its own number: 12386-202301050001, 12386热线：202301050001. Not a fact about
# the source (DOMAIN "a 12386 or other-regulator share"), so never part of what is compared.
_PLATFORM_PREFIX = re.compile(r"(12386(?:热线|平台)?)\s*[-_:：/\s]\s*(?=\S)")


def unwrapped(text: str) -> str:
    """The cell's text without a spreadsheet's text marks: ="…" and a leading apostrophe (NFKC, stripped)."""
    value = typed(text)
    found = _WRAPPED.fullmatch(value)
    if found:
        value = found.group(1).strip()
    return value[1:].strip() if value.startswith("'") else value


def written_plain(text: str) -> str:
    """An identifier (a ticket, an ID number, a branch's own number) in one form: without ="…" or a leading
    apostrophe, full-width digits and letters as ASCII, and no spaces or tabs anywhere in it."""
    return "".join(unwrapped(text).split())


def plain_ticket(ticket: str) -> str:
    """A ticket as stored: its `written_plain` form, a platform's prefix joined by one hyphen (12386-…)."""
    value = unwrapped(ticket)
    prefix = _PLATFORM_PREFIX.match(value)
    if prefix:
        return f"{prefix.group(1)}-{written_plain(value[prefix.end() :])}"
    return written_plain(value)


def ticket_key(ticket: str | None) -> str | None:
    """A regulator ticket as compared: its plain form without a platform's prefix (12386-), letters and digits
    only, upper case. `12386-2023 0105 0001`, `２０２３０１０５０００１` and `="202301050001"` are one ticket."""
    if not ticket:
        return None
    value = unwrapped(ticket)
    core = _PLATFORM_PREFIX.sub("", value, count=1) if _PLATFORM_PREFIX.match(value) else value
    key = re.sub(r"[\W_]", "", core).upper()
    return key or re.sub(r"[\W_]", "", value).upper() or None
