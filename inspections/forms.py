"""Forms of the spot-check and rectification pages. They only parse input; the rules live in
inspections/services.py, whose ValidationErrors are shown on the same form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inspections.selectors import draw_regions, responsible_choices
from inspections.services import MAX_HOUSEHOLDS_PER_VILLAGE, quarter_of


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DrawForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("抽查区划"), queryset=None, empty_label=None, help_text=_("按其下各乡镇分层抽取。")
    )
    quarter = forms.CharField(label=_("季度"), max_length=7, help_text=_("如 2026Q4"))
    share = forms.DecimalField(
        label=_("抽查比例"),
        min_value=0.001,
        max_value=1,
        decimal_places=3,
        initial="0.5",
        help_text=_("0.5 即每个乡镇至少抽取 50% 的村（向上取整）。"),
    )
    households_per_village = forms.IntegerField(
        label=_("每村抽查户数"),
        min_value=0,
        max_value=MAX_HOUSEHOLDS_PER_VILLAGE,
        initial=0,
        help_text=_("0 表示只抽村。"),
    )
    exclude_previous = forms.BooleanField(label=_("尽量避开上季度已抽查的村"), required=False)
    seed = forms.IntegerField(
        label=_("随机种子"),
        required=False,
        min_value=0,
        help_text=_("留空则由系统生成并记录；填写后可复现同一抽查结果。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = draw_regions(user)
        self.fields["region"].label_from_instance = lambda r: f"{r.name}（{r.code}）"
        self.fields["quarter"].initial = quarter_of(timezone.localdate())


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("作废原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class InspectionForm(forms.Form):
    inspected_on = forms.DateField(label=_("督查日期"), widget=DateInput())
    findings = forms.CharField(
        label=_("督查发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    no_problem = forms.BooleanField(label=_("未发现问题"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspected_on"].initial = timezone.localdate()


class RectificationForm(forms.Form):
    problem = forms.CharField(label=_("问题"), widget=forms.Textarea(attrs={"rows": 3}))
    task = forms.CharField(label=_("整改任务"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=None, required=False, empty_label=_("（不指定）")
    )
    responsible_person = forms.ModelChoiceField(
        label=_("责任人"),
        queryset=None,
        required=False,
        empty_label=_("（不指定）"),
        help_text=_("只能选择有系统账户的人员；责任人不能为自己的事项销号。"),
    )
    deadline = forms.DateField(label=_("整改时限"), widget=DateInput())

    def __init__(self, *args, village, **kwargs):
        super().__init__(*args, **kwargs)
        units, users = responsible_choices(village)
        self.fields["responsible_unit"].queryset = units
        self.fields["responsible_person"].queryset = users
        self.fields["responsible_person"].label_from_instance = lambda u: (
            f"{u.display_name}（{u.get_role_display()}）"
        )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("佐证材料"), help_text=_("JPG、PNG、WEBP 图片或 PDF 文件。"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("销号日期"), widget=DateInput())
    note = forms.CharField(label=_("销号意见"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
