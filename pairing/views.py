"""The activities ledger (pairing:activities): trainings, meetings, Party days, study trips,
days in the field and village income, one tab each; and the entry pages of the first four.

Then the structure's pages (on the hub /structure/, group 帮扶单位与结对): units, Party
organisations, organisation pairings with participants and yearly plans, projects, donations,
and the coordinator's own unit (pairing:my_unit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entry_views import (
    EntryPages,
    activity_kinds,
    display_value,
    field_label,
    initial_village,
    register_activity,
)
from core.forms import add_service_errors
from core.history import change_history
from core.idcard import mask_phone
from core.keepers import may_keep
from core.kept_views import Column, KeptPages, register_kept
from core.scope import Role, scope_of
from pairing.filters import (
    DonationListFilter,
    OrganisationListFilter,
    PairingListFilter,
    ProjectListFilter,
    UnitListFilter,
)
from pairing.forms import (
    DonationForm,
    MeetingForm,
    OrganisationForm,
    PairingForm,
    ParticipantForm,
    PartyDayForm,
    ProjectForm,
    StudyTripForm,
    TrainingForm,
    UnitForm,
    YearPlanForm,
)
from pairing.models import (
    Donation,
    Meeting,
    Pairing,
    PartyDay,
    PartyOrganisation,
    Project,
    StudyTrip,
    Training,
    Unit,
)
from pairing.selectors import (
    organisation_tree,
    pairing_history,
    tree_size,
    unit_coverage,
    unit_helpers,
    unit_pairings,
)
from pairing.services import (
    donation_delete,
    donation_record,
    donation_update,
    meeting_delete,
    meeting_record,
    meeting_update,
    organisation_delete,
    organisation_end,
    organisation_record,
    organisation_update,
    pairing_delete,
    pairing_end,
    pairing_record,
    pairing_update,
    participant_delete,
    participant_record,
    party_day_delete,
    party_day_record,
    party_day_update,
    project_delete,
    project_record,
    project_update,
    study_trip_delete,
    study_trip_record,
    study_trip_update,
    training_delete,
    training_record,
    training_update,
    unit_delete,
    unit_end,
    unit_record,
    unit_update,
    year_plan_delete,
    year_plan_record,
    year_plan_update,
)
from villages.models import Village

TRAINING_PAGES = EntryPages(
    model=Training,
    form_class=TrainingForm,
    namespace="pairing",
    name="training",
    label=gettext_lazy("培训"),
    record=training_record,
    update=training_update,
    delete=training_delete,
    instance_kw="training",
    queryset=lambda user: Training.objects.visible_to(user).select_related(
        "village", "unit", "created_by"
    ),
    list_columns=["held_on", "village", "kind", "title", "attendance"],
    detail_fields=[
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
        "created_by",
        "created_at",
    ],
    title=lambda t: t.title,
    date_field="held_on",
    extra_initial=initial_village,
)

MEETING_PAGES = EntryPages(
    model=Meeting,
    form_class=MeetingForm,
    namespace="pairing",
    name="meeting",
    label=gettext_lazy("会议与调研"),
    record=meeting_record,
    update=meeting_update,
    delete=meeting_delete,
    instance_kw="meeting",
    queryset=lambda user: Meeting.objects.visible_to(user).select_related(
        "village", "unit", "pairing", "created_by"
    ),
    list_columns=["held_on", "village", "kind", "title", "attendance"],
    detail_fields=[
        "village",
        "kind",
        "title",
        "held_on",
        "unit",
        "pairing",
        "leader_level",
        "attendance",
        "minutes",
        "created_by",
        "created_at",
    ],
    title=lambda m: m.title,
    date_field="held_on",
    extra_initial=initial_village,
)

PARTY_DAY_PAGES = EntryPages(
    model=PartyDay,
    form_class=PartyDayForm,
    namespace="pairing",
    name="party_day",
    label=gettext_lazy("固定党日"),
    record=party_day_record,
    update=party_day_update,
    delete=party_day_delete,
    instance_kw="party_day",
    queryset=lambda user: PartyDay.objects.visible_to(user).select_related("village", "created_by"),
    list_columns=["held_on", "village", "theme", "attendance"],
    detail_fields=[
        "village",
        "held_on",
        "theme",
        "attendance",
        "content",
        "created_by",
        "created_at",
    ],
    title=lambda d: (
        _("%(village)s %(day)s 固定党日")
        % {"village": d.village.name, "day": d.held_on.isoformat()}
    ),
    date_field="held_on",
    extra_initial=initial_village,
)

STUDY_TRIP_PAGES = EntryPages(
    model=StudyTrip,
    form_class=StudyTripForm,
    namespace="pairing",
    name="study_trip",
    label=gettext_lazy("外出学习考察"),
    record=study_trip_record,
    update=study_trip_update,
    delete=study_trip_delete,
    instance_kw="study_trip",
    queryset=lambda user: StudyTrip.objects.visible_to(user).select_related(
        "village", "unit", "created_by"
    ),
    list_columns=["started_on", "village", "destination", "days", "participants"],
    detail_fields=[
        "village",
        "unit",
        "started_on",
        "days",
        "destination",
        "participants",
        "content",
        "created_by",
        "created_at",
    ],
    title=lambda t: t.destination,
    date_field="started_on",
    extra_initial=initial_village,
)


for _kind, _pages in (
    ("training", TRAINING_PAGES),
    ("meeting", MEETING_PAGES),
    ("party_day", PARTY_DAY_PAGES),
    ("study_trip", STUDY_TRIP_PAGES),
):
    register_activity(_kind, _pages)


@login_required
def activities(request):
    kinds = activity_kinds()
    kind = request.GET.get("kind") or "training"
    pages = kinds.get(kind)
    if pages is None:
        raise Http404
    context = pages.list_page(request)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        kind=kind,
        tabs=[(key, spec.label) for key, spec in kinds.items()],
        villages=Village.objects.visible_to(request.user).only("id", "name").order_by("path"),
        selected_village=request.GET.get("village", ""),
        query=query.urlencode(),
    )
    return render(request, "pairing/activities.html", context)


# =============================================================================================
# The structure kept by its owners: units (with their Party organisations as a tree, helpers,
# pairings, projects, donations and coverage), Party organisations, organisation pairings (with
# participants, yearly plans and projects), projects and donations; and the coordinator's own
# unit page (pairing:my_unit), their home.
# =============================================================================================
@dataclass
class Row:
    cells: list[str]
    url: str | None = None
    actions: list[tuple[str, str]] = dc_field(default_factory=list)  # (label, POST url)
    links: list[tuple[str, str]] = dc_field(default_factory=list)  # (label, GET url)


@dataclass
class Part:
    """A part of a structure record's page: a small table of related records."""

    title: str
    headers: list[str]
    rows: list[Row]
    add_url: str | None = None
    add_label: str = ""
    empty: str = ""
    more_url: str | None = None
    note: str = ""

    @property
    def has_actions(self) -> bool:
        return any(row.actions or row.links for row in self.rows)


