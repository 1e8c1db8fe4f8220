"""The cadre pages.

- Days in the field (cadres:field_day_*): the entry pages; the list is a tab of the activities
  ledger (pairing:activities?kind=field_day).
- The people and their posts, kept by their owners (core.kept_views.KeptPages, on the hub
  /structure/): cadres (cadres:cadre_*; other pages link to cadres:cadre_detail), a unit's
  helpers (cadres:helper_*), terms with recall, replacement and the end-of-term assessment
  (cadres:term_*), work teams and their members (cadres:work_team_*, cadres:team_member_*),
  yearly grades, working funds; the three-person liaison (also by village), reserve cadres and
  talents; a stationed cadre's own page (cadres:my_profile).

Phones are shown as the API shows them: in full to roles that may see full numbers
(User.can_view_full_id), masked (core.idcard.mask_phone) to everyone else."""

from __future__ import annotations

import contextvars
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cadres import forms as f
from cadres import services as s
from cadres.filters import (
    CadreFilter,
    HelperFilter,
    LiaisonFilter,
    ReserveCadreFilter,
    TalentFilter,
    TermFilter,
    WorkingFundFilter,
    WorkTeamFilter,
    YearlyGradeFilter,
)
from cadres.models import (
    Cadre,
    CadreKind,
    FieldDay,
    Liaison,
    ReserveCadre,
    TalentAssignment,
    Term,
    WorkingFund,
    WorkTeam,
    WorkTeamMember,
    YearlyGrade,
)
from core.entry_views import (
    EntryPages,
    display_value,
    field_label,
    query_without_page,
    register_activity,
)
from core.forms import add_service_errors
from core.history import change_history
from core.idcard import mask_phone
from core.keepers import may_keep
from core.kept_views import Column, KeptPages, Section, register_kept
from core.scope import Role
from villages.models import Village


class FieldDayPages(EntryPages):
    """Days in the field are typed in villages without signal: the new-day form is the
    outbox's template (cadres/field_day_form.html); with JavaScript the day waits on the phone
    and goes to the API's field-days endpoint, the same service, when the network returns."""

    def create_view(self, request):
        if not request.user.can_enter_work:
            raise PermissionDenied(_("您的角色不能填报工作记录。"))
        if request.method == "POST":
            form = self.form_class(request.POST, user=request.user)
            if form.is_valid():
                try:
                    obj = self.record(user=request.user, **form.service_kwargs())
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("%(label)s已保存。") % {"label": self.label})
                    return redirect(self.url("detail", obj.pk))
        else:
            form = self.form_class(user=request.user, initial={})
        return render(
            request,
            "cadres/field_day_form.html",
            self.base_context(form=form, heading=_("新增%(label)s") % {"label": self.label}),
        )


FIELD_DAY_PAGES = FieldDayPages(
    model=FieldDay,
    form_class=f.FieldDayForm,
    namespace="cadres",
    name="field_day",
    label=gettext_lazy("在岗天数"),
    record=s.field_day_record,
    update=s.field_day_update,
    delete=s.field_day_delete,
    instance_kw="field_day",
    queryset=lambda user: FieldDay.objects.visible_to(user).select_related(
        "cadre", "region", "created_by"
    ),
    list_columns=["day", "cadre", "region", "note"],
    detail_fields=["cadre", "region", "day", "note", "created_by", "created_at"],
    title=lambda fd: (
        _("%(cadre)s %(day)s 在岗") % {"cadre": fd.cadre.name, "day": fd.day.isoformat()}
    ),
    date_field="day",
    village_lookup="region__village",
)

register_activity("field_day", FIELD_DAY_PAGES)

PEOPLE = gettext_lazy("干部与工作队")
VILLAGE_PEOPLE = gettext_lazy("村级组织与人才")
SECTION_ROWS = 20  # a detail page's related records shown (the newest)

# The user a page is rendered for: a list column's cell has only its row, and a phone in it is
# shown to this user (set around each list and detail view of PeoplePages).
_viewer: contextvars.ContextVar = contextvars.ContextVar("cadre_pages_viewer", default=None)


