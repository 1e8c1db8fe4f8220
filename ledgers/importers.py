"""Household rosters (贫困户名册) from Excel: the file checks, the row checks, and the import.

A roster comes from a township office, typed by hand or pasted from other tables, so:
- the file itself is checked before openpyxl opens it (size, really an xlsx, not encrypted, not
  a zip bomb, not too many rows), and every refusal is a sentence, never a server error;
- the header row is found by its names (a title row may sit above it; column order is free);
- full-width characters and stray spaces are normalised in every cell before checking;
- every row is checked and every problem is reported at once (row, column, value, what is wrong);
- all or nothing: one transaction, and only when no row is wrong. Households are matched by the
  head's ID number, so importing the same file again changes nothing.

The column names are the pairing ledger's (`ledgers.exporters`), so a ledger exported with full
ID numbers can be fed back unchanged.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.idcard import mask_id_number, normalise_id_number, validate_id_number
from households.models import (
    AssistanceTrack,
    Household,
    IncomeRecord,
    PovertyCause,
    PovertyStatus,
)
from ledgers.exporters import (
    COL_CAUSE,
    COL_EXIT_YEAR,
    COL_HEAD_NAME,
    COL_ID_NUMBER,
    COL_INCOME,
    COL_KEY,
    COL_PHONE,
    COL_SIZE,
    COL_TRACK,
    COL_VILLAGE_CODE,
    NO,
    YES,
)
from periods import rules as period_rules
from villages.models import Region, Village

logger = logging.getLogger(__name__)

ROSTER_SHEET = "贫困户名册"
COLUMNS = [
    COL_VILLAGE_CODE,
    COL_HEAD_NAME,
    COL_ID_NUMBER,
    COL_SIZE,
    COL_PHONE,
    COL_CAUSE,
    COL_TRACK,
    COL_KEY,
    COL_INCOME,
    COL_EXIT_YEAR,
]
REQUIRED = {COL_VILLAGE_CODE, COL_HEAD_NAME, COL_ID_NUMBER, COL_SIZE, COL_CAUSE, COL_TRACK}
# Other spellings seen in township files, mapped to the template's names.
ALIASES = {
    "村代码": COL_VILLAGE_CODE,
    "行政村代码": COL_VILLAGE_CODE,
    "村级区划代码": COL_VILLAGE_CODE,
    "户主": COL_HEAD_NAME,
    "姓名": COL_HEAD_NAME,
    "户主身份证号码": COL_ID_NUMBER,
    "身份证号": COL_ID_NUMBER,
    "身份证号码": COL_ID_NUMBER,
    "家庭人口": COL_SIZE,
    "人口数": COL_SIZE,
    "家庭人数": COL_SIZE,
    "电话": COL_PHONE,
    "联系方式": COL_PHONE,
    "手机号": COL_PHONE,
    "主要致贫原因": COL_CAUSE,
    "是否重点困难户": COL_KEY,
    "年人均纯收入": COL_INCOME,
    "人均纯收入(元)": COL_INCOME,
    "人均纯收入": COL_INCOME,
    "脱贫年份": COL_EXIT_YEAR,
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_SEARCH_ROWS = 20
MAX_COLUMNS = 80
MAX_SHEETS_SEARCHED = 10
MIN_EXIT_YEAR = 2013
MAX_SIZE = 50
MAX_INCOME = Decimal("9999999999.99")
PHONE_RE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")
CODE_RE = re.compile(r"^\d{2,15}$")

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
_FULLWIDTH[0x00A0] = 0x20  # no-break space
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")
_CJK = "\u3400-\u9fff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


class RosterRefused(Exception):
    """The file as a whole cannot be read as a roster; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- normalising ------------------------------------------------------------------------------
