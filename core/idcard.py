"""Resident ID-card numbers (居民身份证号码, GB 11643): 18 characters, the last a check digit.

The 18 characters are: a 6-digit administrative area code (地区码), the birth date as YYYYMMDD,
a 3-digit sequence number and a check digit (ISO 7064 MOD 11-2; a value of 10 is written X).

Why not ``stdnum.cn.ric.validate``: python-stdnum checks the area code against the holder's birth
year and refuses a number whose code was not yet (or no longer) in use that year. But the area
code is where the number was first *issued*, not where the holder was born: numbers were first
issued from 1984 on (and keep their area code when the county is later renamed or merged), so
everyone born before their county's code existed carries it all the same (510821 旺苍县 is
coded from 1985, so stdnum refused every head of household there born before 1985; 510104 and
440305 likewise). Real rosters are full of such numbers. Here a number is
accepted when its area code appears in stdnum's area-code table (``stdnum/cn/loc.dat``) at any
time, retired codes included; its birth date is a real date from 1900-01-01 to today; and its
check digit is right. Each refusal names the one thing that is wrong, checked in the order
format/length, area code, birth date, check digit.

This module also masks numbers for people whose role may not see them in full.
"""

import datetime
import functools
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric

_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


def normalise_id_number(value: str) -> str:
    """Strip spaces, fold full-width characters and accept a lowercase x as the check digit."""
    value = (value or "").strip()
    value = value.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}).replace("\u3000", "")
    return value.replace(" ", "").upper()


@functools.cache
def known_area_codes() -> frozenset[str]:
    """Every 6-digit area code in python-stdnum's table (``cn/loc``), whatever years it was used.

    The table is a numdb tree: a 2-digit province (``province=`` property) with 4-digit entries
    under it carrying ``county=`` (the names, with ``[start-end]`` years for codes that came into
    use or were retired). A code counts as known when its full 6 digits reach a ``county`` entry;
    a province-only match (e.g. 519999) is not a code. Read once per process.
    """
    codes: set[str] = set()

    def walk(prefixes, code: str, props: dict) -> None:
        for length, low, high, own_props, children in prefixes:
            for value in range(int(low), int(high) + 1):
                part = code + f"{value:0{length}d}"
                merged = {**props, **own_props}
                if len(part) == 6:
                    if merged.get("county"):
                        codes.add(part)
                elif len(part) < 6:
                    walk(children, part, merged)

    walk(numdb.get("cn/loc").prefixes, "", {})
    return frozenset(codes)


def validate_id_number(value: str) -> str:
    """The normalised number, or a ValidationError naming the first thing wrong with it."""
    number = normalise_id_number(value)
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ValidationError(_("这是15位旧身份证号码，请填写18位新号码。"), code="legacy_id")
    if len(number) != 18:
        raise ValidationError(
            _("身份证号码应为18位，当前为%(n)d位。") % {"n": len(number)}, code="id_length"
        )
    if not _FORMAT.fullmatch(number):
        raise ValidationError(
            _("身份证号码格式不正确：前17位应为数字，最后一位为数字或X。"), code="id_format"
        )
    area = number[:6]
    if area not in known_area_codes():
        raise ValidationError(
            _("身份证号码的地区码 %(code)s 不存在。") % {"code": area}, code="id_area"
        )
    digits = number[6:14]
    shown = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValidationError(
            _("身份证号码中的出生日期（%(date)s）不是有效日期。") % {"date": shown},
            code="id_birth_date",
        ) from None
    if not _EARLIEST_BIRTH_DATE <= born <= timezone.localdate():
        raise ValidationError(
            _("身份证号码中的出生日期（%(date)s）不在1900年1月1日至今天之间。") % {"date": shown},
            code="id_birth_date_range",
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(_("身份证号码校验位不正确，请核对最后一位。"), code="id_checksum")
    return number


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters shown (the ledgers' rule), the rest as asterisks."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if not value or len(value) < 7:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