def shown_phone(phone: str, user=None) -> str:
    """A phone as the user may see it: in full for roles that see full numbers, else masked."""
    user = user or _viewer.get()
    if not phone:
        return "—"
    if user is not None and getattr(user, "can_view_full_id", False):
        return phone
    return mask_phone(phone)


def _period(start, end) -> str:
    return _("%(start)s 至 %(end)s") % {
        "start": start.isoformat() if start else "—",
        "end": end.isoformat() if end else _("长期"),
    }


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _initial_from(*names: str):
    """A create page's initial values from its query string (链接 "新增" from a detail page)."""

    def initial(request) -> dict:
        return {name: request.GET[name] for name in names if request.GET.get(name)}

    return initial


@dataclass
class PeoplePages(KeptPages):
    """KeptPages whose `masked` fields (phones) are shown as the viewer may see them."""

    masked: tuple[str, ...] = ("phone",)

    def list_view(self, request):
        token = _viewer.set(request.user)
        try:
            return super().list_view(request)
        finally:
            _viewer.reset(token)

    def detail_view(self, request, pk: int):
        token = _viewer.set(request.user)
        try:
            return self._detail(request, pk)
        finally:
            _viewer.reset(token)

    def _detail(self, request, pk: int):
        # KeptPages.detail_view, with the masked fields shown through shown_phone.
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        facts = []
        for name in self.detail_fields:
            value = display_value(obj, name)
            if name in self.masked:
                value = shown_phone(getattr(obj, name), request.user)
            facts.append((field_label(self.model, name), value))
        keeps = self.keeps(request.user)
        return render(
            request,
            "kept/detail.html",
            self.base_context(
                request,
                obj=obj,
                title=self.title(obj),
                facts=facts,
                sections=self.sections(request, obj) if self.sections else [],
                history=change_history(obj),
                edit_url=self.url("edit", obj.pk) if keeps else None,
                end_url=self.url("end", obj.pk) if keeps and self.end else None,
                end_label=self.end_label or _("结束"),
                delete_url=self.url("delete", obj.pk) if keeps and self.delete else None,
            ),
        )


