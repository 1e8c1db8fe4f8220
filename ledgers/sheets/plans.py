"""一户一策 in: each household's plan (the idea of the help and the day it was drawn up) and its
measures (what, who is responsible, by when, how far), one row per measure; the plan's columns
may be repeated on every row of a household or written on its first row only. Matched by the
head's ID number (the plan) and the measure's text (the measure), so importing the same file
again changes nothing. Written through households.services (plan_record / plan_update /
measure_record / measure_update): the keeper's role, scope and every rule of the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import Cadre
from households.models import Household, Measure, MeasureStatus, Plan
from households.services import measure_record, measure_update, plan_record, plan_update
from ledgers.exporters import COL_HEAD_NAME, COL_ID_NUMBER
from ledgers.sheets.base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Col,
    SheetRow,
    SheetSpec,
    register_sheet,
)

CHUNK = 900


class PlanSheet(SheetSpec):
    kind = "plans"
    title = gettext_lazy("一户一策")
    sheet_name = "一户一策"
    keeper_kind = "plan"
    order_on_hub = 60
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
            "帮扶思路",
            "summary",
            aliases=("帮扶计划", "帮扶思路与目标"),
            note=gettext_lazy("可只写在该户的第一行；几行都写时须一致。"),
            example="发展养殖，落实医疗救助",
            width=30,
        ),
        Col(
            "制定日期",
            "drawn_up_on",
            aliases=("制定时间",),
            parse="date",
            note=gettext_lazy("该户还没有一户一策时必填；不能晚于今天。"),
            example="2026-03-01",
        ),
        Col(
            "帮扶措施",
            "content",
            aliases=("措施", "措施内容"),
            note=gettext_lazy("一行一项措施；同一户的措施按内容匹配，内容相同即为同一项。"),
            example="发展生猪养殖",
            width=30,
        ),
        Col(
            "责任人",
            "owner",
            aliases=("措施责任人", "帮扶责任人"),
            note=gettext_lazy("干部姓名（须在您的管辖范围内）；同名时填写责任人手机号区分。"),
            example="李四",
        ),
        Col(
            "责任人手机号",
            "owner_phone",
            aliases=("责任人电话",),
            parse="phone",
            note=gettext_lazy("可不填；用于区分同名的干部。"),
        ),
        Col(
            "完成时限",
            "deadline",
            aliases=("时限", "完成期限"),
            parse="date",
            note=gettext_lazy("填写了帮扶措施时必填。"),
            example="2026-12-31",
        ),
        Col(
            "进度",
            "status",
            aliases=("完成情况",),
            choices=MeasureStatus,
            note=gettext_lazy("不填为“未开始”（已有措施不填则不改）。"),
            example="推进中",
        ),
        Col(
            "完成日期",
            "done_on",
            parse="date",
            note=gettext_lazy("进度为“已完成”时填写；不填为导入当天。"),
        ),
    ]
    instructions = [
        gettext_lazy(
            "每行一项帮扶措施；一户的一户一策（帮扶思路、制定日期）写在该户任一行即可。"
            "按户主身份证号匹配一户一策，按措施内容匹配措施：已有的只更新填写了且不同的内容，"
            "没有的新增；文件中没有的措施不会被删除。"
        ),
    ]
    key_columns = ("content", "id_number")
    field_columns = {"household": "id_number", "plan": "id_number"}

    def key(self, row: SheetRow) -> Any:
        if not row["id_number"]:
            return None
        if not row["content"]:
            return None  # plan-only rows: checked for consistency in `check`
        return (row["id_number"], row["content"])

    def check(self, rows: list[SheetRow], user: Any) -> None:
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
        plans = {
            p.household_id: p for p in Plan.objects.filter(household__in=list(visible.values()))
        }
        owners: dict[str, list[Cadre]] = {}
        wanted = sorted({row["owner"] for row in rows if row["owner"]})
        for start in range(0, len(wanted), CHUNK):
            for cadre in Cadre.objects.visible_to(user).filter(
                name__in=wanted[start : start + CHUNK]
            ):
                owners.setdefault(cadre.name, []).append(cadre)
        first_plan_row: dict[str, SheetRow] = {}
        for row in rows:
            household = visible.get(row["id_number"])
            if household is None:
                message = (
                    _("该户不在您的管辖范围内。")
                    if row["id_number"] in registered
                    else _("系统中没有以此身份证号登记的户，请先导入贫困户名册。")
                )
                row.error("id_number", message)
                continue
            if row["head_name"] and row["head_name"] != household.head_name:
                row.error(
                    "head_name",
                    _("户主姓名与系统中的不一致（系统中为“%(name)s”）。")
                    % {"name": household.head_name},
                )
            row.data["household"] = household
            self._check_plan_columns(row, first_plan_row)
            if row["content"] and not row["deadline"]:
                row.error("deadline", _("填写了帮扶措施时须填写完成时限。"))
            if not row["content"] and any(
                row[key] for key in ("owner", "deadline", "status", "done_on")
            ):
                row.error("content", _("填写了责任人、时限或进度，但没有填写帮扶措施。"))
            if row["owner"]:
                candidates = owners.get(row["owner"], [])
                if row["owner_phone"]:
                    candidates = [c for c in candidates if c.phone == row["owner_phone"]]
                if not candidates:
                    row.error(
                        "owner",
                        _("找不到责任人“%(name)s”（须在您的管辖范围内）。")
                        % {"name": row["owner"]},
                    )
                elif len(candidates) > 1:
                    row.error(
                        "owner",
                        _("有 %(n)d 位名为“%(name)s”的干部，请填写责任人手机号以区分。")
                        % {"n": len(candidates), "name": row["owner"]},
                    )
                else:
                    row.data["owner"] = candidates[0]
        for row in rows:
            household = row.data.get("household")
            if household is None:
                continue
            first = first_plan_row.get(row["id_number"])
            row.data["plan_values"] = (
                {key: first[key] for key in ("summary", "drawn_up_on") if first[key]}
                if first is not None
                else {}
            )
            if household.pk not in plans and "drawn_up_on" not in row.data["plan_values"]:
                row.error("drawn_up_on", _("该户还没有一户一策，请填写制定日期。"))

    @staticmethod
    def _check_plan_columns(row: SheetRow, first_plan_row: dict[str, SheetRow]) -> None:
        """The plan's columns of a household's rows must agree (blank cells take the others')."""
        if not (row["summary"] or row["drawn_up_on"]):
            return
        first = first_plan_row.get(row["id_number"])
        if first is None:
            first_plan_row[row["id_number"]] = row
            return
        for key, label in (("summary", _("帮扶思路")), ("drawn_up_on", _("制定日期"))):
            if row[key] and first[key] and row[key] != first[key]:
                row.error(
                    key,
                    _("同一户的%(label)s与第 %(row)d 行不一致。")
                    % {"label": label, "row": first.number},
                )
        for key in ("summary", "drawn_up_on"):
            if row[key] and not first[key]:
                first.values[key] = row[key]

    def apply(self, row: SheetRow, user: Any) -> str:
        household: Household = row.data["household"]
        status = UNCHANGED
        plan = Plan.objects.filter(household=household).first()
        values = dict(row.data["plan_values"])  # the household's rows agree (see `check`)
        if plan is None:
            plan = plan_record(user=user, household=household, **values)
            row.changed(_("一户一策"), "", values.get("summary") or _("已制定"))
            status = CREATED
        else:
            changes = row.changes_for(plan, values)
            if changes:
                plan_update(user=user, plan=plan, **changes)
                status = UPDATED
        if not row["content"]:
            return status
        measure = Measure.objects.filter(plan=plan, content=row["content"]).first()
        fields: dict[str, Any] = {"deadline": row["deadline"]}
        if row.data.get("owner") is not None:
            fields["owner"] = row.data["owner"]
        if row["status"]:
            fields["status"] = row["status"]
        if row["done_on"]:
            fields["done_on"] = row["done_on"]
        if measure is None:
            measure_record(user=user, plan=plan, content=row["content"], **fields)
            row.changed(_("帮扶措施"), "", row["content"])
            return CREATED if status != UPDATED else UPDATED
        changes = row.changes_for(measure, fields)
        if not changes:
            return status
        measure_update(user=user, measure=measure, **changes)
        return UPDATED

    def describe(self, row: SheetRow) -> str:
        household = row.data.get("household")
        name = household.head_name if household is not None else row["head_name"]
        return f"{name}：{row['content']}" if row["content"] else f"{name}：{_('一户一策')}"


register_sheet(PlanSheet())