def normalise_text(value: Any) -> str:
    """Full-width letters, digits and punctuation to half-width, invisible characters dropped,
    runs of spaces to one, no spaces at the ends or between two Chinese characters."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_FULLWIDTH).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    return _CJK_GAP.sub("", text)


def header_key(value: Any) -> str:
    text = normalise_text(value).replace(" ", "").replace("*", "")
    return text.replace("(必填)", "").replace("(选填)", "")


HEADER_LOOKUP = {header_key(name): name for name in COLUMNS}
HEADER_LOOKUP.update({header_key(alias): name for alias, name in ALIASES.items()})


def display_value(value: Any) -> str:
    """A cell's value as the user saw it in Excel, for error messages."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 1e15:
            return f"{value:.14E}"  # what Excel shows for an ID number stored as a number
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- the file ---------------------------------------------------------------------------------
def check_file(data: IO[bytes], *, size: int) -> None:
    """Refuse what is not a readable xlsx before openpyxl sees it."""
    max_bytes = settings.IMPORT_MAX_BYTES
    if size == 0:
        raise RosterRefused(_("上传的文件是空的。"))
    if size > max_bytes:
        raise RosterRefused(
            _("文件过大（%(size)s），上限为 %(max)s；请拆分后分批导入。")
            % {"size": _megabytes(size), "max": _megabytes(max_bytes)}
        )
    data.seek(0)
    head = data.read(8)
    data.seek(0)
    if head.startswith(OLE_MAGIC):
        if _looks_encrypted(data):
            raise RosterRefused(
                _(
                    "文件设置了打开密码（已加密），系统无法读取。请在 Excel 中取消密码后另存为 .xlsx 再上传。"
                )
            )
        raise RosterRefused(
            _("这是旧版 Excel（.xls）文件。请在 Excel 中“另存为”Excel 工作簿（.xlsx）后再上传。")
        )
    if not head.startswith(ZIP_MAGIC):
        raise RosterRefused(
            _("文件不是 Excel 工作簿（.xlsx）。请使用系统提供的模板，或在 Excel 中另存为 .xlsx。")
        )
    try:
        with zipfile.ZipFile(data) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RosterRefused(_("文件已损坏，无法打开。请在 Excel 中重新保存后再上传。")) from exc
    finally:
        data.seek(0)
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise RosterRefused(
            _("文件不是 Excel 工作簿（可能是 Word、WPS 文字或其他压缩文件）。请上传 .xlsx 名册。")
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise RosterRefused(_("文件已加密，系统无法读取。请取消密码后再上传。"))
    unpacked = sum(info.file_size for info in infos)
    if unpacked > max_bytes * 20:
        raise RosterRefused(
            _("文件解压后过大（%(size)s），不像正常的名册；请删除无关内容或拆分后再上传。")
            % {"size": _megabytes(unpacked)}
        )


def _looks_encrypted(data: IO[bytes]) -> bool:
    """An encrypted OOXML file is an OLE compound file holding an 'EncryptionInfo' stream."""
    data.seek(0)
    blob = data.read(settings.IMPORT_MAX_BYTES)
    data.seek(0)
    return "EncryptionInfo".encode("utf-16-le") in blob or b"EncryptedPackage" in blob


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@dataclass
class ParsedRoster:
    sheet: str
    header_row: int  # 1-based row number in the sheet
    columns: dict[str, int]  # canonical name -> 0-based column index
    rows: list[tuple[int, tuple]]  # (row number, raw values)

    def letter(self, name: str) -> str:
        return get_column_letter(self.columns[name] + 1)


def read_roster(data: IO[bytes]) -> ParsedRoster:
    """Find the roster sheet and its header row; read the data rows (values only)."""
    max_rows = settings.IMPORT_MAX_ROWS
    try:
        workbook = load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a malformed file
        logger.info("roster unreadable: %r", exc)
        raise RosterRefused(
            _(
                "文件无法作为 Excel 工作簿读取（可能已损坏）。请在 Excel 中重新保存为 .xlsx 后再上传。"
            )
        ) from exc
    try:
        sheets = workbook.worksheets
        if ROSTER_SHEET in workbook.sheetnames:
            sheets = [workbook[ROSTER_SHEET]]
        best: dict[str, int] = {}
        seen_content = False
        for ws in sheets[:MAX_SHEETS_SEARCHED]:
            if not hasattr(ws, "iter_rows"):
                continue  # a chart sheet
            rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            preview = []
            for values in rows:
                preview.append(values)
                if len(preview) >= HEADER_SEARCH_ROWS:
                    break
            seen_content = seen_content or any(
                normalise_text(v) for values in preview for v in values
            )
            for index, values in enumerate(preview):
                mapping: dict[str, int] = {}
                for col, value in enumerate(values):
                    name = HEADER_LOOKUP.get(header_key(value))
                    if name and name not in mapping:
                        mapping[name] = col
                if mapping.keys() >= REQUIRED:
                    data_rows = _data_rows(ws, index + 2, mapping, max_rows)
                    return ParsedRoster(ws.title, index + 1, mapping, data_rows)
                if len(mapping) > len(best):
                    best = mapping
        if not seen_content:
            raise RosterRefused(_("工作簿是空的，没有任何内容。"))
        missing = [name for name in COLUMNS if name in REQUIRED and name not in best]
        raise RosterRefused(
            _(
                "找不到名册的表头行：前%(n)d行中没有一行同时包含必需的列名。缺少：%(missing)s。"
                "请使用系统提供的模板（工作表“%(sheet)s”）。"
            )
            % {"n": HEADER_SEARCH_ROWS, "missing": "、".join(missing), "sheet": ROSTER_SHEET}
        )
    finally:
        workbook.close()


def _data_rows(ws, first_row: int, mapping: dict[str, int], max_rows: int) -> list:
    """Rows after the header that hold anything, except a totals row (合计, 总计)."""
    id_col = mapping[COL_ID_NUMBER]
    scan_limit = max_rows * 2 + 1000
    out = []
    for offset, values in enumerate(
        ws.iter_rows(min_row=first_row, values_only=True, max_col=MAX_COLUMNS)
    ):
        row_number = first_row + offset
        if offset > scan_limit:
            raise RosterRefused(
                _("工作表行数过多（超过 %(n)s 行，含空行）。请删除多余的行或拆分后再导入。")
                % {"n": f"{scan_limit:,}"}
            )
        if not any(normalise_text(v) for v in values):
            continue
        texts = [normalise_text(v) for v in values]
        id_text = texts[id_col] if id_col < len(texts) else ""
        if not id_text and any(t.startswith(("合计", "总计", "小计")) for t in texts):
            continue
        out.append((row_number, tuple(values)))
        if len(out) > max_rows:
            raise RosterRefused(
                _("名册超过 %(n)s 行，请拆分为多个文件分批导入。") % {"n": f"{max_rows:,}"}
            )
    if not out:
        raise RosterRefused(_("名册中没有数据行（表头下面是空的）。"))
    return out


# --- the rows ---------------------------------------------------------------------------------
@dataclass
class RowError:
    row: int
    column: str
    letter: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class RosterRow:
    row: int
    village_code: str
    head_name: str
    id_number: str
    size: int
    phone: str | None  # None: the column is absent
    cause: str
    track: str
    key_difficulty: bool | None
    income: Decimal | None  # None: blank or absent (existing income left alone)
    exit_year: int | None
    has_exit_year: bool
    village_id: int = 0


@dataclass
class RosterCheck:
    parsed: ParsedRoster
    income_year: int
    errors: list[RowError] = field(default_factory=list)
    rows: list[RosterRow] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # creates and updates, not unchanged
    warnings: int = 0  # possible duplicates, listed with the rows' changes
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_rows(self) -> int:
        return len(self.parsed.rows)


class _Field:
    """Checks one cell; on a problem records a RowError and returns None."""

    def __init__(self, check: RosterCheck, row: int, values: tuple) -> None:
        self.check = check
        self.row = row
        self.values = values

    def raw(self, name: str) -> Any:
        index = self.check.parsed.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def present(self, name: str) -> bool:
        return name in self.check.parsed.columns

    def error(self, name: str, message: str, value: Any = None) -> None:
        raw = self.raw(name) if value is None else value
        self.check.errors.append(
            RowError(self.row, name, self.check.parsed.letter(name), display_value(raw), message)
        )


def check_roster(
    parsed: ParsedRoster, *, user, income_year: int, today: datetime.date | None = None
) -> RosterCheck:
    """Check every row and work out what importing would change. `user=None`: the command
    line, no scope limit."""
    today = today or timezone.localdate()
    check = RosterCheck(parsed=parsed, income_year=income_year)
    cause_labels = {str(label): value for value, label in PovertyCause.choices}
    track_labels = {str(label): value for value, label in AssistanceTrack.choices}
    first_row_of: dict[str, int] = {}

    for row_number, values in parsed.rows:
        f = _Field(check, row_number, values)
        errors_before = len(check.errors)

        code = _parse_code(f, COL_VILLAGE_CODE)
        name = normalise_text(f.raw(COL_HEAD_NAME))
        if not name:
            f.error(COL_HEAD_NAME, _("户主姓名不能为空。"))
        elif len(name) > 50:
            f.error(COL_HEAD_NAME, _("户主姓名过长（最多50个字）。"))

        id_number = _parse_id(f)
        if id_number:
            if id_number in first_row_of:
                f.error(
                    COL_ID_NUMBER,
                    _("身份证号与第 %(row)d 行重复：同一户主在文件中只能出现一次。")
                    % {"row": first_row_of[id_number]},
                )
            else:
                first_row_of[id_number] = row_number

        size = _parse_size(f)
        phone = _parse_phone(f) if f.present(COL_PHONE) else None
        cause = _parse_choice(f, COL_CAUSE, cause_labels)
        track = _parse_choice(f, COL_TRACK, track_labels)
        key = _parse_yes_no(f) if f.present(COL_KEY) else None
        income = _parse_income(f) if f.present(COL_INCOME) else None
        exit_year = _parse_exit_year(f, today) if f.present(COL_EXIT_YEAR) else None

        if len(check.errors) == errors_before:
            check.rows.append(
                RosterRow(
                    row=row_number,
                    village_code=code,
                    head_name=name,
                    id_number=id_number,
                    size=size,
                    phone=phone,
                    cause=cause,
                    track=track,
                    key_difficulty=key,
                    income=income,
                    exit_year=exit_year,
                    has_exit_year=f.present(COL_EXIT_YEAR),
                )
            )

    _check_villages(check, user)
    _check_existing(check, user)
    _check_duplicates(check, user)
    _check_locked_incomes(check)
    check.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column)))
    return check