# --- the sections of a cadre's page -----------------------------------------------------------
def cadre_sections(request, cadre: Cadre) -> list[Section]:
    """Terms, team memberships, grades, funds by year, paired households and field days, each
    within the viewer's scope."""
    user = request.user
    sections = []
    if cadre.kind in s.STATIONED_KINDS or cadre.terms.exists():
        terms = cadre.terms.visible_to(user).select_related("village")[:SECTION_ROWS]
        sections.append(
            Section(
                title=_("驻村任期"),
                headers=[_("所驻村"), _("驻村身份"), _("任期"), _("召回")],
                rows=[
                    (
                        [
                            term.village.name,
                            term.get_role_display(),
                            _period(term.start_date, term.end_date),
                            term.recalled_on.isoformat() if term.recalled_on else "—",
                        ],
                        reverse("cadres:term_detail", args=[term.pk]),
                    )
                    for term in terms
                ],
                add_url=reverse("cadres:term_create") + f"?cadre={cadre.pk}"
                if may_keep(user, "term")
                else None,
                add_label=_("新增任期"),
            )
        )
        memberships = (
            cadre.team_memberships.visible_to(user)
            .select_related("team")
            .order_by("-team__start_date")[:SECTION_ROWS]
        )
        sections.append(
            Section(
                title=_("驻村工作队"),
                headers=[_("工作队"), _("队内职务"), _("在队时间")],
                rows=[
                    (
                        [m.team.name, m.get_role_display(), _period(m.first_day(), m.last_day())],
                        reverse("cadres:work_team_detail", args=[m.team_id]),
                    )
                    for m in memberships
                ],
                add_url=reverse("cadres:team_member_create") + f"?cadre={cadre.pk}"
                if may_keep(user, "work_team")
                else None,
                add_label=_("加入工作队"),
            )
        )
    grades = cadre.grades.visible_to(user)[:SECTION_ROWS]
    sections.append(
        Section(
            title=_("年度考核"),
            headers=[_("年度"), _("年度考核等次")],
            rows=[
                ([str(g.year), g.get_grade_display()], reverse("cadres:grade_detail", args=[g.pk]))
                for g in grades
            ],
            add_url=reverse("cadres:grade_create") + f"?cadre={cadre.pk}"
            if may_keep(user, "yearly_grade")
            else None,
            add_label=_("登记年度考核"),
        )
    )
    if cadre.kind in s.STATIONED_KINDS or cadre.funds.exists():
        by_year: dict[int, list[WorkingFund]] = defaultdict(list)
        for fund in cadre.funds.visible_to(user).order_by("-year", "-granted_on"):
            by_year[fund.year].append(fund)
        sections.append(
            Section(
                title=_("工作经费（按年度）"),
                headers=[_("年度"), _("合计（元）"), _("拨付笔数")],
                rows=[
                    (
                        [
                            str(year),
                            f"{sum((x.amount for x in funds), Decimal(0)):,.2f}",
                            str(len(funds)),
                        ],
                        reverse("cadres:fund_list") + f"?q={cadre.name}&year={year}",
                    )
                    for year, funds in list(by_year.items())[:SECTION_ROWS]
                ],
                add_url=reverse("cadres:fund_create") + f"?cadre={cadre.pk}"
                if may_keep(user, "working_fund")
                else None,
                add_label=_("登记工作经费"),
            )
        )
    if cadre.kind == CadreKind.TALENT:
        talents = cadre.talent_assignments.visible_to(user).select_related("village")
        sections.append(
            Section(
                title=_("人才挂钩"),
                headers=[_("村"), _("专业领域"), _("时间")],
                rows=[
                    (
                        [t.village.name, t.specialty, _period(t.start_date, t.end_date)],
                        reverse("cadres:talent_detail", args=[t.pk]),
                    )
                    for t in talents[:SECTION_ROWS]
                ],
            )
        )
    # The household pairings are the households app's (above this one): read through the
    # reverse relation, without importing its model; the household pages are its own.
    pairings = (
        cadre.household_pairings.visible_to(user)
        .select_related("household__village")
        .order_by("-start_date")[:SECTION_ROWS]
    )
    sections.append(
        Section(
            title=_("结对帮扶户"),
            headers=[_("户主"), _("村"), _("结对时间")],
            rows=[
                (
                    [
                        p.household.head_name,
                        p.household.village.name,
                        _period(p.start_date, p.end_date),
                    ],
                    reverse("households:detail", args=[p.household_id]),
                )
                for p in pairings
            ],
            empty=_("暂无结对帮扶户。"),
        )
    )
    days = cadre.field_days.visible_to(user).select_related("region")[:SECTION_ROWS]
    sections.append(
        Section(
            title=_("在岗天数（最近）"),
            headers=[_("日期"), _("所在村或乡镇"), _("工作内容")],
            rows=[
                (
                    [d.day.isoformat(), d.region.name, d.note or "—"],
                    reverse("cadres:field_day_detail", args=[d.pk]),
                )
                for d in days
            ],
        )
    )
    return sections


def _cadres(user):
    return Cadre.objects.visible_to(user).select_related("unit", "home_region")


def _active_column():
    return Column(gettext_lazy("在岗"), lambda c: _yes_no(c.is_active(timezone.localdate())))


CADRE_PAGES = register_kept(
    PeoplePages(
        kind="cadre",
        model=Cadre,
        form_class=f.CadreForm,
        namespace="cadres",
        name="cadre",
        label=gettext_lazy("干部"),
        record=s.cadre_record,
        update=s.cadre_update,
        end=s.cadre_end,
        end_label=gettext_lazy("离任"),
        delete=s.cadre_delete,
        instance_kw="cadre",
        queryset=_cadres,
        list_columns=[
            "name",
            "kind",
            "unit",
            "position",
            Column(gettext_lazy("手机号"), lambda c: shown_phone(c.phone)),
            "home_region",
            _active_column(),
        ],
        detail_fields=[
            "name",
            "kind",
            "gender",
            "phone",
            "email",
            "unit",
            "party_organisation",
            "position",
            "is_party_member",
            "home_region",
            "left_on",
        ],
        filterset=CadreFilter,
        sections=cadre_sections,
        ordering=["name", "id"],
        group=PEOPLE,
        intro=gettext_lazy(
            "驻村干部、第一书记、帮扶责任人、包联领导和下派人才；调离的填写离任日期，记录保留。"
        ),
    )
)


