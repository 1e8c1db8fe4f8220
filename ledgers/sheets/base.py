"""The Excel import framework of kept records (区划与村, units, cadres, pairings, plans …).

It reuses the roster importer's machinery (ledgers/importers.py: the file checks, full-width
normalising, the header found by its names below any title rows, the error workbook) for any
kind of record. A kind is ONE module in ledgers/sheets/ that subclasses `SheetSpec` and calls
`register_sheet`; the pages (/ledgers/imports/<kind>/), the API (/api/v1/imports/<kind>/), the
template download and the marked-up error copy then exist for it with nothing else to write.

Writing a kind::

    from ledgers.sheets.base import CREATED, UNCHANGED, UPDATED, Col, SheetSpec, register_sheet

    class UnitSheet(SheetSpec):
        kind = "units"                   # the URL's slug
        title = _("帮扶单位")             # shown on the pages
        sheet_name = "帮扶单位"           # the template's sheet (searched first when reading)
        keeper_kind = "unit"             # core.keepers kind the importing user must keep
        columns = [
            Col("单位名称", "name", required=True, aliases=("名称",), example="县人民医院"),
            Col("单位类型", "kind", required=True, choices=UnitKind),   # drop-down, by label
            Col("所在区划代码", "region", parse="code", note=_("县或乡镇的区划代码。")),
            Col("成立日期", "founded", parse="date"),
        ]
        instructions = [_("按单位名称匹配已有单位：已有的更新，没有的新增。")]
        key_columns = ("name",)          # where a duplicate-key error is shown (default: 1st)
        field_columns = {"credit_code": "code"}   # service field -> column key, for its errors

        def key(self, row):              # natural key: duplicates in one file are errors
            return row["name"]

        def check(self, rows, user):     # cross-row / database checks before any write
            regions = {r.code: r for r in Region.objects.visible_to(user).filter(...)}
            for row in rows:
                if row["region"] and row["region"] not in regions:
                    row.error("region", _("该区划不存在或不在您的管辖范围内。"))
                row.data["region"] = regions.get(row["region"])

        def apply(self, row, user):      # write through the owning app's services
            unit = Unit.objects.visible_to(user).filter(name=row["name"]).first()
            values = {"kind": row["kind"], "region": row.data["region"]}
            if unit is None:
                unit_record(user=user, name=row["name"], **values)
                return CREATED
            changes = row.changes_for(unit, values)   # only what differs; listed on the page
            if not changes:
                return UNCHANGED
            unit_update(user=user, unit=unit, **changes)
            return UPDATED

        def describe(self, row):         # a short name in the list of changes
            return row["name"]

    register_sheet(UnitSheet())

Rows (`SheetRow`): `row["key"]` is the parsed value (a blank cell or a column absent from the
file: "" for parse="text" without choices, None otherwise; `row.get("key", default)`), `row.has("key")` whether the column is in the file
at all (absent: leave the field alone), `row.number` the Excel row, `row.raw["key"]` the cell
as read, `row.data` a dict for the spec's own use (objects found in `check`), `row.error(key,
message)` an error on that cell (key None: the row's key column), `row.changed(label, old,
new)` / `row.changes_for(instance, values)` what an update changes (shown before importing).

`describe` and the changes must not show a full ID number or phone (core.idcard.mask_id_number,
mask_phone): the list of changes is shown on the page and stored until the purge.

`Col.parse`: "text" (normalised: full-width to half-width, spaces folded), "int", "decimal",
"date" (Excel dates, Excel day numbers, 2024-01-05, 2024/1/5, 2024.1.5, 20240105,
2024年1月5日), "bool" (是/否), "id_number" (core.idcard; an ID Excel stored as a number is
refused with the reason; masked numbers with * refused), "phone", "code" (digits only), or a
callable(text) -> value raising ValueError("中文说明"). `choices`: a TextChoices class (the
cell is its label or value; the parsed value is the value) or a list of labels; the template
gets a drop-down. A required column missing from the header is a refusal of the file; a
required cell left blank is an error on that cell.

Running (`run_sheet`): the file is checked (size, really xlsx, not encrypted, no zip bomb, row
limits), every row parsed, `key` duplicates and `check` errors collected; then every row without
an error is applied, in `order(rows)` order, inside ONE transaction, each row in a savepoint: a
ValidationError of a service becomes errors on the columns named by its fields (`field_columns`,
else a column of the same key, else the row's key column), Http404 "不在您的管辖范围内", and
PermissionDenied its message, so every error is listed at once. If any row has an error, or
this is a dry run, everything is rolled back: the dry run is the import itself, undone, so what
it shows (counts, changes, errors) is exactly what importing will do. An `apply` that finds
nothing to change returns UNCHANGED, so importing the same file twice changes nothing.

Testing a kind: `run_sheet(sheet_for("units"), io.BytesIO(data), size=len(data), user=user,
dry_run=False)` returns a `SheetResult` (ok, imported, created/updated/unchanged, changes,
errors: RowError(row, column, letter, value, message)); it raises SheetRefused for a file that
cannot be read and PermissionDenied for a user who does not keep the kind. `template_workbook
(spec)` is the template; tests/structure_imports/ has examples (a toy spec of every parse kind,
the regions kind). Pages and API need nothing: /ledgers/imports/<kind>/ and
/api/v1/imports/<kind>/ serve every registered kind.
"""

