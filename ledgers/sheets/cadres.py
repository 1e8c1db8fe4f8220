"""干部、驻村任期与工作队 from Excel: a county's reviewer loads its cadres — one row a person:
name, kind, ID number or phone, unit, position; for a stationed cadre or first secretary the
village (its 12-digit division code) with the term's start and end; and the work team they
serve in with their role in it.

Matched by natural key, so a second import of the same file changes nothing: a person by their
ID number, or (without one) by their phone together with their name; a term by its cadre,
village and start; a team by its name among the teams the reviewer sees, a member by team and
cadre. Every write goes through cadres.services (cadre_record / cadre_update, term_record /
term_update, work_team_record / work_team_update, work_team_member_record / _update): the
keeper's role, scope on every row (a unit, village, cadre or team outside the reviewer's region
is an error on its row) and the rules (a term that ends before it starts, two terms in the same
post at once, a cadre in two teams at once) are the pages' own."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres.models import Cadre, CadreKind, Term, WorkTeam, WorkTeamMember
from cadres.services import (
    STATIONED_KINDS,
    cadre_record,
    cadre_update,
    term_record,
    term_update,
    work_team_member_record,
    work_team_member_update,
    work_team_record,
    work_team_update,
)
from ledgers.sheets.base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Col,
    SheetRow,
    SheetSpec,
    register_sheet,
)
from pairing.models import Unit
from villages.models import Village

CHUNK = 900


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _period(start: datetime.date | None, end: datetime.date | None) -> str:
    return _("%(start)s 至 %(end)s") % {
        "start": start.isoformat() if start else "—",
        "end": end.isoformat() if end else _("长期"),
    }


class CadreSheet(SheetSpec):
    kind = "cadres"
    title = gettext_lazy("干部、驻村任期与工作队")
    sheet_name = "干部名册"
    keeper_kind = "cadre"
    order_on_hub = 30
    columns = [
        Col("姓名", "name", required=True, aliases=("干部姓名",), example="张明"),
        Col(
            "身份",
            "kind",
            required=True,
            aliases=("干部身份", "类别"),
            choices=CadreKind,
            example="第一书记",
            width=22,
        ),
        Col(
            "身份证号",
            "id_number",
            aliases=("身份证号码", "公民身份号码"),
            parse="id_number",
            note=gettext_lazy("用于识别同一人；不填身份证号时按“手机号+姓名”识别。"),
            example="",
        ),
        Col(
            "手机号",
            "phone",
            aliases=("联系电话", "手机号码", "电话"),
            parse="phone",
            note=gettext_lazy("身份证号和手机号至少填一项。"),
            example="13912345678",
        ),
        Col(
            "所在（派出）单位",
            "unit",
            aliases=("派出单位", "所在单位", "单位", "单位名称"),
            note=gettext_lazy("单位全称，须已在系统中（先导入帮扶单位）；帮扶责任人必填。"),
            example="县人民医院",
            width=26,
        ),
        Col("职务", "position", example="副科长"),
        Col(
            "所驻村代码",
            "village",
            aliases=("所驻村区划代码", "村代码", "驻村代码"),
            parse="code",
            note=gettext_lazy(
                "驻村干部、第一书记所驻村的12位区划代码（须在您的管辖范围内）；"
                "填写后须同时填写任期开始和结束日期。"
            ),
            example="510821101201",
            width=18,
        ),
        Col(
            "任期开始",
            "start",
            aliases=("任期开始日期", "进驻日期", "开始日期"),
            parse="date",
            example="2025-01-10",
        ),
        Col(
            "任期结束",
            "end",
            aliases=("任期结束日期", "期满日期", "结束日期"),
            parse="date",
            example="2027-01-09",
        ),
        Col(
            "工作队",
            "team",
            aliases=("驻村工作队", "工作队名称"),
            note=gettext_lazy(
                "所在驻村工作队的名称；系统中没有的按本行的所驻村和任期新建。"
                "同一工作队的成员填写同一名称。"
            ),
            example="某某村驻村工作队",
            width=24,
        ),
        Col(
            "队内职务",
            "team_role",
            aliases=("工作队职务",),
            choices=WorkTeamMember.TeamRole,
            note=gettext_lazy("不填为队员。"),
            example="队长",
        ),
    ]
    instructions = [
        gettext_lazy(
            "每人一行。按身份证号识别同一人（没有身份证号时按手机号和姓名）：已有的更新本表"
            "填写的各项，没有的新增。同一文件重复导入不会产生变化。"
        ),
        gettext_lazy(
            "驻村干部、第一书记填写所驻村代码和任期：同一村同一开始日期的任期视为同一任期，"
            "再次导入时只更新结束日期。同一干部同一时间只能有一个同一身份的任期、只能在一个工作队。"
        ),
        gettext_lazy("召回、替换干部、年度考核和工作经费请在网页上办理。"),
    ]
    key_columns = ("id_number", "phone", "name")
    field_columns = {
        "start_date": "start",
        "end_date": "end",
        "villages": "village",
        "home_region": "village",
        "village": "village",
        "role": "team_role",
        "cadre": "name",
        "__all__": "name",
    }

    def key(self, row: SheetRow):
        if row["id_number"]:
            return ("id", row["id_number"])
        if row["phone"]:
            return ("phone", row["phone"], row["name"])
        return None

    def check(self, rows: list[SheetRow], user) -> None:
        unit_names = sorted({row["unit"] for row in rows if row["unit"]})
        units: dict[str, Unit] = {}
        for chunk in _chunks(unit_names):
            units.update((u.name, u) for u in Unit.objects.visible_to(user).filter(name__in=chunk))
        codes = sorted({row["village"] for row in rows if row["village"]})
        villages: dict[str, Village] = {}
        for chunk in _chunks(codes):
            villages.update(
                (v.region.code, v)
                for v in Village.objects.visible_to(user)
                .filter(region__code__in=chunk)
                .select_related("region")
            )
        numbers = sorted({row["id_number"] for row in rows if row["id_number"]})
        by_number: dict[str, Cadre] = {}
        for chunk in _chunks(numbers):
            by_number.update((c.id_number, c) for c in Cadre.objects.filter(id_number__in=chunk))
        phones = sorted({row["phone"] for row in rows if row["phone"] and not row["id_number"]})
        by_phone: dict[tuple[str, str], list[Cadre]] = {}
        for chunk in _chunks(phones):
            for cadre in Cadre.objects.filter(phone__in=chunk):
                by_phone.setdefault((cadre.phone, cadre.name), []).append(cadre)
        found = [c.pk for c in by_number.values()] + [
            c.pk for group in by_phone.values() for c in group
        ]
        visible: set[int] = set()
        for chunk in _chunks(found):
            visible.update(
                Cadre.objects.visible_to(user).filter(pk__in=chunk).values_list("pk", flat=True)
            )
        for row in rows:
            self._check_row(row, units, villages, by_number, by_phone, visible)

    def _check_row(self, row, units, villages, by_number, by_phone, visible) -> None:
        if not row["id_number"] and not row["phone"]:
            row.error("id_number", _("身份证号和手机号至少填写一项，用于识别同一人。"))
        unit = units.get(row["unit"]) if row["unit"] else None
        if row["unit"] and unit is None:
            row.error("unit", _("该单位不存在或不在您的管辖范围内（请先导入帮扶单位）。"))
        row.data["unit"] = unit
        village = villages.get(row["village"]) if row["village"] else None
        if row["village"] and village is None:
            row.error("village", _("该村不存在或不在您的管辖范围内。"))
        row.data["village"] = village
        stationed = row["kind"] in STATIONED_KINDS
        if row["village"] and not stationed and row["kind"]:
            row.error("village", _("只有驻村干部和第一书记填写所驻村和任期。"))
        if stationed and row["village"]:
            for key in ("start", "end"):
                if row[key] is None:
                    row.error(key, _("填写了所驻村时须填写任期开始和结束日期。"))
        if row["team"]:
            if not stationed and row["kind"]:
                row.error("team", _("只有驻村干部和第一书记可以加入驻村工作队。"))
            if row["start"] is None:
                row.error("start", _("填写了工作队时须填写任期开始日期。"))
        cadre = None
        if row["id_number"]:
            cadre = by_number.get(row["id_number"])
        elif row["phone"]:
            matches = by_phone.get((row["phone"], row["name"]), [])
            if len(matches) > 1:
                row.error("phone", _("系统中有多名同名干部使用此手机号，请填写身份证号以区分。"))
            cadre = matches[0] if len(matches) == 1 else None
        if cadre is not None and cadre.pk not in visible:
            row.error(
                "id_number" if row["id_number"] else "phone",
                _("系统中已有此人，但不在您的管辖范围内，不能导入。"),
            )
        row.data["cadre"] = cadre

    def _values(self, row: SheetRow) -> dict:
        values: dict = {"name": row["name"], "kind": row["kind"]}
        for key in ("id_number", "phone"):
            if row[key]:
                values[key] = row[key]  # a natural key left blank keeps what is on file
        if row.has("unit"):
            values["unit"] = row.data["unit"]
        if row.has("position"):
            values["position"] = row["position"] or ""
        village = row.data.get("village")
        if village is not None:
            values["home_region"] = village.region
        return values

    def apply(self, row: SheetRow, user) -> str:
        values = self._values(row)
        cadre = row.data["cadre"]
        if cadre is not None:
            cadre = Cadre.objects.get(pk=cadre.pk)  # as saved by an earlier row
        status = UNCHANGED
        if cadre is None:
            cadre = cadre_record(user=user, **values)
            for name, value in values.items():
                if value not in (None, "") and name != "id_number":
                    row.changed(Cadre._meta.get_field(name).verbose_name, "", _shown(value))
            status = CREATED
        else:
            changes = row.changes_for(cadre, values)
            if changes:
                cadre_update(user=user, cadre=cadre, **changes)
                status = UPDATED
        village = row.data.get("village")
        changed = False
        if village is not None and row["start"] and row["end"]:
            changed |= self._term(row, user, cadre, village)
        if row["team"]:
            changed |= self._team(row, user, cadre, village)
        if changed and status == UNCHANGED:
            status = UPDATED
        return status

    def _term(self, row: SheetRow, user, cadre: Cadre, village: Village) -> bool:
        term = Term.objects.filter(cadre=cadre, village=village, start_date=row["start"]).first()
        label = _("驻村任期")
        if term is None:
            term_record(
                user=user,
                cadre=cadre,
                village=village,
                role=row["kind"],
                start_date=row["start"],
                end_date=row["end"],
                dispatching_unit=row.data.get("unit"),
            )
            row.changed(label, "", f"{village.name} {_period(row['start'], row['end'])}")
            return True
        if term.end_date == row["end"] or term.recalled_on is not None:
            return False
        old = _period(term.start_date, term.end_date)
        term_update(user=user, term=term, end_date=row["end"])
        row.changed(
            label, f"{village.name} {old}", f"{village.name} {_period(row['start'], row['end'])}"
        )
        return True

    def _team(self, row: SheetRow, user, cadre: Cadre, village: Village | None) -> bool:
        name = row["team"]
        changed = False
        team = WorkTeam.objects.visible_to(user).filter(name=name).first()
        if team is None:
            if village is None:
                raise ValidationError(
                    {"team": [_("系统中没有该工作队；新建工作队须填写所驻村代码。")]}
                )
            team = work_team_record(
                user=user,
                name=name,
                start_date=row["start"],
                end_date=row["end"],
                villages=[village],
                dispatching_unit=row.data.get("unit"),
            )
            row.changed(_("工作队"), "", name)
            changed = True
        elif village is not None and not team.villages.filter(pk=village.pk).exists():
            serving = [*team.villages.all(), village]
            work_team_update(user=user, work_team=team, villages=serving)
            row.changed(_("工作队所驻村"), "", village.name)
            changed = True
        role = row["team_role"] or WorkTeamMember.TeamRole.MEMBER
        member = WorkTeamMember.objects.filter(team=team, cadre=cadre).first()
        if member is None:
            start = row["start"] if row["start"] and row["start"] > team.start_date else None
            work_team_member_record(user=user, team=team, cadre=cadre, role=role, start_date=start)
            row.changed(_("工作队成员"), "", f"{name} {WorkTeamMember.TeamRole(role).label}")
            return True
        if member.role != role:
            work_team_member_update(user=user, member=member, role=role)
            row.changed(
                WorkTeamMember._meta.get_field("role").verbose_name,
                member.get_role_display(),
                WorkTeamMember.TeamRole(role).label,
            )
            return True
        return changed

    def describe(self, row: SheetRow) -> str:
        return row["name"]


def _shown(value) -> str:
    if isinstance(value, Unit):
        return value.name
    if hasattr(value, "name") and hasattr(value, "code"):
        return value.name  # a region
    label = dict(CadreKind.choices).get(value) if isinstance(value, str) else None
    return str(label or value)


register_sheet(CadreSheet())