# --- a unit's helpers ---------------------------------------------------------------------
def _helpers(user):
    helpers = _cadres(user).filter(kind=CadreKind.HELPER)
    if getattr(user, "role", None) == Role.COORDINATOR:
        helpers = helpers.filter(unit_id=user.unit_id)
    return helpers.select_related("party_organisation")


HELPER_PAGES = register_kept(
    PeoplePages(
        kind="helper",
        model=Cadre,
        form_class=f.HelperForm,
        namespace="cadres",
        name="helper",
        label=gettext_lazy("帮扶责任人"),
        record=s.helper_record,
        update=s.helper_update,
        end=s.helper_end,
        end_label=gettext_lazy("离岗"),
        delete=s.helper_delete,
        instance_kw="helper",
        queryset=_helpers,
        list_columns=[
            "name",
            "unit",
            "position",
            Column(gettext_lazy("手机号"), lambda c: shown_phone(c.phone)),
            "is_party_member",
            _active_column(),
        ],
        detail_fields=[
            "name",
            "gender",
            "phone",
            "email",
            "unit",
            "party_organisation",
            "position",
            "is_party_member",
            "left_on",
        ],
        filterset=HelperFilter,
        sections=cadre_sections,
        ordering=["name", "id"],
        group=PEOPLE,
        intro=gettext_lazy(
            "帮扶单位的党员干部，由单位联络人维护；离岗的填写离任日期，其结对户由乡镇移交。"
        ),
    )
)


# --- terms: recall, replacement, end-of-term assessment -----------------------------------------
def term_sections(request, term: Term) -> list[Section]:
    user = request.user
    keeps = may_keep(user, "term")
    rows = []
    if term.replaces_id:
        before = term.replaces
        rows.append(
            (
                [_("接替"), before.cadre.name, _period(before.start_date, before.end_date)],
                reverse("cadres:term_detail", args=[before.pk]),
            )
        )
    after = Term.objects.filter(replaces=term).select_related("cadre").first()
    if after is not None:
        rows.append(
            (
                [_("由其接替"), after.cadre.name, _period(after.start_date, after.end_date)],
                reverse("cadres:term_detail", args=[after.pk]),
            )
        )
    ended = term.recalled_on is not None or after is not None
    sections = [
        Section(
            title=_("人员调整"),
            headers=[_("关系"), _("干部"), _("任期")],
            rows=rows,
            add_url=reverse("cadres:term_replace", args=[term.pk]) if keeps and not ended else None,
            add_label=_("替换干部"),
            empty=_("没有人员调整。"),
        )
    ]
    assessment = []
    if term.assessment:
        assessment.append(([term.get_assessment_display(), term.assessment_note or "—"], None))
    sections.append(
        Section(
            title=_("期满考核"),
            headers=[_("期满考核等次"), _("期满考核评语")],
            rows=assessment,
            add_url=reverse("cadres:term_assess", args=[term.pk]) if keeps else None,
            add_label=_("修改期满考核") if term.assessment else _("登记期满考核"),
            empty=_("尚未进行期满考核。"),
        )
    )
    return sections


def _terms(user):
    return Term.objects.visible_to(user).select_related(
        "cadre", "village", "dispatching_unit", "replaces__cadre", "approved_by"
    )


