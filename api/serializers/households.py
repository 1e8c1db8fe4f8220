"""Households (with members, helpers in force, plan and measures), household pairings, visits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.base import MAX_PHOTOS_PER_VISIT, StrictSerializer
from api.serializers.fields import EntryDateField, ScopedPrimaryKeyRelatedField
from cadres.models import Cadre
from core.idcard import mask_id_number, mask_phone
from households.models import (
    Household,
    HouseholdPairing,
    Measure,
    Member,
    Plan,
    Visit,
    VisitKind,
    VisitPhoto,
)
from pairing.models import Pairing
from villages.models import Village


class MemberSerializer(serializers.ModelSerializer):
    id_number_masked = serializers.SerializerMethodField(help_text=_("身份证号（脱敏）。"))

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "relation",
            "id_number_masked",
            "birth_year",
            "health",
            "education",
            "works_away",
        ]

    def get_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.id_number or "")


class MeasureSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(
        source="owner.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Measure
        fields = ["id", "content", "owner", "owner_name", "deadline", "status", "done_on"]


class PlanSerializer(serializers.ModelSerializer):
    measures = MeasureSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "summary", "drawn_up_on", "measures"]


class HelperInForceSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.name", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = HouseholdPairing
        fields = ["id", "helper", "helper_name", "unit", "unit_name", "start_date", "end_date"]


class HouseholdSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    head_id_number_masked = serializers.SerializerMethodField(
        help_text=_("户主身份证号（脱敏：前6位和后4位）。按完整号码查找请用 id_number 筛选。")
    )
    # Personal data (issue 8): the phone is masked unless the role may see full numbers.
    phone = serializers.SerializerMethodField(
        help_text=_("联系电话；无权查看完整号码的角色看到脱敏号码（如 139****5678）。")
    )
    members = MemberSerializer(many=True, read_only=True)
    helpers = HelperInForceSerializer(
        source="helpers_in_force",
        many=True,
        read_only=True,
        help_text=_("今天在结对期内的帮扶责任人。"),
    )
    plan = serializers.SerializerMethodField(help_text=_("一户一策及其帮扶措施；未制定时为 null。"))
    last_visited_on = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("最近一次计入考核的走访日期。")
    )
    visits_this_year = serializers.IntegerField(
        read_only=True, help_text=_("今年计入考核的走访次数。")
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "village",
            "village_name",
            "township",
            "path",
            "group_name",
            "head_name",
            "head_id_number_masked",
            "phone",
            "size",
            "cause",
            "track",
            "key_difficulty",
            "status",
            "registered_year",
            "exit_year",
            "food_clothing_ok",
            "education_ok",
            "medical_ok",
            "housing_ok",
            "water_ok",
            "address",
            "members",
            "helpers",
            "plan",
            "last_visited_on",
            "visits_this_year",
        ]

    def get_head_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.head_id_number)

    def get_phone(self, obj) -> str:
        request = self.context.get("request")
        if request is not None and getattr(request.user, "can_view_full_id", False):
            return obj.phone
        return mask_phone(obj.phone)

    @staticmethod
    def _plan(obj):
        try:
            return obj.plan
        except Plan.DoesNotExist:
            return None

    def get_plan(self, obj) -> PlanSerializer(allow_null=True):  # type: ignore[valid-type]
        plan = self._plan(obj)
        return PlanSerializer(plan).data if plan is not None else None


class HouseholdPairingSerializer(serializers.ModelSerializer):
    household_name = serializers.CharField(source="household.head_name", read_only=True)
    village = serializers.IntegerField(source="household.village_id", read_only=True)
    helper_name = serializers.CharField(source="helper.name", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = HouseholdPairing
        fields = [
            "id",
            "household",
            "household_name",
            "village",
            "helper",
            "helper_name",
            "unit",
            "unit_name",
            "start_date",
            "end_date",
        ]


class VisitPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("照片下载地址（需同样的登录或令牌）。"))

    class Meta:
        model = VisitPhoto
        fields = ["id", "url", "taken_at", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("api:visit-photo", kwargs={"pk": obj.visit_id, "photo_id": obj.pk})


class VisitSerializer(serializers.ModelSerializer):
    household_name = serializers.CharField(
        source="household.head_name", read_only=True, allow_null=True, default=None
    )
    village_name = serializers.CharField(source="village.name", read_only=True)
    helper_name = serializers.CharField(source="helper.name", read_only=True)
    photos = VisitPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "household_name",
            "village",
            "village_name",
            "township",
            "helper",
            "helper_name",
            "household_pairing",
            "org_pairing",
            "kind",
            "visited_on",
            "learned",
            "problems",
            "measure",
            "latitude",
            "longitude",
            "credit_status",
            "credit_reason",
            "reviewed_by",
            "reviewed_at",
            "submission_token",
            "created_by",
            "created_at",
            "updated_at",
            "photos",
        ]


class CoordinateField(serializers.FloatField):
    """Degrees as a phone reports them (any number of decimals), kept to 6 decimals."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not -180 <= value <= 180:
            return value  # the field's range validators refuse it with their message
        return Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


