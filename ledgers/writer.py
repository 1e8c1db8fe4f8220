"""The one xlsx writer every ledger goes through: openpyxl in write-only mode, so rows stream to
disk and memory stays flat however large the region (PERFORMANCE.md: normal mode needs about
340 bytes a cell, well over a gigabyte for a province).

What it guarantees for every cell it writes:
- text that begins with =, +, - or @ (or looks like an Excel error such as #N/A) is stored as
  text, marked with Excel's quote prefix, never as a formula;
- characters Excel refuses (control characters) are removed, and text longer than Excel's
  32,767-character cell limit is cut, instead of failing the whole export;
- numbers, money and dates are typed cells with number formats, so they sort and sum in Excel.

What every sheet looks like (what a township or county office sends upward): a title row naming
the ledger, region and period; a line with the region, period, date produced and who produced
it; Chinese column headers; frozen header; column widths that fit; an auto-filter; a totals row;
printed landscape, one page wide, header rows repeated, grid lines on.
"""

from __future__ import annotations

import datetime
import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml.etree import Element, SubElement
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.header_footer import HeaderFooter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.xml.constants import XML_NS

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
FORMULA_TRIGGERS = ("=", "+", "-", "@")
SHEET_NAME_FORBIDDEN = str.maketrans({c: "" for c in "[]:*?/\\"})

HEADER_ROWS = 3  # title, subtitle, column headers
MAX_ROW_LINES = 12  # a row grows at most this many lines for wrapped text
FIRST_DATA_ROW = HEADER_ROWS + 1
THIN = Side(style="thin", color="808080")


class Kind:
    """What a column holds; decides the cell type and number format."""

    TEXT = "text"  # Chinese text
    CODE = "code"  # digits that must stay text: ID numbers, region codes, phones
    LONG_TEXT = "long_text"  # wrapped (visit notes, problems found)
    INT = "int"  # counts: thousands separator
    YEAR = "year"  # 2026, no separator
    MONEY = "money"  # yuan, two decimals
    DECIMAL = "decimal"  # one decimal (areas)
    PERCENT = "percent"  # a share 0..1 shown as 87.5%
    DATE = "date"
    DATETIME = "datetime"


NUMBER_FORMATS = {
    Kind.INT: "#,##0",
    Kind.YEAR: "0",
    Kind.MONEY: "#,##0.00",
    Kind.DECIMAL: "#,##0.0",
    Kind.PERCENT: "0.0%",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
}
DEFAULT_WIDTHS = {
    Kind.TEXT: 12,
    Kind.CODE: 14,
    Kind.LONG_TEXT: 40,
    Kind.INT: 10,
    Kind.YEAR: 9,
    Kind.MONEY: 14,
    Kind.DECIMAL: 10,
    Kind.PERCENT: 10,
    Kind.DATE: 12,
    Kind.DATETIME: 17,
}
NUMERIC_KINDS = {Kind.INT, Kind.YEAR, Kind.MONEY, Kind.DECIMAL, Kind.PERCENT}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = Kind.TEXT
    width: float | None = None
    total: bool = False  # summed in the totals row


