"""Reads for the village pages, and the change history every entered record shows.

Every function starts from `visible_to(user)`. The village list decorates one page of
villages with set-based counts (households, credited visits this year, income this year),
three queries for any page length."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.filters import VillageFilter
from villages.models import Village, VillageIncome

COLLECTIVE_INCOME_LINE = Decimal("20000")  # VILLAGE-COLLECTIVE-INCOME (002 一(五) "2万元以上")


def indicator_threshold(code: str, default):
    """An indicator's threshold as an administrator set it (assessments' catalogue), or the
    shipped default when the catalogue is not loaded."""
    try:
        from assessments.models import Indicator

        value = Indicator.objects.filter(code=code).values_list("threshold", flat=True).first()
    except Exception:  # the catalogue table may not exist in a partial deployment
        value = None
    return value if value is not None else default


def income_line() -> Decimal:
    return Decimal(indicator_threshold("VILLAGE-COLLECTIVE-INCOME", COLLECTIVE_INCOME_LINE))


def village_base(user):
    return Village.objects.visible_to(user).select_related("township")


def village_list(*, user, params, request=None):
    filterset = VillageFilter(params or None, queryset=village_base(user), request=request)
    return filterset, filterset.qs.order_by("path", "id")


def villages_decorate(villages: list[Village], *, today: datetime.date | None = None):
    from households.models import CreditStatus, Household, Visit

    today = today or timezone.localdate()
    ids = [v.pk for v in villages]
    if not ids:
        return villages
    households = dict(
        Household.objects.filter(village_id__in=ids)
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("village_id", "n")
    )
    visits = dict(
        Visit.objects.filter(
            village_id__in=ids,
            credit_status=CreditStatus.CREDITED,
            visited_on__gte=datetime.date(today.year, 1, 1),
            visited_on__lte=today,
        )
        .values("village_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("village_id", "n")
    )
    incomes = dict(
        VillageIncome.objects.filter(village_id__in=ids, year=today.year).values_list(
            "village_id", "amount"
        )
    )
    line = income_line()
    for village in villages:
        village.household_count = households.get(village.pk, 0)
        village.visits_this_year = visits.get(village.pk, 0)
        village.income_this_year = incomes.get(village.pk)
        village.income_line = line
        village.income_met = (
            None if village.income_this_year is None else village.income_this_year >= line
        )
    return villages


@dataclass
class VillagePage:
    village: Village
    households: list
    household_total: int
    pairings: list
    teams: list
    terms: list
    liaisons: list
    reserve_cadres: list
    talents: list
    trainings: list
    meetings: list
    party_days: list
    study_trips: list
    incomes: list
    income_line: Decimal
    visits_this_year: int


def village_detail(*, user, pk: int, households_shown: int = 100) -> VillagePage:
    from cadres.models import Liaison, ReserveCadre, TalentAssignment, Term, WorkTeam
    from households.models import CreditStatus, Household, Visit
    from pairing.models import Meeting, Pairing, PartyDay, StudyTrip, Training

    village = get_object_or_404(village_base(user).select_related("county", "region"), pk=pk)
    today = timezone.localdate()
    households_qs = Household.objects.filter(village=village).order_by("head_name", "id")
    households = list(households_qs[:households_shown])
    total = households_qs.count()
    from households.selectors import households_decorate

    households_decorate(households, today=today)
    pairings = list(
        Pairing.objects.filter(village=village)
        .in_force(today)
        .select_related("lead_unit", "lead_organisation")
        .prefetch_related("participants__organisation__unit")
        .order_by("start_date", "id")
    )
    teams = list(
        WorkTeam.objects.filter(villages=village)
        .in_force(today)
        .select_related("dispatching_unit")
        .prefetch_related("members__cadre")
        .order_by("name")
    )
    terms = list(
        Term.objects.filter(village=village)
        .in_force(today)
        .select_related("cadre", "dispatching_unit")
        .order_by("start_date")
    )
    liaisons = list(Liaison.objects.filter(village=village).select_related("cadre", "unit"))
    reserve = list(
        ReserveCadre.objects.filter(village=village, left_on__isnull=True).order_by("name")
    )
    talents = list(
        TalentAssignment.objects.filter(village=village).in_force(today).select_related("cadre")
    )
    trainings = list(
        Training.objects.filter(village=village).select_related("unit").order_by("-held_on")[:10]
    )
    meetings = list(
        Meeting.objects.filter(village=village).select_related("unit").order_by("-held_on")[:10]
    )
    party_days = list(PartyDay.objects.filter(village=village).order_by("-held_on")[:6])
    study_trips = list(
        StudyTrip.objects.filter(village=village).select_related("unit").order_by("-started_on")[:5]
    )
    incomes = list(VillageIncome.objects.filter(village=village).order_by("-year"))
    line = income_line()
    for income in incomes:
        income.met = income.amount >= line
    visits_this_year = Visit.objects.filter(
        village=village,
        credit_status=CreditStatus.CREDITED,
        visited_on__gte=datetime.date(today.year, 1, 1),
        visited_on__lte=today,
    ).count()
    return VillagePage(
        village=village,
        households=households,
        household_total=total,
        pairings=pairings,
        teams=teams,
        terms=terms,
        liaisons=liaisons,
        reserve_cadres=reserve,
        talents=talents,
        trainings=trainings,
        meetings=meetings,
        party_days=party_days,
        study_trips=study_trips,
        incomes=incomes,
        income_line=line,
        visits_this_year=visits_this_year,
    )


def village_income_list(*, user, params):
    qs = VillageIncome.objects.visible_to(user).select_related("village", "recorded_by")
    village = (params or {}).get("village")
    if village and str(village).isdigit():
        qs = qs.filter(village_id=int(village))
    year = (params or {}).get("year")
    if year and str(year).isdigit():
        qs = qs.filter(year=int(year))
    return qs.order_by("-year", "village__path", "id")


# --- change history (django-auditlog) ----------------------------------------------------------
ACTION_LABELS = {0: _("新增"), 1: _("修改"), 2: _("删除"), 3: _("查看")}


@dataclass
class HistoryLine:
    action: str
    created: bool
    actor: str
    at: datetime.datetime
    changes: list[tuple[str, str, str]]


def change_history(obj, limit: int = 50) -> list[HistoryLine]:
    """Who changed the record, when and what (old → new), newest first, in Chinese."""
    from auditlog.models import LogEntry

    entries = (
        LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")[:limit]
    )
    from households.idcard import mask_id_number, mask_phone

    # ID and phone numbers are shown masked here as everywhere else on the pages (the full
    # numbers are for reviewers, through the logged reveal).
    maskers = {"head_id_number": mask_id_number, "id_number": mask_id_number, "phone": mask_phone}
    field_names = {str(f.verbose_name): f.name for f in type(obj)._meta.fields}
    lines = []
    for entry in entries:
        changes = []
        for label, values in entry.changes_display_dict.items():
            old, new = (list(values) + ["", ""])[:2]
            masker = maskers.get(field_names.get(str(label), ""))
            old, new = _display(old), _display(new)
            if masker is not None:
                old, new = (v if v == "—" else masker(v) for v in (old, new))
            changes.append((str(label), old, new))
        actor = entry.actor.display_name if entry.actor else _("系统")
        lines.append(
            HistoryLine(
                action=str(ACTION_LABELS.get(entry.action, entry.action)),
                created=entry.action == 0,
                actor=actor,
                at=entry.timestamp,
                changes=changes,
            )
        )
    return lines


def _display(value) -> str:
    text = "" if value is None else str(value)
    if text in ("None", ""):
        return "—"
    if text == "True":
        return str(_("是"))
    if text == "False":
        return str(_("否"))
    return text
