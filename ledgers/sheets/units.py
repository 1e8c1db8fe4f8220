"""帮扶单位 and 单位党组织 from Excel (two templates of one module): a county's reviewer loads its
helping units (name, kind, the county's region code, the coordinator …) and then each unit's
Party organisations (name, kind, the parent organisation's name within the same unit).

Matched by natural key — a unit by its name (names are unique; the region code says where the
unit is kept), an organisation by its name within its unit — so a second import of the same
file changes nothing. Written through pairing.services (unit_record / unit_update,
organisation_record / organisation_update): the keeper's role, scope (a unit outside the
reviewer's county is an error on its row) and the tree's rules (committee › general branch ›
branch, a parent of the same unit) are the pages' own."""

from __future__ import annotations

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
from pairing.models import OrgKind, PartyOrganisation, Unit, UnitKind
from pairing.services import (
    organisation_record,
    organisation_update,
    unit_record,
    unit_update,
)
from villages.models import Region

CHUNK = 900

UNIT_TEXT_FIELDS = (
    "credit_code",
    "principal_leader",
    "deputy_in_charge",
    "coordinator_name",
    "coordinator_phone",
)


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class UnitSheet(SheetSpec):
    kind = "units"
    title = gettext_lazy("帮扶单位")
    sheet_name = "帮扶单位"
    keeper_kind = "unit"
    order_on_hub = 20
    columns = [
        Col(
            "单位名称",
            "name",
            required=True,
            aliases=("名称", "帮扶单位", "帮扶单位名称"),
            note=gettext_lazy("单位全称；按名称匹配系统中已有的单位。"),
            example="县人民医院",
            width=28,
        ),
        Col("单位类型", "kind", required=True, choices=UnitKind, example="医院"),
        Col(
            "所在区划代码",
            "region",
            required=True,
            aliases=("区划代码", "所在县代码", "县代码"),
            parse="code",
            note=gettext_lazy("单位所在县（或乡镇）的区划代码，须在您的管辖范围内。"),
            example="510105000000",
            width=18,
        ),
        Col(
            "统一社会信用代码",
            "credit_code",
            aliases=("信用代码",),
            note=gettext_lazy("18位，可不填。"),
            example="",
            width=22,
        ),
        Col("主要负责人", "principal_leader", example="张主任"),
        Col("分管负责人", "deputy_in_charge", example="李副主任"),
        Col(
            "联络人",
            "coordinator_name",
            aliases=("企业归集负责人", "企业归集负责人/联络人", "联络人姓名"),
            example="王联络",
        ),
        Col(
            "联络人电话",
            "coordinator_phone",
            aliases=("联系电话", "联络人手机"),
            parse="phone",
            example="13912345678",
        ),
    ]
    instructions = [
        gettext_lazy(
            "按单位名称匹配：已有的单位更新本表填写的各项（空白的格子清空该项），没有的新增。"
            "只能导入您管辖区划内的单位；与外县同名的单位请联系上级。"
        ),
        gettext_lazy("单位的党组织请在“单位党组织”模板中导入（先导入单位）。"),
    ]
    key_columns = ("name",)
    field_columns = {"region": "region"}

    def key(self, row: SheetRow):
        return row["name"] or None

    def check(self, rows: list[SheetRow], user) -> None:
        codes = sorted({row["region"] for row in rows if row["region"]})
        regions: dict[str, Region] = {}
        for chunk in _chunks(codes):
            regions.update(
                (r.code, r) for r in Region.objects.visible_to(user).filter(code__in=chunk)
            )
        names = sorted({row["name"] for row in rows})
        existing: dict[str, Unit] = {}
        visible: set[int] = set()
        for chunk in _chunks(names):
            existing.update((u.name, u) for u in Unit.objects.filter(name__in=chunk))
            visible.update(
                Unit.objects.visible_to(user).filter(name__in=chunk).values_list("pk", flat=True)
            )
        for row in rows:
            region = regions.get(row["region"])
            if region is None:
                row.error("region", _("该区划不存在或不在您的管辖范围内。"))
            row.data["region"] = region
            unit = existing.get(row["name"])
            if unit is not None and unit.pk not in visible:
                row.error(
                    "name",
                    _("系统中已有同名单位，但不在您的管辖范围内，不能导入。"),
                )
            row.data["unit"] = unit

    def _values(self, row: SheetRow) -> dict:
        values = {"kind": row["kind"], "region": row.data["region"]}
        for name in UNIT_TEXT_FIELDS:
            if row.has(name):
                values[name] = row[name] or ""
        if values.get("credit_code"):
            values["credit_code"] = values["credit_code"].upper()
        return values

    def apply(self, row: SheetRow, user) -> str:
        unit = Unit.objects.filter(name=row["name"]).first()
        values = self._values(row)
        if unit is None:
            unit_record(user=user, name=row["name"], **values)
            for name, value in values.items():
                if value not in (None, ""):
                    row.changed(Unit._meta.get_field(name).verbose_name, "", _shown(value))
            return CREATED
        changes = row.changes_for(unit, values)
        if not changes:
            return UNCHANGED
        unit_update(user=user, unit=unit, **changes)
        return UPDATED

    def describe(self, row: SheetRow) -> str:
        return row["name"]


def _shown(value) -> str:
    if isinstance(value, Region):
        return value.name
    label = dict(UnitKind.choices).get(value) if isinstance(value, str) else None
    return str(label or value)


