"""The reporting pages, the status page, the reminders and the locked assessment."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import IndicatorResult
from assessments.periods import parse_period
from assessments.services import period_evaluate
from notifications.services import reminders_collect
from pairing.models import PartyDay
from reporting.services import period_approve, period_submit
from tests.factories import VillageFactory

pytestmark = pytest.mark.django_db
OCT = "2026-10"


def test_the_township_submits_on_its_page_and_the_reviewer_approves(world, client):
    client.force_login(world.staff_a)
    page = client.get(reverse("reporting:period", args=[world.township_a.pk, OCT]))
    text = page.content.decode()
    assert page.status_code == 200 and "报送本期" in text and "固定党日" in text
    client.post(reverse("reporting:submit", args=[world.township_a.pk, OCT]))
    assert (
        client.post(reverse("reporting:approve", args=[world.township_a.pk, OCT])).status_code
        == 403
    )
    client.force_login(world.staff_b)
    assert (
        client.get(reverse("reporting:period", args=[world.township_a.pk, OCT])).status_code == 404
    )
    client.force_login(world.reviewer)
    missing = client.post(
        reverse("reporting:return", args=[world.township_a.pk, OCT]), {"reason": ""}
    )
    assert missing.status_code == 400 and "请填写原因。" in missing.content.decode()
    client.post(reverse("reporting:approve", args=[world.township_a.pk, OCT]))
    text = client.get(reverse("reporting:period", args=[world.township_a.pk, OCT])).content.decode()
    assert "已审核通过" in text and "审核通过并锁定" in text and "重新开放" in text


def test_the_status_page_shows_every_state_in_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries
):
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label="2026-11")
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    period_approve(user=world.reviewer, township_id=world.township_a.pk, label=OCT)
    for n in range(5):  # more townships do not mean more queries
        VillageFactory(name=f"村{n}")
    client.force_login(world.reviewer)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("reporting:status", args=[world.county.pk]))
    text = page.content.decode()
    assert "甲镇" in text and "乙镇" in text
    assert "已审核通过" in text and "已报送" in text and "逾期未报送" in text  # B's October
    client.force_login(world.staff_a)
    assert client.get(reverse("reporting:status", args=[world.county.pk])).status_code == 403


def test_reminders_go_to_overdue_townships_and_to_waiting_reviewers(world):
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    reminders = reminders_collect(
        on=datetime.date(2026, 12, 1), kinds=["period_overdue", "submissions_waiting"]
    )
    overdue = [r for r in reminders if r.kind == "period_overdue"]
    assert {(r.recipient_id, r.subject_key) for r in overdue} == {
        (world.staff_b.pk, f"period:{world.township_b.pk}:{OCT}")
    }  # A submitted; November is due by 12-10
    waiting = [r for r in reminders if r.kind == "submissions_waiting"]
    assert [(r.recipient_id, r.title) for r in waiting] == [(world.reviewer.pk, "1个报送待审核")]
    later = reminders_collect(on=datetime.date(2026, 12, 11), kinds=["period_overdue"])
    assert {r.subject_key for r in later if r.recipient_id == world.staff_a.pk} == {
        f"period:{world.township_a.pk}:2026-11"
    }


def _results(township):
    return sorted(
        IndicatorResult.objects.filter(period=OCT, township=township).values_list(
            "indicator__code", "subject_kind", "subject_id", "value", "met"
        )
    )


def test_re_evaluating_a_locked_period_gives_the_same_results(world):
    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    period_approve(user=world.reviewer, township_id=world.township_a.pk, label=OCT)
    locked = _results(world.township_a)
    assert locked  # the approval evaluated the period: the village branch's Party day at least
    before_b = _results(world.township_b)
    # The village list changes in both townships, and a Party day on October's first Friday
    # reaches both through a path that sends no signal (bulk_create).
    VillageFactory(township=world.township_a, name="新村甲")
    VillageFactory(township=world.township_b, name="新村乙")
    PartyDay.objects.bulk_create(
        [
            PartyDay(village=v, held_on=datetime.date(2026, 10, 2), theme="主题党日")
            for v in (world.village_a, world.village_b)
        ]
    )
    period_evaluate(period=parse_period(OCT))
    assert _results(world.township_a) == locked
    assert _results(world.township_b) != before_b  # the open township was evaluated afresh


def test_the_reviewer_sets_the_countys_period_and_expiry_days(world, client):
    from periods.models import PeriodSetting
    from tests.factories import make_county

    url = reverse("reporting:status", args=[world.county.pk])
    client.force_login(world.reviewer)
    bad = client.post(url, {"granularity": "quarter", "lock_days": "-3"})
    assert bad.status_code == 400 and not PeriodSetting.objects.exists()
    client.post(url, {"granularity": "quarter", "lock_days": "20"})
    setting = PeriodSetting.objects.get(county=world.county)
    assert (setting.granularity, setting.lock_days) == ("quarter", 20)
    page = client.get(url).content.decode()
    assert "2026年第4季度" in page and "2026年10月" not in page
    other = make_county("另一县")
    assert client.get(reverse("reporting:status", args=[other.pk])).status_code == 404
    client.force_login(world.staff_a)
    assert client.post(url, {"granularity": "year"}).status_code == 403
    assert PeriodSetting.objects.get(county=world.county).granularity == "quarter"


def test_the_daily_job_stores_and_folds_the_period_reminders(world):
    from notifications.models import Notification
    from notifications.services import reminders_run

    period_submit(user=world.staff_a, township_id=world.township_a.pk, label=OCT)
    kinds = ["period_overdue", "submissions_waiting"]
    first = reminders_run(on=datetime.date(2026, 12, 1), kinds=kinds)
    assert first.found == {"period_overdue": 1, "submissions_waiting": 1}
    again = reminders_run(on=datetime.date(2026, 12, 1), kinds=kinds)  # rerun: nothing new
    assert sum(again.new.values()) == 0
    digest = Notification.objects.get(recipient=world.staff_b, kind="digest")
    assert "2026年10月尚未报送（乙镇）" in digest.body