def _parse_code(f: _Field, name: str) -> str:
    raw = f.raw(name)
    if isinstance(raw, float) and not raw.is_integer():
        f.error(name, _("村区划代码应为数字（如 510802100201）。"))
        return ""
    code = normalise_text(raw).replace(" ", "")
    if not code:
        f.error(name, _("村区划代码不能为空。"))
        return ""
    if not CODE_RE.match(code):
        f.error(name, _("村区划代码应为2至15位数字（如 510802100201）。"))
        return ""
    return code


def _parse_id(f: _Field) -> str:
    raw = f.raw(COL_ID_NUMBER)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        f.error(
            COL_ID_NUMBER,
            _(
                "身份证号被 Excel 存成了数字，后几位已丢失，无法核对。"
                "请把这一列设置为“文本”格式后重新填写身份证号。"
            ),
        )
        return ""
    text = normalise_text(raw)
    if not text:
        f.error(COL_ID_NUMBER, _("户主身份证号不能为空。"))
        return ""
    if "*" in text:
        f.error(
            COL_ID_NUMBER,
            _(
                "身份证号已脱敏（含 * 号），无法导入。请填写完整号码，"
                "或由有权限查看完整身份证号的人员导出台账后再导入。"
            ),
        )
        return ""
    number = normalise_id_number(text)
    try:
        return validate_id_number(number)
    except ValidationError as exc:
        f.error(COL_ID_NUMBER, " ".join(exc.messages))
        return ""