from __future__ import annotations

import datetime
import importlib
import io
import pkgutil
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from core.idcard import normalise_id_number, validate_id_number
from core.keepers import require_keeper
from ledgers import importers
from ledgers.importers import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_SHEETS_SEARCHED,
    PHONE_RE,
    RowError,
    check_file,
    display_value,
    header_key,
    normalise_text,
)

# The file as a whole is refused (not an xlsx, encrypted, too big, no header …): `.message`.
SheetRefused = importers.RosterRefused

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# A row listed back to the user with what was noticed (e.g. a person matched to no household)
# and nothing written: not a change, not an error.
NOTED = "noted"
YES, NO = "是", "否"
TOTALS = ("合计", "总计", "小计")
TEMPLATE_ROWS = 1000  # rows formatted as text / given drop-downs in a template
INLINE_LIST_MAX = 250  # longer drop-down lists go to a hidden sheet (Excel's formula limit)

# An Excel day number in a cell not formatted as a date: 1954-10-03 to 2119-01-10.
EXCEL_DAYS = (20000, 80000)
_DATE_TEXT = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_DATE_TIME_TAIL = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")


# --- columns ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Col:
    """One column of a kind's sheet (see the module docstring)."""

    name: str  # the template's header (Chinese)
    key: str  # the row's key (usually the service's field name)
    required: bool = False
    aliases: tuple[str, ...] = ()
    parse: str | Callable[[str], Any] = "text"
    choices: Any = None  # a TextChoices class or a list of labels
    note: str | Promise = ""  # the instructions sheet's text for this column
    example: str = ""  # the example row's value
    width: int = 0  # the template's column width (0: from the header)

    def choice_map(self) -> dict[str, Any]:
        """Cell text (label or value, spaces removed) -> the parsed value."""
        if self.choices is None:
            return {}
        if isinstance(self.choices, type) and issubclass(self.choices, models.Choices):
            out: dict[str, Any] = {}
            for value, _label in self.choices.choices:
                out[_fold(str(value))] = value
            for value, label in self.choices.choices:
                out[_fold(str(label))] = value  # the label wins over a value spelled alike
            return out
        return {_fold(str(label)): str(label) for label in self.choices}

    def labels(self) -> list[str]:
        if self.choices is None:
            return []
        if isinstance(self.choices, type) and issubclass(self.choices, models.Choices):
            return [str(label) for label in self.choices.labels]
        return [str(label) for label in self.choices]

    def blank(self) -> Any:
        return "" if self.parse == "text" and self.choices is None else None


