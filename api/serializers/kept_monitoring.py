"""Monitoring against relapse: the monitoring range, risk clues, monitoring cases and their
steps, risk removals, measures, income and expenses, public notices.

Read serializers show the row with names and the figures every reader asks of
monitoring.selectors (a clue's days and whether it is late, a case's next step); write
serializers only parse and type-check the body (ids looked up within the user's scope) and hand
the values to monitoring.services, the same services the pages call. ID numbers are masked
(first 6 and last 4), phones are not part of any monitoring record."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.base import StrictSerializer
from api.serializers.fields import EntryDateField, ScopedPrimaryKeyRelatedField
from core.idcard import mask_id_number
from core.scope import scope_of
from households.models import Household, Member
from monitoring import selectors
from monitoring.models import (
    CaseStatus,
    Category,
    ClueOutcome,
    HouseholdFinance,
    HouseholdReview,
    LabourCapacity,
    MeasureKind,
    MeasureStatus,
    MonitoringCase,
    MonitoringMeasure,
    MonitoringRange,
    MonitoringStep,
    Procedure,
    PublicNotice,
    RemovalKind,
    RemovalStatus,
    ReviewOutcome,
    RiskClue,
    RiskRemoval,
    RiskType,
    StepKind,
)
from monitoring.services import RANGE_LEVELS
from villages.models import Region, Village


def choices_field(choices, **kwargs):
    return serializers.ChoiceField(choices=choices, **kwargs)


def _household_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text=_("户编号（须在您的管辖范围内）。"), **kwargs
    )


def _day(help_text, **kwargs):
    return EntryDateField(required=False, help_text=help_text, **kwargs)


class MonitoringDeadlineSerializer(serializers.Serializer):
    limit = serializers.IntegerField(help_text=_("时限（天）。"))
    days_elapsed = serializers.IntegerField(help_text=_("自接报起的天数（已办的为所用天数）。"))
    due_on = serializers.DateField(help_text=_("最迟办理日期。"))
    done = serializers.BooleanField(help_text=_("是否已办理。"))
    late = serializers.BooleanField(help_text=_("是否超期：第 limit 天为按时，之后为超期。"))


class HouseholdPartMixin(serializers.Serializer):
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    head_id_number_masked = serializers.SerializerMethodField(
        help_text=_("户主身份证号（脱敏：前6位和后4位）。")
    )
    group_name = serializers.CharField(source="household.group_name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)

    def get_head_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.household.head_id_number)


# --- the monitoring range ---------------------------------------------------------------------
class MonitoringRangeSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    region_level = serializers.CharField(source="region.level", read_only=True)

    class Meta:
        model = MonitoringRange
        fields = [
            "id",
            "region",
            "region_code",
            "region_name",
            "region_level",
            "year",
            "amount",
            "basis",
            "set_by",
            "created_at",
            "updated_at",
        ]


def _range_regions(user):
    scope = scope_of(user)
    if scope.everything:
        return Region.objects.filter(level__in=RANGE_LEVELS)
    return scope.region_subtree(levels=RANGE_LEVELS)


class MonitoringRangeWriteSerializer(StrictSerializer):
    region = ScopedPrimaryKeyRelatedField(
        queryset=Region.objects.all(),
        scope=_range_regions,
        help_text=_("省、市（州）或县（区）的区划编号（须在您的管辖范围内）。"),
    )
    year = serializers.IntegerField(min_value=2020, max_value=2100, help_text=_("年度。"))
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=1, help_text=_("元/人·年。")
    )
    basis = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("文件依据。")
    )


class MonitoringRangeUpdateSerializer(StrictSerializer):
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=1, required=False, help_text=_("元/人·年。")
    )
    basis = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("文件依据。")
    )


# --- risk clues ---------------------------------------------------------------------------------
class RiskClueSerializer(HouseholdPartMixin, serializers.ModelSerializer):
    state = serializers.SerializerMethodField(
        help_text=_(
            "办理情况：awaiting 待受理、open 待启动识别、identifying 识别中、decided 已办结。"
        )
    )
    deadline = serializers.SerializerMethodField(help_text=_("办结时限（自接报起）。"))
    acceptance_deadline = serializers.SerializerMethodField(
        help_text=_("受理时限（仅农户自主申报；其他来源为 null）。")
    )
    received_by_name = serializers.CharField(
        source="received_by.display_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RiskClue
        fields = [
            "id",
            "household",
            "head_name",
            "head_id_number_masked",
            "group_name",
            "village",
            "village_name",
            "township",
            "township_name",
            "member",
            "channel",
            "department",
            "risk",
            "received_on",
            "received_by",
            "received_by_name",
            "accepted_on",
            "accepted_by",
            "acceptance_days",
            "decided_on",
            "decided_by",
            "decision_days",
            "outcome",
            "decision_reason",
            "case",
            "state",
            "deadline",
            "acceptance_deadline",
            "created_at",
        ]

    def get_state(self, obj) -> str:
        return selectors.clue_state(obj)[0]

    @staticmethod
    def _deadline(deadline: selectors.Deadline | None) -> dict | None:
        if deadline is None:
            return None
        return {
            "limit": deadline.limit,
            "days_elapsed": deadline.days_elapsed,
            "due_on": deadline.due_on,
            "done": deadline.done,
            "late": deadline.late,
        }

    @extend_schema_field(MonitoringDeadlineSerializer)
    def get_deadline(self, obj) -> dict:
        return MonitoringDeadlineSerializer(self._deadline(selectors.clue_deadline(obj))).data

    @extend_schema_field(MonitoringDeadlineSerializer(allow_null=True))
    def get_acceptance_deadline(self, obj) -> dict | None:
        deadline = self._deadline(selectors.acceptance_deadline(obj))
        return None if deadline is None else MonitoringDeadlineSerializer(deadline).data


class RiskClueWriteSerializer(StrictSerializer):
    household = _household_field()
    channel = serializers.ChoiceField(
        choices=RiskClue._meta.get_field("channel").choices, help_text=_("线索来源。")
    )
    department = serializers.ChoiceField(
        choices=RiskClue._meta.get_field("department").choices,
        required=False,
        allow_blank=True,
        help_text=_("预警部门（部门筛查预警时必填，其他来源不填）。"),
    )
    risk = serializers.CharField(max_length=300, help_text=_("风险情况。"))
    received_on = _day(_("接报日期，不能晚于今天；不填为今天。"))
    member = ScopedPrimaryKeyRelatedField(
        queryset=Member.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("涉及的家庭成员编号（须属于该户）。"),
    )


class RiskClueUpdateSerializer(RiskClueWriteSerializer):
    household = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ClueAcceptSerializer(StrictSerializer):
    day = _day(_("受理日期；不填为今天。"))


class ClueDecideSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(
        choices=[
            (ClueOutcome.NOT_IDENTIFIED.value, ClueOutcome.NOT_IDENTIFIED.label),
            (ClueOutcome.ALREADY_MONITORED.value, ClueOutcome.ALREADY_MONITORED.label),
        ],
        help_text=_("not_identified 不予识别（须写原因）；already_monitored 已是监测对象。"),
    )
    day = _day(_("办结日期；不填为今天。"))
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("办结说明。")
    )


class MonitoringCaseFieldsSerializer(StrictSerializer):
    category = serializers.ChoiceField(choices=Category.choices, help_text=_("监测对象类别。"))
    risk_types = serializers.ListField(
        child=serializers.ChoiceField(choices=RiskType.choices),
        min_length=1,
        max_length=len(RiskType.choices),
        help_text=_("风险类型（可多个）。"),
    )
    labour_capacity = serializers.ChoiceField(
        choices=LabourCapacity.choices, help_text=_("劳动能力。")
    )


class MonitoringCaseOpenSerializer(MonitoringCaseFieldsSerializer):
    clue = ScopedPrimaryKeyRelatedField(
        queryset=RiskClue.objects.all(),
        help_text=_("启动识别的风险线索编号（须在您的管辖范围内、尚未办结）。"),
    )
    opened_on = _day(_("启动识别日期；不填为今天。"))


class MonitoringCaseUpdateSerializer(MonitoringCaseFieldsSerializer):
    """Category (until the county's decision), risk types and labour capacity."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class MonitoringScreeningRowSerializer(serializers.Serializer):
    household = serializers.IntegerField(source="household.pk", help_text=_("户编号。"))
    head_name = serializers.CharField(source="household.head_name")
    village_name = serializers.CharField(source="household.village.name")
    group_name = serializers.CharField(source="household.group_name")
    year = serializers.IntegerField(help_text=_("最近一年的年度。"))
    income = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("最近一年人均纯收入（元）。")
    )
    previous = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text=_("上一年人均纯收入。")
    )
    range_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, allow_null=True, help_text=_("该年度适用的监测范围。")
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text=_("列入的原因。"))
    open_case = serializers.IntegerField(
        source="open_case.pk", allow_null=True, default=None, help_text=_("进行中的监测对象编号。")
    )
    open_clue = serializers.IntegerField(
        source="open_clue.pk", allow_null=True, default=None, help_text=_("未办结的线索编号。")
    )
    can_raise = serializers.BooleanField(help_text=_("可否登记新的线索。"))