def _parse_whole_number(raw: Any, suffixes: str = "") -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    text = normalise_text(raw).replace(" ", "").rstrip(suffixes)
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.0+", text):
        return int(text.split(".")[0])
    return None


def _parse_size(f: _Field) -> int:
    raw = f.raw(COL_SIZE)
    if normalise_text(raw) == "":
        f.error(COL_SIZE, _("家庭人口数不能为空。"))
        return 0
    size = _parse_whole_number(raw, "人口")
    if size is None or size < 1:
        f.error(COL_SIZE, _("家庭人口数应为不小于1的整数。"))
        return 0
    if size > MAX_SIZE:
        f.error(COL_SIZE, _("家庭人口数过大（超过%(n)d人），请核对。") % {"n": MAX_SIZE})
        return 0
    return size


def _parse_phone(f: _Field) -> str:
    raw = f.raw(COL_PHONE)
    if isinstance(raw, float) and not raw.is_integer():
        f.error(COL_PHONE, _("联系电话格式不正确。"))
        return ""
    phone = normalise_text(raw).replace(" ", "")
    if "*" in phone:
        f.error(COL_PHONE, _("联系电话已脱敏（含 * 号），无法导入；请填写完整号码或留空。"))
        return ""
    if phone and not PHONE_RE.match(phone):
        f.error(
            COL_PHONE, _("联系电话格式不正确：只能包含数字和“-”，如 13912345678 或 0839-1234567。")
        )
        return ""
    return phone


def _parse_choice(f: _Field, name: str, choices: dict[str, str]) -> str:
    text = normalise_text(f.raw(name)).replace(" ", "")
    if not text:
        f.error(name, _("%(column)s不能为空。") % {"column": name})
        return ""
    if text not in choices:
        f.error(
            name,
            _("%(column)s应为以下之一：%(choices)s。")
            % {"column": name, "choices": "、".join(choices)},
        )
        return ""
    return choices[text]


