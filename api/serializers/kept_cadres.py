"""Cadres and helpers, terms, work teams and members, yearly grades, working funds, the
three-person liaison, reserve cadres and talents: the rows as the API reads them, and the
bodies of their writes (parsed here, then given to cadres/services.py, the services the pages
call: the rules, the keeper's role and scope are theirs).

Phones follow the one rule of the API (CadreSerializer.get_phone): in full for roles that may
see full numbers, masked otherwise. ID numbers are never returned."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers.activities import WriteSerializer
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from api.serializers.reference import CadreSerializer, WorkTeamMemberSerializer, WorkTeamSerializer
from cadres.models import (
    Cadre,
    Grade,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)
from core.scope import scope_of
from pairing.models import PartyOrganisation, Unit
from villages.models import Region, Village


def _name(source: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True, default=None)


def _cadre_field(**kwargs):
    kwargs.setdefault("help_text", _("干部编号（须在您的管辖范围内）。"))
    return ScopedPrimaryKeyRelatedField(queryset=Cadre.objects.all(), **kwargs)


def _village_field(**kwargs):
    kwargs.setdefault("help_text", _("村编号（须在您的管辖范围内）。"))
    return ScopedPrimaryKeyRelatedField(queryset=Village.objects.all(), **kwargs)


def _unit_field(**kwargs):
    kwargs.setdefault("help_text", _("单位编号（须在您的管辖范围内）。"))
    return ScopedPrimaryKeyRelatedField(queryset=Unit.objects.all(), **kwargs)


def _regions_in_scope(user):
    return scope_of(user).regions()


# --- cadres ------------------------------------------------------------------------------------
class KeptCadreSerializer(CadreSerializer):
    """The read-only endpoint's row (same fields, same masking), with the e-mail and whether
    the cadre is still in post."""

    active = serializers.SerializerMethodField(help_text=_("今天是否在岗（未填写离任日期）。"))

    class Meta(CadreSerializer.Meta):
        fields = [*CadreSerializer.Meta.fields, "email", "left_on", "active"]

    def get_active(self, obj) -> bool:
        return obj.is_active(timezone.localdate())


class CadreWriteSerializer(WriteSerializer):
    id_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        allow_null=True,
        write_only=True,
        help_text=_("身份证号（18位，用于识别同一人；接口不返回）。"),
    )
    unit = _unit_field(required=False, allow_null=True)
    party_organisation = ScopedPrimaryKeyRelatedField(
        queryset=PartyOrganisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("所在党组织编号（须属于所在单位）。"),
    )
    home_region = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        scope=_regions_in_scope,
        required=False,
        allow_null=True,
        help_text=_("工作区划编号：乡镇领导填乡镇，县级领导填县，驻村干部填所驻村。"),
    )

    class Meta(WriteSerializer.Meta):
        model = Cadre
        fields = [
            "name",
            "kind",
            "gender",
            "id_number",
            "phone",
            "email",
            "unit",
            "party_organisation",
            "position",
            "is_party_member",
            "home_region",
            "left_on",
        ]


class CadreUpdateSerializer(CadreWriteSerializer):
    """Every field optional. A stationed cadre's own record: phone and e-mail only."""

    class Meta(CadreWriteSerializer.Meta):
        extra_kwargs = {"name": {"required": False}, "kind": {"required": False}}


# --- work teams and members --------------------------------------------------------------------
class KeptWorkTeamMemberSerializer(WorkTeamMemberSerializer):
    class Meta(WorkTeamMemberSerializer.Meta):
        fields = ["id", *WorkTeamMemberSerializer.Meta.fields, "start_date", "end_date"]


class KeptWorkTeamSerializer(WorkTeamSerializer):
    """The read-only endpoint's row, with each member's id and dates."""

    members = KeptWorkTeamMemberSerializer(many=True, read_only=True)

    class Meta(WorkTeamSerializer.Meta):
        pass


class WorkTeamWriteSerializer(WriteSerializer):
    villages = _village_field(many=True, help_text=_("所驻村编号列表（须在您的管辖范围内）。"))
    dispatching_unit = _unit_field(required=False, allow_null=True)

    class Meta(WriteSerializer.Meta):
        model = WorkTeam
        fields = ["name", "dispatching_unit", "villages", "start_date", "end_date"]


class WorkTeamUpdateSerializer(WorkTeamWriteSerializer):
    villages = _village_field(
        many=True, required=False, help_text=_("所驻村编号列表（给出则整体替换）。")
    )

    class Meta(WorkTeamWriteSerializer.Meta):
        extra_kwargs = {"name": {"required": False}, "start_date": {"required": False}}


class WorkTeamMemberRowSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    in_force = serializers.SerializerMethodField(help_text=_("今天是否在队。"))

    class Meta:
        model = WorkTeamMember
        fields = [
            "id",
            "team",
            "team_name",
            "cadre",
            "cadre_name",
            "role",
            "start_date",
            "end_date",
            "in_force",
        ]

    def get_in_force(self, obj) -> bool:
        today = timezone.localdate()
        last = obj.last_day()
        return obj.first_day() <= today and (last is None or last >= today)


class WorkTeamMemberWriteSerializer(WriteSerializer):
    team = ScopedPrimaryKeyRelatedField(
        queryset=WorkTeam.objects.all(), help_text=_("工作队编号（须在您的管辖范围内）。")
    )
    cadre = _cadre_field()

    class Meta(WriteSerializer.Meta):
        model = WorkTeamMember
        fields = ["team", "cadre", "role", "start_date", "end_date"]


class WorkTeamMemberUpdateSerializer(WriteSerializer):
    class Meta(WriteSerializer.Meta):
        model = WorkTeamMember
        fields = ["role", "start_date", "end_date"]


# --- terms -------------------------------------------------------------------------------------
class TermSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    dispatching_unit_name = _name("dispatching_unit.name")
    replaced_by = serializers.SerializerMethodField(help_text=_("接替此任期的任期编号。"))
    approved_by_name = _name("approved_by.display_name")
    in_force = serializers.SerializerMethodField(help_text=_("今天是否在任。"))

    class Meta:
        model = Term
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "village",
            "village_name",
            "role",
            "dispatching_unit",
            "dispatching_unit_name",
            "start_date",
            "end_date",
            "recalled_on",
            "recall_reason",
            "replaces",
            "replaced_by",
            "replacement_reason",
            "approved_by",
            "approved_by_name",
            "assessment",
            "assessment_note",
            "in_force",
        ]

    def get_replaced_by(self, obj) -> int | None:
        successor = getattr(obj, "replaced_by", None)
        return successor.pk if successor is not None else None

    def get_in_force(self, obj) -> bool:
        today = timezone.localdate()
        if obj.recalled_on is not None and obj.recalled_on <= today:
            return False
        return obj.start_date <= today <= obj.end_date


class TermWriteSerializer(WriteSerializer):
    cadre = _cadre_field()
    village = _village_field()
    dispatching_unit = _unit_field(
        required=False, allow_null=True, help_text=_("派出单位编号；不填为干部的所在单位。")
    )

    class Meta(WriteSerializer.Meta):
        model = Term
        fields = ["cadre", "village", "role", "dispatching_unit", "start_date", "end_date"]


class TermUpdateSerializer(TermWriteSerializer):
    cadre = _cadre_field(required=False)
    village = _village_field(required=False)

    class Meta(TermWriteSerializer.Meta):
        extra_kwargs = {
            "role": {"required": False},
            "start_date": {"required": False},
            "end_date": {"required": False},
        }


class RecallSerializer(StrictSerializer):
    day = serializers.DateField(help_text=_("召回日期：任期于当日结束。"))
    reason = serializers.CharField(max_length=300, help_text=_("召回原因（必填）。"))


class ReplaceSerializer(StrictSerializer):
    cadre = _cadre_field()
    day = serializers.DateField(help_text=_("接替日期：原任期于前一天结束，新任期于当日开始。"))
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("新任期结束日期；不填为原任期计划结束日期。")
    )
    dispatching_unit = _unit_field(
        required=False, allow_null=True, help_text=_("新任期的派出单位；不填为接替干部的单位。")
    )
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=_("调整原因。")
    )


class AssessSerializer(StrictSerializer):
    grade = serializers.ChoiceField(choices=Grade.choices, help_text=_("期满考核等次。"))
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=_("期满考核评语。")
    )


# --- yearly grades and working funds -------------------------------------------------------------
class YearlyGradeSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = YearlyGrade
        fields = ["id", "cadre", "cadre_name", "year", "grade"]


class YearlyGradeWriteSerializer(WriteSerializer):
    cadre = _cadre_field()
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("年度。"))

    class Meta(WriteSerializer.Meta):
        model = YearlyGrade
        fields = ["cadre", "year", "grade"]


class YearlyGradeUpdateSerializer(WriteSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)

    class Meta(WriteSerializer.Meta):
        model = YearlyGrade
        fields = ["year", "grade"]
        extra_kwargs = {"grade": {"required": False}}


class WorkingFundSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = WorkingFund
        fields = ["id", "cadre", "cadre_name", "year", "amount", "source", "granted_on"]


class WorkingFundWriteSerializer(WriteSerializer):
    cadre = _cadre_field()
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("年度。"))
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=10**10 - 1,
        help_text=_("金额（元）。"),
    )

    class Meta(WriteSerializer.Meta):
        model = WorkingFund
        fields = ["cadre", "year", "amount", "source", "granted_on"]


class WorkingFundUpdateSerializer(WriteSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=10**10 - 1, required=False
    )

    class Meta(WriteSerializer.Meta):
        model = WorkingFund
        fields = ["year", "amount", "source", "granted_on"]


# --- the three-person liaison, reserve cadres, talents -------------------------------------------
class LiaisonSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    cadre_name = _name("cadre.name")
    unit_name = _name("unit.name")
    phone = serializers.SerializerMethodField(
        help_text=_("电话；无权查看完整号码的角色只看到脱敏号码（如 139****5678）。")
    )

    class Meta:
        model = Liaison
        fields = [
            "id",
            "village",
            "village_name",
            "role",
            "name",
            "phone",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
        ]

    # The same rule as a cadre's phone (one rule, one place).
    get_phone = CadreSerializer.get_phone


class LiaisonWriteSerializer(WriteSerializer):
    village = _village_field()
    cadre = _cadre_field(required=False, allow_null=True)
    unit = _unit_field(required=False, allow_null=True)

    class Meta(WriteSerializer.Meta):
        model = Liaison
        fields = ["village", "role", "name", "phone", "cadre", "unit"]
        extra_kwargs = {"name": {"required": False}}


class LiaisonUpdateSerializer(WriteSerializer):
    cadre = _cadre_field(required=False, allow_null=True)
    unit = _unit_field(required=False, allow_null=True)

    class Meta(WriteSerializer.Meta):
        model = Liaison
        fields = ["name", "phone", "cadre", "unit"]
        extra_kwargs = {"name": {"required": False}}


class ReserveCadreSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    on_file = serializers.SerializerMethodField(help_text=_("今天是否在册。"))

    class Meta:
        model = ReserveCadre
        fields = [
            "id",
            "village",
            "village_name",
            "name",
            "gender",
            "birth_year",
            "education",
            "is_party_member",
            "strengths",
            "file_notes",
            "added_on",
            "left_on",
            "on_file",
        ]

    def get_on_file(self, obj) -> bool:
        return obj.left_on is None or obj.left_on > timezone.localdate()


RESERVE_FIELDS = [
    "name",
    "gender",
    "birth_year",
    "education",
    "is_party_member",
    "strengths",
    "file_notes",
    "added_on",
    "left_on",
]


class ReserveCadreWriteSerializer(WriteSerializer):
    village = _village_field()
    birth_year = serializers.IntegerField(
        min_value=1900, max_value=2100, required=False, allow_null=True, help_text=_("出生年份。")
    )

    class Meta(WriteSerializer.Meta):
        model = ReserveCadre
        fields = ["village", *RESERVE_FIELDS]


class ReserveCadreUpdateSerializer(WriteSerializer):
    birth_year = serializers.IntegerField(
        min_value=1900, max_value=2100, required=False, allow_null=True
    )

    class Meta(WriteSerializer.Meta):
        model = ReserveCadre
        fields = RESERVE_FIELDS
        extra_kwargs = {"name": {"required": False}, "added_on": {"required": False}}


class TalentAssignmentSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = TalentAssignment
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "village",
            "village_name",
            "specialty",
            "start_date",
            "end_date",
        ]


class TalentAssignmentWriteSerializer(WriteSerializer):
    village = _village_field()
    cadre = _cadre_field(
        required=False,
        allow_null=True,
        help_text=_("已登记的下派专业人才编号；不填时按 name 等登记新人才。"),
    )
    name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("新人才的姓名。")
    )
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("新人才的手机号。")
    )
    unit = _unit_field(required=False, allow_null=True, help_text=_("新人才的所在（派出）单位。"))

    class Meta(WriteSerializer.Meta):
        model = TalentAssignment
        fields = [
            "village",
            "cadre",
            "name",
            "phone",
            "unit",
            "specialty",
            "start_date",
            "end_date",
        ]


class TalentAssignmentUpdateSerializer(WriteSerializer):
    class Meta(WriteSerializer.Meta):
        model = TalentAssignment
        fields = ["specialty", "start_date", "end_date"]
        extra_kwargs = {"specialty": {"required": False}, "start_date": {"required": False}}