@dataclass
class Sheet:
    """One table of a ledger: its columns (the header) and its rows, in column order.

    Iterating a sheet yields the header, then the rows: the benchmark feeds exactly this to a
    bare write-only workbook to measure what the ledger's formatting costs."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    count_unit: str = ""  # "户", "次", "项": the totals row says 合计（共 N 户）
    totals: bool = True
    numbered: bool = True  # a 序号 column first, as every office ledger has
    freeze_columns: int = 0  # columns kept in view when scrolling sideways (after 序号)

    def __iter__(self) -> Iterator[Sequence]:
        yield tuple(column.title for column in self.columns)
        yield from self.rows


def display_width(text: str) -> int:
    """Characters as Excel measures them: a Chinese character is two columns wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean_text(value: str) -> str:
    """Remove the characters Excel refuses and cut what exceeds a cell."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > EXCEL_MAX_CELL_CHARS:
        value = value[:EXCEL_MAX_CELL_CHARS]
    return value


def safe_sheet_name(name: str) -> str:
    return (name.translate(SHEET_NAME_FORBIDDEN).strip("'") or "Sheet")[:31]


def _style(ws, **attrs) -> StyleArray:
    """A style registered with the workbook, to be copied onto cells (cheaper than setting
    font, fill and format on each of a million cells)."""
    cell = WriteOnlyCell(ws)
    for name, value in attrs.items():
        setattr(cell, name, value)
    return cell._style


class LedgerWriter:
    """Writes the sheets of one ledger into a write-only workbook.

    `on_progress(rows_written)` is called every `progress_every` data rows, so a background job
    can show a progress bar."""

    def __init__(
        self,
        *,
        title: str,
        subtitle: str,
        on_progress: Callable[[int], None] | None = None,
        progress_every: int = 2000,
        max_rows_per_sheet: int = EXCEL_MAX_ROWS,
    ) -> None:
        self.title = title
        self.subtitle = subtitle
        self.on_progress = on_progress
        self.progress_every = progress_every
        self.max_rows_per_sheet = max_rows_per_sheet
        self.rows_written = 0
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.creator = _("党建扶贫结对帮扶工作管理系统")
        self.workbook.properties.title = title
        self._names: set[str] = set()

    # --- public -------------------------------------------------------------------------------
    def add_sheet(self, sheet: Sheet) -> int:
        """Write one sheet (continued on further sheets past Excel's row limit); returns its
        number of data rows."""
        columns = list(sheet.columns)
        if sheet.numbered:
            columns.insert(0, Column(_("序号"), Kind.INT, width=7))
        capacity = self.max_rows_per_sheet - HEADER_ROWS - 1  # keep a row for the totals
        totals = [Decimal(0) if c.total else None for c in columns]
        written = 0
        part = 1
        ws, makers = self._start_sheet(sheet, columns, part)
        rows_here = 0
        offset = 1 if sheet.numbered else 0
        letters = [get_column_letter(i + 1 + offset) for i in range(len(columns) - offset)]
        number_style = self._number_style
        total_indexes = [i - offset for i, c in enumerate(columns) if c.total]
        # Wrapped columns: (index in the row's values, characters a line holds).
        wrapped = [
            (i - offset, max(int((self._width(c) - 1) * 1.1), 4))
            for i, c in enumerate(columns)
            if c.kind == Kind.LONG_TEXT
        ]
        for values in sheet.rows:
            if rows_here >= capacity:
                self._finish_sheet(ws, columns, rows_here, None)
                part += 1
                ws, makers = self._start_sheet(sheet, columns, part)
                rows_here = 0
            written += 1
            rows_here += 1
            cells = [("A", ("n", number_style, str(written)))] if sheet.numbered else []
            for letter, make, value in zip(letters, makers, values, strict=False):
                cell = make(value)
                if cell is not None:
                    cells.append((letter, cell))
            for index in total_indexes:
                value = values[index]
                if value is not None:
                    totals[index + offset] += value
            # Neither Excel nor LibreOffice grows a row for wrapped text on opening, so a row
            # with long text carries its height.
            lines = self._lines(values, wrapped) if wrapped else 1
            ws.append((cells, 15 * lines + 2 if lines > 1 else None))
            self.rows_written += 1
            if self.on_progress is not None and self.rows_written % self.progress_every == 0:
                self.on_progress(self.rows_written)
        totals_row = None
        if sheet.totals:
            label = _("合计")
            if sheet.count_unit:
                label = _("合计（共 %(n)s %(unit)s）") % {
                    "n": f"{written:,}",
                    "unit": sheet.count_unit,
                }
            totals_row = [label] + [None] * (len(columns) - 1)
            for i, total in enumerate(totals):
                if total is not None and i > 0:
                    totals_row[i] = total
        self._finish_sheet(ws, columns, rows_here, totals_row)
        return written

    def save(self, target) -> None:
        """`target`: a path or a binary file object."""
        if not self.workbook.worksheets:
            self.add_sheet(Sheet(_("台账"), [Column(_("说明"))], []))
        self.workbook.save(target)

    @staticmethod
    def _width(column: Column) -> float:
        title_width = display_width(column.title)
        # A short header fits on one line; a long one wraps onto two.
        fit = title_width + 2 if title_width <= 14 else -(-title_width // 2) + 3
        return max(column.width or DEFAULT_WIDTHS[column.kind], fit)

    @staticmethod
    def _lines(values: Sequence, wrapped: list[tuple[int, int]]) -> int:
        """Lines the row's longest wrapped text takes. The width is estimated from the UTF-8
        length (a Chinese character: 3 bytes, 2 columns), which is fast on a million rows."""
        most = 1
        for index, per_line in wrapped:
            text = values[index] if index < len(values) else None
            if not text or not isinstance(text, str):
                continue
            lines = 0
            for part in text.split("\n"):
                width = (len(part.encode("utf-8")) + len(part)) // 2
                lines += max(1, -(-width // per_line))
            most = max(most, lines)
        return min(most, MAX_ROW_LINES)

    # --- sheets -------------------------------------------------------------------------------
    def _unique_name(self, name: str) -> str:
        name = safe_sheet_name(name)
        candidate, n = name, 2
        while candidate in self._names:
            suffix = _("（续%(n)d）") % {"n": n}
            candidate = name[: 31 - len(suffix)] + suffix
            n += 1
        self._names.add(candidate)
        return candidate

    def _start_sheet(self, sheet: Sheet, columns: list[Column], part: int):
        ws = self.workbook.create_sheet(self._unique_name(sheet.name))
        last = get_column_letter(len(columns))
        # Column widths and frozen panes must be set before the first row is streamed.
        for index, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = self._width(column)
        frozen_columns = sheet.freeze_columns + (1 if sheet.numbered else 0)
        ws.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{FIRST_DATA_ROW}"
        # Sheet properties go out with the sheet's first bytes: fit to one page wide on paper.
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.row_dimensions[1].height = 30
        ws.row_dimensions[2].height = 20
        header_lines = max(
            -(
                -display_width(c.title)
                // max(int(ws.column_dimensions[get_column_letter(i)].width) - 1, 1)
            )
            for i, c in enumerate(columns, 1)
        )
        ws.row_dimensions[3].height = 15 * min(header_lines, 3) + 8

        title_style = _style(
            ws,
            font=Font(name="宋体", size=16, bold=True),
            alignment=Alignment(horizontal="center", vertical="center"),
        )
        subtitle_style = _style(
            ws,
            font=Font(name="宋体", size=10),
            alignment=Alignment(horizontal="left", vertical="center"),
        )
        header_style = _style(
            ws,
            font=Font(name="宋体", size=11, bold=True),
            fill=PatternFill("solid", fgColor="D9E1F2"),
            border=Border(left=THIN, right=THIN, top=THIN, bottom=THIN),
            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        )
        self._totals_style = _style(
            ws,
            font=Font(name="宋体", bold=True),
            border=Border(top=Side(style="medium"), bottom=Side(style="medium")),
        )
        self._totals_number_styles = {
            kind: _style(
                ws,
                font=Font(name="宋体", bold=True),
                border=Border(top=Side(style="medium"), bottom=Side(style="medium")),
                number_format=NUMBER_FORMATS[kind],
            )
            for kind in NUMERIC_KINDS
        }
        title = (
            self.title
            if part == 1
            else _("%(title)s（续%(n)d）") % {"title": self.title, "n": part}
        )
        ws.append([self._styled(ws, title, title_style)])
        ws.append([self._styled(ws, self.subtitle, subtitle_style)])
        ws.append([self._styled(ws, c.title, header_style) for c in columns])
        ws.merged_cells.add(f"A1:{last}1")
        ws.merged_cells.add(f"A2:{last}2")
        data_columns = columns[1:] if sheet.numbered else columns
        self._number_style = str(
            self.workbook._cell_styles.add(
                StyleArray(
                    _style(
                        ws,
                        border=Border(left=THIN, right=THIN, top=THIN, bottom=THIN),
                        alignment=Alignment(horizontal="center", vertical="center"),
                    )
                )
            )
        )
        makers = [self._maker(ws, column) for column in data_columns]
        # Data rows bypass openpyxl's Cell objects (see _write_data_row); until the totals row.
        ws._values_to_row = _prepared_row
        ws._writer.write_row = _write_data_row
        return ws, makers

    def _finish_sheet(self, ws, columns: list[Column], rows: int, totals_row) -> None:
        del ws._values_to_row  # back to openpyxl's own writing for the totals row
        del ws._writer.write_row
        last = get_column_letter(len(columns))
        last_data_row = HEADER_ROWS + rows
        ws.auto_filter.ref = f"A{HEADER_ROWS}:{last}{max(last_data_row, HEADER_ROWS)}"
        if totals_row is not None:
            cells = []
            for value, column in zip(totals_row, columns, strict=True):
                if isinstance(value, str):
                    cells.append(self._styled(ws, value, self._totals_style))
                elif value is not None:
                    cells.append(self._styled(ws, value, self._totals_number_styles[column.kind]))
                else:
                    cells.append(self._styled(ws, None, self._totals_style))
            ws.append(cells)
        ws.print_title_rows = f"1:{HEADER_ROWS}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        footer = HeaderFooter()
        footer.oddFooter.center.text = _("第 &P 页，共 &N 页")
        ws.HeaderFooter = footer

    # --- cells --------------------------------------------------------------------------------
    @staticmethod
    def _styled(ws, value, style: StyleArray) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws)
        if isinstance(value, str):
            cell._value = clean_text(value)
            cell.data_type = "s"
        elif value is not None:
            cell.value = value
        cell._style = StyleArray(style)
        return cell

    def _maker(self, ws, column: Column) -> Callable:
        """A function turning one value of this column into a prepared cell, a tuple
        (cell type, style id or None, text) for _write_data_row, or None for an empty cell."""
        kind = column.kind
        styles = self.workbook._cell_styles

        # Every data cell is boxed and vertically centred, as an office ledger is; the style is
        # registered once per column, so this costs nothing per cell.
        box = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        long_text = kind == Kind.LONG_TEXT
        align = Alignment(vertical="center", wrap_text=long_text or None)

        def style_id(**attrs) -> str:
            return str(styles.add(StyleArray(_style(ws, border=box, alignment=align, **attrs))))

        plain_id = style_id()
        quoted_id = style_id(quotePrefix=True)

        def make_text(value):
            if value is None:
                return None
            if not isinstance(value, str):
                value = str(value)
            if not value:
                return None
            if ILLEGAL_CHARACTERS_RE.search(value):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if not value:
                    return None
            if len(value) > EXCEL_MAX_CELL_CHARS:
                value = value[:EXCEL_MAX_CELL_CHARS]
            if value[0] in FORMULA_TRIGGERS or (value[0] == "#" and value in ERROR_CODES):
                return ("inlineStr", quoted_id, value)  # text, never a formula
            return ("inlineStr", plain_id, value)

        if kind in (Kind.TEXT, Kind.CODE, Kind.LONG_TEXT):
            return make_text

        if kind in (Kind.DATE, Kind.DATETIME):
            date_id = style_id(number_format=NUMBER_FORMATS[kind])
            as_date = kind == Kind.DATE

            def make_date(value):
                if value is None:
                    return None
                if isinstance(value, datetime.datetime):
                    if timezone.is_aware(value):
                        value = timezone.localtime(value).replace(tzinfo=None)
                    if as_date:
                        value = value.date()
                elif not isinstance(value, datetime.date):
                    return make_text(value)
                return ("n", date_id, str(to_excel(value)))

            return make_date

        number_id = style_id(number_format=NUMBER_FORMATS[kind])

        def make_number(value):
            if value is None:
                return None
            if isinstance(value, int) and not isinstance(value, bool):
                return ("n", number_id, str(value))
            if isinstance(value, Decimal) and value.is_finite():
                return ("n", number_id, format(value, "f"))
            if isinstance(value, float) and math.isfinite(value):
                return ("n", number_id, repr(value))
            return make_text(value)  # anything else is kept, as text

        return make_number


_PRESERVE_SPACE = {f"{{{XML_NS}}}space": "preserve"}


def _prepared_row(values, row_idx):
    """Stands in for WriteOnlyWorksheet._values_to_row: the row is prepared already."""
    return values


def _write_data_row(xf, row, row_idx) -> None:
    """Stands in for WorksheetWriter.write_row for data rows: the same <row> XML openpyxl
    writes, built with lxml from prepared cells instead of a Cell object per value (which made
    a styled ledger about 40 % slower than bare openpyxl at province scale)."""
    cells, height = row
    number = str(row_idx)
    element = Element("row", {"r": number})
    if height:
        element.set("ht", str(height))
        element.set("customHeight", "1")
    for letter, (cell_type, style, text) in cells:
        if style is None:
            cell = SubElement(element, "c", {"r": letter + number, "t": cell_type})
        else:
            cell = SubElement(element, "c", {"r": letter + number, "s": style, "t": cell_type})
        if cell_type == "n":
            SubElement(cell, "v").text = text
        else:
            holder = SubElement(cell, "is")
            if text != text.strip():
                SubElement(holder, "t", _PRESERVE_SPACE).text = text
            else:
                SubElement(holder, "t").text = text
    xf.write(element)