def _parse_yes_no(f: _Field) -> bool:
    raw = f.raw(COL_KEY)
    if isinstance(raw, bool):
        return raw
    text = normalise_text(raw).replace(" ", "")
    if text in ("", NO):
        return False
    if text == YES:
        return True
    f.error(COL_KEY, _("重点困难户应填“是”或“否”（不填视为“否”）。"))
    return False


def _parse_income(f: _Field) -> Decimal | None:
    raw = f.raw(COL_INCOME)
    if raw is None or normalise_text(raw) == "":
        return None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw))
    else:
        text = normalise_text(raw).replace(" ", "").replace(",", "").replace("，", "")
        text = text.removesuffix("元")
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        f.error(COL_INCOME, _("年人均纯收入应为数字（单位：元）。"))
        return None
    if value < 0:
        f.error(COL_INCOME, _("年人均纯收入不能为负数。"))
        return None
    if value > MAX_INCOME:
        f.error(COL_INCOME, _("年人均纯收入过大，请核对单位是否为元。"))
        return None
    return value.quantize(Decimal("0.01"))


def _parse_exit_year(f: _Field, today: datetime.date) -> int | None:
    raw = f.raw(COL_EXIT_YEAR)
    if normalise_text(raw) == "":
        return None
    year = _parse_whole_number(raw, "年")
    if year is None or not MIN_EXIT_YEAR <= year <= today.year:
        f.error(
            COL_EXIT_YEAR,
            _("脱贫年度应为%(min)d年至%(max)d年之间的年份（不填表示未脱贫）。")
            % {"min": MIN_EXIT_YEAR, "max": today.year},
        )
        return None
    return year


def _in_chunks(items: list, size: int = 900):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_locked_incomes(check: RosterCheck) -> None:
    """An income of a year whose period is locked (periods/rules.py: the period containing
    31 December) is refused on its row, so the import writes nothing."""
    day = datetime.date(check.income_year, 12, 31)
    verdicts: dict[int, str] = {}
    for row in check.rows:
        if row.income is None or not row.village_id:
            continue
        if row.village_id not in verdicts:
            village = Village.objects.get(pk=row.village_id)
            lock = period_rules.lock_of(village, day)
            verdicts[row.village_id] = lock.message if lock else ""
        if verdicts[row.village_id]:
            check.errors.append(
                RowError(
                    row.row,
                    COL_INCOME,
                    check.parsed.letter(COL_INCOME),
                    str(row.income),
                    verdicts[row.village_id],
                )
            )


def _check_villages(check: RosterCheck, user) -> None:
    codes = sorted({row.village_code for row in check.rows})
    villages: dict[str, int] = {}
    visible: set[str] = set()
    for chunk in _in_chunks(codes):
        villages.update(
            Village.objects.filter(region__code__in=chunk).values_list("region__code", "id")
        )
        scoped = Village.objects.all() if user is None else Village.objects.visible_to(user)
        visible.update(scoped.filter(region__code__in=chunk).values_list("region__code", flat=True))
    missing = [code for code in codes if code not in villages]
    not_villages = set()
    for chunk in _in_chunks(missing):
        not_villages.update(Region.objects.filter(code__in=chunk).values_list("code", flat=True))
    kept = []
    for row in check.rows:
        code = row.village_code
        letter = check.parsed.letter(COL_VILLAGE_CODE)
        if code not in villages:
            message = (
                _("该区划代码不是村级代码，请填写村（社区）的12位区划代码。")
                if code in not_villages
                else _("村区划代码不存在：系统中没有这个村。")
            )
            check.errors.append(RowError(row.row, COL_VILLAGE_CODE, letter, code, message))
        elif code not in visible:
            check.errors.append(
                RowError(
                    row.row,
                    COL_VILLAGE_CODE,
                    letter,
                    code,
                    _("该村不在您的管辖范围内，不能导入。"),
                )
            )
        else:
            row.village_id = villages[code]
            kept.append(row)
    check.rows = kept


_COMPARED = [
    ("village_id", "村"),
    ("head_name", COL_HEAD_NAME),
    ("size", COL_SIZE),
    ("phone", COL_PHONE),
    ("cause", COL_CAUSE),
    ("track", COL_TRACK),
    ("key_difficulty", COL_KEY),
    ("exit_year", COL_EXIT_YEAR),
]


