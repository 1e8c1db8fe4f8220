"""Write bodies (and the few new read shapes) of the households' kept records: households,
members, incomes, plans and measures, household pairings with their handover and the bulk
reassign of a departing helper, and the coverage list. The reads reuse
api/serializers/households.py (same fields, same masking)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers import households as read
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from cadres.models import Cadre
from core.idcard import mask_id_number
from households.models import (
    AssistanceTrack,
    Household,
    IncomeRecord,
    MeasureStatus,
    Member,
    Plan,
    PovertyCause,
    PovertyStatus,
)
from pairing.models import Unit
from villages.models import Village

ID_HELP = _("18位身份证号（写入时填完整号码；读出时一律脱敏）。")


# --- households ------------------------------------------------------------------------------
class HouseholdWriteSerializer(StrictSerializer):
    village = ScopedPrimaryKeyRelatedField(
        queryset=Village.objects.all(), help_text=_("村编号（须在您的管辖范围内）。")
    )
    group_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    head_name = serializers.CharField(max_length=50, help_text=_("户主姓名。"))
    head_id_number = serializers.CharField(max_length=30, help_text=ID_HELP)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    size = serializers.IntegerField(min_value=1, max_value=99, help_text=_("家庭人口数。"))
    cause = serializers.ChoiceField(
        choices=PovertyCause.choices,
        required=False,
        allow_blank=True,
        help_text=_("主要致贫原因（建档立卡户必填；一般农户不填）。"),
    )
    track = serializers.ChoiceField(
        choices=AssistanceTrack.choices,
        required=False,
        allow_blank=True,
        help_text=_("帮扶类型（建档立卡户必填；一般农户不填）。"),
    )
    key_difficulty = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(
        choices=PovertyStatus.choices, required=False, default=PovertyStatus.POOR
    )
    registered_year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, allow_null=True
    )
    exit_year = serializers.IntegerField(
        min_value=2013, max_value=2035, required=False, allow_null=True
    )
    food_clothing_ok = serializers.BooleanField(required=False, default=True)
    education_ok = serializers.BooleanField(required=False, default=True)
    medical_ok = serializers.BooleanField(required=False, default=True)
    housing_ok = serializers.BooleanField(required=False, default=True)
    water_ok = serializers.BooleanField(required=False, default=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    confirm_duplicates = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text=_(
            "户主姓名和出生日期与其他村的户相同，或联系电话与其他户相同时，核实后传 true 仍然保存。"
        ),
    )


class HouseholdUpdateSerializer(HouseholdWriteSerializer):
    """Every field optional; only those sent change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if hasattr(field, "default"):
                field.default = serializers.empty


# --- members, incomes ------------------------------------------------------------------------
class KeptMemberSerializer(read.MemberSerializer):
    household = serializers.IntegerField(source="household_id", read_only=True)

    class Meta(read.MemberSerializer.Meta):
        fields = ["id", "household", *read.MemberSerializer.Meta.fields[1:]]


class MemberWriteSerializer(StrictSerializer):
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text=_("贫困户编号。")
    )
    name = serializers.CharField(max_length=50)
    relation = serializers.ChoiceField(choices=Member.Relation.choices)
    id_number = serializers.CharField(
        max_length=30, required=False, allow_blank=True, allow_null=True, help_text=ID_HELP
    )
    birth_year = serializers.IntegerField(
        min_value=1900, max_value=2100, required=False, allow_null=True
    )
    health = serializers.CharField(max_length=50, required=False, allow_blank=True)
    education = serializers.CharField(max_length=50, required=False, allow_blank=True)
    works_away = serializers.BooleanField(required=False, default=False)


class MemberUpdateSerializer(MemberWriteSerializer):
    household = None  # a member stays in their household

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if hasattr(field, "default"):
                field.default = serializers.empty


class IncomeSerializer(serializers.ModelSerializer):
    household_name = serializers.CharField(source="household.head_name", read_only=True)

    class Meta:
        model = IncomeRecord
        fields = ["id", "household", "household_name", "year", "per_capita_net_income"]


class IncomeWriteSerializer(StrictSerializer):
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text=_("贫困户编号。")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("年度。"))
    per_capita_net_income = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=10**10 - 1,
        help_text=_("年人均纯收入（元）。"),
    )


class IncomeUpdateSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    per_capita_net_income = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=10**10 - 1, required=False
    )


# --- plans and measures ----------------------------------------------------------------------
class KeptPlanSerializer(read.PlanSerializer):
    household = serializers.IntegerField(source="household_id", read_only=True)
    household_name = serializers.CharField(source="household.head_name", read_only=True)

    class Meta(read.PlanSerializer.Meta):
        fields = ["id", "household", "household_name", "summary", "drawn_up_on", "measures"]


