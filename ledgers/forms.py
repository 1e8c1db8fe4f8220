from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledgers.models import LedgerKind
from ledgers.periods import MIN_YEAR, PeriodError, parse_period
from ledgers.selectors import regions_for_export
from ledgers.services import export_masking
from villages.models import RegionLevel

FIRST_YEAR = 2014  # 精准扶贫建档立卡 began in 2014

LEVEL_INDENT = {
    RegionLevel.PROVINCE: 0,
    RegionLevel.PREFECTURE: 1,
    RegionLevel.COUNTY: 2,
    RegionLevel.TOWNSHIP: 3,
}


def year_choices() -> list[tuple[str, str]]:
    """This year back to FIRST_YEAR: no future year (issue 15)."""
    this_year = timezone.localdate().year
    return [(str(y), f"{y}年") for y in range(this_year, max(FIRST_YEAR, MIN_YEAR) - 1, -1)]


PART_CHOICES = [
    ("", _("全年")),
    ("Q1", _("第一季度")),
    ("Q2", _("第二季度")),
    ("Q3", _("第三季度")),
    ("Q4", _("第四季度")),
    *[(f"{m:02d}", _("%(m)d月") % {"m": m}) for m in range(1, 13)],
]


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("台账"), choices=LedgerKind.choices)
    # A code, not a ModelChoiceField: a region outside the user's scope is answered with 404 by
    # the service (like every out-of-scope object), not with a form error that confirms it exists.
    region = forms.CharField(label=_("区划"), max_length=15, widget=forms.Select)
    year = forms.ChoiceField(label=_("年度"))
    part = forms.ChoiceField(label=_("期间"), choices=PART_CHOICES, required=False)
    # Ticked for everyone (services.export_masking is the rule); only roles that may see full
    # ID numbers may untick it, and then must give a reason, kept in the security log.
    mask_ids = forms.BooleanField(
        label=_("身份证号脱敏（只显示前6位和后4位）"),
        required=False,
        initial=True,
        help_text=_("报送上级时一般选择脱敏；完整号码的台账可用于名册导入核对。"),
    )
    full_id_reason = forms.CharField(
        label=_("导出完整身份证号的理由"),
        required=False,
        max_length=200,
        help_text=_("不脱敏时必填，例如“名册导入前核对身份证号”；理由记入安全日志。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["year"].choices = year_choices()
        self.fields["year"].initial = str(timezone.localdate().year)
        regions = list(regions_for_export(user=user).values_list("code", "name", "level"))
        self.fields["region"].widget.choices = [
            (code, "　" * LEVEL_INDENT.get(level, 0) + name) for code, name, level in regions
        ]
        if user.region_id:
            self.fields["region"].initial = user.region.code
        if not user.can_view_full_id:
            # Shown ticked and fixed: this role's ledgers are always masked.
            self.fields["mask_ids"].disabled = True
            del self.fields["full_id_reason"]

    def clean(self):
        data = super().clean()
        try:
            data["full_id_reason"] = export_masking(
                user=self.user,
                mask_ids=data.get("mask_ids", True),
                full_id_reason=data.get("full_id_reason", ""),
            )
        except forms.ValidationError as exc:
            self.add_error(None, exc)  # a dict: each message next to its field
        year, part = data.get("year"), data.get("part") or ""
        if year:
            key = year if not part else (f"{year}-{part}")
            try:
                data["period"] = parse_period(key)
            except PeriodError as exc:
                raise forms.ValidationError(str(exc)) from exc
            # The rule of assessments.periods.has_begun: no future period.
            if data["period"].start > timezone.localdate():
                self.add_error("part", _("该期间尚未开始，不能选择未来的期间。"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("名册文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    income_year = forms.ChoiceField(
        label=_("收入年度"),
        help_text=_("“年人均纯收入（元）”一列记入哪一年。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["income_year"].choices = year_choices()
        self.fields["income_year"].initial = str(timezone.localdate().year)


class SheetImportForm(forms.Form):
    """The upload of a kept records' workbook (ledgers/sheets/)."""

    file = forms.FileField(
        label=_("表格文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
