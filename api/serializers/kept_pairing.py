"""Units, Party organisations and organisation pairings (read as api/serializers/reference.py
reads them, plus the end date), the pairings' participants and yearly plans, projects,
donations, and the units' yearly assessments.

The write serializers only parse and type-check a body (ids looked up within the user's scope,
lengths and ranges from the model); the values go to the services the pages call
(pairing/services.py), which decide the rules, the keeper's role and the scope."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.base import StrictFieldsMixin
from api.serializers.fields import EntryDateField, ScopedPrimaryKeyRelatedField
from api.serializers.reference import (
    PairingSerializer,
    PartyOrganisationSerializer,
    UnitSerializer,
)
from assessments.models import UnitAssessment
from assessments.selectors import visible_reasons
from pairing.models import (
    Donation,
    Pairing,
    PairingParticipant,
    PairingYearPlan,
    PartyOrganisation,
    Project,
    Unit,
)
from villages.models import Region, Village

YEAR = {"min_value": 2000, "max_value": 2100}


def _scoped(model, help_text, **kwargs):
    return ScopedPrimaryKeyRelatedField(queryset=model.objects.all(), help_text=help_text, **kwargs)


def _optional(model, help_text):
    return _scoped(model, help_text, required=False, allow_null=True)


class _Write(StrictFieldsMixin):
    """Parsing only: the unique rules are the services' to report (409 where a row collides)."""


# --- units -------------------------------------------------------------------------------------
class KeptUnitSerializer(UnitSerializer):
    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "end_date"]


class UnitWriteSerializer(_Write, UnitSerializer):
    # Declared, so the model's unique rule is the service's message (and a 409), not DRF's.
    name = serializers.CharField(max_length=200, help_text=_("单位名称（全省唯一）。"))
    region = _optional(Region, _("所在区划编号（须在您管辖的区划内）。"))

    class Meta(UnitSerializer.Meta):
        fields = [name for name in UnitSerializer.Meta.fields if name != "id"]
        validators: list = []


# --- Party organisations -------------------------------------------------------------------------
class KeptPartyOrganisationSerializer(PartyOrganisationSerializer):
    class Meta(PartyOrganisationSerializer.Meta):
        fields = [*PartyOrganisationSerializer.Meta.fields, "end_date"]


class PartyOrganisationWriteSerializer(_Write, PartyOrganisationSerializer):
    unit = _optional(Unit, _("所属单位编号；村党支部不填，填所属村。"))
    village = _optional(Village, _("所属村编号；单位的党组织不填。"))
    parent = _optional(
        PartyOrganisation,
        _("上级党组织编号：同一单位（村）的党委或党总支（党委 › 党总支 › 党支部）。"),
    )

    class Meta(PartyOrganisationSerializer.Meta):
        fields = [
            "name",
            "kind",
            "unit",
            "village",
            "parent",
            "secretary",
            "member_count",
        ]
        validators: list = []


# --- organisation pairings ------------------------------------------------------------------
class PairingWriteSerializer(_Write, PairingSerializer):
    lead_unit = _scoped(Unit, _("牵头单位编号。"))
    lead_organisation = _optional(
        PartyOrganisation, _("牵头党组织编号（属于牵头单位；1+1+1+N 须为企业党委）。")
    )
    region = _optional(Region, _("结对区划编号：结对到村的可不填；定点帮扶填县。"))
    village = _optional(Village, _("结对村编号（结对共建必填）。"))
    village_organisation = _optional(
        PartyOrganisation, _("结对村（乡镇）党组织编号（属于结对村）。")
    )
    start_date = EntryDateField(help_text=_("开始日期。"))
    end_date = EntryDateField(
        required=False, allow_null=True, help_text=_("结束日期，不能早于开始日期。")
    )

    class Meta(PairingSerializer.Meta):
        fields = [
            "kind",
            "name",
            "lead_unit",
            "lead_organisation",
            "region",
            "village",
            "village_organisation",
            "special_action",
            "three_year_plan",
            "start_date",
            "end_date",
        ]
        validators: list = []


