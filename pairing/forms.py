"""Entry forms for the activities units and villages hold, and for the structure they count
against (units, Party organisations, pairings, projects, donations). Choices are scoped to the
user; the services in pairing/services.py decide what is saved."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, EntryForm
from core.scope import Role, scope_of
from pairing.models import (
    Donation,
    Meeting,
    Pairing,
    PairingYearPlan,
    PartyDay,
    PartyOrganisation,
    Project,
    StudyTrip,
    Training,
    Unit,
)
from pairing.services import ATTENDANCE_REQUIRED
from villages.forms import villages_in_scope
from villages.models import RegionLevel


def units_in_scope(user):
    return Unit.objects.visible_to(user).order_by("name")


def pairings_in_scope(user):
    return Pairing.objects.visible_to(user).order_by("name")


class TrainingForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = Training
        fields = [
            "village",
            "kind",
            "title",
            "held_on",
            "unit",
            "audience",
            "lecturer",
            "attendance",
            "village_cadres_trained",
            "content",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The count is asked for, not assumed: an empty one is the service's field error
        # (pairing.services ATTENDANCE_REQUIRED), never a silent 0.
        if not self.instance.pk:
            self.initial.pop("attendance", None)
            self.fields["attendance"].initial = None
        self.fields["attendance"].required = True
        self.fields["attendance"].error_messages["required"] = ATTENDANCE_REQUIRED

    def clean(self):
        cleaned = super().clean()
        attendance = cleaned.get("attendance") or 0
        cadres = cleaned.get("village_cadres_trained") or 0
        if cadres > attendance and not self.has_error("village_cadres_trained"):
            # Also checked by the service; here so it shows together with the other errors.
            self.add_error("village_cadres_trained", _("其中村干部人数不能多于参训人数。"))
        return cleaned


class MeetingForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope, "pairing": pairings_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = Meeting
        fields = [
            "village",
            "kind",
            "title",
            "held_on",
            "unit",
            "pairing",
            "leader_level",
            "attendance",
            "minutes",
        ]


class PartyDayForm(EntryForm):
    scoped = {"village": villages_in_scope}
    date_fields = ("held_on",)

    class Meta:
        model = PartyDay
        fields = ["village", "held_on", "theme", "attendance", "content"]


class StudyTripForm(EntryForm):
    scoped = {"village": villages_in_scope, "unit": units_in_scope}
    date_fields = ("started_on",)

    class Meta:
        model = StudyTrip
        fields = [
            "village",
            "unit",
            "started_on",
            "days",
            "destination",
            "participants",
            "content",
        ]
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}


# --- the kept structure: units, Party organisations, pairings, projects, donations -----------
def _today() -> datetime.date:
    return timezone.localdate()


def _not_ended(queryset, keep_pk=None):
    """Records in force today (not 撤销), plus the one the form already names."""
    condition = Q(end_date__isnull=True) | Q(end_date__gte=_today())
    if keep_pk:
        condition |= Q(pk=keep_pk)
    return queryset.filter(condition)


def unit_regions(user):
    """Where a unit may be: the regions down to townships in the user's own subtree."""
    return (
        scope_of(user)
        .region_subtree(
            levels=[
                RegionLevel.PROVINCE,
                RegionLevel.PREFECTURE,
                RegionLevel.COUNTY,
                RegionLevel.TOWNSHIP,
            ]
        )
        .order_by("path")
    )


def pairing_regions(user):
    return (
        scope_of(user)
        .region_subtree(levels=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE])
        .order_by("path")
    )


def kept_units(user):
    """Units the user keeps (their own subtree), for the organisation form."""
    units = Unit.objects.visible_to(user)
    scope = scope_of(user)
    if not scope.everything:
        path = scope.region_path
        units = units.filter(region__path__startswith=path) if path else units.none()
    return units.order_by("name")


def own_units(user):
    """A coordinator names their own unit; a reviewer any unit in scope."""
    units = Unit.objects.visible_to(user)
    if user.role == Role.COORDINATOR:
        units = units.filter(pk=user.unit_id)
    return units.order_by("name")


def _chosen(form: forms.BaseForm, name: str) -> str | None:
    """The id a field names: the posted value, else the initial one, else the instance's."""
    if form.is_bound:
        value = form.data.get(form.add_prefix(name))
    else:
        value = form.initial.get(name)
        if value is None and form.instance.pk:
            value = getattr(form.instance, f"{name}_id", None)
    if hasattr(value, "pk"):
        value = value.pk
    return str(value) if value not in (None, "") and str(value).isdigit() else None


class UnitForm(EntryForm):
    scoped = {"region": unit_regions}

    class Meta:
        model = Unit
        fields = [
            "name",
            "kind",
            "region",
            "credit_code",
            "principal_leader",
            "deputy_in_charge",
            "coordinator_name",
            "coordinator_phone",
        ]