def _covers(user, region) -> bool:
    scope = scope_of(user)
    return scope.everything or (region is not None and scope.covers(region))


def _money(value) -> str:
    return f"{value:,.2f}" if value is not None else "—"


def _url_or_none(name: str, *args) -> str | None:
    """A page another part of the product may or may not provide yet (e.g. a cadre's page)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _with_query(url: str, **params) -> str:
    return f"{url}?{urlencode(params)}"


@dataclass
class StructurePages(KeptPages):
    """KeptPages whose detail page has parts with actions (and a tree), and whose writes are
    also checked per record: a reviewer reads a unit of another county paired here but does
    not keep it; a coordinator keeps their own unit's projects, not their partners'."""

    may_change: Callable | None = None  # (user, obj) -> bool, on top of the role
    parts: Callable | None = None  # (request, obj) -> list[Part]
    history: Callable | None = None  # obj -> history lines (default: the record's own)
    detail_template: str = "pairing/detail.html"
    detail_extra: Callable | None = None  # (request, obj) -> extra context
    # Phone numbers shown masked to roles that may not see full numbers (User.can_view_full_id).
    masked_fields: tuple[str, ...] = ()

    def facts(self, request, obj, names) -> list[tuple[str, str]]:
        full = getattr(request.user, "can_view_full_id", False)
        out = []
        for name in names:
            shown = display_value(obj, name)
            if name in self.masked_fields and not full and getattr(obj, name):
                shown = mask_phone(getattr(obj, name))
            out.append((field_label(self.model, name), shown))
        return out

    def masked_history(self, request, lines: list) -> list:
        """core.history masks the fields named `phone`; a unit's coordinator_phone too here."""
        if not self.masked_fields or getattr(request.user, "can_view_full_id", False):
            return lines
        labels = {field_label(self.model, name) for name in self.masked_fields}
        for line in lines:
            line.changes = [
                (label, *(v if v == "—" else mask_phone(v) for v in (old, new)))
                if label in labels
                else (label, old, new)
                for label, old, new in line.changes
            ]
        return lines

    def changes(self, user, obj) -> bool:
        return self.keeps(user) and (self.may_change is None or self.may_change(user, obj))

    def _guard(self, request, pk: int) -> None:
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if self.keeps(request.user) and not self.changes(request.user, obj):
            raise PermissionDenied(
                _("您可以查看这条%(label)s，但不能修改。") % {"label": self.label}
            )

    def detail_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        changes = self.changes(request.user, obj)
        facts = self.facts(request, obj, self.detail_fields)
        context = self.base_context(
            request,
            obj=obj,
            title=self.title(obj),
            facts=facts,
            parts=self.parts(request, obj) if self.parts else [],
            history=self.masked_history(
                request, self.history(obj) if self.history else change_history(obj)
            ),
            edit_url=self.url("edit", obj.pk) if changes else None,
            end_url=self.url("end", obj.pk) if changes and self.end else None,
            end_label=self.end_label or _("结束"),
            delete_url=self.url("delete", obj.pk) if changes and self.delete else None,
        )
        if self.detail_extra:
            context.update(self.detail_extra(request, obj))
        return render(request, self.detail_template, context)

    def edit_view(self, request, pk: int):
        self._guard(request, pk)
        return super().edit_view(request, pk)

    def end_view(self, request, pk: int):
        self._guard(request, pk)
        return super().end_view(request, pk)

    def delete_view(self, request, pk: int):
        self._guard(request, pk)
        return super().delete_view(request, pk)