class ParticipantSerializer(serializers.ModelSerializer):
    pairing_name = serializers.CharField(source="pairing.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    unit = serializers.IntegerField(
        source="organisation.unit_id",
        read_only=True,
        allow_null=True,
        help_text=_("参与单位编号。"),
    )
    unit_name = serializers.CharField(
        source="organisation.unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PairingParticipant
        fields = [
            "id",
            "pairing",
            "pairing_name",
            "organisation",
            "organisation_name",
            "unit",
            "unit_name",
        ]


class ParticipantWriteSerializer(_Write, serializers.ModelSerializer):
    pairing = _scoped(Pairing, _("结对编号。"))
    organisation = _scoped(
        PartyOrganisation,
        _("参与党组织编号：参与单位的党委或党支部；同一单位只列入一次，牵头单位不再列入。"),
    )

    class Meta:
        model = PairingParticipant
        fields = ["pairing", "organisation"]
        validators: list = []


class YearPlanSerializer(serializers.ModelSerializer):
    pairing_name = serializers.CharField(source="pairing.name", read_only=True)

    class Meta:
        model = PairingYearPlan
        fields = ["id", "pairing", "pairing_name", "year", "content"]


class YearPlanWriteSerializer(_Write, serializers.ModelSerializer):
    pairing = _scoped(Pairing, _("结对编号。"))
    year = serializers.IntegerField(help_text=_("年度（在结对期内，每年一份）。"), **YEAR)

    class Meta:
        model = PairingYearPlan
        fields = ["pairing", "year", "content"]
        validators: list = []


class YearPlanUpdateSerializer(YearPlanWriteSerializer):
    class Meta(YearPlanWriteSerializer.Meta):
        fields = ["year", "content"]


# --- projects and donations ---------------------------------------------------------------
class ProjectSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    pairing_name = serializers.CharField(
        source="pairing.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "unit",
            "unit_name",
            "village",
            "village_name",
            "pairing",
            "pairing_name",
            "name",
            "kind",
            "year",
            "direct_funds",
            "coordinated_funds",
            "status",
            "description",
        ]


MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0, "max_value": 10**12 - 1}


class ProjectWriteSerializer(_Write, serializers.ModelSerializer):
    unit = _scoped(Unit, _("帮扶单位编号；联络人只能填本单位。"))
    village = _scoped(Village, _("村编号（须在您的管辖范围内）。"))
    pairing = _optional(Pairing, _("所属结对编号（本单位牵头或参与的结对）。"))
    year = serializers.IntegerField(help_text=_("年度。"), **YEAR)
    direct_funds = serializers.DecimalField(
        required=False, help_text=_("直接投入资金（元）。"), **MONEY
    )
    coordinated_funds = serializers.DecimalField(
        required=False, help_text=_("协调引进资金（元）。"), **MONEY
    )

    class Meta:
        model = Project
        fields = [
            "unit",
            "village",
            "pairing",
            "name",
            "kind",
            "year",
            "direct_funds",
            "coordinated_funds",
            "status",
            "description",
        ]
        validators: list = []


class DonationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    organisation_name = serializers.CharField(
        source="organisation.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Donation
        fields = [
            "id",
            "unit",
            "unit_name",
            "organisation",
            "organisation_name",
            "village",
            "village_name",
            "donor",
            "amount",
            "donated_on",
        ]


class DonationWriteSerializer(_Write, serializers.ModelSerializer):
    unit = _scoped(Unit, _("单位编号；联络人只能填本单位。"))
    organisation = _optional(PartyOrganisation, _("捐款人所在党组织编号（属于该单位）。"))
    village = _scoped(Village, _("受赠村编号。"))
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=10**10 - 1,
        help_text=_("金额（元）。"),
    )
    donated_on = EntryDateField(help_text=_("捐款日期，不能晚于今天。"))

    class Meta:
        model = Donation
        fields = ["unit", "organisation", "village", "donor", "amount", "donated_on"]
        validators: list = []


# --- the units' yearly assessments -----------------------------------------------------------
class ReasonSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text=_(
            "cadre（驻村干部不称职）、village（贫困村未按期退出）、county（贫困县未如期摘帽）。"
        )
    )
    name = serializers.CharField(required=False, help_text=_("涉及的干部、村或县。"))
    text = serializers.CharField(help_text=_("限制原因。"))


class UnitAssessmentSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    score = serializers.DecimalField(
        source="met_share",
        max_digits=5,
        decimal_places=4,
        read_only=True,
        help_text=_("指标平均达标率（0 至 1）。"),
    )
    reasons = serializers.SerializerMethodField(help_text=_("三捆绑限制原因（您管辖范围内的）。"))
    hidden_reasons = serializers.SerializerMethodField(
        help_text=_("涉及您管辖范围以外的村或干部、未列出的原因条数。")
    )

    class Meta:
        model = UnitAssessment
        fields = [
            "id",
            "unit",
            "unit_name",
            "year",
            "score",
            "earned_grade",
            "capped",
            "final_grade",
            "reasons",
            "hidden_reasons",
            "computed_at",
        ]

    def _visible(self, obj) -> tuple[list[dict], int]:
        cache = self.context.setdefault("_reasons", {})
        if obj.pk not in cache:
            cache[obj.pk] = visible_reasons(user=self.context["request"].user, assessment=obj)
        return cache[obj.pk]

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, obj) -> list[dict]:
        shown, _hidden = self._visible(obj)
        return [
            {key: reason[key] for key in ("kind", "name", "text") if key in reason}
            for reason in shown
        ]

    def get_hidden_reasons(self, obj) -> int:
        return self._visible(obj)[1]
