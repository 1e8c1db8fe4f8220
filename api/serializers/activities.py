"""Days in the field, trainings, meetings and research visits, fixed Party days, study trips.

Each has a read serializer (the row with names) and a write serializer (a ModelSerializer used
only to parse and type-check the body: lengths and integer ranges come from the model, ids are
looked up within the user's scope; the values then go to the service the page form calls)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import StrictFieldsMixin
from api.serializers.fields import EntryDateField, ScopedPrimaryKeyRelatedField
from cadres.models import Cadre, FieldDay
from pairing.models import Meeting, Pairing, PartyDay, StudyTrip, Training, Unit
from villages.models import Region, Village
from villages.services import region_choices_for_field_days

ENTRY_READ_ONLY = ["id", "created_by", "created_at"]


def _village_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(
        queryset=Village.objects.all(), help_text=_("村编号（须在您的管辖范围内）。"), **kwargs
    )


def _unit_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), help_text=_("单位编号（须在您的管辖范围内）。"), **kwargs
    )


class WriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Parsing only: the model's unique rules are the service's to report (as 409 here)."""

    class Meta:
        validators: list = []


# --- days in the field -------------------------------------------------------------------
class FieldDaySerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = FieldDay
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "region",
            "region_code",
            "region_name",
            "day",
            "note",
            "created_by",
            "created_at",
        ]


class FieldDayWriteSerializer(WriteSerializer):
    cadre = ScopedPrimaryKeyRelatedField(
        queryset=Cadre.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("干部编号；驻村干部账户总是记为本人，可不填。"),
    )
    region = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        scope=region_choices_for_field_days,
        help_text=_("所在村或乡镇的区划编号（须在您的管辖范围内）。"),
    )
    day = EntryDateField(help_text=_("日期，不能晚于今天。"))

    class Meta(WriteSerializer.Meta):
        model = FieldDay
        fields = ["cadre", "region", "day", "note"]


# --- trainings ---------------------------------------------------------------------------
class TrainingSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Training
        fields = [
            "id",
            "kind",
            "title",
            "held_on",
            "village",
            "village_name",
            "unit",
            "unit_name",
            "audience",
            "lecturer",
            "attendance",
            "village_cadres_trained",
            "content",
            "created_by",
            "created_at",
            "updated_at",
        ]


class TrainingWriteSerializer(WriteSerializer):
    village = _village_field()
    unit = _unit_field(required=False, allow_null=True)
    held_on = EntryDateField(help_text=_("日期，不能晚于今天。"))

    class Meta(WriteSerializer.Meta):
        model = Training
        fields = [
            "kind",
            "title",
            "held_on",
            "village",
            "unit",
            "audience",
            "lecturer",
            "attendance",
            "village_cadres_trained",
            "content",
        ]


# --- meetings and research visits ----------------------------------------------------------
class MeetingSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "title",
            "held_on",
            "village",
            "village_name",
            "unit",
            "unit_name",
            "pairing",
            "leader_level",
            "attendance",
            "minutes",
            "created_by",
            "created_at",
            "updated_at",
        ]


class MeetingWriteSerializer(WriteSerializer):
    village = _village_field()
    unit = _unit_field(required=False, allow_null=True)
    pairing = ScopedPrimaryKeyRelatedField(
        queryset=Pairing.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("结对编号（须属于该村）。"),
    )
    held_on = EntryDateField(help_text=_("日期，不能晚于今天。"))

    class Meta(WriteSerializer.Meta):
        model = Meeting
        fields = [
            "kind",
            "title",
            "held_on",
            "village",
            "unit",
            "pairing",
            "leader_level",
            "attendance",
            "minutes",
        ]


# --- fixed Party days ------------------------------------------------------------------------
class PartyDaySerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    on_first_friday = serializers.BooleanField(
        read_only=True, help_text=_("是否在每月第一个星期五。")
    )

    class Meta:
        model = PartyDay
        fields = [
            "id",
            "village",
            "village_name",
            "held_on",
            "on_first_friday",
            "theme",
            "attendance",
            "content",
            "created_by",
            "created_at",
            "updated_at",
        ]


class PartyDayWriteSerializer(WriteSerializer):
    village = _village_field()
    held_on = EntryDateField(help_text=_("日期，不能晚于今天。"))

    class Meta(WriteSerializer.Meta):
        model = PartyDay
        fields = ["village", "held_on", "theme", "attendance", "content"]


# --- study trips -----------------------------------------------------------------------------
class StudyTripSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = StudyTrip
        fields = [
            "id",
            "unit",
            "unit_name",
            "village",
            "village_name",
            "started_on",
            "days",
            "destination",
            "participants",
            "content",
            "created_by",
            "created_at",
            "updated_at",
        ]


class StudyTripWriteSerializer(WriteSerializer):
    village = _village_field()
    unit = _unit_field()
    started_on = EntryDateField(help_text=_("出发日期，不能晚于今天。"))

    class Meta(WriteSerializer.Meta):
        model = StudyTrip
        fields = ["unit", "village", "started_on", "days", "destination", "participants", "content"]