class OrganisationForm(EntryForm):
    """A unit's (or a village's) Party organisation. The parent is chosen among the same unit's
    (village's) organisations only: open the form from the unit's page, or choose the unit and
    save once to be offered its organisations."""

    scoped = {"unit": kept_units, "village": villages_in_scope}

    class Meta:
        model = PartyOrganisation
        fields = ["unit", "village", "name", "kind", "parent", "secretary", "member_count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit_id, village_id = _chosen(self, "unit"), _chosen(self, "village")
        parents = PartyOrganisation.objects.visible_to(self.user)
        if unit_id:
            parents = parents.filter(unit_id=unit_id)
        elif village_id:
            parents = parents.filter(village_id=village_id)
        else:
            parents = parents.none()
            self.fields["parent"].help_text = _(
                "先选择所属单位（或村），保存后可再选择上级党组织。"
            )
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = _not_ended(parents, self.instance.parent_id).order_by(
            "name"
        )
        self.fields["unit"].help_text = _(
            "单位的党委、党总支、党支部选择所属单位；村党支部选择所属村。"
        )


class PairingForm(EntryForm):
    scoped = {"lead_unit": units_in_scope, "region": pairing_regions, "village": villages_in_scope}

    class Meta:
        model = Pairing
        fields = [
            "kind",
            "name",
            "lead_unit",
            "lead_organisation",
            "village",
            "village_organisation",
            "region",
            "special_action",
            "three_year_plan",
            "start_date",
            "end_date",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        visible = PartyOrganisation.objects.visible_to(self.user)
        lead_id = _chosen(self, "lead_unit")
        leads = visible.filter(unit_id=lead_id) if lead_id else visible.filter(unit__isnull=False)
        self.fields["lead_organisation"].queryset = (
            _not_ended(leads, self.instance.lead_organisation_id)
            .select_related("unit")
            .order_by("unit__name", "name")
        )
        village_id = _chosen(self, "village")
        branches = (
            visible.filter(village_id=village_id)
            if village_id
            else visible.filter(village__isnull=False)
        )
        self.fields["village_organisation"].queryset = _not_ended(
            branches, self.instance.village_organisation_id
        ).order_by("name")
        self.fields["lead_unit"].queryset = _not_ended(
            self.fields["lead_unit"].queryset, self.instance.lead_unit_id
        )
        self.fields["region"].required = False
        self.fields["region"].help_text = _("结对到村的不必填写；定点帮扶填县，1+1+1+N 可填乡镇。")


class ParticipantForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("参与党组织"),
        queryset=PartyOrganisation.objects.none(),
        empty_label=_("请选择"),
        help_text=_("参与单位的党委或党支部；同一单位只能列入一次，牵头单位不再列入。"),
    )

    def __init__(self, *args, user, pairing, **kwargs):
        super().__init__(*args, **kwargs)
        taken = pairing.participants.values("organisation__unit_id")
        self.fields["organisation"].queryset = (
            _not_ended(PartyOrganisation.objects.visible_to(user).filter(unit__isnull=False))
            .exclude(unit_id=pairing.lead_unit_id)
            .exclude(unit_id__in=taken)
            .select_related("unit")
            .order_by("unit__name", "name")
        )
        self.fields["organisation"].label_from_instance = lambda o: f"{o.unit.name} · {o.name}"

    def service_kwargs(self) -> dict:
        return {"organisation": self.cleaned_data["organisation"]}


class YearPlanForm(EntryForm):
    class Meta:
        model = PairingYearPlan
        fields = ["year", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 6})}


class ProjectForm(EntryForm):
    scoped = {"unit": own_units, "village": villages_in_scope, "pairing": pairings_in_scope}

    class Meta:
        model = Project
        fields = [
            "unit",
            "village",
            "pairing",
            "name",
            "kind",
            "year",
            "direct_funds",
            "coordinated_funds",
            "status",
            "description",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.initial.setdefault("year", _today().year)
            units = self.fields["unit"].queryset
            if len(units) == 1:
                self.initial.setdefault("unit", units[0].pk)


class DonationForm(EntryForm):
    scoped = {"unit": own_units, "village": villages_in_scope}
    date_fields = ("donated_on",)

    class Meta:
        model = Donation
        fields = ["unit", "organisation", "village", "donor", "amount", "donated_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit_id = _chosen(self, "unit")
        units = self.fields["unit"].queryset
        if not unit_id and not self.instance.pk and len(units) == 1:
            unit_id = str(units[0].pk)
            self.initial.setdefault("unit", units[0].pk)
        orgs = PartyOrganisation.objects.visible_to(self.user)
        orgs = orgs.filter(unit_id=unit_id) if unit_id else orgs.filter(unit__in=units)
        self.fields["organisation"].queryset = orgs.order_by("name")