def _fold(text: str) -> str:
    return normalise_text(text).replace(" ", "")


# --- the spec ---------------------------------------------------------------------------------
class SheetSpec(ABC):
    """A kind of record imported from Excel. Subclass, set the attributes, write `apply`."""

    kind: str = ""  # URL slug: /ledgers/imports/<kind>/, /api/v1/imports/<kind>/
    title: str | Promise = ""  # Chinese name of what is imported, e.g. 区划与村
    sheet_name: str = ""  # the template's sheet; read first when a workbook has it
    keeper_kind: str = ""  # core.keepers kind the user must keep (may_keep) to import
    columns: Sequence[Col] = ()
    instructions: Sequence[str | Promise] = ()  # Chinese lines (填写说明 sheet and page)
    key_columns: Sequence[str] = ()  # where duplicate-key errors go (default: first column)
    field_columns: dict[str, str] = {}  # a service's field name -> column key, for its errors
    order_on_hub: int = 100  # position in the list of imports

    # --- the hooks ---------------------------------------------------------------------------
    def key(self, row: SheetRow) -> Hashable | None:
        """The natural key: two rows with the same key in one file are an error. None: none."""
        return None

    def check(self, rows: list[SheetRow], user: Any) -> None:
        """Cross-row and database checks before any write (row.error(key, message)); none by
        default."""
        return None

    def order(self, rows: list[SheetRow]) -> list[SheetRow]:
        """The order rows are applied in (e.g. parents first)."""
        return rows

    @abstractmethod
    def apply(self, row: SheetRow, user: Any) -> str:
        """Write one row through the owning app's services: CREATED, UPDATED, UNCHANGED or
        NOTED."""

    def describe(self, row: SheetRow) -> str:
        """A short name for the list of changes."""
        key = self.key(row)
        return "" if key is None else str(key)

    # --- helpers -----------------------------------------------------------------------------
    def column(self, key: str) -> Col:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def required_keys(self) -> list[str]:
        return [col.key for col in self.columns if col.required]

    def header_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for col in self.columns:
            for name in (col.name, *col.aliases):
                lookup.setdefault(header_key(name), col.key)
        return lookup

    def key_column(self, present: Iterable[str]) -> str:
        present = list(present)
        for key in (*self.key_columns, *[c.key for c in self.columns]):
            if key in present:
                return key
        return present[0]


_REGISTRY: dict[str, SheetSpec] = {}
_discovered = False


def register_sheet(spec: SheetSpec) -> SheetSpec:
    """Make a kind importable (call once at the bottom of its module)."""
    if not spec.kind or not spec.keeper_kind or not spec.columns:
        raise ValueError("a SheetSpec needs kind, keeper_kind and columns")
    _REGISTRY[spec.kind] = spec
    return spec


def discover() -> None:
    """Import every module of ledgers/sheets/ once, so each registers its kind."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    package = importlib.import_module("ledgers.sheets")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"ledgers.sheets.{info.name}")


def sheets() -> list[SheetSpec]:
    """Every registered kind, in the hub's order."""
    discover()
    return sorted(_REGISTRY.values(), key=lambda s: (s.order_on_hub, str(s.title)))


def sheet_for(kind: str) -> SheetSpec | None:
    discover()
    return _REGISTRY.get(kind)