TERM_PAGES = register_kept(
    KeptPages(
        kind="term",
        model=Term,
        form_class=f.TermForm,
        namespace="cadres",
        name="term",
        label=gettext_lazy("驻村任期"),
        record=s.term_record,
        update=s.term_update,
        end=s.term_recall,
        end_reason=True,
        end_label=gettext_lazy("召回"),
        delete=s.term_delete,
        instance_kw="term",
        queryset=_terms,
        list_columns=[
            "cadre",
            "role",
            "village",
            "dispatching_unit",
            "start_date",
            "end_date",
            "recalled_on",
        ],
        detail_fields=[
            "cadre",
            "role",
            "village",
            "dispatching_unit",
            "start_date",
            "end_date",
            "recalled_on",
            "recall_reason",
            "replaces",
            "replacement_reason",
            "approved_by",
        ],
        title=lambda t: (
            _("%(cadre)s · %(village)s%(role)s")
            % {"cadre": t.cadre.name, "village": t.village.name, "role": t.get_role_display()}
        ),
        filterset=TermFilter,
        sections=term_sections,
        extra_initial=_initial_from("cadre", "village"),
        ordering=["-start_date", "-id"],
        group=PEOPLE,
        intro=gettext_lazy(
            "驻村干部和第一书记的任期。召回须填写日期和原因，任期于当日结束；"
            "替换干部时原任期于接替前一天结束，记录审批人。"
        ),
    )
)


def _kept_form_page(request, *, pages: KeptPages, form, heading: str, cancel_url: str, submit):
    return render(
        request,
        "kept/form.html",
        pages.base_context(
            request, form=form, heading=heading, cancel_url=cancel_url, submit_label=submit
        ),
    )


