"""The ID-number rule: any area code that ever existed, a real birth date from 1900 to today, the
GB 11643 check digit, and one message naming what is wrong.

Numbers are built here with their check digit computed (ISO 7064 MOD 11-2), so every case is
wrong only in the way it means to be. Most cases are numbers python-stdnum's `validate` gets
wrong (it checks the area code against the birth year), so they pin that it is not used.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric

from core.idcard import known_area_codes, normalise_id_number, validate_id_number

CHECK_MESSAGE = "身份证号码校验位不正确，请核对最后一位。"


def check_digit(body: str) -> str:
    """The GB 11643 check digit of 17 digits, computed independently of the code under test."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    value = (12 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


def make(area: str, born: str, serial: str = "001") -> str:
    body = f"{area}{born}{serial}"
    return body + check_digit(body)


def refusal(number: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_id_number(number)
    return info.value


def test_the_check_digit_helper_agrees_with_published_numbers():
    assert make("110105", "19491231", "002") == "11010519491231002X"  # GB 11643's own example
    assert make("360426", "19910101", "007") == "360426199101010071"  # stdnum's doctest
    assert check_digit("51082119500315001") == ric.calc_check_digit("51082119500315001" + "0")


@pytest.mark.parametrize(
    "area",
    [
        "510821",  # 旺苍县, coded from 1985
        "510104",  # 成都市锦江区, from 1990
        "440305",  # 深圳市南山区 (南头区办事处 1983–1989)
    ],
)
def test_a_head_born_before_the_area_code_existed_is_accepted(area):
    number = make(area, "19500315")
    assert not ric.is_valid(number)  # what stdnum's rule said about this number
    assert validate_id_number(number) == number


def test_a_retired_area_code_is_accepted():
    # 110221 昌平县 is "[1982-1999]" in stdnum's table: a county since merged into 昌平区. Its
    # residents born in 1950 got numbers from 1982 to 1999 and keep them.
    assert "110221" in known_area_codes()
    number = make("110221", "19500315")
    assert not ric.is_valid(number)
    assert validate_id_number(number) == number


@pytest.mark.parametrize("area", ["999999", "519999", "000000"])
def test_an_unknown_area_code_is_refused_naming_the_code(area):
    error = refusal(make(area, "19500315"))
    assert error.code == "id_area"
    assert error.messages == [f"身份证号码的地区码 {area} 不存在。"]


def test_a_date_that_is_not_on_the_calendar_is_refused():
    error = refusal(make("510821", "19700230"))
    assert error.code == "id_birth_date"
    assert error.messages == ["身份证号码中的出生日期（1970-02-30）不是有效日期。"]


@pytest.mark.parametrize("born", ["19701301", "19700100", "19700431"])
def test_other_impossible_dates_are_refused(born):
    assert refusal(make("110105", born)).code == "id_birth_date"


def test_a_birth_date_after_today_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    number = make("110105", f"{tomorrow:%Y%m%d}")
    assert ric.is_valid(number)  # stdnum does not look at the date's range
    error = refusal(number)
    assert error.code == "id_birth_date_range"
    assert error.messages == [
        f"身份证号码中的出生日期（{tomorrow:%Y-%m-%d}）不在1900年1月1日至今天之间。"
    ]


def test_a_birth_date_before_1900_is_refused_and_1900_itself_is_not():
    error = refusal(make("110105", "18991231"))
    assert error.code == "id_birth_date_range"
    assert "1899-12-31" in error.messages[0]
    number = make("110105", "19000101")
    assert validate_id_number(number) == number


@time_machine.travel(datetime.datetime(2026, 6, 1, 17, 0, tzinfo=datetime.UTC), tick=False)
def test_today_is_the_local_date():
    # 17:00 UTC on 1 June is 01:00 on 2 June in Asia/Shanghai: a baby born that day is valid.
    born_today = make("110105", "20260602")
    assert validate_id_number(born_today) == born_today
    assert refusal(make("110105", "20260603")).code == "id_birth_date_range"


def test_a_wrong_check_digit_is_refused():
    number = make("510821", "19500315")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    error = refusal(wrong)
    assert error.code == "id_checksum"
    assert error.messages == [CHECK_MESSAGE]


def test_the_first_fault_is_reported_area_then_date_then_check_digit():
    def wrong_check(number):
        return number[:-1] + ("0" if number[-1] != "0" else "1")

    # stdnum looks at the check digit first; the clerk is told the bigger fault.
    assert refusal(wrong_check(make("999999", "19700230"))).code == "id_area"
    assert refusal(wrong_check(make("510821", "19700230"))).code == "id_birth_date"
    assert refusal(wrong_check(make("510821", "19500315"))).code == "id_checksum"
    # a bad format comes before everything
    assert refusal("9999991970023000AB").code == "id_format"


def test_lowercase_x_and_full_width_digits_are_normalised():
    serial = next(
        s for s in (f"{n:03d}" for n in range(1000)) if make("510821", "19500315", s)[-1] == "X"
    )
    number = make("510821", "19500315", serial)
    assert number.endswith("X")
    assert validate_id_number(number[:-1] + "x") == number
    full_width = number[:-1].translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"}) + "ｘ"
    assert validate_id_number(f" {full_width[:6]}\u3000{full_width[6:]} ") == number
    assert normalise_id_number(full_width) == number


@pytest.mark.parametrize(
    "value, code",
    [
        ("110105491231002", "legacy_id"),
        ("12345", "id_length"),
        ("51082119500315001", "id_length"),
        ("5108211950031500AB", "id_format"),
        ("510821195003150Y1X", "id_format"),
    ],
)
def test_legacy_length_and_format_keep_their_messages(value, code):
    error = refusal(value)
    assert error.code == code
    expected = {
        "legacy_id": "这是15位旧身份证号码，请填写18位新号码。",
        "id_length": f"身份证号码应为18位，当前为{len(value)}位。",
        "id_format": "身份证号码格式不正确：前17位应为数字，最后一位为数字或X。",
    }[code]
    assert error.messages == [expected]


def test_the_area_table_is_read_once():
    assert known_area_codes() is known_area_codes()
    assert {"510821", "510104", "440305", "110105"} <= known_area_codes()
