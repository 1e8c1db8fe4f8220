"""结对帮扶台账 in: which helper answers for which household (the head's ID number, the helper's
name with their phone or ID number, the unit, the start date). The column names are the
pairing ledger's (ledgers/exporters.py PairingLedger), so a ledger exported with full ID
numbers imports back with no change: a household whose named helpers are already paired with
it (in force today, or on the row's start date) is unchanged; a helper not yet paired with it
is paired from the start date. Pairings the file does not name are left as they are (ending
and handing over are the pages' and the API's). Written through households.services
(household_pairing_record): the keeper's role, scope, the rule of one
pairing in force per helper and household, and the visits re-credited, as on the pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import Cadre
from households.models import Household, HouseholdPairing
from households.services import household_pairing_record
from ledgers.exporters import COL_HEAD_NAME, COL_ID_NUMBER
from ledgers.sheets.base import (
    CREATED,
    UNCHANGED,
    Col,
    SheetRow,
    SheetSpec,
    register_sheet,
)

CHUNK = 900
# The ledger writes several helpers (and units) of one household in one cell, joined by 、.
SEPARATORS = re.compile(r"[、，,；;/／\s]+")
COL_HELPERS = "帮扶责任人"
COL_UNITS = "帮扶单位"


def names_in(text: str) -> list[str]:
    out: list[str] = []
    for name in SEPARATORS.split(text or ""):
        if name and name not in out:
            out.append(name)
    return out


class PairingSheet(SheetSpec):
    kind = "pairings"
    title = gettext_lazy("结对帮扶台账")
    sheet_name = "结对帮扶台账"
    keeper_kind = "household_pairing"
    order_on_hub = 50
    columns = [
        Col(
            COL_ID_NUMBER,
            "id_number",
            required=True,
            aliases=("身份证号", "户主身份证号码"),
            parse="id_number",
            note=gettext_lazy("户主的18位身份证号，用于找到已登记的贫困户（须在您的管辖范围内）。"),
            example="510821198001011234",
        ),
        Col(
            COL_HEAD_NAME,
            "head_name",
            aliases=("户主",),
            note=gettext_lazy("可不填；填写时须与系统中的户主姓名一致（用于核对）。"),
            example="张三",
        ),
        Col(
            COL_HELPERS,
            "helpers",
            aliases=("帮扶责任人姓名", "帮扶人"),
            note=gettext_lazy(
                "帮扶责任人姓名；一户有几位时可写在一格内，用“、”隔开（台账导出即如此），"
                "或分行填写。空着的行不作改动。"
            ),
            example="李四",
        ),
        Col(
            "帮扶责任人手机号",
            "helper_phone",
            aliases=("责任人手机号", "帮扶责任人电话", "责任人电话"),
            parse="phone",
            note=gettext_lazy("同名的帮扶责任人用手机号或身份证号区分（一行只写一位时填写）。"),
            example="13912345678",
        ),
        Col(
            "帮扶责任人身份证号",
            "helper_id_number",
            aliases=("责任人身份证号",),
            parse="id_number",
            note=gettext_lazy("可不填；与手机号二选一用于区分同名的帮扶责任人。"),
        ),
        Col(
            COL_UNITS,
            "units",
            aliases=("帮扶责任人单位", "所在单位"),
            note=gettext_lazy("帮扶责任人所在单位；几位时用“、”隔开。用于核对和区分同名的人。"),
            example="县人民医院",
        ),
        Col(
            "结对日期",
            "start_date",
            aliases=("结对时间", "开始日期"),
            parse="date",
            note=gettext_lazy(
                "新结对从这一天开始（新结对必填）。该户与这位帮扶责任人在这一天（不填为今天）"
                "已有生效的结对时不作改动；更正已有结对的日期请在“结对帮扶”页面办理。"
            ),
            example="2026-01-01",
        ),
    ]
    instructions = [
        gettext_lazy(
            "按户主身份证号和帮扶责任人匹配：该户与所写的帮扶责任人已有生效的结对时不作改动，"
            "没有时新增结对。文件中没有写到的结对不会被解除；解除或交接请在“结对帮扶”页面办理。"
        ),
        gettext_lazy(
            "可直接导入本系统导出的结对帮扶台账（须导出完整身份证号），不会产生任何改动。"
        ),
        gettext_lazy("同一帮扶责任人与同一户不能同时有两条生效的结对。"),
    ]
    key_columns = ("id_number",)
    field_columns = {
        "start_date": "start_date",
        "end_date": "start_date",
        "helper": "helpers",
        "household": "id_number",
    }

    def key(self, row: SheetRow) -> Any:
        if not row["id_number"]:
            return None
        return (row["id_number"], tuple(sorted(names_in(row["helpers"]))))

    def check(self, rows: list[SheetRow], user: Any) -> None:
        if rows and not rows[0].has("helpers"):
            for row in rows:
                row.error("id_number", _("文件中缺少“帮扶责任人”列。"))
            return
        numbers = sorted({row["id_number"] for row in rows})
        visible: dict[str, Household] = {}
        registered: set[str] = set()
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start : start + CHUNK]
            visible.update(
                (h.head_id_number, h)
                for h in Household.objects.visible_to(user).filter(head_id_number__in=chunk)
            )
            registered.update(
                Household.objects.filter(head_id_number__in=chunk).values_list(
                    "head_id_number", flat=True
                )
            )
        wanted = sorted({name for row in rows for name in names_in(row["helpers"])})
        helpers: dict[str, list[Cadre]] = {}
        for start in range(0, len(wanted), CHUNK):
            for cadre in (
                Cadre.objects.visible_to(user)
                .filter(name__in=wanted[start : start + CHUNK])
                .select_related("unit")
                .order_by("id")
            ):
                helpers.setdefault(cadre.name, []).append(cadre)
        for row in rows:
            household = visible.get(row["id_number"])
            if household is None:
                if row["id_number"] in registered:
                    row.error("id_number", _("该户不在您的管辖范围内。"))
                else:
                    row.error(
                        "id_number", _("系统中没有以此身份证号登记的户，请先导入贫困户名册。")
                    )
                continue
            if row["head_name"] and row["head_name"] != household.head_name:
                row.error(
                    "head_name",
                    _("户主姓名与系统中的不一致（系统中为“%(name)s”）。")
                    % {"name": household.head_name},
                )
            row.data["household"] = household
            row.data["helpers"] = self._helpers(row, helpers)

    def _helpers(self, row: SheetRow, helpers: dict[str, list[Cadre]]) -> list[Cadre]:
        names = names_in(row["helpers"])
        units = set(names_in(row["units"]))
        phone, id_number = row["helper_phone"], row["helper_id_number"]
        if len(names) > 1 and (phone or id_number):
            row.error(
                "helpers",
                _("一行写了几位帮扶责任人时不能填写手机号或身份证号；请分行填写，每行一位。"),
            )
            return []
        found = []
        for name in names:
            candidates = helpers.get(name, [])
            if phone:
                candidates = [c for c in candidates if c.phone == phone]
            if id_number:
                candidates = [c for c in candidates if c.id_number == id_number]
            if units:
                in_units = [c for c in candidates if c.unit is not None and c.unit.name in units]
                if candidates and not in_units:
                    row.error(
                        "units",
                        _("%(name)s 不属于所写的帮扶单位。") % {"name": name},
                    )
                    continue
                candidates = in_units
            if not candidates:
                row.error(
                    "helpers",
                    _("找不到帮扶责任人“%(name)s”（须在您的管辖范围内，手机号或身份证号须一致）。")
                    % {"name": name},
                )
            elif len(candidates) > 1:
                row.error(
                    "helpers",
                    _("有 %(n)d 位名为“%(name)s”的干部，请填写帮扶责任人手机号或身份证号以区分。")
                    % {"n": len(candidates), "name": name},
                )
            else:
                found.append(candidates[0])
        return found

    def apply(self, row: SheetRow, user: Any) -> str:
        household: Household = row.data["household"]
        start: datetime.date | None = row["start_date"]
        on = start or timezone.localdate()
        status = UNCHANGED
        for helper in row.data["helpers"]:
            pairing = (
                HouseholdPairing.objects.filter(household=household, helper=helper)
                .in_force(on)
                .order_by("start_date", "id")
                .first()
            )
            if pairing is None:
                if start is None:
                    raise ValidationError(
                        {
                            "start_date": [
                                _("%(helper)s 与该户尚无生效的结对，新增结对须填写结对日期。")
                                % {"helper": helper.name}
                            ]
                        }
                    )
                household_pairing_record(
                    user=user, household=household, helper=helper, start_date=start
                )
                row.changed(_("帮扶责任人"), "", f"{helper.name}（{start.isoformat()} 起）")
                status = CREATED
        return status

    def describe(self, row: SheetRow) -> str:
        household = row.data.get("household")
        name = household.head_name if household is not None else row["head_name"]
        return f"{name} ← {row['helpers']}" if row["helpers"] else str(name)


register_sheet(PairingSheet())