class MonitoringScreeningQuerySerializer(StrictSerializer):
    township = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text=_("乡镇区划编号（须在您的管辖范围内）。")
    )


class ClueRaiseSerializer(StrictSerializer):
    households = serializers.ListField(
        child=_household_field(),
        min_length=1,
        max_length=500,
        help_text=_("户编号列表（须在您的管辖范围内）。"),
    )
    risk = serializers.CharField(max_length=300, help_text=_("风险情况。"))
    received_on = _day(_("排查日期；不填为今天。"))


class ClueRaiseResultSerializer(serializers.Serializer):
    created = RiskClueSerializer(many=True, help_text=_("新登记的线索。"))
    skipped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("已有进行中的监测或未办结线索、未重复登记的户编号。"),
    )


# --- cases and steps ------------------------------------------------------------------------
class MonitoringStepSerializer(serializers.ModelSerializer):
    procedure = choices_field(Procedure.choices, read_only=True, help_text=_("程序。"))
    kind = choices_field(StepKind.choices, read_only=True, help_text=_("环节。"))
    label = serializers.CharField(read_only=True, help_text=_("环节名称。"))
    has_document = serializers.SerializerMethodField(
        help_text=_("是否上传了签字材料（下载：GET /monitoring-steps/{id}/document/）。")
    )
    recorded_by_name = serializers.CharField(
        source="recorded_by.display_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = MonitoringStep
        fields = [
            "id",
            "case",
            "removal",
            "procedure",
            "kind",
            "label",
            "done_on",
            "checkers",
            "has_document",
            "notice",
            "note",
            "recorded_by",
            "recorded_by_name",
            "created_at",
        ]

    def get_has_document(self, obj) -> bool:
        return bool(obj.document)


class MonitoringCaseSerializer(HouseholdPartMixin, serializers.ModelSerializer):
    next_step = serializers.SerializerMethodField(
        help_text=_("识别程序的下一环节（不在识别中时为 null）。")
    )
    deadline = serializers.SerializerMethodField(
        help_text=_("识别时限（自线索接报至县级审定或不予识别）。")
    )
    stage = serializers.SerializerMethodField(help_text=_("当前进展（中文）。"))
    stage_days = serializers.SerializerMethodField(
        help_text=_("识别中：自线索接报的天数；监测中：自县级审定的天数。")
    )
    steps = MonitoringStepSerializer(many=True, read_only=True)
    status = choices_field(CaseStatus.choices, read_only=True, help_text=_("状态。"))
    closed_at_step = choices_field(
        StepKind.choices, read_only=True, allow_blank=True, help_text=_("不予识别的环节。")
    )

    class Meta:
        model = MonitoringCase
        fields = [
            "id",
            "household",
            "head_name",
            "head_id_number_masked",
            "group_name",
            "village",
            "village_name",
            "township",
            "township_name",
            "category",
            "risk_types",
            "labour_capacity",
            "status",
            "received_on",
            "opened_on",
            "decided_on",
            "identification_days",
            "closed_on",
            "closed_at_step",
            "close_reason",
            "next_step",
            "deadline",
            "stage",
            "stage_days",
            "steps",
            "created_at",
        ]

    def get_next_step(self, obj) -> str | None:
        return selectors.case_next_step(obj)

    @extend_schema_field(MonitoringDeadlineSerializer)
    def get_deadline(self, obj) -> dict:
        return MonitoringDeadlineSerializer(
            RiskClueSerializer._deadline(selectors.case_deadline(obj))
        ).data

    def get_stage(self, obj) -> str:
        return selectors.case_stage(obj).label

    def get_stage_days(self, obj) -> int:
        return selectors.case_stage(obj).days


class MonitoringStepWriteSerializer(StrictSerializer):
    kind = choices_field(StepKind.choices, help_text=_("环节：须是程序的下一环节。"))
    done_on = _day(_("日期，不早于上一环节、不晚于今天；不填为今天。"))
    checkers = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("经办（核实）人员姓名，多人用顿号分隔；风险消除的入户核实至少两人。"),
    )
    document = serializers.FileField(
        required=False,
        allow_null=True,
        help_text=_(
            "签字材料（照片或 PDF）：入户核实必传（承诺授权书或入户核实表），其他环节可选。"
        ),
    )
    notice = ScopedPrimaryKeyRelatedField(
        queryset=PublicNotice.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("民主评议和公示环节：本村的公示编号。"),
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text=_("情况和意见。"))