def _check_existing(check: RosterCheck, user) -> None:
    """Match households by ID number; refuse those outside the user's scope; work out what
    changes."""
    numbers = [row.id_number for row in check.rows]
    fields = [name for name, _label in _COMPARED]
    existing: dict[str, dict] = {}
    visible: set[int] = set()
    for chunk in _in_chunks(numbers):
        for values in Household.objects.filter(head_id_number__in=chunk).values(
            "id", "head_id_number", *fields
        ):
            existing[values["head_id_number"]] = values
        scoped = Household.objects.all() if user is None else Household.objects.visible_to(user)
        visible.update(scoped.filter(head_id_number__in=chunk).values_list("id", flat=True))
    ids = [values["id"] for values in existing.values()]
    incomes: dict[int, Decimal] = {}
    for chunk in _in_chunks(ids):
        incomes.update(
            IncomeRecord.objects.filter(household_id__in=chunk, year=check.income_year).values_list(
                "household_id", "per_capita_net_income"
            )
        )
    village_names = dict(
        Village.objects.filter(
            id__in={row.village_id for row in check.rows}
            | {v["village_id"] for v in existing.values()}
        ).values_list("id", "name")
    )
    causes, tracks = dict(PovertyCause.choices), dict(AssistanceTrack.choices)

    def shown(name: str, value) -> str:
        if value is None or value == "":
            return ""
        if name == "village_id":
            return village_names.get(value, "")
        if name == "cause":
            return str(causes.get(value, value))
        if name == "track":
            return str(tracks.get(value, value))
        if name == "key_difficulty":
            return YES if value else NO
        return str(value)

    letter = check.parsed.letter(COL_ID_NUMBER)
    kept = []
    for row in check.rows:
        current = existing.get(row.id_number)
        if current is not None and current["id"] not in visible:
            check.errors.append(
                RowError(
                    row.row,
                    COL_ID_NUMBER,
                    letter,
                    row.id_number,
                    _("该户主已在您管辖范围以外的村登记，不能在此导入或修改；请与上级核实。"),
                )
            )
            continue
        kept.append(row)
        new = _row_values(row)
        changed = []
        for name, label in _COMPARED:
            if name not in new:
                continue
            old_value = current[name] if current else None
            if current is None and shown(name, new[name]) == "":
                continue  # a new household: only what it will hold
            if current is None or old_value != new[name]:
                changed.append([str(label), shown(name, old_value), shown(name, new[name])])
        income_label = _("%(year)d年人均纯收入（元）") % {"year": check.income_year}
        if row.income is not None:
            old_income = incomes.get(current["id"]) if current else None
            if old_income is None or old_income != row.income:
                changed.append(
                    [
                        income_label,
                        "" if old_income is None else f"{old_income:.2f}",
                        f"{row.income:.2f}",
                    ]
                )
        if current is None:
            action = "create"
            check.created += 1
        elif changed:
            action = "update"
            check.updated += 1
        else:
            check.unchanged += 1
            continue
        check.changes.append(
            {
                "row": row.row,
                "action": action,
                "id": mask_id_number(row.id_number),
                "name": row.head_name,
                "fields": changed,
            }
        )
    check.rows = kept


def _check_duplicates(check: RosterCheck, user) -> None:
    """The duplicate-household rules (households/duplicates.py), set-based over the file: a head
    whose ID number is a member of another household is refused (the other household named in
    the user's scope terms); the same head name and birth date in another village, or the same
    phone as another household's head, is listed with the row's change as a warning the user
    sees before 确认导入."""
    from households import duplicates

    rows = check.rows
    if not rows:
        return
    numbers = [row.id_number for row in rows]
    matched = dict(
        duplicates.open_households()
        .filter(head_id_number__in=numbers)
        .values_list("head_id_number", "id")
    )
    registered = duplicates.id_registrations(numbers)
    letter = check.parsed.letter(COL_ID_NUMBER)
    refused = set()
    for row in rows:
        others = registered.get(row.id_number, set()) - {matched.get(row.id_number)}
        if others:
            refused.add(row.row)
            message = duplicates.id_refusal(user, row.id_number, matched.get(row.id_number))
            check.errors.append(
                RowError(row.row, COL_ID_NUMBER, letter, row.id_number, message or "")
            )
    births = duplicates.name_birth_registrations(
        (row.head_name, duplicates.birth_of(row.id_number), row.village_id) for row in rows
    )
    phones = duplicates.phone_registrations(row.phone or "" for row in rows)
    by_row = {change["row"]: change for change in check.changes}
    for row in rows:
        change = by_row.get(row.row)
        if change is None or row.row in refused:
            continue
        own = {matched.get(row.id_number)}
        warnings = []
        same = births.get((row.head_name, duplicates.birth_of(row.id_number)), set()) - own
        if same:
            warnings.append(
                _("户主姓名和出生日期与%(other)s相同，请核实是否重复登记。")
                % {"other": "、".join(duplicates.described(user, same))}
            )
        same = phones.get((row.phone or "").strip(), set()) - own
        if same:
            warnings.append(
                _("联系电话与%(other)s的户主相同，请核实是否重复登记。")
                % {"other": "、".join(duplicates.described(user, same))}
            )
        if warnings:
            change["warnings"] = warnings
            check.warnings += len(warnings)


