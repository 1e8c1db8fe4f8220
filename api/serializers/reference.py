"""Regions, villages (with collective income by year), units, Party organisations, pairings,
cadres and work teams."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers.fields import ScopedPrimaryKeyRelatedField
from cadres.models import Cadre, WorkTeam, WorkTeamMember
from core.idcard import mask_phone
from pairing.models import Pairing, PartyOrganisation, Unit
from villages.models import Region, Village, VillageIncome


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(
        source="parent.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "parent",
            "parent_code",
            "path",
            "is_poverty_county",
            "planned_delist_year",
            "delisted_year",
        ]


class VillageIncomeSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = VillageIncome
        fields = [
            "id",
            "village",
            "village_name",
            "year",
            "amount",
            "sources",
            "recorded_by",
            "recorded_at",
        ]


class IncomeYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = VillageIncome
        fields = ["id", "year", "amount", "sources"]


class VillageSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    incomes = IncomeYearSerializer(
        many=True, read_only=True, help_text=_("村集体经济收入，按年度从近到远。")
    )

    class Meta:
        model = Village
        fields = [
            "id",
            "name",
            "region",
            "region_code",
            "township",
            "township_name",
            "county",
            "county_name",
            "path",
            "is_poor_village",
            "is_difficult_village",
            "planned_exit_year",
            "exit_year",
            "branch_name",
            "branch_secretary",
            "venue_area_m2",
            "leading_industries",
            "infrastructure_notes",
            "population",
            "latitude",
            "longitude",
            "incomes",
        ]


class VillageIncomeWriteSerializer(StrictSerializer):
    village = ScopedPrimaryKeyRelatedField(
        queryset=Village.objects.all(), help_text=_("村编号（须在您的管辖范围内）。")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text=_("年度。"))
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=10**12 - 1,
        help_text=_("集体经济收入（元）。"),
    )
    sources = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("收入来源。")
    )


class VillageIncomeUpdateSerializer(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=10**12 - 1, required=False
    )
    sources = serializers.CharField(max_length=200, required=False, allow_blank=True)


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "kind",
            "credit_code",
            "region",
            "principal_leader",
            "deputy_in_charge",
            "coordinator_name",
            "coordinator_phone",
        ]

    def to_representation(self, instance):
        # The coordinator's phone follows the cadres' and households' rule: in full for roles
        # that may see full numbers (User.can_view_full_id), masked (core.idcard.mask_phone)
        # for everyone else. Masked here, not by a read-only field, so the field stays
        # writable where a write serializer builds on this one.
        data = super().to_representation(instance)
        phone = data.get("coordinator_phone")
        if phone:
            request = self.context.get("request")
            if request is None or not getattr(request.user, "can_view_full_id", False):
                data["coordinator_phone"] = mask_phone(phone)
        return data


class PartyOrganisationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )
    village_name = serializers.CharField(
        source="village.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = PartyOrganisation
        fields = [
            "id",
            "name",
            "kind",
            "unit",
            "unit_name",
            "village",
            "village_name",
            "parent",
            "secretary",
            "member_count",
        ]


class PairingSerializer(serializers.ModelSerializer):
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    village_name = serializers.CharField(
        source="village.name", read_only=True, allow_null=True, default=None
    )
    participants = serializers.SerializerMethodField(
        help_text=_("参与党组织编号。"),
    )

    class Meta:
        model = Pairing
        fields = [
            "id",
            "kind",
            "name",
            "lead_unit",
            "lead_unit_name",
            "lead_organisation",
            "region",
            "village",
            "village_name",
            "village_organisation",
            "path",
            "special_action",
            "three_year_plan",
            "start_date",
            "end_date",
            "participants",
        ]

    def get_participants(self, obj) -> list[int]:
        return [p.organisation_id for p in obj.participants.all()]


class CadreSerializer(serializers.ModelSerializer):
    # Masked (139****5678) for roles that may not see full numbers, as households' phones.
    phone = serializers.SerializerMethodField(
        help_text=_("手机号；无权查看完整号码的角色只看到脱敏号码（如 139****5678）。")
    )
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )
    home_region_name = serializers.CharField(
        source="home_region.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Cadre
        # The ID number is not part of the API (the pages do not show it either).
        fields = [
            "id",
            "name",
            "kind",
            "gender",
            "phone",
            "unit",
            "unit_name",
            "party_organisation",
            "position",
            "is_party_member",
            "home_region",
            "home_region_name",
        ]

    def get_phone(self, obj) -> str:
        if not obj.phone:
            return ""
        request = self.context.get("request")
        if request is not None and getattr(request.user, "can_view_full_id", False):
            return obj.phone
        return mask_phone(obj.phone)


class WorkTeamMemberSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = WorkTeamMember
        fields = ["cadre", "cadre_name", "role"]


class WorkTeamSerializer(serializers.ModelSerializer):
    members = WorkTeamMemberSerializer(many=True, read_only=True)
    villages = serializers.SerializerMethodField(help_text=_("所驻村编号。"))
    dispatching_unit_name = serializers.CharField(
        source="dispatching_unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WorkTeam
        fields = [
            "id",
            "name",
            "dispatching_unit",
            "dispatching_unit_name",
            "villages",
            "start_date",
            "end_date",
            "members",
        ]

    def get_villages(self, obj) -> list[int]:
        return [v.id for v in obj.villages.all()]