class PlanWriteSerializer(StrictSerializer):
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text=_("贫困户编号；每户只有一份一户一策。")
    )
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    drawn_up_on = serializers.DateField(help_text=_("制定日期，不能晚于今天。"))


class PlanUpdateSerializer(StrictSerializer):
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    drawn_up_on = serializers.DateField(required=False)


class KeptMeasureSerializer(read.MeasureSerializer):
    plan = serializers.IntegerField(source="plan_id", read_only=True)
    household = serializers.IntegerField(source="plan.household_id", read_only=True)

    class Meta(read.MeasureSerializer.Meta):
        fields = ["id", "plan", "household", *read.MeasureSerializer.Meta.fields[1:]]


class MeasureWriteSerializer(StrictSerializer):
    plan = ScopedPrimaryKeyRelatedField(queryset=Plan.objects.all(), help_text=_("一户一策编号。"))
    content = serializers.CharField(max_length=300, help_text=_("帮扶措施。"))
    owner = ScopedPrimaryKeyRelatedField(
        queryset=Cadre.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("责任人（干部编号）。"),
    )
    deadline = serializers.DateField(help_text=_("完成时限。"))
    status = serializers.ChoiceField(
        choices=MeasureStatus.choices, required=False, default=MeasureStatus.PLANNED
    )
    done_on = serializers.DateField(
        required=False, allow_null=True, help_text=_("完成日期；进度为已完成而不填时为今天。")
    )


class MeasureUpdateSerializer(StrictSerializer):
    content = serializers.CharField(max_length=300, required=False)
    owner = ScopedPrimaryKeyRelatedField(
        queryset=Cadre.objects.all(), required=False, allow_null=True
    )
    deadline = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=MeasureStatus.choices, required=False)
    done_on = serializers.DateField(required=False, allow_null=True)


# --- household pairings ----------------------------------------------------------------------
def _helper_field(help_text, **kwargs):
    return ScopedPrimaryKeyRelatedField(queryset=Cadre.objects.all(), help_text=help_text, **kwargs)


class HouseholdPairingWriteSerializer(StrictSerializer):
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text=_("贫困户编号。")
    )
    helper = _helper_field(_("帮扶责任人（干部编号）。"))
    unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("帮扶单位编号；不填为帮扶责任人所在单位。"),
    )
    start_date = serializers.DateField(help_text=_("结对日期。"))
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text=_("解除日期；结对仍在进行时不填。")
    )


class HouseholdPairingUpdateSerializer(StrictSerializer):
    helper = _helper_field(_("更正帮扶责任人（更换帮扶责任人请用交接）。"), required=False)
    unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True
    )
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)


class HandoverWriteSerializer(StrictSerializer):
    helper = _helper_field(_("接替的帮扶责任人（干部编号）。"))
    day = serializers.DateField(
        help_text=_("交接日期：原结对在前一天解除，新结对从这一天开始；须晚于原结对的结对日期。")
    )
    unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("新结对的帮扶单位；不填为接替人所在单位。"),
    )


class HandoverSerializer(serializers.Serializer):
    old = read.HouseholdPairingSerializer(help_text=_("原结对（已于交接日期前一天解除）。"))
    new = read.HouseholdPairingSerializer(help_text=_("新结对（从交接日期开始）。"))


class ReassignChoiceSerializer(StrictSerializer):
    pairing = serializers.IntegerField(min_value=1, help_text=_("离任帮扶责任人的结对编号。"))
    helper = _helper_field(_("这一户接替的帮扶责任人。"))


class ReassignWriteSerializer(StrictSerializer):
    helper = _helper_field(_("离任的帮扶责任人（干部编号）。"))
    day = serializers.DateField(help_text=_("交接日期：各户原结对在前一天解除。"))
    to_helper = _helper_field(
        _("接替全部户的帮扶责任人；逐户另选的写在 choices 里。"), required=False, allow_null=True
    )
    choices = ReassignChoiceSerializer(
        many=True, required=False, help_text=_("逐户另选：结对编号和接替的帮扶责任人。")
    )


class ReassignResultSerializer(serializers.Serializer):
    changed = HandoverSerializer(many=True, help_text=_("每户交接前后的结对。"))


# --- coverage --------------------------------------------------------------------------------
class CoverageSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    head_id_number_masked = serializers.SerializerMethodField(help_text=_("户主身份证号（脱敏）。"))

    class Meta:
        model = Household
        fields = [
            "id",
            "village",
            "village_name",
            "township",
            "path",
            "head_name",
            "head_id_number_masked",
            "status",
        ]

    def get_head_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.head_id_number)
