"""The cadre pages' forms. They never save: the views call cadres/services.py.

- The days-in-the-field entry form: a cadre records their own days (no cadre picker); township
  staff pick a cadre in their scope. Regions are villages and townships in scope.
- The kept records' forms (cadres, helpers, a cadre's own profile, terms, work teams and
  members, grades, funds, liaisons, reserve cadres, talents): every choice is limited to the
  user's scope (EntryForm.scoped)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import (
    Cadre,
    CadreKind,
    FieldDay,
    Grade,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)
from core.forms import DateInput, EntryForm
from core.idcard import mask_phone
from core.permissions import records_own_entries
from core.scope import Role, scope_of
from pairing.models import PartyOrganisation, Unit
from villages.models import Village
from villages.services import region_choices_for_field_days


def cadres_in_scope(user):
    return Cadre.objects.visible_to(user).order_by("name")


def regions_for(user):
    return region_choices_for_field_days(user).order_by("path")


class FieldDayForm(EntryForm):
    scoped = {"cadre": cadres_in_scope, "region": regions_for}
    date_fields = ("day",)

    class Meta:
        model = FieldDay
        fields = ["cadre", "region", "day", "note"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if records_own_entries(user):
            del self.fields["cadre"]
        self.fields["region"].label_from_instance = lambda region: (
            f"{region.name}（{region.get_level_display()}）"
        )


# --- the structure kept by its owners (issue 13) --------------------------------------------
class KeptForm(EntryForm):
    """A kept record's form: dates may lie ahead (a term's end), so every date field gets the
    date picker without EntryForm's "not after today"; `create_only` fields are left out when
    the record exists (they are fixed once it is made: a grade's cadre, a liaison's village)."""

    create_only: tuple[str, ...] = ()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:
            for name in self.create_only:
                self.fields.pop(name, None)
        for form_field in self.fields.values():
            if isinstance(form_field, forms.DateField):
                form_field.widget = DateInput()


class MaskedPhoneMixin:
    """A phone is shown masked to a role that may not see it in full (the rule of the pages and
    the API: User.can_view_full_id, core.idcard.mask_phone): the field starts empty with the
    masked number as a hint, and left empty keeps the number as it is."""

    phone_field = "phone"

    def _mask_phone(self) -> None:
        current = getattr(self.instance, self.phone_field, "")
        self.phone_masked = bool(self.instance.pk and current and not self.user.can_view_full_id)
        if self.phone_masked and self.phone_field in self.fields:
            self.initial[self.phone_field] = ""
            self.fields[self.phone_field].help_text = _("当前号码 %(phone)s；留空则不修改。") % {
                "phone": mask_phone(current)
            }

    def clean(self):
        cleaned = super().clean()
        if getattr(self, "phone_masked", False) and not cleaned.get(self.phone_field):
            cleaned[self.phone_field] = getattr(self.instance, self.phone_field)
        return cleaned


def units_in_scope(user):
    return Unit.objects.visible_to(user).order_by("name")


def organisations_in_scope(user):
    return PartyOrganisation.objects.visible_to(user).select_related("unit").order_by("name")


def villages_in_scope(user):
    return Village.objects.visible_to(user).order_by("path")


def home_regions_for(user):
    return scope_of(user).regions().order_by("path")


def stationed_in_scope(user):
    return (
        Cadre.objects.visible_to(user)
        .filter(kind__in=[CadreKind.STATIONED, CadreKind.FIRST_SECRETARY])
        .active(timezone.localdate())
        .order_by("name")
    )


def talents_in_scope(user):
    return (
        Cadre.objects.visible_to(user)
        .filter(kind=CadreKind.TALENT)
        .active(timezone.localdate())
        .order_by("name")
    )


def teams_in_scope(user):
    return WorkTeam.objects.visible_to(user).order_by("name")


def active_cadres_in_scope(user):
    return Cadre.objects.visible_to(user).active(timezone.localdate()).order_by("name")


class CadreForm(MaskedPhoneMixin, KeptForm):
    scoped = {
        "unit": units_in_scope,
        "party_organisation": organisations_in_scope,
        "home_region": home_regions_for,
    }

    class Meta:
        model = Cadre
        fields = [
            "name",
            "kind",
            "gender",
            "id_number",
            "phone",
            "email",
            "unit",
            "party_organisation",
            "position",
            "is_party_member",
            "home_region",
            "left_on",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self._mask_phone()
        self.fields["id_number"].help_text = _("用于导入时识别同一人；页面上不显示。")
        self.fields["home_region"].label_from_instance = lambda region: (
            f"{region.name}（{region.get_level_display()}）"
        )
        if not user.can_view_full_id:
            # Only roles that see full ID numbers see this field at all.
            self.fields.pop("id_number", None)


class HelperForm(MaskedPhoneMixin, KeptForm):
    """A unit's helper (帮扶责任人). A coordinator's helpers are of their own unit: no unit
    choice for them."""

    scoped = {"unit": units_in_scope, "party_organisation": organisations_in_scope}

    class Meta:
        model = Cadre
        fields = [
            "name",
            "gender",
            "phone",
            "email",
            "unit",
            "party_organisation",
            "position",
            "is_party_member",
            "left_on",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self._mask_phone()
        if getattr(user, "role", None) == Role.COORDINATOR:
            self.fields.pop("unit", None)
            self.fields["party_organisation"].queryset = PartyOrganisation.objects.filter(
                unit_id=user.unit_id
            ).order_by("name")
        else:
            self.fields["unit"].required = True


class ProfileForm(MaskedPhoneMixin, KeptForm):
    """A stationed cadre's own phone and e-mail."""

    class Meta:
        model = Cadre
        fields = ["phone", "email"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self._mask_phone()


class TermForm(KeptForm):
    scoped = {
        "cadre": stationed_in_scope,
        "village": villages_in_scope,
        "dispatching_unit": units_in_scope,
    }

    class Meta:
        model = Term
        fields = ["cadre", "village", "role", "dispatching_unit", "start_date", "end_date"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["dispatching_unit"].help_text = _("留空为干部的所在单位。")


class TermReplaceForm(forms.Form):
    """Cadre B replaces the term's cadre from a day (the recording reviewer approves it)."""

    cadre = forms.ModelChoiceField(label=_("接替的干部"), queryset=Cadre.objects.none())
    day = forms.DateField(
        label=_("接替日期"), widget=DateInput(), help_text=_("原任期在前一天结束。")
    )
    end_date = forms.DateField(
        label=_("新任期结束日期"),
        required=False,
        widget=DateInput(),
        help_text=_("留空为原任期的计划结束日期。"),
    )
    dispatching_unit = forms.ModelChoiceField(
        label=_("派出单位"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("留空为接替干部的所在单位。"),
    )
    reason = forms.CharField(
        label=_("调整原因"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = stationed_in_scope(user).exclude(pk=term.cadre_id)
        self.fields["cadre"].empty_label = _("请选择")
        self.fields["dispatching_unit"].queryset = units_in_scope(user)
        self.fields["dispatching_unit"].empty_label = _("请选择")


class TermAssessForm(forms.Form):
    grade = forms.ChoiceField(label=_("期满考核等次"), choices=[("", _("请选择")), *Grade.choices])
    note = forms.CharField(
        label=_("期满考核评语"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WorkTeamForm(KeptForm):
    scoped = {"dispatching_unit": units_in_scope, "villages": villages_in_scope}

    class Meta:
        model = WorkTeam
        fields = ["name", "dispatching_unit", "villages", "start_date", "end_date"]
        widgets = {"villages": forms.CheckboxSelectMultiple}


class WorkTeamMemberForm(KeptForm):
    scoped = {"team": teams_in_scope, "cadre": stationed_in_scope}
    create_only = ("team", "cadre")

    class Meta:
        model = WorkTeamMember
        fields = ["team", "cadre", "role", "start_date", "end_date"]


class YearlyGradeForm(KeptForm):
    scoped = {"cadre": active_cadres_in_scope}
    create_only = ("cadre",)

    class Meta:
        model = YearlyGrade
        fields = ["cadre", "year", "grade"]


class WorkingFundForm(KeptForm):
    scoped = {"cadre": active_cadres_in_scope}
    create_only = ("cadre",)

    class Meta:
        model = WorkingFund
        fields = ["cadre", "year", "amount", "source", "granted_on"]


class LiaisonForm(MaskedPhoneMixin, KeptForm):
    scoped = {"village": villages_in_scope, "cadre": active_cadres_in_scope, "unit": units_in_scope}
    create_only = ("village", "role")

    class Meta:
        model = Liaison
        fields = ["village", "role", "name", "phone", "cadre", "unit"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self._mask_phone()
        self.fields["name"].required = False
        self.fields["name"].help_text = _("选择了对应干部时可留空，取干部的姓名。")
        self.fields["cadre"].help_text = _("派驻干部联络人选驻村干部或第一书记。")
        self.fields["unit"].help_text = _("企业归集负责人所在的帮扶单位。")


class ReserveCadreForm(KeptForm):
    scoped = {"village": villages_in_scope}
    create_only = ("village",)

    class Meta:
        model = ReserveCadre
        fields = [
            "village",
            "name",
            "gender",
            "birth_year",
            "education",
            "is_party_member",
            "strengths",
            "file_notes",
            "added_on",
            "left_on",
        ]


class TalentForm(KeptForm):
    """A talent's assignment: an existing talent, or a new one entered with it."""

    scoped = {"village": villages_in_scope, "cadre": talents_in_scope, "unit": units_in_scope}
    create_only = ("village", "cadre", "name", "phone", "unit")

    name = forms.CharField(
        label=_("新人才姓名"),
        max_length=50,
        required=False,
        help_text=_("名单中没有这位人才时填写，将一并登记。"),
    )
    phone = forms.CharField(label=_("新人才手机号"), max_length=20, required=False)
    unit = forms.ModelChoiceField(
        label=_("新人才所在（派出）单位"), queryset=Unit.objects.none(), required=False
    )

    class Meta:
        model = TalentAssignment
        fields = [
            "village",
            "cadre",
            "name",
            "phone",
            "unit",
            "specialty",
            "start_date",
            "end_date",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "cadre" in self.fields:
            self.fields["cadre"].required = False
            self.fields["cadre"].help_text = _("已登记的下派专业人才。")