GROUP = gettext_lazy("帮扶单位与结对")


def _ended_badge(obj) -> str:
    end = getattr(obj, "end_date", None)
    return _("已撤销") if end and end < timezone.localdate() else _("在册")


# --- units ---------------------------------------------------------------------------------
def _unit_changes(user, unit) -> bool:
    return _covers(user, unit.region)


def _assessment_url(user, unit) -> str | None:
    """The unit's yearly assessment page (assessments:unit) is for reviewers and the unit's
    own coordinator; the grade and bundled-rule reasons are read there."""
    own = user.role == Role.COORDINATOR and user.unit_id == unit.pk
    return reverse("assessments:unit", args=[unit.pk]) if user.is_reviewer or own else None


def _helpers_part(request, unit) -> Part:
    user = request.user
    full = getattr(user, "can_view_full_id", False)
    rows = []
    for cadre in unit_helpers(user=user, unit=unit):
        url = _url_or_none("cadres:cadre_detail", cadre.pk)
        phone = cadre.phone if full else mask_phone(cadre.phone) if cadre.phone else ""
        rows.append(
            Row(
                [
                    cadre.name,
                    cadre.get_kind_display(),
                    cadre.position or "—",
                    phone or "—",
                    _("是") if cadre.is_party_member else _("否"),
                    str(cadre.households_in_force),
                ],
                url,
            )
        )
    return Part(
        _("帮扶责任人与干部"),
        [_("姓名"), _("身份"), _("职务"), _("手机号"), _("中共党员"), _("在帮户数")],
        rows,
        empty=_("本单位还没有登记帮扶责任人。"),
        note=_("本单位派出的干部和结对帮扶的党员；在帮户数为今天仍在结对期内的户数。"),
    )