def _member_count(text: str) -> int:
    cleaned = text.replace(" ", "").replace(",", "").removesuffix("人")
    if not cleaned.isdigit():
        raise ValueError(_("党员人数应为不小于0的整数。"))
    return int(cleaned)


class OrganisationSheet(SheetSpec):
    kind = "party-organisations"
    title = gettext_lazy("单位党组织")
    sheet_name = "单位党组织"
    keeper_kind = "party_organisation"
    order_on_hub = 21
    columns = [
        Col(
            "单位名称",
            "unit",
            required=True,
            aliases=("所属单位", "帮扶单位"),
            note=gettext_lazy("党组织所属单位的名称，须已在系统中（先导入帮扶单位）。"),
            example="县人民医院",
            width=28,
        ),
        Col(
            "党组织名称",
            "name",
            required=True,
            aliases=("组织名称", "名称"),
            note=gettext_lazy("在同一单位内按名称匹配已有的党组织。"),
            example="县人民医院第一党支部",
            width=28,
        ),
        Col(
            "组织类型",
            "kind",
            required=True,
            aliases=("类型",),
            choices=OrgKind,
            example="党支部",
        ),
        Col(
            "上级党组织名称",
            "parent",
            aliases=("上级党组织", "上级组织"),
            note=gettext_lazy(
                "同一单位内的上级党组织名称（可在本文件中）：党总支的上级是党委，党支部的上级"
                "是党委或党总支；党委、党组不填。"
            ),
            example="县人民医院党委",
            width=28,
        ),
        Col("书记", "secretary", example="赵书记"),
        Col("党员人数", "member_count", parse=_member_count, example="25"),
    ]
    instructions = [
        gettext_lazy(
            "按“单位名称 + 党组织名称”匹配：已有的更新本表填写的各项，没有的新增；"
            "行的顺序不限，上级党组织先于下级写入。"
        ),
        gettext_lazy("隶属关系须为 党委 › 党总支 › 党支部，上级须属于同一单位。"),
    ]
    key_columns = ("name",)
    field_columns = {"unit": "unit", "parent": "parent", "kind": "kind"}

    def key(self, row: SheetRow):
        return (row["unit"], row["name"]) if row["unit"] and row["name"] else None

    def check(self, rows: list[SheetRow], user) -> None:
        names = sorted({row["unit"] for row in rows})
        units: dict[str, Unit] = {}
        for chunk in _chunks(names):
            units.update((u.name, u) for u in Unit.objects.visible_to(user).filter(name__in=chunk))
        known: set[tuple[int, str]] = set(
            PartyOrganisation.objects.filter(unit__in=list(units.values())).values_list(
                "unit_id", "name"
            )
        )
        in_file = {(row["unit"], row["name"]) for row in rows}
        for row in rows:
            unit = units.get(row["unit"])
            row.data["unit"] = unit
            if unit is None:
                row.error(
                    "unit",
                    _("单位“%(unit)s”不存在或不在您的管辖范围内；请先导入帮扶单位。")
                    % {"unit": row["unit"]},
                )
                continue
            parent = row["parent"]
            if parent and (unit.pk, parent) not in known and (row["unit"], parent) not in in_file:
                row.error(
                    "parent",
                    _("单位“%(unit)s”没有名为“%(parent)s”的党组织（本文件中也没有）。")
                    % {"unit": unit.name, "parent": parent},
                )
            elif parent == row["name"]:
                row.error("parent", _("上级党组织不能是它自己。"))
        self._depths(rows)

    def _depths(self, rows: list[SheetRow]) -> None:
        """How deep each row sits among the file's own rows (parents are written first); a
        loop of parents within the file is an error on each of its rows."""
        by_key = {(row["unit"], row["name"]): row for row in rows}
        for row in rows:
            depth, seen, current = 0, set(), row
            while current is not None and current["parent"]:
                key = (current["unit"], current["parent"])
                if key in seen:
                    row.error("parent", _("上级党组织的隶属关系成了循环。"))
                    break
                seen.add(key)
                current = by_key.get(key)
                depth += 1
            row.data["depth"] = depth

    def order(self, rows: list[SheetRow]) -> list[SheetRow]:
        return sorted(rows, key=lambda row: (row.data.get("depth", 0), row.number))

    def apply(self, row: SheetRow, user) -> str:
        unit = row.data["unit"]
        values: dict = {"kind": row["kind"]}
        if row.has("parent"):
            parent = None
            if row["parent"]:
                parent = PartyOrganisation.objects.filter(unit=unit, name=row["parent"]).first()
            values["parent"] = parent
        if row.has("secretary"):
            values["secretary"] = row["secretary"] or ""
        if row.has("member_count"):
            values["member_count"] = row["member_count"]
        organisation = PartyOrganisation.objects.filter(unit=unit, name=row["name"]).first()
        if organisation is None:
            organisation_record(user=user, unit=unit, name=row["name"], **values)
            row.changed(_("组织类型"), "", OrgKind(row["kind"]).label)
            if values.get("parent") is not None:
                row.changed(_("上级党组织"), "", values["parent"].name)
            return CREATED
        changes = row.changes_for(organisation, values)
        if not changes:
            return UNCHANGED
        organisation_update(user=user, organisation=organisation, **changes)
        return UPDATED

    def describe(self, row: SheetRow) -> str:
        return f"{row['unit']} · {row['name']}"


register_sheet(UnitSheet())
register_sheet(OrganisationSheet())