def _row_values(row: RosterRow) -> dict:
    values = {
        "village_id": row.village_id,
        "head_name": row.head_name,
        "size": row.size,
        "cause": row.cause,
        "track": row.track,
    }
    if row.phone is not None:
        values["phone"] = row.phone
    if row.key_difficulty is not None:
        values["key_difficulty"] = row.key_difficulty
    if row.has_exit_year:
        values["exit_year"] = row.exit_year
    return values


# --- importing --------------------------------------------------------------------------------
def import_roster(
    data: IO[bytes], *, size: int, user, income_year: int, dry_run: bool = False
) -> RosterCheck:
    """Check the file and, when every row is right and this is not a dry run, import it in one
    transaction. Raises RosterRefused for a file that cannot be read as a roster."""
    check_file(data, size=size)
    parsed = read_roster(data)
    if dry_run:
        return check_roster(parsed, user=user, income_year=income_year)
    try:
        with transaction.atomic():
            check = check_roster(parsed, user=user, income_year=income_year)
            if check.ok:
                _write(check)
    except IntegrityError as exc:
        # Another import or an edit took one of these ID numbers meanwhile; nothing was written.
        logger.warning("roster import raced: %s", exc)
        raise RosterRefused(
            _("导入时数据被他人同时修改（身份证号冲突），本次未导入任何数据；请重新导入。")
        ) from exc
    return check


def _write(check: RosterCheck) -> None:
    numbers = [row.id_number for row in check.rows]
    existing: dict[str, Household] = {}
    for chunk in _in_chunks(numbers):
        for household in Household.objects.select_for_update().filter(head_id_number__in=chunk):
            existing[household.head_id_number] = household
    villages = {
        v.id: v for v in Village.objects.filter(id__in={row.village_id for row in check.rows})
    }
    this_year = timezone.localdate().year
    changed_rows = {change["row"] for change in check.changes}
    for row in check.rows:
        if row.row not in changed_rows:
            continue
        values = _row_values(row)
        household = existing.get(row.id_number)
        if household is None:
            household = Household(head_id_number=row.id_number)
            if row.exit_year and row.exit_year <= this_year:
                household.status = PovertyStatus.EXITED
        elif (
            row.has_exit_year
            and row.exit_year
            and household.exit_year is None
            and household.status == PovertyStatus.POOR
        ):
            household.status = PovertyStatus.EXITED
        for name, value in values.items():
            setattr(household, name, value)
        household.village = villages[row.village_id]
        # save() keeps the township, path and pinyin initials in step with the village and name.
        household.save()
        if row.income is not None:
            IncomeRecord.objects.update_or_create(
                household=household,
                year=check.income_year,
                defaults={"per_capita_net_income": row.income},
            )


# --- the workbooks the user downloads ---------------------------------------------------------
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")


