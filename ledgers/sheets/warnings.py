"""部门筛查预警 in: a department's warning list (a person's ID number, the department, the risk,
the day of the warning), matched to households through their members' ID numbers (and the
head's own). Each match becomes a risk clue of the channel "department" for the household's
township, written through monitoring.services.clue_record (the role, scope and the clue's rules,
as on the pages); its natural key is the household, the department and the day received, so
importing the same list again changes nothing.

A person the list names who is not a member of a household in the importer's scope is not an
error: they are listed back as "未匹配" (masked, with the name the file gives) and nothing is
written for them; a household outside the scope is unmatched too and never revealed. A
malformed row (a bad ID number, an unknown department, a missing risk or date) refuses the
whole file, as every import does.

Imported by those who keep "clue_acceptance" (township staff for their township and county
reviewers for their county): taking in a department's warnings is the acceptance of clues."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.idcard import mask_id_number
from households.models import Household, Member
from ledgers.sheets.base import (
    CREATED,
    NOTED,
    UNCHANGED,
    Col,
    SheetRow,
    SheetSpec,
    register_sheet,
)
from monitoring.models import ClueChannel, Department, RiskClue
from monitoring.services import clue_record

CHUNK = 900
UNMATCHED = gettext_lazy("未匹配")


class WarningSheet(SheetSpec):
    kind = "warnings"
    title = gettext_lazy("部门筛查预警名单")
    sheet_name = "部门预警名单"
    keeper_kind = "clue_acceptance"
    order_on_hub = 80
    columns = [
        Col(
            "身份证号",
            "id_number",
            required=True,
            aliases=("身份证号码", "公民身份号码", "成员身份证号"),
            parse="id_number",
            note=gettext_lazy("预警对象的18位身份证号，按家庭成员（含户主）的身份证号匹配到户。"),
            example="510821198001011234",
        ),
        Col(
            "姓名",
            "name",
            aliases=("预警对象姓名",),
            note=gettext_lazy("可不填；未匹配到户时用于在名单中辨认。"),
            example="张三",
        ),
        Col(
            "预警部门",
            "department",
            required=True,
            aliases=("部门", "筛查部门"),
            choices=Department,
            example=str(Department.MEDICAL_INSURANCE.label),
        ),
        Col(
            "风险情况",
            "risk",
            required=True,
            aliases=("预警内容", "风险", "风险类型"),
            note=gettext_lazy("部门推送的风险，如“住院自付费用超过2万元”。最多300字。"),
            example="住院自付费用较高",
            width=40,
        ),
        Col(
            "预警日期",
            "received_on",
            required=True,
            aliases=("推送日期", "日期", "接报日期"),
            parse="date",
            note=gettext_lazy("部门推送预警的日期：线索的15天办结时限从这一天算起。"),
            example="2026-11-02",
        ),
    ]
    instructions = [
        gettext_lazy(
            "按身份证号匹配您管辖范围内各户的家庭成员：匹配到的，为该户新增一条“部门筛查预警”"
            "风险线索，交该户所在乡镇办理；同一户、同一部门、同一预警日期的线索只登记一次，"
            "重复导入不会产生变化。"
        ),
        gettext_lazy(
            "没有匹配到户的人员不算错误，不写入任何数据，在导入结果中列为“未匹配”，"
            "请核实后反馈预警部门。"
        ),
    ]
    key_columns = ("id_number",)
    field_columns = {
        "received_on": "received_on",
        "department": "department",
        "risk": "risk",
        "member": "id_number",
        "household": "id_number",
        "channel": "department",
    }

    def key(self, row: SheetRow) -> Any:
        if not row["id_number"]:
            return None
        return (row["id_number"], row["department"], row["received_on"])

    def check(self, rows: list[SheetRow], user: Any) -> None:
        numbers = sorted({row["id_number"] for row in rows if row["id_number"]})
        members: dict[str, Member] = {}
        heads: dict[str, Household] = {}
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start : start + CHUNK]
            # Only the importer's scope: a household elsewhere is "unmatched", never named.
            found: Member
            for found in (
                Member.objects.filter(
                    id_number__in=chunk,
                    household__in=Household.objects.visible_to(user),
                )
                .select_related("household__village")
                .order_by("id")
            ):
                members[str(found.id_number)] = found
            for household in (
                Household.objects.visible_to(user)
                .filter(head_id_number__in=chunk)
                .select_related("village")
            ):
                heads[household.head_id_number] = household
        for row in rows:
            if len(row["risk"]) > 300:
                row.error("risk", _("风险情况过长（最多300字）。"))
            number = row["id_number"]
            member = members.get(number)
            if member is not None:
                row.data["household"], row.data["member"] = member.household, member
            elif number in heads:
                row.data["household"], row.data["member"] = heads[number], None
            else:
                row.data["household"] = None

    def apply(self, row: SheetRow, user: Any) -> str:
        household: Household | None = row.data.get("household")
        if household is None:
            # Listed back, nothing written.
            row.changed(
                str(UNMATCHED),
                "",
                _("本辖区没有以此身份证号登记的家庭成员，未写入"),
            )
            return NOTED
        exists = RiskClue.objects.filter(
            household=household,
            channel=ClueChannel.DEPARTMENT,
            department=row["department"],
            received_on=row["received_on"],
        ).exists()
        if exists:
            return UNCHANGED
        clue_record(
            user=user,
            household=household,
            channel=ClueChannel.DEPARTMENT,
            department=row["department"],
            member=row.data.get("member"),
            risk=row["risk"],
            received_on=row["received_on"],
        )
        row.changed(_("风险线索"), "", f"{Department(row['department']).label}：{row['risk']}")
        return CREATED

    def describe(self, row: SheetRow) -> str:
        household: Household | None = row.data.get("household")
        if household is None:
            name = row["name"] or ""
            return f"{UNMATCHED}：{mask_id_number(row['id_number'])} {name}".strip()
        return f"{household.village.name} {household.head_name}"


register_sheet(WarningSheet())
