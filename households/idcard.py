"""Resident ID-card numbers (居民身份证号码, GB 11643): 18 characters, the last a check digit.

python-stdnum does the arithmetic; this module turns its verdict into messages a township clerk
understands, and masks numbers for people whose role may not see them in full.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength


def normalise_id_number(value: str) -> str:
    """Strip spaces, fold full-width characters and accept a lowercase x as the check digit."""
    value = (value or "").strip()
    value = value.translate({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}).replace("\u3000", "")
    return value.replace(" ", "").upper()


def validate_id_number(value: str) -> str:
    number = normalise_id_number(value)
    if len(number) == 15 and number.isdigit():
        raise ValidationError(_("这是15位旧身份证号码，请填写18位新号码。"), code="legacy_id")
    try:
        ric.validate(number)
    except InvalidChecksum as exc:
        raise ValidationError(
            _("身份证号码校验位不正确，请核对最后一位。"), code="id_checksum"
        ) from exc
    except InvalidLength as exc:
        raise ValidationError(
            _("身份证号码应为18位，当前为%(n)d位。") % {"n": len(number)}, code="id_length"
        ) from exc
    except (InvalidComponent, KeyError) as exc:  # stdnum raises KeyError for some retired codes
        raise ValidationError(
            _("身份证号码中的出生日期或地区码无效。"), code="id_component"
        ) from exc
    except InvalidFormat as exc:
        raise ValidationError(
            _("身份证号码格式不正确：前17位应为数字，最后一位为数字或X。"), code="id_format"
        ) from exc
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