class MonitoringStopSerializer(StrictSerializer):
    day = _day(_("日期；不填为今天。"))
    reason = serializers.CharField(max_length=500, help_text=_("原因。"))


class RiskRemovalCheckSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("条件代码。"))
    label = serializers.CharField(help_text=_("条件。"))
    ok = serializers.BooleanField(help_text=_("是否满足。"))
    detail = serializers.CharField(help_text=_("不满足的原因。"))


# --- risk removal -------------------------------------------------------------------------------
class RiskRemovalSerializer(serializers.ModelSerializer):
    steps = MonitoringStepSerializer(many=True, read_only=True)
    checks = RiskRemovalCheckSerializer(many=True, read_only=True)
    next_step = serializers.SerializerMethodField(help_text=_("下一环节（已结束时为 null）。"))
    kind = choices_field(RemovalKind.choices, read_only=True, help_text=_("消除方式。"))
    status = choices_field(RemovalStatus.choices, read_only=True, help_text=_("状态。"))
    stopped_at_step = choices_field(
        StepKind.choices, read_only=True, allow_blank=True, help_text=_("未通过的环节。")
    )

    class Meta:
        model = RiskRemoval
        fields = [
            "id",
            "case",
            "kind",
            "status",
            "proposed_on",
            "proposed_by",
            "checks",
            "decided_on",
            "stopped_on",
            "stopped_at_step",
            "stop_reason",
            "next_step",
            "steps",
            "created_at",
        ]

    def get_next_step(self, obj) -> str | None:
        if obj.status != "in_progress":
            return None
        return selectors.next_step("removal", {s.kind for s in obj.steps.all()})