# --- rows -------------------------------------------------------------------------------------
class SheetRow:
    """One data row: parsed values by column key, and the means to report on it."""

    def __init__(self, run: SheetRun, number: int, raw: dict[str, Any]) -> None:
        self._run = run
        self.number = number
        self.raw = raw
        self.values: dict[str, Any] = {}
        self.data: dict[str, Any] = {}
        self.fields: list[list[str]] = []  # [label, old, new] of an update

    def __getitem__(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        return self._run.spec.column(key).blank()

    def get(self, key: str, default: Any = None) -> Any:
        value = self[key]
        return default if value in (None, "") else value

    def has(self, key: str) -> bool:
        """Whether the column is in the file (absent: leave the field alone)."""
        return key in self._run.columns

    @property
    def ok(self) -> bool:
        return self.number not in self._run.bad_rows

    def error(self, key: str | None, message: str, value: Any = None) -> None:
        self._run.add_error(self, key, message, value)

    def changed(self, label: str, old: Any, new: Any) -> None:
        self.fields.append([str(label), shown(old), shown(new)])

    def changes_for(self, instance: models.Model, values: dict[str, Any]) -> dict[str, Any]:
        """The part of `values` (model field -> new value) that differs from `instance`, each
        difference recorded for the list of changes (label, old → new)."""
        out = {}
        for name, new in values.items():
            try:
                model_field = instance._meta.get_field(name)
            except FieldDoesNotExist:
                model_field = None
            old = getattr(instance, name)
            if _same(old, new):
                continue
            out[name] = new
            label = getattr(model_field, "verbose_name", name)
            if model_field is not None and getattr(model_field, "choices", None):
                choices = dict(getattr(model_field, "flatchoices", []))
                self.changed(label, choices.get(old, old), choices.get(new, new))
            else:
                self.changed(label, old, new)
        return out


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, models.Model) or isinstance(new, models.Model):
        old_pk = old.pk if isinstance(old, models.Model) else old
        new_pk = new.pk if isinstance(new, models.Model) else new
        return old_pk == new_pk
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, Decimal | int | float) and isinstance(new, Decimal | int | float):
        if isinstance(old, bool) or isinstance(new, bool):
            return old is new
        return Decimal(str(old)) == Decimal(str(new))
    return bool(old == new)