def _pairings_part(request, unit) -> Part:
    rows = [
        Row(
            [
                p.name,
                p.get_kind_display(),
                _("牵头") if p.lead_unit_id == unit.pk else _("参与"),
                p.village.name if p.village_id else p.region.name,
                p.start_date.isoformat(),
                p.end_date.isoformat() if p.end_date else "—",
            ],
            reverse("pairing:pairing_detail", args=[p.pk]),
        )
        for p in unit_pairings(user=request.user, unit=unit)
    ]
    can_add = may_keep(request.user, "pairing")
    return Part(
        _("结对共建"),
        [_("名称"), _("结对类型"), _("角色"), _("结对村或区划"), _("开始日期"), _("结束日期")],
        rows,
        add_url=_with_query(reverse("pairing:pairing_create"), lead_unit=unit.pk)
        if can_add
        else None,
        add_label=_("新增结对"),
        empty=_("本单位还没有结对。"),
    )


SECTION_ROWS = 20


def _projects_part(request, unit=None, pairing=None) -> Part:
    user = request.user
    projects = Project.objects.visible_to(user).select_related("village", "unit")
    projects = projects.filter(unit=unit) if unit is not None else projects.filter(pairing=pairing)
    projects = list(projects.order_by("-year", "name")[: SECTION_ROWS + 1])
    rows = [
        Row(
            [
                p.name,
                p.unit.name,
                p.village.name,
                str(p.year),
                p.get_status_display(),
                _money(p.direct_funds),
                _money(p.coordinated_funds),
            ],
            reverse("pairing:project_detail", args=[p.pk]),
        )
        for p in projects[:SECTION_ROWS]
    ]
    add_url = None
    if may_keep(user, "project"):
        params: dict = {}
        if unit is not None and (user.role != Role.COORDINATOR or user.unit_id == unit.pk):
            params = {"unit": unit.pk}
        elif pairing is not None:
            params = {"pairing": pairing.pk}
            if pairing.village_id:
                params["village"] = pairing.village_id
        if params or unit is None:
            add_url = _with_query(reverse("pairing:project_create"), **params)
    more = None
    if len(projects) > SECTION_ROWS:
        query = {"unit": unit.pk} if unit is not None else {}
        more = _with_query(reverse("pairing:project_list"), **query)
    return Part(
        _("帮扶项目"),
        [
            _("项目名称"),
            _("帮扶单位"),
            _("村"),
            _("年度"),
            _("状态"),
            _("直接投入（元）"),
            _("协调引进（元）"),
        ],
        rows,
        add_url=add_url,
        add_label=_("新增帮扶项目"),
        empty=_("还没有帮扶项目。"),
        more_url=more,
    )


def _donations_part(request, unit) -> Part:
    user = request.user
    donations = list(
        Donation.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("village", "organisation")
        .order_by("-donated_on", "-id")[: SECTION_ROWS + 1]
    )
    rows = [
        Row(
            [
                d.donor,
                d.organisation.name if d.organisation_id else "—",
                d.village.name,
                _money(d.amount),
                d.donated_on.isoformat(),
            ],
            reverse("pairing:donation_detail", args=[d.pk]),
        )
        for d in donations[:SECTION_ROWS]
    ]
    own = user.role != Role.COORDINATOR or user.unit_id == unit.pk
    return Part(
        _("党员捐款"),
        [_("捐款人"), _("党组织"), _("受赠村"), _("金额（元）"), _("捐款日期")],
        rows,
        add_url=_with_query(reverse("pairing:donation_create"), unit=unit.pk)
        if may_keep(user, "donation") and own
        else None,
        add_label=_("登记党员捐款"),
        empty=_("还没有登记党员捐款。"),
        more_url=_with_query(reverse("pairing:donation_list"), unit=unit.pk)
        if len(donations) > SECTION_ROWS
        else None,
    )


def _unit_parts(request, unit) -> list[Part]:
    return [
        _helpers_part(request, unit),
        _pairings_part(request, unit),
        _projects_part(request, unit=unit),
        _donations_part(request, unit),
    ]


def _unit_extra(request, unit) -> dict:
    user = request.user
    tree = organisation_tree(user=user, unit=unit)
    keeps_orgs = may_keep(user, "party_organisation") and _covers(user, unit.region)
    return {
        "tree": tree,
        "tree_count": tree_size(tree),
        "tree_add_url": _with_query(reverse("pairing:organisation_create"), unit=unit.pk)
        if keeps_orgs
        else None,
        "coverage": unit_coverage(user=user, unit=unit),
        "assessment_url": _assessment_url(user, unit),
    }


