"""The visit forms, and those of the kept records (households, members, incomes, plans and
measures, pairings, handovers). They parse and check input shapes and offer scoped choices; the rules
(credit, scope, duplicates, the edit window) live in households/services.py, whose
ValidationErrors are put back next to their fields by `add_service_errors`."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre
from core.forms import DateInput, EntryForm, add_service_errors  # noqa: F401 - views use it
from core.idcard import mask_id_number
from core.permissions import records_own_entries
from households.models import Household, IncomeRecord, Measure, Member, Plan, VisitKind
from households.selectors import (
    helper_choices,
    helpers_for_form,
    household_helpers_in_force,
    measures_for,
)
from households.services import photo_check
from villages.models import Village

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


class _ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a ListedModelChoiceField: its list, no query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.listed:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.listed) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.listed)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A model choice read once per request: the form gives it the objects (`listed`), the
    page shows them and validation accepts only them, without another query. `queryset` names
    the same objects for readers that want a queryset."""

    iterator = _ListedChoiceIterator

    def __init__(self, *args, **kwargs):
        self.listed: list = []
        super().__init__(*args, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.listed = list(self.listed)
        return result

    def set_listed(self, objects: list) -> None:
        self.listed = list(objects)
        self.queryset = self.queryset.model._default_manager.filter(
            pk__in=[o.pk for o in self.listed]
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for obj in self.listed:
            if str(obj.pk) == str(value).strip():
                return obj
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )


class VisitForm(CoordinatesMixin, forms.Form):
    """Log a visit in one step. `household` is chosen before the form is shown (search links
    carry ?household=<id>), so it travels as a hidden field checked against the scope."""

    household = forms.IntegerField(widget=forms.HiddenInput)
    submission_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": TOKEN_EXPIRED, "invalid": TOKEN_EXPIRED},
    )
    helper = ListedModelChoiceField(
        label=_("走访人"),
        queryset=Cadre.objects.none(),
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
    measure = ListedModelChoiceField(
        label=_("推进的帮扶措施（一户一策）"),
        queryset=Measure.objects.none(),
        required=False,
        empty_label=_("不涉及"),
    )
    measure_done = forms.BooleanField(
        label=_("本次走访已完成所选帮扶措施"),
        required=False,
        help_text=_("勾选后，该措施的进度改为“已完成”，完成日期为走访日期。"),
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
        if records_own_entries(user):
            del self.fields["helper"]
        else:
            # The household's helpers in force, read once: the choices shown and the only
            # ones validation accepts (the same list). Without a household (the offline shell,
            # whose script puts the household's helpers in), every cadre in scope, as before.
            helpers = (
                household_helpers_in_force(user=user, household=household)
                if household is not None
                else list(helpers_for_form(user=user, household=None))
            )
            self.fields["helper"].set_listed(helpers)
            if len(helpers) == 1 and not self.is_bound:
                self.initial.setdefault("helper", helpers[0].pk)
            if not helpers:
                self.fields["helper"].help_text = _(
                    "该户目前没有结对的帮扶责任人，请先由管理员结对后再记录走访。"
                )
        measures = list(measures_for(user=user, household=household))
        self.fields["measure"].set_listed(measures)
        if household is not None and not measures:
            del self.fields["measure"]
            del self.fields["measure_done"]

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
            "measure_done": bool(data.get("measure_done")),
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
    measure = ListedModelChoiceField(
        label=_("推进的帮扶措施（一户一策）"),
        queryset=Measure.objects.none(),
        required=False,
        empty_label=_("不涉及"),
    )
    measure_done = forms.BooleanField(
        label=_("本次走访已完成所选帮扶措施"),
        required=False,
        help_text=_("勾选后，该措施的进度改为“已完成”，完成日期为走访日期。"),
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
        kwargs = {name: self.cleaned_data.get(name) for name in self.fields}
        kwargs["measure_done"] = bool(kwargs.get("measure_done"))
        return kwargs


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", _("认可，计入考核")), ("refuse", _("不予计入"))]
    )
    note = forms.CharField(label=_("审核意见"), required=False, max_length=200)


class VisitIdsField(forms.Field):
    """The ticked visits of the review queue (their numbers; scope is the service's to check)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("所选走访无效。"), "required": _("请至少选择一条走访。")}

    def to_python(self, value):
        try:
            return [int(v) for v in (value or []) if str(v).strip()]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(value) > 200:
            raise forms.ValidationError(_("一次最多审核 200 条走访。"), code="too_many")


class BulkReviewForm(forms.Form):
    """Accept or refuse a selection of held visits at once; a refusal needs one reason."""

    visits = VisitIdsField(label=_("所选走访"))
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("accept", _("认可，计入考核")), ("refuse", _("不予计入"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择审核结论。")},
    )
    note = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=200,
        help_text=_("不予计入时必填，对所选的每条走访都记下这一理由。"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


# --- the kept records: households, members, incomes, plans, measures, pairings ---------------
def _villages(user):
    return Village.objects.visible_to(user).select_related("township").order_by("path")


class HelperChoiceField(forms.ModelChoiceField):
    """A helper by name and unit (two helpers of one name are told apart)."""

    def label_from_instance(self, obj) -> str:
        unit = getattr(obj, "unit", None)
        return f"{obj.name}（{unit.name}）" if unit else obj.name


class HouseholdForm(EntryForm):
    scoped = {"village": _villages}

    class Meta:
        model = Household
        fields = [
            "village",
            "group_name",
            "head_name",
            "head_id_number",
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
        ]
        widgets = {
            "head_id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].label_from_instance = lambda v: f"{v.township.name} {v.name}"
        # Required of registered households only (Household.clean): 一般农户 leave them empty.
        for name in ("cause", "track"):
            self.fields[name].help_text = _("建档立卡户必填；一般农户不填。")
        if self.instance.pk:
            # The full number is for reviewers (the logged reveal); others see it masked and
            # leave it as it is unless they type a new one.
            self.fields["head_id_number"].required = False
            self.fields["head_id_number"].help_text = _(
                "当前：%(masked)s。不修改请留空；更正时填写完整的18位号码。"
            ) % {"masked": mask_id_number(self.instance.head_id_number)}
            if not self.is_bound:
                self.initial["head_id_number"] = ""

    def clean_head_id_number(self):
        value = self.cleaned_data.get("head_id_number") or ""
        if not value and self.instance.pk:
            return self.instance.head_id_number
        return value

    # Confirms a possible duplicate (same head name and birth date in another village, same
    # phone): households/duplicates.py.
    confirm_duplicates = forms.BooleanField(
        label=_("仍然保存"),
        required=False,
        help_text=_("提示可能重复登记时，核实不是同一户后勾选。"),
    )

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class MemberForm(EntryForm):
    class Meta:
        model = Member
        fields = [
            "name",
            "relation",
            "id_number",
            "birth_year",
            "health",
            "education",
            "works_away",
        ]
        widgets = {"id_number": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.id_number:
            self.fields["id_number"].help_text = _(
                "当前：%(masked)s。不修改请留空；更正时填写完整的18位号码。"
            ) % {"masked": mask_id_number(self.instance.id_number)}
            if not self.is_bound:
                self.initial["id_number"] = ""

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number") or ""
        if not value and self.instance.pk:
            return self.instance.id_number
        return value or None


class IncomeForm(EntryForm):
    class Meta:
        model = IncomeRecord
        fields = ["year", "per_capita_net_income"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)


class PlanForm(EntryForm):
    date_fields = ("drawn_up_on",)

    class Meta:
        model = Plan
        fields = ["summary", "drawn_up_on"]


class MeasureForm(EntryForm):
    class Meta:
        model = Measure
        fields = ["content", "owner", "deadline", "status", "done_on"]
        field_classes = {"owner": HelperChoiceField}
        widgets = {"deadline": DateInput(), "done_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = helper_choices(self.user)
        self.fields["done_on"].help_text = _("进度为“已完成”时填写；不填为今天。")


def _pairing_date(label, *, required=True):
    return forms.DateField(label=label, required=required, widget=DateInput())


class PairingForm(forms.Form):
    """Pair a helper with the household the page is for (its start and, rarely, its end)."""

    helper = HelperChoiceField(label=_("帮扶责任人"), queryset=None, empty_label=_("请选择"))
    start_date = _pairing_date(_("结对日期"))
    end_date = _pairing_date(_("解除日期"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["helper"].queryset = helper_choices(user)
        self.fields["end_date"].help_text = _("结对仍在进行时不填。")
        if not self.is_bound:
            self.initial.setdefault("start_date", timezone.localdate())

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class PairingEditForm(forms.Form):
    """Correct a pairing's dates (a handover is its own page)."""

    start_date = _pairing_date(_("结对日期"))
    end_date = _pairing_date(_("解除日期"), required=False)

    def __init__(self, *args, user, pairing, **kwargs):
        kwargs.setdefault(
            "initial", {"start_date": pairing.start_date, "end_date": pairing.end_date}
        )
        super().__init__(*args, **kwargs)
        self.fields["end_date"].help_text = _("结对仍在进行时不填。")

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class PairingEndForm(forms.Form):
    day = _pairing_date(_("解除日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].help_text = _("结对在这一天仍然有效，此后的走访不再计入该帮扶责任人。")
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate())


class HandoverForm(forms.Form):
    helper = HelperChoiceField(label=_("接替的帮扶责任人"), queryset=None, empty_label=_("请选择"))
    day = _pairing_date(_("交接日期"))

    def __init__(self, *args, user, exclude_helper=None, **kwargs):
        super().__init__(*args, **kwargs)
        helpers = helper_choices(user)
        if exclude_helper is not None:
            helpers = helpers.exclude(pk=exclude_helper)
        self.fields["helper"].queryset = helpers
        self.fields["day"].help_text = _(
            "原结对在交接日期前一天解除，新的结对从交接日期开始；走访按当天的结对计入。"
        )
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate())


class ReassignForm(forms.Form):
    """The departing helper's households, all to one helper (or each to its own) on a day."""

    to_helper = HelperChoiceField(
        label=_("接替的帮扶责任人"),
        queryset=None,
        required=False,
        empty_label=_("请选择"),
        help_text=_("所有户都交给这位帮扶责任人；也可以在下面逐户另选。"),
    )
    day = _pairing_date(_("交接日期"))

    def __init__(self, *args, user, departing, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_helper"].queryset = helper_choices(user).exclude(pk=departing.pk)
        self.fields["day"].help_text = _("各户原结对在交接日期前一天解除。")
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate())