def shown(value: Any) -> str:
    """A value as the list of changes shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- reading ----------------------------------------------------------------------------------
@dataclass
class SheetResult:
    """What a run found or did: counts, the list of changes, every error."""

    kind: str
    sheet: str
    header_row: int
    total_rows: int
    errors: list[RowError] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    noted: int = 0  # rows listed back without a change (NOTED)
    unchanged: int = 0
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "noted": self.noted,
            "unchanged": self.unchanged,
            "errors": [error.as_dict() for error in self.errors],
            "changes": self.changes,
        }


class SheetRun:
    """One reading of one file for one spec: the header, the rows, the errors."""

    def __init__(self, spec: SheetSpec) -> None:
        self.spec = spec
        self.sheet = ""
        self.header_row = 1
        self.columns: dict[str, int] = {}  # column key -> 0-based index in the sheet
        self.rows: list[SheetRow] = []
        self.errors: list[RowError] = []
        self.bad_rows: set[int] = set()

    def letter(self, key: str) -> str:
        return get_column_letter(self.columns[key] + 1)

    def add_error(self, row: SheetRow, key: str | None, message: str, value: Any = None) -> None:
        if key is None or key not in self.columns:
            key = self.spec.key_column(self.columns)
        raw = row.raw.get(key) if value is None else value
        self.errors.append(
            RowError(
                row.number,
                self.spec.column(key).name,
                self.letter(key),
                display_value(raw),
                str(message),
            )
        )
        self.bad_rows.add(row.number)

    # --- the workbook ----------------------------------------------------------------------
    def read(self, data: IO[bytes]) -> None:
        max_rows = settings.IMPORT_MAX_ROWS
        try:
            workbook = load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a malformed file
            raise SheetRefused(
                _(
                    "文件无法作为 Excel 工作簿读取（可能已损坏）。"
                    "请在 Excel 中重新保存为 .xlsx 后再上传。"
                )
            ) from exc
        try:
            worksheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
            if self.spec.sheet_name in workbook.sheetnames:
                named = workbook[self.spec.sheet_name]
                worksheets = [named] + [ws for ws in worksheets if ws is not named]
            lookup = self.spec.header_lookup()
            required = set(self.spec.required_keys)
            best: dict[str, int] = {}
            seen_content = False
            for ws in worksheets[:MAX_SHEETS_SEARCHED]:
                preview = []
                for values in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                    preview.append(values)
                    if len(preview) >= HEADER_SEARCH_ROWS:
                        break
                seen_content = seen_content or any(
                    normalise_text(v) for values in preview for v in values
                )
                for index, values in enumerate(preview):
                    mapping: dict[str, int] = {}
                    for col, value in enumerate(values):
                        key = lookup.get(header_key(value))
                        if key and key not in mapping:
                            mapping[key] = col
                    if mapping and mapping.keys() >= required:
                        self.sheet, self.header_row, self.columns = ws.title, index + 1, mapping
                        self._read_rows(ws, max_rows)
                        return
                    if len(mapping) > len(best):
                        best = mapping
            if not seen_content:
                raise SheetRefused(_("工作簿是空的，没有任何内容。"))
            missing = [c.name for c in self.spec.columns if c.required and c.key not in best]
            raise SheetRefused(
                _(
                    "找不到表头行：前%(n)d行中没有一行同时包含必需的列名。缺少：%(missing)s。"
                    "请使用系统提供的模板（工作表“%(sheet)s”）。"
                )
                % {
                    "n": HEADER_SEARCH_ROWS,
                    "missing": "、".join(missing) or "—",
                    "sheet": self.spec.sheet_name,
                }
            )
        finally:
            workbook.close()

    def _read_rows(self, ws: Any, max_rows: int) -> None:
        first = self.header_row + 1
        scan_limit = max_rows * 2 + 1000
        for offset, values in enumerate(
            ws.iter_rows(min_row=first, values_only=True, max_col=MAX_COLUMNS)
        ):
            if offset > scan_limit:
                raise SheetRefused(
                    _("工作表行数过多（超过 %(n)s 行，含空行）。请删除多余的行或拆分后再导入。")
                    % {"n": f"{scan_limit:,}"}
                )
            raw = {
                key: (values[index] if index < len(values) else None)
                for key, index in self.columns.items()
            }
            texts = [normalise_text(v) for v in raw.values()]
            if not any(texts):
                continue
            filled = [t for t in texts if t]
            if len(filled) == 1 and filled[0].startswith(TOTALS):
                continue  # a totals row
            self.rows.append(SheetRow(self, first + offset, raw))
            if len(self.rows) > max_rows:
                raise SheetRefused(
                    _("文件超过 %(n)s 行，请拆分为多个文件分批导入。") % {"n": f"{max_rows:,}"}
                )
        if not self.rows:
            raise SheetRefused(_("表格中没有数据行（表头下面是空的）。"))

    # --- the rows --------------------------------------------------------------------------
    def parse(self) -> None:
        for row in self.rows:
            for key in self.columns:
                col = self.spec.column(key)
                row.values[key] = self._parse_cell(row, col, row.raw[key])
            for col in self.spec.columns:
                if col.key not in self.columns:
                    row.values[col.key] = col.blank()

    def _parse_cell(self, row: SheetRow, col: Col, raw: Any) -> Any:
        text = normalise_text(raw)
        if text == "" and not isinstance(raw, bool):
            if col.required:
                row.error(col.key, _("%(column)s不能为空。") % {"column": col.name})
            return col.blank()
        try:
            return parse_value(col, raw, text)
        except ValueError as exc:
            row.error(col.key, str(exc.args[0]) if exc.args else _("格式不正确。"))
            return col.blank()

    def check_keys(self) -> None:
        first_of: dict[Hashable, SheetRow] = {}
        key_col = self.spec.key_column(self.columns)
        for row in self.good_rows():
            key = self.spec.key(row)
            if key is None or key == "":
                continue
            if key in first_of:
                first = first_of[key]
                row.error(
                    key_col,
                    _("与第 %(row)d 行重复：同一条记录在文件中只能出现一次。")
                    % {"row": first.number},
                )
                first.error(
                    key_col,
                    _("与第 %(row)d 行重复：同一条记录在文件中只能出现一次。")
                    % {"row": row.number},
                )
            else:
                first_of[key] = row

    def good_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if row.ok]

    def service_error(self, row: SheetRow, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                row.error(None, message)
            return
        for name, messages in exc.message_dict.items():
            key: str | None = self.spec.field_columns.get(name, name)
            if key not in self.columns:
                key = None  # the row's key column
            for message in messages:
                row.error(key, message)


def parse_value(col: Col, raw: Any, text: str) -> Any:
    """One non-blank cell as the column's kind of value; ValueError(Chinese) if it is not."""
    kind = col.parse
    if callable(kind):
        value = kind(text)
    elif kind == "text":
        value = text
    elif kind == "int":
        value = _parse_int(raw, text, col)
    elif kind == "decimal":
        value = _parse_decimal(raw, text, col)
    elif kind == "date":
        value = _parse_date(raw, text, col)
    elif kind == "bool":
        value = _parse_bool(raw, text, col)
    elif kind == "id_number":
        value = _parse_id_number(raw, text)
    elif kind == "phone":
        value = _parse_phone(raw, text)
    elif kind == "code":
        value = _parse_code(raw, text, col)
    else:
        raise ValueError(f"unknown parse {kind!r}")  # a programming error, shown as such
    if col.choices is not None:
        choices = col.choice_map()
        folded = _fold(str(value))
        if folded not in choices:
            raise ValueError(
                _("%(column)s应为以下之一：%(choices)s。")
                % {"column": col.name, "choices": "、".join(col.labels())}
            )
        value = choices[folded]
    return value