class RiskRemovalWriteSerializer(StrictSerializer):
    case = ScopedPrimaryKeyRelatedField(
        queryset=MonitoringCase.objects.all(), help_text=_("监测对象编号。")
    )
    kind = choices_field(RemovalKind.choices, help_text=_("消除方式。"))
    proposed_on = _day(_("提出日期；不填为今天。"))


# --- measures, income and expenses --------------------------------------------------------
class MonitoringMeasureSerializer(serializers.ModelSerializer):
    kind = choices_field(MeasureKind.choices, read_only=True, help_text=_("措施类别。"))
    status = choices_field(MeasureStatus.choices, read_only=True, help_text=_("落实情况。"))

    class Meta:
        model = MonitoringMeasure
        fields = [
            "id",
            "case",
            "kind",
            "content",
            "start_date",
            "end_date",
            "responsible",
            "status",
            "before_decision",
            "created_by",
            "created_at",
            "updated_at",
        ]


class MonitoringMeasureWriteSerializer(StrictSerializer):
    case = ScopedPrimaryKeyRelatedField(
        queryset=MonitoringCase.objects.all(), help_text=_("监测对象编号。")
    )
    kind = choices_field(
        MeasureKind.choices,
        help_text=_(
            "措施类别：无劳动能力的户只能落实兜底保障类措施；特困供养只适用于无劳动能力的户。"
        ),
    )
    content = serializers.CharField(max_length=300, help_text=_("措施内容。"))
    start_date = EntryDateField(help_text=_("开始日期。"))
    end_date = EntryDateField(required=False, allow_null=True, help_text=_("结束日期。"))
    responsible = serializers.CharField(max_length=50, help_text=_("责任人。"))
    status = choices_field(
        MeasureStatus.choices,
        required=False,
        help_text=_("落实情况；已完成、已停止的须填结束日期。"),
    )


