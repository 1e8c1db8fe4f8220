"""Entry forms: Chinese labels from the models, choices scoped to the user, and the service's
ValidationErrors put back next to their fields. The forms never save: the views call the
services (villages/services.py, pairing/services.py, cadres/services.py).

Also the yes/no widget of the lists' filters (django-filter's, with Chinese labels)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (unknown names on top)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for one in errors:
                form.add_error(target, _page_message(one))
    else:
        for message in error.messages:
            form.add_error(None, message)


def _page_message(error: ValidationError) -> str:
    """A record that exists already (core.existing) is linked for correcting it."""
    params = error.params or {}
    if error.code == "exists" and params.get("edit_url"):
        return format_html(
            '{}，<a href="{}">{}</a>', params["what"], params["edit_url"], _("去修改")
        )
    return next(iter(error))


class EntryForm(forms.ModelForm):
    """Base for entry forms. Subclasses list `scoped` = {field: callable(user) -> queryset}."""

    scoped: dict = {}
    date_fields: tuple[str, ...] = ()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, queryset_for in self.scoped.items():
            if name in self.fields:
                self.fields[name].queryset = queryset_for(user)
        for name, form_field in self.fields.items():
            try:
                model_field = self._meta.model._meta.get_field(name)
            except Exception:
                continue
            if model_field.has_default() and not callable(model_field.default):
                # Counts with a default (attendance 0, one day) may be left empty.
                form_field.required = False
                if not self.instance.pk:
                    self.initial.setdefault(name, model_field.default)
        today = timezone.localdate().isoformat()
        for name in self.date_fields:
            if name in self.fields:
                self.fields[name].widget = DateInput(attrs={"max": today})
        if not self.is_bound and not self.instance.pk:
            for name in self.date_fields:
                self.initial.setdefault(name, timezone.localdate())
        for bound in self:
            form_field = bound.field
            widget = form_field.widget
            if isinstance(form_field, forms.ModelChoiceField) and form_field.empty_label:
                form_field.empty_label = _("请选择")
            elif isinstance(form_field, forms.TypedChoiceField) and form_field.choices:
                choices = list(form_field.choices)
                if choices[0][0] == "":
                    form_field.choices = [("", _("请选择")), *choices[1:]]
            if isinstance(widget, forms.Textarea):
                widget.attrs["rows"] = 3
            if isinstance(widget, forms.NumberInput):
                widget.attrs.setdefault("inputmode", "numeric")

    def _post_clean(self):
        """The model's field rules run here; its unique and check constraints are the
        service's to check, with messages that name the field (Django's own say only
        "constraint … is invalid")."""
        instance = self.instance
        original = instance.full_clean

        def fields_only(exclude=None, validate_unique=True, validate_constraints=True):
            return original(exclude=exclude, validate_unique=False, validate_constraints=False)

        instance.full_clean = fields_only
        try:
            super()._post_clean()
        finally:
            del instance.full_clean

    def validate_unique(self):
        """See _post_clean: the service checks uniqueness."""

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in self.date_fields:
            value = cleaned.get(name)
            if value is not None and value > today:
                self.add_error(name, _("日期不能晚于今天。"))
        return cleaned

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """django-filter's yes/no select with Chinese labels ("全部" instead of "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("全部")), ("true", _("是")), ("false", _("否")))


def open_choice_label(label) -> str:
    """What an open list filter reads: "走访方式：全部", never a bare "全部"."""
    return _("%(label)s：全部") % {"label": label}


class LabelledFilterSet(django_filters.FilterSet):
    """The lists' filter sets: a choice left open says what it filters ("状态：全部"). A filter
    whose open choice already names it ("全部村", "不限") keeps its own."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_open_choices_labelled", False):
            bare = {str(django_filters.conf.settings.EMPTY_CHOICE_LABEL), str(_("全部"))}
            for field in form.fields.values():
                _label_open_choice(field, bare)
            form._open_choices_labelled = True
        return form


def _label_open_choice(field: forms.Field, bare: set[str]) -> None:
    # django-filter's choice fields (and Django's model choice field) read `empty_label` each
    # time the options are listed; the yes/no widget holds its own choices.
    if hasattr(field, "empty_label"):
        if field.empty_label is not None and str(field.empty_label) in bare:
            field.empty_label = open_choice_label(field.label)
            if isinstance(field, django_filters.fields.ChoiceField):
                # The widget's copy of the options still reads the class-level field's label.
                field.widget.choices = field.choices
        return
    choices = list(getattr(field.widget, "choices", None) or [])
    if choices and choices[0][0] in ("", None) and str(choices[0][1]) in bare:
        choices[0] = (choices[0][0], open_choice_label(field.label))
        field.widget.choices = choices