@login_required
def term_replace_view(request, pk: int):
    """替换干部: cadre B replaces the term's cadre from a day, approved by the reviewer."""
    term = get_object_or_404(_terms(request.user), pk=pk)
    if not may_keep(request.user, "term"):
        raise PermissionDenied(_("您的角色不能修改驻村任期。"))
    form = f.TermReplaceForm(request.POST or None, user=request.user, term=term)
    if request.method == "POST" and form.is_valid():
        try:
            new_term = s.term_replace(user=request.user, term=term, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记人员调整，原任期于接替前一天结束。"))
            return redirect("cadres:term_detail", new_term.pk)
    return _kept_form_page(
        request,
        pages=TERM_PAGES,
        form=form,
        heading=_("替换干部：%(term)s") % {"term": TERM_PAGES.title(term)},
        cancel_url=TERM_PAGES.url("detail", term.pk),
        submit=_("确认替换"),
    )


@login_required
def term_assess_view(request, pk: int):
    """期满考核: the end-of-term assessment of a term."""
    term = get_object_or_404(_terms(request.user), pk=pk)
    if not may_keep(request.user, "term"):
        raise PermissionDenied(_("您的角色不能修改驻村任期。"))
    initial = {"grade": term.assessment, "note": term.assessment_note}
    form = f.TermAssessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            s.term_assess(user=request.user, term=term, **form.cleaned_data)
        except ValidationError as exc:
            exc = ValidationError(
                {"grade" if k == "assessment" else k: v for k, v in exc.message_dict.items()}
            )
            add_service_errors(form, exc)
        else:
            messages.success(request, _("期满考核已保存。"))
            return redirect("cadres:term_detail", term.pk)
    return _kept_form_page(
        request,
        pages=TERM_PAGES,
        form=form,
        heading=_("期满考核：%(term)s") % {"term": TERM_PAGES.title(term)},
        cancel_url=TERM_PAGES.url("detail", term.pk),
        submit=_("保存"),
    )


# --- work teams and their members -----------------------------------------------------------
def _members(user):
    return WorkTeamMember.objects.visible_to(user).select_related("team", "cadre").distinct()


def work_team_sections(request, team: WorkTeam) -> list[Section]:
    user = request.user
    today = timezone.localdate()
    villages = team.villages.visible_to(user).select_related("township")
    members = team.members.select_related("cadre").order_by("-role", "start_date", "id")
    keeps = may_keep(user, "work_team")
    return [
        Section(
            title=_("所驻村"),
            headers=[_("村"), _("乡镇")],
            rows=[
                ([v.name, v.township.name], reverse("villages:detail", args=[v.pk]))
                for v in villages
            ],
        ),
        Section(
            title=_("工作队成员"),
            headers=[_("干部"), _("队内职务"), _("在队时间"), _("今天在队")],
            rows=[
                (
                    [
                        m.cadre.name,
                        m.get_role_display(),
                        _period(m.first_day(), m.last_day()),
                        _yes_no(
                            m.first_day() <= today
                            and (m.last_day() is None or m.last_day() >= today)
                        ),
                    ],
                    reverse("cadres:team_member_detail", args=[m.pk]),
                )
                for m in members
            ],
            add_url=reverse("cadres:team_member_create") + f"?team={team.pk}" if keeps else None,
            add_label=_("添加成员"),
        ),
    ]


def _teams(user):
    return (
        WorkTeam.objects.visible_to(user)
        .select_related("dispatching_unit")
        .prefetch_related("villages")
        .annotate(member_count=Count("members", distinct=True))
    )


WORK_TEAM_PAGES = register_kept(
    KeptPages(
        kind="work_team",
        model=WorkTeam,
        form_class=f.WorkTeamForm,
        namespace="cadres",
        name="work_team",
        label=gettext_lazy("驻村工作队"),
        record=s.work_team_record,
        update=s.work_team_update,
        end=s.work_team_end,
        delete=s.work_team_delete,
        instance_kw="work_team",
        queryset=_teams,
        list_columns=[
            "name",
            "dispatching_unit",
            Column(gettext_lazy("所驻村"), lambda t: "、".join(v.name for v in t.villages.all())),
            Column(gettext_lazy("成员"), lambda t: t.member_count),
            "start_date",
            "end_date",
        ],
        detail_fields=["name", "dispatching_unit", "start_date", "end_date"],
        filterset=WorkTeamFilter,
        sections=work_team_sections,
        ordering=["name", "id"],
        group=PEOPLE,
        intro=gettext_lazy("工作队及其所驻村和成员；同一干部同一时间只能在一个工作队。"),
    )
)

# The members are reached from their team's page (not listed on the hub).
TEAM_MEMBER_PAGES = KeptPages(
    kind="work_team",
    model=WorkTeamMember,
    form_class=f.WorkTeamMemberForm,
    namespace="cadres",
    name="team_member",
    label=gettext_lazy("工作队成员"),
    record=s.work_team_member_record,
    update=s.work_team_member_update,
    end=s.work_team_member_end,
    end_label=gettext_lazy("离队"),
    delete=s.work_team_member_delete,
    instance_kw="member",
    queryset=_members,
    list_columns=["cadre", "team", "role", "start_date", "end_date"],
    detail_fields=["team", "cadre", "role", "start_date", "end_date"],
    title=lambda m: f"{m.team.name} · {m.cadre.name}",
    extra_initial=_initial_from("team", "cadre"),
    ordering=["team__name", "id"],
    group=PEOPLE,
)


# --- yearly grades and working funds ------------------------------------------------------------
GRADE_PAGES = register_kept(
    KeptPages(
        kind="yearly_grade",
        model=YearlyGrade,
        form_class=f.YearlyGradeForm,
        namespace="cadres",
        name="grade",
        label=gettext_lazy("年度考核"),
        record=s.yearly_grade_record,
        update=s.yearly_grade_update,
        delete=s.yearly_grade_delete,
        instance_kw="yearly_grade",
        queryset=lambda user: YearlyGrade.objects.visible_to(user).select_related("cadre"),
        list_columns=["cadre", "year", "grade"],
        detail_fields=["cadre", "year", "grade"],
        title=lambda g: _("%(cadre)s %(year)d 年度考核") % {"cadre": g.cadre.name, "year": g.year},
        filterset=YearlyGradeFilter,
        extra_initial=_initial_from("cadre"),
        ordering=["-year", "cadre__name", "id"],
        group=PEOPLE,
        intro=gettext_lazy(
            "每人每年一条：优秀、称职、基本称职、不称职（“不称职”影响派出单位评优）。"
        ),
    )
)

FUND_PAGES = register_kept(
    KeptPages(
        kind="working_fund",
        model=WorkingFund,
        form_class=f.WorkingFundForm,
        namespace="cadres",
        name="fund",
        label=gettext_lazy("工作经费"),
        record=s.working_fund_record,
        update=s.working_fund_update,
        delete=s.working_fund_delete,
        instance_kw="fund",
        queryset=lambda user: WorkingFund.objects.visible_to(user).select_related("cadre"),
        list_columns=["cadre", "year", "amount", "source", "granted_on"],
        detail_fields=["cadre", "year", "amount", "source", "granted_on"],
        title=lambda x: (
            _("%(cadre)s %(year)d 年工作经费") % {"cadre": x.cadre.name, "year": x.year}
        ),
        filterset=WorkingFundFilter,
        extra_initial=_initial_from("cadre"),
        ordering=["-year", "cadre__name", "id"],
        group=PEOPLE,
        intro=gettext_lazy("第一书记的工作经费按年度登记，每年不少于1万元。"),
    )
)


# --- the three-person liaison, reserve cadres, talents ---------------------------------------------
def _liaisons(user):
    return Liaison.objects.visible_to(user).select_related("village", "cadre", "unit")


LIAISON_PAGES = register_kept(
    PeoplePages(
        kind="liaison",
        model=Liaison,
        form_class=f.LiaisonForm,
        namespace="cadres",
        name="liaison",
        label=gettext_lazy("三人联络"),
        record=s.liaison_record,
        update=s.liaison_update,
        delete=s.liaison_delete,
        instance_kw="liaison",
        queryset=_liaisons,
        list_columns=[
            "village",
            "role",
            "name",
            Column(gettext_lazy("电话"), lambda x: shown_phone(x.phone)),
            "unit",
        ],
        detail_fields=["village", "role", "name", "phone", "cadre", "unit"],
        title=lambda x: f"{x.village.name} · {x.get_role_display()}",
        filterset=LiaisonFilter,
        extra_initial=_initial_from("village", "role"),
        ordering=["village__path", "role", "id"],
        group=VILLAGE_PEOPLE,
        intro=gettext_lazy(
            "每个结对村三名联络人：村联络人（村党组织推荐）、派驻干部联络人、企业归集负责人。"
        ),
        list_actions=lambda request: [(_("按村查看"), reverse("cadres:liaison_villages"))],
    )
)


@login_required
def liaison_villages_view(request):
    """三人联络（按村）: each village in scope with its three liaison posts, filled or open."""
    user = request.user
    villages = (
        Village.objects.visible_to(user)
        .select_related("township")
        .prefetch_related(Prefetch("liaisons", queryset=Liaison.objects.order_by("role")))
        .order_by("path", "id")
    )
    page = Paginator(villages, 50).get_page(request.GET.get("page"))
    keeps = may_keep(user, "liaison")
    roles = list(Liaison.LiaisonRole)
    rows = []
    for village in page.object_list:
        held = {liaison.role: liaison for liaison in village.liaisons.all()}
        cells = []
        for role in roles:
            liaison = held.get(role)
            cells.append(
                {
                    "liaison": liaison,
                    "phone": shown_phone(liaison.phone, user) if liaison else "",
                    "url": reverse("cadres:liaison_detail", args=[liaison.pk]) if liaison else "",
                    "add_url": reverse("cadres:liaison_create")
                    + f"?village={village.pk}&role={role.value}"
                    if keeps and liaison is None
                    else "",
                }
            )
        rows.append({"village": village, "cells": cells, "complete": len(held) == len(roles)})
    return render(
        request,
        "cadres/liaison_villages.html",
        {
            "pages": LIAISON_PAGES,
            "label": LIAISON_PAGES.label,
            "roles": [role.label for role in roles],
            "rows": rows,
            "page_obj": page,
            "query": query_without_page(request),
        },
    )


RESERVE_PAGES = register_kept(
    KeptPages(
        kind="reserve_cadre",
        model=ReserveCadre,
        form_class=f.ReserveCadreForm,
        namespace="cadres",
        name="reserve",
        label=gettext_lazy("后备干部"),
        record=s.reserve_cadre_record,
        update=s.reserve_cadre_update,
        end=s.reserve_cadre_end,
        end_label=gettext_lazy("退出后备"),
        delete=s.reserve_cadre_delete,
        instance_kw="reserve",
        queryset=lambda user: ReserveCadre.objects.visible_to(user).select_related("village"),
        list_columns=[
            "name",
            "village",
            "gender",
            "birth_year",
            "education",
            "is_party_member",
            "added_on",
            "left_on",
        ],
        detail_fields=[
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
        ],
        title=lambda r: (
            _("%(name)s（%(village)s后备干部）") % {"name": r.name, "village": r.village.name}
        ),
        filterset=ReserveCadreFilter,
        extra_initial=_initial_from("village"),
        ordering=["village__path", "name", "id"],
        group=VILLAGE_PEOPLE,
        intro=gettext_lazy("村级后备力量一人一档，35岁以下优先；每个贫困村至少2名。"),
    )
)


def talent_sections(request, talent: TalentAssignment) -> list[Section]:
    cadre = talent.cadre
    return [
        Section(
            title=_("人才"),
            headers=[_("姓名"), _("手机号"), _("所在（派出）单位")],
            rows=[
                (
                    [
                        cadre.name,
                        shown_phone(cadre.phone, request.user),
                        cadre.unit.name if cadre.unit else "—",
                    ],
                    reverse("cadres:cadre_detail", args=[cadre.pk]),
                )
            ],
        )
    ]


TALENT_PAGES = register_kept(
    KeptPages(
        kind="talent",
        model=TalentAssignment,
        form_class=f.TalentForm,
        namespace="cadres",
        name="talent",
        label=gettext_lazy("下派人才"),
        record=s.talent_assignment_record,
        update=s.talent_assignment_update,
        end=s.talent_assignment_end,
        delete=s.talent_assignment_delete,
        instance_kw="talent",
        queryset=lambda user: TalentAssignment.objects.visible_to(user).select_related(
            "cadre__unit", "village"
        ),
        list_columns=["cadre", "village", "specialty", "start_date", "end_date"],
        detail_fields=["cadre", "village", "specialty", "start_date", "end_date"],
        title=lambda t: f"{t.cadre.name} · {t.village.name}",
        filterset=TalentFilter,
        sections=talent_sections,
        extra_initial=_initial_from("village", "cadre"),
        ordering=["-start_date", "-id"],
        group=VILLAGE_PEOPLE,
        intro=gettext_lazy("下派到村的专业人才及其挂钩的村，每月在村不少于2天。"),
    )
)


# --- a stationed cadre's own page -----------------------------------------------------------------
@login_required
def my_profile_view(request):
    """我的信息: a stationed cadre's own record, term, team, households and field days, and
    the form for their phone and e-mail (cadres.services.cadre_profile_update)."""
    user = request.user
    if getattr(user, "role", None) != Role.CADRE or user.cadre_id is None:
        raise Http404
    cadre = get_object_or_404(Cadre.objects.select_related("unit", "home_region"), pk=user.cadre_id)
    if request.method == "POST":
        form = f.ProfileForm(request.POST, user=user, instance=cadre)
        if form.is_valid():
            try:
                s.cadre_profile_update(user=user, cadre=cadre, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("您的联系方式已保存。"))
                return redirect("cadres:my_profile")
        cadre.refresh_from_db()
    else:
        form = f.ProfileForm(user=user, instance=cadre)
    today = timezone.localdate()
    month_start = today.replace(day=1)
    pairings = (
        cadre.household_pairings.visible_to(user)
        .in_force(today)
        .select_related("household__village")
        .order_by("household__village__name", "household__head_name")
    )
    memberships = (
        cadre.team_memberships.in_force(today)
        .select_related("team__dispatching_unit")
        .prefetch_related("team__villages")
    )
    context = {
        "cadre": cadre,
        "phone": shown_phone(cadre.phone, user),
        "form": form,
        "terms": cadre.terms.select_related("village", "dispatching_unit").order_by("-start_date"),
        "today": today,
        "memberships": memberships,
        "pairings": pairings,
        "days_this_month": cadre.field_days.filter(day__gte=month_start, day__lte=today).count(),
        "month_start": month_start,
        "field_days": cadre.field_days.select_related("region").order_by("-day")[:10],
        "history": change_history(cadre),
    }
    return render(request, "cadres/my_profile.html", context)