def error_workbook(data: IO[bytes], *, sheet: str, header_row: int, errors: list[dict]) -> bytes:
    """The user's own workbook with a 错误说明 column after the last column of the header row
    and the wrong cells shaded, so they can correct it in place and upload it again."""
    data.seek(0)
    workbook = load_workbook(data)
    ws = workbook[sheet]
    last = 0
    for cell in ws[header_row]:
        if cell.value not in (None, ""):
            last = max(last, cell.column)
    column = last + 1
    header = ws.cell(row=header_row, column=column, value=_("错误说明"))
    header.font = Font(bold=True, color="9C0006")
    header.fill = ERROR_FILL
    ws.column_dimensions[get_column_letter(column)].width = 60
    by_row: dict[int, list[dict]] = {}
    for error in errors:
        by_row.setdefault(error["row"], []).append(error)
    for row, row_errors in by_row.items():
        text = "；".join(f"{e['column']}：{e['message']}" for e in row_errors)
        cell = ws.cell(row=row, column=column, value=text)
        cell.font = ERROR_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        for error in row_errors:
            target = ws[f"{error['letter']}{row}"]
            target.fill = ERROR_FILL
            if target.comment is None:
                target.comment = Comment(error["message"], _("系统检查"))
    workbook.active = workbook.worksheets.index(ws)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _template_notes() -> list[tuple[str, bool, str]]:
    causes = "、".join(str(label) for label in PovertyCause.labels)
    tracks = "、".join(str(label) for label in AssistanceTrack.labels)
    return [
        (COL_VILLAGE_CODE, True, _("村（社区）的12位统计用区划代码，须是本人管辖范围内的村。")),
        (COL_HEAD_NAME, True, _("户主姓名。")),
        (
            COL_ID_NUMBER,
            True,
            _(
                "18位身份证号，最后一位可以是X。本列已设为文本格式；如从其他表格粘贴，"
                "请用“选择性粘贴—数值”，不要让 Excel 把号码变成数字（会丢失后几位）。"
            ),
        ),
        (COL_SIZE, True, _("家庭人口数，不小于1的整数。")),
        (COL_PHONE, False, _("手机或座机号码，如 13912345678、0839-1234567。")),
        (COL_CAUSE, True, _("从下拉列表选择：%(choices)s。") % {"choices": causes}),
        (COL_TRACK, True, _("从下拉列表选择：%(choices)s。") % {"choices": tracks}),
        (COL_KEY, False, _("填“是”或“否”，不填视为“否”。")),
        (COL_INCOME, False, _("导入时所选年度的年人均纯收入，单位元；不填则不修改已有收入。")),
        (COL_EXIT_YEAR, False, _("已脱贫的填写脱贫年份（如 2020），未脱贫的不填。")),
    ]


def template_workbook(rows: int = 2000) -> bytes:
    """The roster template: the 贫困户名册 sheet with the headers, text-formatted ID, code and
    phone columns, drop-down lists for the coded columns, and a sheet of instructions."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = ROSTER_SHEET
    last = get_column_letter(len(COLUMNS))
    ws["A1"] = _("贫困户名册")
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    widths = {
        COL_VILLAGE_CODE: 16,
        COL_HEAD_NAME: 10,
        COL_ID_NUMBER: 22,
        COL_SIZE: 10,
        COL_PHONE: 15,
        COL_CAUSE: 16,
        COL_TRACK: 14,
        COL_KEY: 10,
        COL_INCOME: 16,
        COL_EXIT_YEAR: 10,
    }
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    for index, name in enumerate(COLUMNS, 1):
        cell = ws.cell(row=2, column=index, value=name)
        cell.font = Font(bold=True, color="C00000" if name in REQUIRED else "000000")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(index)].width = widths[name]
    ws.row_dimensions[2].height = 30
    for name in (COL_VILLAGE_CODE, COL_ID_NUMBER, COL_PHONE):
        letter = get_column_letter(COLUMNS.index(name) + 1)
        ws.column_dimensions[letter].number_format = "@"
        for row in range(3, rows + 3):
            ws[f"{letter}{row}"].number_format = "@"
    for name, choices in (
        (COL_CAUSE, [str(label) for label in PovertyCause.labels]),
        (COL_TRACK, [str(label) for label in AssistanceTrack.labels]),
        (COL_KEY, [YES, NO]),
    ):
        letter = get_column_letter(COLUMNS.index(name) + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=name == COL_KEY,
            showErrorMessage=True,
            errorTitle=_("请从列表中选择"),
            error=_("请从下拉列表中选择。"),
        )
        validation.add(f"{letter}3:{letter}{rows + 2}")
        ws.add_data_validation(validation)
    ws.freeze_panes = "A3"

    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列名"), _("是否必填"), _("填写要求")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for name, required, text in _template_notes():
        notes.append([name, _("必填") if required else _("选填"), text])
    notes.append([])
    notes.append(
        [
            _("说明"),
            "",
            _(
                "表头所在行可以下移（上方可有标题行），列的顺序可以调整。"
                "导入时先检查全部行：只要有一行有误，就不导入任何数据，并列出全部错误。"
                "按户主身份证号匹配已有贫困户：已有的更新，没有的新增；同一文件重复导入不会产生变化。"
            ),
        ]
    )
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
