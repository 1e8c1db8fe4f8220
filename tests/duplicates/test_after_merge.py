"""After a merge: the closed household's page leads to the one kept, and the indicators no longer
count the closed household as a subject."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import IndicatorResult
from assessments.periods import parse_period
from assessments.services import period_evaluate
from households import merge as m

pytestmark = pytest.mark.django_db


def test_the_closed_households_page_leads_to_the_kept_one(client, world, dups):
    m.merge_households(world.reviewer, dups.a, dups.b, "重复")
    client.force_login(world.reviewer)
    response = client.get(reverse("households:detail", args=[dups.b.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("households:detail", args=[dups.a.pk])
    assert "该户已合并到另一户" in response.content.decode()


def test_a_merged_household_is_not_a_subject_of_the_indicators(world, dups):
    period = parse_period("2026")
    period_evaluate(period=period, today=datetime.date(2026, 11, 20))
    codes = {"HH-VISIT-YEAR", "HH-PAIRED"}
    before = IndicatorResult.objects.filter(
        period="2026", indicator__code__in=codes, household=dups.b
    )
    assert before.count() == 2
    m.merge_households(world.reviewer, dups.a, dups.b, "重复")
    period_evaluate(period=period, today=datetime.date(2026, 11, 20))
    assert not IndicatorResult.objects.filter(period="2026", household=dups.b).exists()
    assert (
        IndicatorResult.objects.filter(
            period="2026", indicator__code__in=codes, household=dups.a
        ).count()
        == 2
    )


def test_a_merge_moving_a_visit_into_a_locked_period_is_refused_and_changes_nothing(
    world, dups, settings
):
    settings.PERIOD_LOCK_DAYS = 4000  # October is locked by the approval, not by its age
    from django.core.exceptions import ValidationError

    from reporting.services import period_approve, period_submit
    from tests.factories import VisitFactory

    visit = VisitFactory(
        household=dups.b, helper=world.helper_b, visited_on=datetime.date(2026, 10, 20)
    )
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label="2026-10")
    period_approve(user=world.reviewer, township_id=world.township_a.pk, label="2026-10")
    with pytest.raises(ValidationError) as refused:
        m.merge_households(world.reviewer, dups.a, dups.b, "重复")
    assert "2026年10月" in str(refused.value)
    visit.refresh_from_db()
    dups.b.refresh_from_db()
    assert visit.household_id == dups.b.pk and dups.b.merged_into_id is None
