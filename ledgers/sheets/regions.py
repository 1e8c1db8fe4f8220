"""区划与村 from the statistics bureau's division codes (统计用区划代码和城乡划分代码): code and
name; the level and the parent follow from the code, so a county's reviewer loads its own
townships and villages. Rows may come in any order (parents are written first); a code outside
the reviewer's scope is an error on its row; matched by code, so a second import changes
nothing. Written through villages.services (region_record / region_update)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledgers.sheets.base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Col,
    SheetRow,
    SheetSpec,
    register_sheet,
)
from villages.models import Region, RegionLevel
from villages.services import (
    division_code,
    region_level_of,
    region_parent_code,
    region_record,
    region_update,
)

CHUNK = 900


def parse_division_code(text: str) -> str:
    try:
        return division_code(text)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.message_dict.get("code", exc.messages))) from None


class RegionSheet(SheetSpec):
    kind = "regions"
    title = gettext_lazy("区划与村")
    sheet_name = "区划与村"
    keeper_kind = "region"
    order_on_hub = 10
    columns = [
        Col(
            "区划代码",
            "code",
            required=True,
            aliases=("统计用区划代码", "行政区划代码", "区划编码", "代码"),
            parse=parse_division_code,
            note=gettext_lazy(
                "统计用12位区划代码（如 510105001001）；县、乡镇可写12位（后面补0）或6位、9位。"
                "层级和上级由代码确定：前6位是县，前9位是乡镇，12位是村。"
            ),
            example="510105001001",
            width=18,
        ),
        Col(
            "名称",
            "name",
            required=True,
            aliases=("区划名称", "村名", "乡镇名称"),
            note=gettext_lazy("区划或村的名称。"),
            example="草市街社区",
            width=20,
        ),
        Col(
            "上级代码",
            "parent_code",
            aliases=("上级区划代码",),
            parse=parse_division_code,
            note=gettext_lazy("可不填；填写时须与区划代码确定的上级一致（用于核对）。"),
            example="510105001",
            width=18,
        ),
    ]
    instructions = [
        gettext_lazy(
            "只能导入您管辖区划以下的乡镇和村：上级区划须已在系统中或同在本文件中，行的顺序不限。"
        ),
        gettext_lazy(
            "按区划代码匹配：已有的只更新名称，没有的新增；村级代码同时建立村的档案。"
            "您所在的区划（如本县）由上级维护。"
        ),
    ]
    key_columns = ("code",)
    field_columns = {"parent": "parent_code"}

    def key(self, row: SheetRow) -> str | None:
        return row["code"] or None

    def check(self, rows: list[SheetRow], user: Any) -> None:
        codes = sorted({row["code"] for row in rows})
        existing: dict[str, Region] = {}
        visible: set[str] = set()
        for start in range(0, len(codes), CHUNK):
            chunk = codes[start : start + CHUNK]
            existing.update((r.code, r) for r in Region.objects.filter(code__in=chunk))
            visible.update(
                Region.objects.visible_to(user)
                .filter(code__in=chunk)
                .values_list("code", flat=True)
            )
        for row in rows:
            code = row["code"]
            parent_code = region_parent_code(code)
            if row["parent_code"] and row["parent_code"] != parent_code:
                row.error(
                    "parent_code",
                    _("上级代码与区划代码不符：区划代码 %(code)s 的上级应为 %(parent)s。")
                    % {"code": code, "parent": parent_code or "—"},
                )
            region = existing.get(code)
            if region is not None and code not in visible:
                row.error("code", _("该区划不在您的管辖范围内，不能导入。"))
            elif region is not None and region.level != region_level_of(code):
                row.error(
                    "code",
                    _("系统中该代码是%(level)s，与代码位数不符，请联系系统管理员。")
                    % {"level": region.get_level_display()},
                )
            row.data["region"] = region

    def order(self, rows: list[SheetRow]) -> list[SheetRow]:
        return sorted(rows, key=lambda row: (len(row["code"]), row["code"]))

    def apply(self, row: SheetRow, user: Any) -> str:
        region = Region.objects.filter(code=row["code"]).first()
        if region is None:
            region_record(user=user, code=row["code"], name=row["name"])
            row.changed(_("名称"), "", row["name"])
            row.changed(_("层级"), "", region_label(row["code"]))
            return CREATED
        changes = row.changes_for(region, {"name": row["name"]})
        if not changes:
            return UNCHANGED
        region_update(user=user, region=region, **changes)
        return UPDATED

    def describe(self, row: SheetRow) -> str:
        return f"{row['code']} {row['name']}"


def region_label(code: str) -> str:
    return str(RegionLevel(region_level_of(code)).label)


register_sheet(RegionSheet())