UNIT_PAGES = register_kept(
    StructurePages(
        kind="unit",
        model=Unit,
        form_class=UnitForm,
        namespace="pairing",
        name="unit",
        label=gettext_lazy("帮扶单位"),
        record=unit_record,
        update=unit_update,
        end=unit_end,
        end_label=gettext_lazy("撤销"),
        delete=unit_delete,
        instance_kw="unit",
        queryset=lambda user: Unit.objects.visible_to(user).select_related("region"),
        list_columns=[
            "name",
            "kind",
            Column(gettext_lazy("所在区划"), lambda u: u.region.name if u.region_id else ""),
            "coordinator_name",
            Column(gettext_lazy("状态"), _ended_badge),
        ],
        detail_fields=[
            "name",
            "kind",
            "credit_code",
            "region",
            "principal_leader",
            "deputy_in_charge",
            "coordinator_name",
            "coordinator_phone",
            "end_date",
        ],
        filterset=UnitListFilter,
        ordering=["name", "id"],
        group=GROUP,
        intro=gettext_lazy(
            "企业、机关、高校、医院、金融机构等帮扶单位，及其党组织、帮扶责任人和结对。"
        ),
        may_change=_unit_changes,
        parts=_unit_parts,
        detail_template="pairing/unit_detail.html",
        detail_extra=_unit_extra,
        masked_fields=("coordinator_phone",),
    )
)


@login_required
def my_unit(request):
    """The coordinator's home: their own unit with its helpers, coverage, pairings, projects,
    donations and the link to its yearly assessment."""
    user = request.user
    if user.role != Role.COORDINATOR or not user.unit_id:
        raise Http404(_("您没有所属的帮扶单位。"))
    unit = get_object_or_404(UNIT_PAGES.queryset(user), pk=user.unit_id)
    pages = UNIT_PAGES
    context = pages.base_context(
        request,
        obj=unit,
        title=_("本单位：%(name)s") % {"name": unit.name},
        facts=pages.facts(
            request,
            unit,
            [
                "kind",
                "principal_leader",
                "deputy_in_charge",
                "coordinator_name",
                "coordinator_phone",
            ],
        ),
        parts=_unit_parts(request, unit),
        history=[],
        home=True,
        detail_url=pages.url("detail", unit.pk),
    )
    context.update(_unit_extra(request, unit))
    return render(request, "pairing/unit_detail.html", context)


# --- Party organisations -----------------------------------------------------------------------
def _organisation_changes(user, org) -> bool:
    if org.unit_id is not None:
        return _covers(user, org.unit.region)
    return True  # a village's branch: the village is in scope (the page found it)


