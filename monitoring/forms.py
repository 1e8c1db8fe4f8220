"""Forms of the monitoring pages. They parse and offer choices within the user's scope; the
views hand the cleaned values to monitoring/services.py, whose refusals come back next to the
fields (core.forms.add_service_errors)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, EntryForm
from core.scope import scope_of
from households.models import Member
from monitoring import selectors
from monitoring.models import (
    Category,
    ClueChannel,
    ClueOutcome,
    HouseholdFinance,
    LabourCapacity,
    MonitoringMeasure,
    MonitoringRange,
    Procedure,
    PublicNotice,
    RemovalKind,
    ReviewOutcome,
    RiskClue,
    RiskType,
    StepKind,
)
from monitoring.services import RANGE_LEVELS
from villages.models import Region, Village


def _today_input() -> DateInput:
    return DateInput(attrs={"max": timezone.localdate().isoformat()})


class DayField(forms.DateField):
    """A day of the work (not after today: the services say so in their words), today by
    default."""

    def __init__(self, *, label=None, **kwargs):
        kwargs.setdefault("initial", timezone.localdate)
        super().__init__(label=label or _("日期"), widget=_today_input(), **kwargs)


# --- clues -----------------------------------------------------------------------------------
class ClueForm(EntryForm):
    date_fields = ("received_on",)

    class Meta:
        model = RiskClue
        fields = ["channel", "department", "risk", "received_on", "member"]
        widgets = {"risk": forms.Textarea}

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["member"].queryset = Member.objects.filter(household=household).order_by("id")
        self.fields["member"].required = False
        self.fields["department"].required = False
        self.fields["received_on"].required = False  # the service takes today
        self.fields["department"].help_text = _("线索来源为“部门筛查预警”时填写。")
        self.fields["channel"].widget = forms.RadioSelect(choices=ClueChannel.choices)

    def service_kwargs(self) -> dict:
        data = super().service_kwargs()
        data["department"] = data.get("department") or ""
        data["household"] = self.household
        return data


class ClueAcceptForm(forms.Form):
    day = DayField(label=_("受理日期"))


class ClueDecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("办结结果"),
        choices=[
            (ClueOutcome.NOT_IDENTIFIED, ClueOutcome.NOT_IDENTIFIED.label),
            (ClueOutcome.ALREADY_MONITORED, ClueOutcome.ALREADY_MONITORED.label),
        ],
        widget=forms.RadioSelect,
    )
    day = DayField(label=_("办结日期"))
    reason = forms.CharField(
        label=_("办结说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不予识别的请写明原因。"),
    )


class CaseFieldsForm(forms.Form):
    category = forms.ChoiceField(
        label=_("监测对象类别"), choices=Category.choices, widget=forms.RadioSelect
    )
    risk_types = forms.MultipleChoiceField(
        label=_("风险类型"), choices=RiskType.choices, widget=forms.CheckboxSelectMultiple
    )
    labour_capacity = forms.ChoiceField(
        label=_("劳动能力"), choices=LabourCapacity.choices, widget=forms.RadioSelect
    )


class CaseOpenForm(CaseFieldsForm):
    opened_on = DayField(label=_("启动识别日期"))


# --- steps ---------------------------------------------------------------------------------
STEP_NOTES = {
    StepKind.HOME_CHECK: _("核实情况"),
    StepKind.DATA_COMPARISON: _("比对结果"),
    StepKind.APPRAISAL: _("评议情况"),
    StepKind.TOWNSHIP_REVIEW: _("审核意见"),
    StepKind.COUNTY_DECISION: _("审定意见"),
}


class StepForm(forms.Form):
    """The next step of a procedure: its day, and what the step needs (the people and the
    signed form of a home check, the village's notice of an appraisal)."""

    kind = forms.ChoiceField(choices=StepKind.choices, widget=forms.HiddenInput)
    done_on = DayField()
    checkers = forms.CharField(
        label=_("核实人员"),
        max_length=200,
        required=False,
        help_text=_("多人用顿号分隔，如：王五、赵六。"),
    )
    document = forms.FileField(
        label=_("签字材料"), required=False, help_text=_("照片（JPG、PNG、WEBP）或 PDF。")
    )
    notice = forms.ModelChoiceField(
        label=_("公示"), queryset=PublicNotice.objects.none(), required=False
    )
    note = forms.CharField(
        label=_("情况和意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, procedure: str, kind: str, village: Village, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("kind", kind)
        self.procedure, self.step_kind = procedure, kind
        self.fields["note"].label = STEP_NOTES[kind]
        if kind == StepKind.HOME_CHECK:
            self.fields["checkers"].required = True
            self.fields["document"].required = True
            self.fields["document"].label = (
                _("农户签字的承诺授权书")
                if procedure == Procedure.IDENTIFICATION
                else _("核实人员和农户签字的入户核实表")
            )
            if procedure == Procedure.REMOVAL:
                self.fields["checkers"].help_text = _("至少两人，用顿号分隔，如：王五、赵六。")
            else:
                self.initial.setdefault("checkers", user.display_name)
        else:
            del self.fields["checkers"]
        if kind == StepKind.APPRAISAL:
            self.fields["done_on"].label = _("民主评议日期")
            self.fields["notice"].required = True
            self.fields["notice"].queryset = (
                PublicNotice.objects.visible_to(user)
                .filter(village=village, purpose=procedure)
                .order_by("-start_date")
            )
            self.fields["notice"].label_from_instance = lambda n: (
                _("%(start)s 至 %(end)s（%(days)d天）")
                % {
                    "start": n.start_date.isoformat(),
                    "end": n.end_date.isoformat(),
                    "days": selectors.notice_days(n.start_date, n.end_date),
                }
            )
            del self.fields["document"]
        else:
            del self.fields["notice"]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("checkers", "")
        data.setdefault("notice", None)
        data.setdefault("document", None)
        return data


class StopForm(forms.Form):
    day = DayField()
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class RemovalForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("消除方式"), choices=RemovalKind.choices, widget=forms.RadioSelect
    )
    proposed_on = DayField(label=_("提出日期"))


# --- measures, income and expenses -------------------------------------------------------
class MeasureForm(EntryForm):
    class Meta:
        model = MonitoringMeasure
        fields = ["kind", "content", "start_date", "end_date", "responsible", "status"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].help_text = _(
            "有劳动能力的户以产业、就业、技能、小额信贷等开发式帮扶为主；无劳动能力的户落实"
            "低保、特困供养、医疗救助、临时救助等兜底保障。"
        )
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("start_date", timezone.localdate())


class FinanceForm(EntryForm):
    date_fields = ("assessed_on",)

    class Meta:
        model = HouseholdFinance
        fields = [
            "year",
            "per_capita_net_income",
            "medical_expense",
            "schooling_expense",
            "other_rigid_expense",
            "rigid_state",
            "assessed_on",
            "note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["year"]
        else:
            self.initial.setdefault("year", timezone.localdate().year - 1)
        self.fields["rigid_state"].widget = forms.RadioSelect(
            choices=self.fields["rigid_state"].choices[1:]
        )


# --- notices and ranges -------------------------------------------------------------------
class NoticeForm(EntryForm):
    scoped = {"village": lambda user: Village.objects.visible_to(user).order_by("path")}

    class Meta:
        model = PublicNotice
        fields = ["village", "purpose", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].widget = forms.RadioSelect(choices=Procedure.choices)
        self.fields["end_date"].help_text = _(
            "识别公示不少于%(identification)d天，风险消除公示不少于%(removal)d天（含首尾两天）。"
        ) % {
            "identification": selectors.notice_minimum_days(Procedure.IDENTIFICATION),
            "removal": selectors.notice_minimum_days(Procedure.REMOVAL),
        }


class NoticeEditForm(EntryForm):
    class Meta:
        model = PublicNotice
        fields = ["start_date", "end_date", "objections"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}


class NoticeAddCasesForm(forms.Form):
    cases = forms.MultipleChoiceField(
        label=_("列入公示的户"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    appraised_on = DayField(label=_("民主评议日期"))
    note = forms.CharField(
        label=_("评议情况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_id = {str(case.pk): case for case in cases}
        self.fields["cases"].choices = [
            (
                str(case.pk),
                f"{case.household.head_name}（{case.household.group_name or '—'}，"
                f"{case.get_category_display()}）",
            )
            for case in cases
        ]

    def chosen(self) -> list:
        return [self.by_id[pk] for pk in self.cleaned_data["cases"]]


def range_regions(user):
    return (
        scope_of(user).region_subtree(levels=RANGE_LEVELS).order_by("path")
        if not scope_of(user).everything
        else Region.objects.filter(level__in=RANGE_LEVELS).order_by("path")
    )


class RangeForm(EntryForm):
    scoped = {"region": range_regions}

    class Meta:
        model = MonitoringRange
        fields = ["region", "year", "amount", "basis"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["region"]
            del self.fields["year"]
        else:
            self.initial.setdefault("year", timezone.localdate().year)


class ScreeningRaiseForm(forms.Form):
    households = forms.MultipleChoiceField(label=_("选中的户"), choices=())
    risk = forms.CharField(
        label=_("风险情况"),
        max_length=300,
        initial=_("排查发现收入低于或接近监测范围，或收入大幅下降"),
    )
    received_on = DayField(label=_("排查日期"))

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_id = {str(row.household.pk): row.household for row in rows if row.can_raise}
        self.fields["households"].choices = [(pk, pk) for pk in self.by_id]

    def chosen(self) -> list:
        return [self.by_id[pk] for pk in self.cleaned_data["households"]]


# --- the yearly review -------------------------------------------------------------------------
class ReviewForm(forms.Form):
    """One household's review of a year (a row of the village's review list)."""

    household = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("评议结果"), choices=ReviewOutcome.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
    day = DayField(label=_("评议日期"), required=False)