TEXT_MAX = 4000  # the visit form allows as much


class VisitWriteSerializer(StrictSerializer):
    household = ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("走访的贫困户编号；到村工作时可不填而填 village。"),
    )
    village = ScopedPrimaryKeyRelatedField(
        queryset=Village.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("村编号（只在不针对某户的到村走访时填写）。"),
    )
    helper = ScopedPrimaryKeyRelatedField(
        queryset=Cadre.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("走访人（干部编号）。驻村干部账户总是记为本人；不填时取该户当天的帮扶责任人。"),
    )
    visited_on = serializers.DateField(
        required=False, help_text=_("走访日期，不填为今天；不能晚于今天，不能早于 2000 年。")
    )
    kind = serializers.ChoiceField(
        choices=VisitKind.choices, required=False, default=VisitKind.HOME
    )
    learned = serializers.CharField(
        max_length=TEXT_MAX, help_text=_("了解的情况和帮扶内容（必填）。")
    )
    problems = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    measure = ScopedPrimaryKeyRelatedField(
        queryset=Measure.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("本次推进的一户一策措施编号。"),
    )
    measure_done = serializers.BooleanField(
        required=False, help_text=_("true：本次走访完成了所选措施（措施标记为已完成）。")
    )
    org_pairing = ScopedPrimaryKeyRelatedField(
        queryset=Pairing.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("结对党组织代表集体走访时，所属的结对编号。"),
    )
    latitude = CoordinateField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = CoordinateField(required=False, allow_null=True, min_value=-180, max_value=180)
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        max_length=MAX_PHOTOS_PER_VISIT,
        help_text=_("现场照片（multipart/form-data 上传，最多 %(n)d 张，JPG、PNG 或 WEBP）。")
        % {"n": MAX_PHOTOS_PER_VISIT},
    )
    submission_token = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_(
            "每次提交一个新的 UUID。网络重试时带同一个值：返回第一次创建的记录（200），"
            "不会重复创建；该值已被其他用户使用时返回 409。"
        ),
    )


class VisitUpdateSerializer(StrictSerializer):
    visited_on = EntryDateField(required=False)
    kind = serializers.ChoiceField(choices=VisitKind.choices, required=False)
    learned = serializers.CharField(max_length=TEXT_MAX, required=False)
    problems = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    measure = ScopedPrimaryKeyRelatedField(
        queryset=Measure.objects.all(), required=False, allow_null=True
    )
    measure_done = serializers.BooleanField(
        required=False, help_text=_("true：本次走访完成了所选措施（措施标记为已完成）。")
    )
    latitude = CoordinateField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = CoordinateField(required=False, allow_null=True, min_value=-180, max_value=180)


class VisitReviewSerializer(StrictSerializer):
    accept = serializers.BooleanField(help_text=_("true：计入考核；false：不予计入。"))
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("审核意见。")
    )


class VisitBulkReviewSerializer(StrictSerializer):
    visits = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=200,
        help_text=_(
            "待审核走访的编号（一次最多 200 条；任何一条在管辖范围外则为 404，全部不审核）。"
        ),
    )
    accept = serializers.BooleanField(help_text=_("true：计入考核；false：不予计入。"))
    note = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("审核意见，对每条走访都记下；不予计入时必填。"),
    )


class VisitBulkReviewResultSerializer(serializers.Serializer):
    reviewed = serializers.IntegerField(help_text=_("本次审核的走访条数。"))