def _parse_int(raw: Any, text: str, col: Col) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    cleaned = text.replace(" ", "").replace(",", "")
    if re.fullmatch(r"-?\d+(\.0+)?", cleaned):
        return int(cleaned.split(".")[0])
    raise ValueError(_("%(column)s应为整数。") % {"column": col.name})


def _parse_decimal(raw: Any, text: str, col: Col) -> Decimal:
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    else:
        cleaned = text.replace(" ", "").replace(",", "").removesuffix("元")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(_("%(column)s应为数字。") % {"column": col.name}) from None
    if not value.is_finite():
        raise ValueError(_("%(column)s应为数字。") % {"column": col.name})
    return value


def _parse_date(raw: Any, text: str, col: Col) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if (
        isinstance(raw, int | float)
        and not isinstance(raw, bool)
        and EXCEL_DAYS[0] <= raw <= EXCEL_DAYS[1]
    ):
        day = from_excel(raw)  # an Excel day number in a cell not formatted as a date
        return day.date() if isinstance(day, datetime.datetime) else day
    cleaned = _DATE_TIME_TAIL.sub("", text).replace(" ", "")
    for pattern in _DATE_TEXT:
        match = pattern.match(cleaned)
        if match:
            year, month, day_ = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day_)
            except ValueError:
                break
    raise ValueError(
        _("%(column)s不是有效日期，请填写如 2024-01-05、2024/1/5 或 2024年1月5日。")
        % {"column": col.name}
    )


def _parse_bool(raw: Any, text: str, col: Col) -> bool:
    if isinstance(raw, bool):
        return raw
    folded = text.replace(" ", "")
    if folded in (YES, "Y", "y", "√"):
        return True
    if folded in (NO, "N", "n", "×"):
        return False
    raise ValueError(_("%(column)s应填“是”或“否”。") % {"column": col.name})


def _parse_id_number(raw: Any, text: str) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise ValueError(
            _(
                "身份证号被 Excel 存成了数字，后几位已丢失，无法核对。"
                "请把这一列设置为“文本”格式后重新填写身份证号。"
            )
        )
    if "*" in text:
        raise ValueError(
            _(
                "身份证号已脱敏（含 * 号），无法导入。请填写完整号码，"
                "或由有权限查看完整身份证号的人员导出台账后再导入。"
            )
        )
    try:
        return validate_id_number(normalise_id_number(text))
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None


