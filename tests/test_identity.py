import pytest

from complaintctl.errors import ComplaintError
from complaintctl.rules.identity import check_phone, check_resident_id, check_uscc, mask_id, mask_name, mask_phone


# 440305198005060018: check digit worked by hand, 235 mod 11 = 4 -> "8".
@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", "440305198005060018"])
def test_valid_resident_ids(number):
    assert check_resident_id(number) == number.upper()


@pytest.mark.parametrize("number,why", [
    ("110105194912310021", "check digit"),      # last digit should be X
    ("11010519491331002X", "birth date"),       # month 13
    ("11010519490230002X", "birth date"),       # 30 February
    ("1101051949123100", "18 characters"),
    ("11010519491231002Y", "18 characters"),
])
def test_invalid_resident_ids_say_why_without_echoing_the_number(number, why):
    with pytest.raises(ComplaintError) as info:
        check_resident_id(number)
    assert why in str(info.value)
    assert number not in str(info.value)
    assert info.value.rule == "GB 11643"


def test_uscc_checksum():
    assert check_uscc("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ComplaintError, match="check character"):
        check_uscc("91350100M000100Y44")
    with pytest.raises(ComplaintError, match="18 digits"):
        check_uscc("91350100M000100O43")  # O is not in the GB 32100 set


@pytest.mark.parametrize("phone", ["13812345678", "021-12345678", "0755 8888 6666", "+85261234567"])
def test_phones_accepted(phone):
    assert check_phone(phone)


@pytest.mark.parametrize("phone", ["12345", "2381234567", "138123456789", "abc"])
def test_phones_refused(phone):
    with pytest.raises(ComplaintError):
        check_phone(phone)


def test_masks_keep_what_the_report_standard_says():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("张三") == "张*"