class MonitoringMeasureUpdateSerializer(MonitoringMeasureWriteSerializer):
    case = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class HouseholdFinanceSerializer(serializers.ModelSerializer):
    range_amount = serializers.SerializerMethodField(
        help_text=_("该年度适用的监测范围（未设定为 null）。")
    )

    class Meta:
        model = HouseholdFinance
        fields = [
            "id",
            "household",
            "year",
            "per_capita_net_income",
            "medical_expense",
            "schooling_expense",
            "other_rigid_expense",
            "rigid_state",
            "assessed_on",
            "note",
            "range_amount",
            "recorded_by",
            "created_at",
            "updated_at",
        ]

    def get_range_amount(self, obj) -> str | None:
        ranges = self.context.setdefault("_ranges", {})
        path = obj.household.path
        if path not in ranges:
            ranges[path] = selectors.ranges_by_year(path)
        applying = ranges[path].get(obj.year)
        return None if applying is None else str(applying.amount)


def _money(help_text, **kwargs):
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, help_text=help_text, **kwargs
    )


class HouseholdFinanceWriteSerializer(StrictSerializer):
    household = _household_field()
    year = serializers.IntegerField(min_value=2015, max_value=2100, help_text=_("年度。"))
    per_capita_net_income = _money(_("年人均纯收入（元）。"))
    medical_expense = _money(_("医疗支出（元）。"), required=False)
    schooling_expense = _money(_("教育支出（元）。"), required=False)
    other_rigid_expense = _money(_("其他刚性支出（元）。"), required=False)
    rigid_state = serializers.ChoiceField(
        choices=HouseholdFinance._meta.get_field("rigid_state").choices,
        help_text=_("大额刚性支出情况。"),
    )
    assessed_on = _day(_("核算日期；不填为今天。"))
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=_("说明。")
    )


class HouseholdFinanceUpdateSerializer(HouseholdFinanceWriteSerializer):
    household = None  # type: ignore[assignment]
    year = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# --- public notices -------------------------------------------------------------------------
class PublicNoticeSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_name = serializers.CharField(source="township.name", read_only=True)
    title = serializers.CharField(read_only=True)
    days = serializers.SerializerMethodField(help_text=_("公示天数（含首尾两天）。"))
    purpose = choices_field(Procedure.choices, read_only=True, help_text=_("公示事项。"))
    cases = serializers.SerializerMethodField(help_text=_("列入公示的监测对象编号。"))

    class Meta:
        model = PublicNotice
        fields = [
            "id",
            "village",
            "village_name",
            "township",
            "township_name",
            "purpose",
            "title",
            "start_date",
            "end_date",
            "days",
            "objections",
            "cases",
            "created_by",
            "created_at",
        ]

    def get_days(self, obj) -> int:
        return selectors.notice_days(obj.start_date, obj.end_date)

    def get_cases(self, obj) -> list[int]:
        return [step.case_id for step in obj.steps.all()]


class PublicNoticeWriteSerializer(StrictSerializer):
    village = ScopedPrimaryKeyRelatedField(
        queryset=Village.objects.all(), help_text=_("村编号（须在您的管辖范围内）。")
    )
    purpose = choices_field(Procedure.choices, help_text=_("公示事项。"))
    start_date = serializers.DateField(help_text=_("公示开始日期。"))
    end_date = serializers.DateField(
        help_text=_("公示结束日期：识别公示不少于5天、风险消除公示不少于7天（含首尾）。")
    )
    objections = serializers.CharField(
        required=False, allow_blank=True, help_text=_("公示期间异议及处理情况。")
    )


class PublicNoticeUpdateSerializer(StrictSerializer):
    start_date = serializers.DateField(required=False, help_text=_("公示开始日期。"))
    end_date = serializers.DateField(required=False, help_text=_("公示结束日期。"))
    objections = serializers.CharField(
        required=False, allow_blank=True, help_text=_("公示期间异议及处理情况。")
    )


class PublicNoticeCasesSerializer(StrictSerializer):
    cases = serializers.ListField(
        child=ScopedPrimaryKeyRelatedField(queryset=MonitoringCase.objects.all()),
        min_length=1,
        max_length=500,
        help_text=_("民主评议通过、列入公示的监测对象编号。"),
    )
    appraised_on = _day(_("民主评议日期，不晚于公示开始；不填为今天。"))
    note = serializers.CharField(required=False, allow_blank=True, help_text=_("评议情况。"))


# --- the yearly review of the original registered households ---------------------------------
class HouseholdReviewSerializer(serializers.ModelSerializer):
    head_name = serializers.CharField(source="household.head_name", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    decided_by_name = serializers.SerializerMethodField(help_text=_("评议人姓名。"))
    followup = serializers.CharField(
        read_only=True,
        help_text=_(
            "“存在返贫风险”的后续：clue_raised 已登记风险线索（见 clue），open_case 已是监测对象，"
            "open_clue 已有未办结的线索；其他结果为空。"
        ),
    )

    class Meta:
        model = HouseholdReview
        fields = [
            "id",
            "household",
            "head_name",
            "village",
            "village_name",
            "township",
            "year",
            "outcome",
            "note",
            "decided_by",
            "decided_by_name",
            "decided_on",
            "clue",
            "followup",
            "created_at",
            "updated_at",
        ]

    def get_decided_by_name(self, obj) -> str:
        return obj.decided_by.display_name if obj.decided_by else ""


class HouseholdReviewWriteSerializer(StrictSerializer):
    household = _household_field()
    year = serializers.IntegerField(
        min_value=2015, max_value=2100, help_text=_("评议年度，不能晚于今年。")
    )
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices, help_text=_("评议结果。"))
    note = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text=_("说明；存在返贫风险时作为风险线索的风险情况。"),
    )
    day = _day(_("评议日期；不填为今天。"))


class HouseholdReviewUpdateSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(
        choices=ReviewOutcome.choices, required=False, help_text=_("评议结果。")
    )
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text=_("说明。")
    )
    day = _day(_("评议日期；不填为今天。"))