def _parse_phone(raw: Any, text: str) -> str:
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(_("联系电话格式不正确。"))
    phone = text.replace(" ", "")
    if "*" in phone:
        raise ValueError(_("联系电话已脱敏（含 * 号），无法导入；请填写完整号码或留空。"))
    if not PHONE_RE.match(phone):
        raise ValueError(
            _("联系电话格式不正确：只能包含数字和“-”，如 13912345678 或 0839-1234567。")
        )
    return phone


def _parse_code(raw: Any, text: str, col: Col) -> str:
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(_("%(column)s应为数字代码。") % {"column": col.name})
    code = text.replace(" ", "")
    if not code.isascii() or not code.isdigit():
        raise ValueError(_("%(column)s应只含数字。") % {"column": col.name})
    return code


# --- running ----------------------------------------------------------------------------------
def run_sheet(
    spec: SheetSpec, data: IO[bytes], *, size: int, user: Any, dry_run: bool = True
) -> SheetResult:
    """Check (dry_run) or import a file of `spec`'s kind for `user`; see the module docstring.
    Raises SheetRefused for a file that cannot be read, PermissionDenied for a user who does
    not keep the kind."""
    require_keeper(user, spec.keeper_kind)
    check_file(data, size=size)
    run = SheetRun(spec)
    run.read(data)
    run.parse()
    run.check_keys()
    good = run.good_rows()
    if good:
        spec.check(good, user)
    result = SheetResult(
        kind=spec.kind, sheet=run.sheet, header_row=run.header_row, total_rows=len(run.rows)
    )
    try:
        with transaction.atomic():
            for row in spec.order(run.good_rows()):
                _apply_row(spec, run, row, user, result)
            if dry_run or run.errors:
                transaction.set_rollback(True)
    except IntegrityError as exc:  # the outer commit itself refused (a race with another write)
        raise SheetRefused(_("导入时数据被他人同时修改，本次未导入任何数据；请重新导入。")) from exc
    order = {col.name: index for index, col in enumerate(spec.columns)}
    run.errors.sort(key=lambda e: (e.row, order.get(e.column, 0)))
    result.errors = run.errors
    result.changes.sort(key=lambda change: change["row"])
    result.imported = not dry_run and not run.errors
    return result


def _apply_row(
    spec: SheetSpec, run: SheetRun, row: SheetRow, user: Any, result: SheetResult
) -> None:
    row.fields = []
    try:
        with transaction.atomic():
            status = spec.apply(row, user)
    except ValidationError as exc:
        run.service_error(row, exc)
        return
    except Http404:
        row.error(None, _("不在您的管辖范围内。"))
        return
    except PermissionDenied as exc:
        row.error(None, str(exc) or _("您无权导入这一行。"))
        return
    except IntegrityError:
        row.error(None, _("与已有数据冲突（重复），未能保存。"))
        return
    if status == UNCHANGED:
        result.unchanged += 1
        return
    if status == NOTED:
        result.noted += 1
        result.changes.append(
            {
                "row": row.number,
                "action": "note",
                "name": spec.describe(row),
                "fields": list(row.fields),
            }
        )
        return
    if status not in (CREATED, UPDATED):
        raise ValueError(f"{spec.kind}.apply returned {status!r}")
    if status == CREATED:
        result.created += 1
    else:
        result.updated += 1
    result.changes.append(
        {
            "row": row.number,
            "action": "create" if status == CREATED else "update",
            "name": spec.describe(row),
            "fields": list(row.fields),
        }
    )


# --- the workbooks the user downloads ---------------------------------------------------------
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def error_copy(data: IO[bytes], *, sheet: str, header_row: int, errors: list[dict]) -> bytes:
    """The user's own workbook with an 错误说明 column and the wrong cells shaded."""
    return importers.error_workbook(data, sheet=sheet, header_row=header_row, errors=errors)


