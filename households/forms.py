"""The visit forms. They parse and check input shapes and offer scoped choices; the rules
(credit, scope, duplicates, the edit window) live in households/services.py, whose
ValidationErrors are put back next to their fields by `add_service_errors`."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, add_service_errors  # noqa: F401 - used by the views
from core.permissions import records_own_entries
from households.models import Measure, VisitKind
from households.selectors import helpers_for_form, measures_for
from households.services import photo_check

MAX_PHOTOS = 6
TOKEN_EXPIRED = _("页面已过期（提交标识缺失或无效），已更新页面，请核对内容后再提交一次。")
TOKEN_RETRY = _("已为本页换用新的提交标识，请核对内容后再提交一次。")


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input (a phone's gallery picker); each is checked by the service."""

    widget = MultipleImageInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/jpeg,image/png,image/webp", "multiple": True})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("一次最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}, code="too_many"
            )
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class CoordinatesMixin:
    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            self.add_error(
                "longitude" if latitude is not None else "latitude",
                _("请同时填写经度和纬度，或都不填。"),
            )
        return cleaned


def _coordinate(label, low, high):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": _("请输入数字，例如 32.2301。")},
    )


class VisitForm(CoordinatesMixin, forms.Form):
    """Log a visit in one step. `household` is chosen before the form is shown (search links
    carry ?household=<id>), so it travels as a hidden field checked against the scope."""

    household = forms.IntegerField(widget=forms.HiddenInput)
    submission_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": TOKEN_EXPIRED, "invalid": TOKEN_EXPIRED},
    )
    helper = forms.ModelChoiceField(
        label=_("走访人"),
        queryset=None,
        empty_label=_("请选择帮扶责任人"),
        error_messages={
            "required": _("请选择走访人。"),
            "invalid_choice": _("所选走访人不是该户的帮扶责任人。"),
        },
    )
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput)
    kind = forms.ChoiceField(
        label=_("走访方式"),
        choices=VisitKind.choices,
        initial=VisitKind.HOME,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
    )
    learned = forms.CharField(
        label=_("了解情况与帮扶内容"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写了解的情况和帮扶内容。")},
    )
    problems = forms.CharField(
        label=_("发现的问题"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ModelChoiceField(
        label=_("推进的帮扶措施（一户一策）"),
        queryset=None,
        required=False,
        empty_label=_("不涉及"),
    )
    photos = MultipleImageField(
        label=_("照片"), help_text=_("可多选，JPG/PNG/WEBP，单张不超过 8 MB。")
    )
    latitude = _coordinate(_("纬度"), -90, 90)
    longitude = _coordinate(_("经度"), -180, 180)

    def __init__(self, *args, user, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.household_obj = household
        today = timezone.localdate()
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        if not self.is_bound:
            self.initial.setdefault("visited_on", today)
            self.initial.setdefault("submission_token", uuid.uuid4())
            self.initial.setdefault("household", household.pk if household else None)
        self.fields["helper"].queryset = helpers_for_form(user=user, household=household)
        if records_own_entries(user):
            del self.fields["helper"]
        else:
            helpers = list(self.fields["helper"].queryset[:2])
            if len(helpers) == 1 and not self.is_bound:
                self.initial.setdefault("helper", helpers[0].pk)
            if not helpers:
                self.fields["helper"].help_text = _(
                    "该户目前没有结对的帮扶责任人，请先由管理员结对后再记录走访。"
                )
        self.fields["measure"].queryset = measures_for(user=user, household=household)
        if household is not None and not self.fields["measure"].queryset.exists():
            del self.fields["measure"]

    def replace_refused_token(self) -> None:
        """After a refused post: an error of the hidden submission token (missing, damaged, or
        already used by someone else) is shown at the top of the form, where the user sees it
        (a hidden field's error is shown nowhere), and the page gets a fresh token, so the next
        submit can be saved instead of being refused the same way again. A post refused for
        anything else keeps its token: nothing was saved under it."""
        if "submission_token" not in self.errors:
            return
        messages = self.errors.pop("submission_token")
        data = self.data.copy()
        data["submission_token"] = str(uuid.uuid4())
        self.data = data
        for message in messages:
            self.add_error(None, message)
        if TOKEN_EXPIRED not in messages:
            self.add_error(None, TOKEN_RETRY)

    def clean_household(self):
        value = self.cleaned_data["household"]
        if self.household_obj is None or value != self.household_obj.pk:
            raise ValidationError(_("请先查找并选择走访的贫困户。"))
        return self.household_obj

    def clean_photos(self):
        """Checked here as well as in the service so a bad file is reported together with
        the other errors, before the user re-selects the photos."""

        photos = self.cleaned_data.get("photos") or []
        messages = []
        for upload in photos:
            try:
                photo_check(upload, reencode=False)
            except ValidationError as exc:
                messages.extend(exc.messages)
        if messages:
            raise ValidationError(messages)
        return photos

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise ValidationError(_("走访日期不能晚于今天。"))
        return day

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "household": data["household"],
            "helper": data.get("helper"),
            "visited_on": data["visited_on"],
            "kind": data["kind"],
            "learned": data["learned"],
            "problems": data.get("problems", ""),
            "measure": data.get("measure"),
            "photos": data.get("photos") or [],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "submission_token": data["submission_token"],
        }


class VisitEditForm(CoordinatesMixin, forms.Form):
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput)
    kind = forms.ChoiceField(
        label=_("走访方式"),
        choices=VisitKind.choices,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
    )
    learned = forms.CharField(
        label=_("了解情况与帮扶内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    problems = forms.CharField(
        label=_("发现的问题"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ModelChoiceField(
        label=_("推进的帮扶措施（一户一策）"),
        queryset=None,
        required=False,
        empty_label=_("不涉及"),
    )
    latitude = _coordinate(_("纬度"), -90, 90)
    longitude = _coordinate(_("经度"), -180, 180)

    def __init__(self, *args, user, visit, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "visited_on": visit.visited_on,
                "kind": visit.kind,
                "learned": visit.learned,
                "problems": visit.problems,
                "measure": visit.measure_id,
                "latitude": visit.latitude,
                "longitude": visit.longitude,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        measures = measures_for(user=user, household=visit.household)
        if visit.measure_id:
            measures = measures | Measure.objects.filter(pk=visit.measure_id)
        self.fields["measure"].queryset = measures.distinct()

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("认可，计入考核")), ("refuse", _("不予计入"))]
    )
    note = forms.CharField(label=_("审核意见"), required=False, max_length=200)