def _organisation_initial(request) -> dict:
    initial = {}
    for name in ("unit", "village", "parent"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    return initial


def _organisation_parts(request, org) -> list[Part]:
    user = request.user
    children = (
        PartyOrganisation.objects.visible_to(user).filter(parent=org).order_by("kind", "name")
    )
    add = None
    if may_keep(user, "party_organisation") and _organisation_changes(user, org):
        owner = {"unit": org.unit_id} if org.unit_id else {"village": org.village_id}
        add = _with_query(reverse("pairing:organisation_create"), parent=org.pk, **owner)
    pairings = (
        Pairing.objects.visible_to(user)
        .filter(
            Q(lead_organisation=org)
            | Q(village_organisation=org)
            | Q(participants__organisation=org)
        )
        .distinct()
        .select_related("village", "region")
        .order_by("-start_date")
    )
    return [
        Part(
            _("下级党组织"),
            [_("党组织名称"), _("组织类型"), _("书记"), _("状态")],
            [
                Row(
                    [c.name, c.get_kind_display(), c.secretary or "—", _ended_badge(c)],
                    reverse("pairing:organisation_detail", args=[c.pk]),
                )
                for c in children
            ],
            add_url=add,
            add_label=_("新增下级党组织"),
            empty=_("没有下级党组织。"),
        ),
        Part(
            _("参加的结对"),
            [_("名称"), _("结对类型"), _("结对村或区划"), _("开始日期"), _("结束日期")],
            [
                Row(
                    [
                        p.name,
                        p.get_kind_display(),
                        p.village.name if p.village_id else p.region.name,
                        p.start_date.isoformat(),
                        p.end_date.isoformat() if p.end_date else "—",
                    ],
                    reverse("pairing:pairing_detail", args=[p.pk]),
                )
                for p in pairings
            ],
            empty=_("没有参加结对。"),
        ),
    ]


ORGANISATION_PAGES = register_kept(
    StructurePages(
        kind="party_organisation",
        model=PartyOrganisation,
        form_class=OrganisationForm,
        namespace="pairing",
        name="organisation",
        label=gettext_lazy("党组织"),
        record=organisation_record,
        update=organisation_update,
        end=organisation_end,
        end_label=gettext_lazy("撤销"),
        delete=organisation_delete,
        instance_kw="organisation",
        queryset=lambda user: PartyOrganisation.objects.visible_to(user).select_related(
            "unit__region", "village", "parent"
        ),
        list_columns=[
            "name",
            "kind",
            Column(
                gettext_lazy("所属单位或村"),
                lambda o: o.unit.name if o.unit_id else (o.village.name if o.village_id else ""),
            ),
            Column(gettext_lazy("上级党组织"), lambda o: o.parent.name if o.parent_id else ""),
            Column(gettext_lazy("状态"), _ended_badge),
        ],
        detail_fields=[
            "name",
            "kind",
            "unit",
            "village",
            "parent",
            "secretary",
            "member_count",
            "end_date",
        ],
        filterset=OrganisationListFilter,
        ordering=["unit__name", "name", "id"],
        group=GROUP,
        intro=gettext_lazy(
            "单位的党委、党总支、党支部和党组，以及村党支部；按“党委 › 党总支 › 党支部”隶属。"
        ),
        extra_initial=_organisation_initial,
        may_change=_organisation_changes,
        parts=_organisation_parts,
    )
)


# --- organisation pairings ------------------------------------------------------------------
def _pairing_initial(request) -> dict:
    value = request.GET.get("lead_unit", "")
    return {"lead_unit": int(value)} if value.isdigit() else {}


def _pairing_parts(request, pairing) -> list[Part]:
    user = request.user
    keeps = may_keep(user, "pairing")
    participants = pairing.participants.select_related("organisation__unit").order_by(
        "organisation__unit__name", "organisation__name"
    )
    plans = pairing.year_plans.order_by("year")
    return [
        Part(
            _("参与单位（党组织）"),
            [_("参与单位"), _("参与党组织"), _("组织类型")],
            [
                Row(
                    [
                        p.organisation.unit.name if p.organisation.unit_id else "—",
                        p.organisation.name,
                        p.organisation.get_kind_display(),
                    ],
                    reverse("pairing:organisation_detail", args=[p.organisation_id]),
                    actions=[
                        (
                            _("移除"),
                            reverse("pairing:participant_remove", args=[pairing.pk, p.pk]),
                        )
                    ]
                    if keeps
                    else [],
                )
                for p in participants
            ],
            add_url=reverse("pairing:participant_add", args=[pairing.pk]) if keeps else None,
            add_label=_("添加参与单位"),
            empty=_("没有参与单位。"),
        ),
        Part(
            _("年度工作计划"),
            [_("年度"), _("计划内容")],
            [
                Row(
                    [str(plan.year), Truncator(plan.content).chars(80)],
                    links=[
                        (_("修改"), reverse("pairing:year_plan_edit", args=[pairing.pk, plan.pk]))
                    ]
                    if keeps
                    else [],
                )
                for plan in plans
            ],
            add_url=reverse("pairing:year_plan_add", args=[pairing.pk]) if keeps else None,
            add_label=_("新增年度工作计划"),
            empty=_("还没有年度工作计划。"),
        ),
        _projects_part(request, pairing=pairing),
    ]


PAIRING_PAGES = register_kept(
    StructurePages(
        kind="pairing",
        model=Pairing,
        form_class=PairingForm,
        namespace="pairing",
        name="pairing",
        label=gettext_lazy("组织结对"),
        record=pairing_record,
        update=pairing_update,
        end=pairing_end,
        delete=pairing_delete,
        instance_kw="pairing",
        queryset=lambda user: Pairing.objects.visible_to(user).select_related(
            "lead_unit", "lead_organisation", "region", "village", "village_organisation"
        ),
        list_columns=[
            "name",
            "kind",
            Column(gettext_lazy("牵头单位"), lambda p: p.lead_unit.name),
            Column(
                gettext_lazy("结对村或区划"),
                lambda p: p.village.name if p.village_id else p.region.name,
            ),
            "start_date",
            "end_date",
        ],
        detail_fields=[
            "kind",
            "name",
            "lead_unit",
            "lead_organisation",
            "region",
            "village",
            "village_organisation",
            "special_action",
            "three_year_plan",
            "start_date",
            "end_date",
        ],
        filterset=PairingListFilter,
        ordering=["-start_date", "name", "id"],
        group=GROUP,
        intro=gettext_lazy(
            "结对共建、1+1+1+N 党建扶贫与定点帮扶：牵头与参与单位、三年规划、年度工作计划和帮扶项目。"
        ),
        extra_initial=_pairing_initial,
        parts=_pairing_parts,
        history=pairing_history,
    )
)


def _visible_pairing(request, pk: int) -> Pairing:
    pairing = get_object_or_404(PAIRING_PAGES.queryset(request.user), pk=pk)
    if not may_keep(request.user, "pairing"):
        raise PermissionDenied(_("您的角色不能修改组织结对。"))
    return pairing


def _form_page(request, *, form, heading, cancel_url, pages=PAIRING_PAGES, submit_label=None):
    return render(
        request,
        "kept/form.html",
        pages.base_context(
            request, form=form, heading=heading, cancel_url=cancel_url, submit_label=submit_label
        ),
    )


@login_required
def participant_add(request, pk: int):
    pairing = _visible_pairing(request, pk)
    back = PAIRING_PAGES.url("detail", pairing.pk)
    if request.method == "POST":
        form = ParticipantForm(request.POST, user=request.user, pairing=pairing)
        if form.is_valid():
            try:
                participant_record(user=request.user, pairing=pairing, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("参与单位已添加。"))
                return redirect(back)
    else:
        form = ParticipantForm(user=request.user, pairing=pairing)
    return _form_page(
        request,
        form=form,
        heading=_("添加参与单位：%(name)s") % {"name": pairing.name},
        cancel_url=back,
    )


@login_required
def participant_remove(request, pk: int, participant_pk: int):
    pairing = _visible_pairing(request, pk)
    participant = get_object_or_404(
        pairing.participants.select_related("organisation__unit"), pk=participant_pk
    )
    back = PAIRING_PAGES.url("detail", pairing.pk)
    if request.method == "POST":
        participant_delete(user=request.user, participant=participant)
        messages.success(request, _("参与单位已移除。"))
        return redirect(back)
    return render(
        request,
        "pairing/confirm.html",
        PAIRING_PAGES.base_context(
            request,
            heading=_("移除参与单位"),
            text=_("从“%(pairing)s”中移除“%(org)s”？修改记录中会保留这次移除。")
            % {"pairing": pairing.name, "org": participant.organisation.name},
            submit_label=_("确认移除"),
            cancel_url=back,
        ),
    )


@login_required
def year_plan_add(request, pk: int):
    pairing = _visible_pairing(request, pk)
    back = PAIRING_PAGES.url("detail", pairing.pk)
    if request.method == "POST":
        form = YearPlanForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                year_plan_record(user=request.user, pairing=pairing, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("年度工作计划已保存。"))
                return redirect(back)
    else:
        taken = set(pairing.year_plans.values_list("year", flat=True))
        year = max(timezone.localdate().year, pairing.start_date.year)
        while year in taken:
            year += 1
        form = YearPlanForm(user=request.user, initial={"year": year})
    return _form_page(
        request,
        form=form,
        heading=_("新增年度工作计划：%(name)s") % {"name": pairing.name},
        cancel_url=back,
    )


@login_required
def year_plan_edit(request, pk: int, plan_pk: int):
    pairing = _visible_pairing(request, pk)
    plan = get_object_or_404(pairing.year_plans.all(), pk=plan_pk)
    back = PAIRING_PAGES.url("detail", pairing.pk)
    if request.method == "POST":
        if request.POST.get("delete"):
            year_plan_delete(user=request.user, year_plan=plan)
            messages.success(request, _("年度工作计划已删除。"))
            return redirect(back)
        form = YearPlanForm(request.POST, user=request.user, instance=plan)
        if form.is_valid():
            try:
                year_plan_update(user=request.user, year_plan=plan, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("修改已保存。"))
                return redirect(back)
        plan.refresh_from_db()
    else:
        form = YearPlanForm(user=request.user, instance=plan)
    return render(
        request,
        "pairing/year_plan_form.html",
        PAIRING_PAGES.base_context(
            request,
            form=form,
            heading=_("修改%(year)d年度工作计划：%(name)s")
            % {"year": plan.year, "name": pairing.name},
            cancel_url=back,
            history=change_history(plan),
        ),
    )


# --- projects and donations ---------------------------------------------------------------
def _own_unit_record(user, obj) -> bool:
    return user.role != Role.COORDINATOR or obj.unit_id == user.unit_id


def _project_initial(request) -> dict:
    initial = {}
    for name in ("unit", "village", "pairing"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    return initial


PROJECT_PAGES = register_kept(
    StructurePages(
        kind="project",
        model=Project,
        form_class=ProjectForm,
        namespace="pairing",
        name="project",
        label=gettext_lazy("帮扶项目"),
        record=project_record,
        update=project_update,
        delete=project_delete,
        instance_kw="project",
        queryset=lambda user: Project.objects.visible_to(user).select_related(
            "unit", "village", "pairing"
        ),
        list_columns=[
            "name",
            Column(gettext_lazy("帮扶单位"), lambda p: p.unit.name),
            Column(gettext_lazy("村"), lambda p: p.village.name),
            "year",
            "status",
            Column(gettext_lazy("直接投入资金（元）"), lambda p: _money(p.direct_funds)),
            Column(gettext_lazy("协调引进资金（元）"), lambda p: _money(p.coordinated_funds)),
        ],
        detail_fields=[
            "name",
            "kind",
            "unit",
            "village",
            "pairing",
            "year",
            "direct_funds",
            "coordinated_funds",
            "status",
            "description",
        ],
        filterset=ProjectListFilter,
        ordering=["-year", "name", "id"],
        group=GROUP,
        intro=gettext_lazy(
            "帮扶单位在结对村实施的项目，及直接投入和协调引进的资金；由单位联络人维护。"
        ),
        extra_initial=_project_initial,
        may_change=_own_unit_record,
    )
)


def _donation_initial(request) -> dict:
    initial = {}
    for name in ("unit", "village"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    return initial


DONATION_PAGES = register_kept(
    StructurePages(
        kind="donation",
        model=Donation,
        form_class=DonationForm,
        namespace="pairing",
        name="donation",
        label=gettext_lazy("党员捐款"),
        record=donation_record,
        update=donation_update,
        delete=donation_delete,
        instance_kw="donation",
        queryset=lambda user: Donation.objects.visible_to(user).select_related(
            "unit", "village", "organisation"
        ),
        list_columns=[
            "donor",
            Column(gettext_lazy("单位"), lambda d: d.unit.name),
            Column(gettext_lazy("受赠村"), lambda d: d.village.name),
            Column(gettext_lazy("金额（元）"), lambda d: _money(d.amount)),
            "donated_on",
        ],
        detail_fields=["donor", "unit", "organisation", "village", "amount", "donated_on"],
        filterset=DonationListFilter,
        ordering=["-donated_on", "-id"],
        group=GROUP,
        intro=gettext_lazy("党员自愿捐款，由单位联络人登记。"),
        extra_initial=_donation_initial,
        title=lambda d: (
            _("%(donor)s %(amount)s 元") % {"donor": d.donor, "amount": _money(d.amount)}
        ),
        may_change=_own_unit_record,
    )
)