def _hint(col: Col) -> str:
    if col.choices is not None:
        return _("从下拉列表选择：%(choices)s。") % {"choices": "、".join(col.labels())}
    hints = {
        "int": _("整数。"),
        "decimal": _("数字。"),
        "date": _("日期，如 2024-01-05、2024/1/5 或 2024年1月5日。"),
        "bool": _("填“是”或“否”。"),
        "id_number": _(
            "18位身份证号，最后一位可以是X。本列已设为文本格式；请不要让 Excel 把号码变成数字"
            "（会丢失后几位）。"
        ),
        "phone": _("手机或座机号码，如 13912345678、0839-1234567。"),
        "code": _("数字代码；本列已设为文本格式，开头的0不会丢失。"),
    }
    return hints.get(col.parse, "") if isinstance(col.parse, str) else ""


TEXT_FORMATTED = {"id_number", "phone", "code"}


def template_workbook(spec: SheetSpec, rows: int = TEMPLATE_ROWS) -> bytes:
    """The kind's template: its sheet with a title row, the headers (required ones red and
    marked *), text-formatted code/ID/phone columns, drop-downs for choices and yes/no; and a
    填写说明 sheet with each column's rules, an example row and the spec's instructions."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = spec.sheet_name or str(spec.title)
    columns = list(spec.columns)
    last = get_column_letter(len(columns))
    ws["A1"] = str(spec.title)
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    if len(columns) > 1:
        ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    lists = None
    for index, col in enumerate(columns, 1):
        letter = get_column_letter(index)
        cell = ws.cell(row=2, column=index, value=col.name + ("*" if col.required else ""))
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[letter].width = col.width or max(10, len(col.name) * 2 + 4)
        if col.parse in TEXT_FORMATTED:
            ws.column_dimensions[letter].number_format = "@"
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width, 20)
            for row in range(3, rows + 3):
                ws[f"{letter}{row}"].number_format = "@"
        choices = col.labels() or ([YES, NO] if col.parse == "bool" else [])
        if choices:
            inline = ",".join(choices)
            if len(inline) <= INLINE_LIST_MAX and '"' not in inline:
                formula = f'"{inline}"'
            else:
                if lists is None:
                    lists = workbook.create_sheet(_("下拉选项"))
                    lists.sheet_state = "hidden"
                lists_col = get_column_letter(index)
                for n, label in enumerate(choices, 1):
                    lists[f"{lists_col}{n}"] = label
                formula = f"'{lists.title}'!${lists_col}$1:${lists_col}${len(choices)}"
            validation = DataValidation(
                type="list",
                formula1=formula,
                allow_blank=not col.required,
                showErrorMessage=True,
                errorTitle=_("请从列表中选择"),
                error=_("请从下拉列表中选择。"),
            )
            validation.add(f"{letter}3:{letter}{rows + 2}")
            ws.add_data_validation(validation)
    ws.row_dimensions[2].height = 30
    ws.freeze_panes = "A3"

    notes = workbook.create_sheet(_("填写说明"), 1)
    notes.append([_("列名"), _("是否必填"), _("填写要求"), _("示例")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for col in columns:
        text = " ".join(part for part in (str(col.note), _hint(col)) if part)
        notes.append([col.name, _("必填") if col.required else _("选填"), text, col.example])
    notes.append([])
    notes.append(
        [
            _("示例行"),
            "",
            _("以下是一行填好的示例（请在“%(sheet)s”工作表中填写）：") % {"sheet": ws.title},
        ]
    )
    notes.append([col.name for col in columns])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    notes.append([col.example for col in columns])
    notes.append([])
    for line in spec.instructions:
        notes.append([_("说明"), "", str(line)])
    notes.append(
        [
            _("说明"),
            "",
            _(
                "表头所在行可以下移（上方可有标题行），列的顺序可以调整，带*的列必须填写。"
                "导入时先检查全部行：只要有一行有误，就不导入任何数据，并列出全部错误"
                "（可下载标出错误的原文件，改正后重新上传）。同一文件重复导入不会产生变化。"
            ),
        ]
    )
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 80
    notes.column_dimensions["D"].width = 20
    for row in notes.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
