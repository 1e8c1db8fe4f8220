"""The yearly review of the original registered households (建档立卡户年度评议, issue 14): the
services' rules (registered households only, no year after this one, one review per household
and year, "at risk" raising one clue), the village page and the API with the permission trio,
and the list's query count."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import PovertyStatus
from monitoring import services
from monitoring.models import (
    ClueChannel,
    HouseholdReview,
    ReviewFollowup,
    ReviewOutcome,
    RiskClue,
)
from tests.api.conftest import token_client
from tests.factories import HouseholdFactory
from tests.monitoring.conftest import TODAY, another, clue_for, day, open_case

pytestmark = pytest.mark.django_db


def ordinary(village):
    return HouseholdFactory(
        village=village,
        status=PovertyStatus.ORDINARY,
        cause="",
        track="",
        registered_year=None,
        exit_year=None,
        head_name="赵一般",
    )


def review(user, household, outcome=ReviewOutcome.STABLE, **extra):
    return services.review_record(
        user=user, household=household, year=extra.pop("year", 2026), outcome=outcome, **extra
    )


# --- the services ---------------------------------------------------------------------------
def test_a_review_records_who_decided_and_when(mon):
    w = mon.world
    done = review(w.staff_a, w.household_a, note="收入稳定", day=day(-3))
    assert (done.year, done.outcome, done.decided_by, done.decided_on) == (
        2026,
        ReviewOutcome.STABLE,
        w.staff_a,
        day(-3),
    )
    assert done.village_id == w.village_a.pk and done.path == w.household_a.path
    assert done.clue is None and done.followup == ""


def test_only_registered_households_are_reviewed(mon):
    w = mon.world
    plain = ordinary(w.village_a)
    with pytest.raises(ValidationError) as exc:
        review(w.staff_a, plain)
    assert "household" in exc.value.message_dict
    assert not HouseholdReview.objects.exists()


def test_a_year_after_this_one_is_refused(mon):
    w = mon.world
    with pytest.raises(ValidationError) as exc:
        review(w.staff_a, w.household_a, year=TODAY.year + 1)
    assert "year" in exc.value.message_dict
    assert review(w.staff_a, w.household_a, year=TODAY.year - 1).year == 2025
    assert review(w.staff_a, w.household_a, year=TODAY.year).year == 2026


def test_a_second_review_of_the_year_is_an_update(mon):
    w = mon.world
    first = review(w.staff_a, w.household_a, note="第一次")
    second = review(w.reviewer, w.household_a, ReviewOutcome.NO_LONGER_NEEDED, note="第二次")
    assert second.pk == first.pk
    assert HouseholdReview.objects.filter(household=w.household_a, year=2026).count() == 1
    second.refresh_from_db()
    assert second.outcome == ReviewOutcome.NO_LONGER_NEEDED
    assert second.decided_by == w.reviewer and second.note == "第二次"


def test_at_risk_raises_one_screening_clue(mon):
    w = mon.world
    done = review(w.staff_a, w.household_a, ReviewOutcome.AT_RISK, note="家人重病，医疗支出大")
    clue = RiskClue.objects.get(household=w.household_a)
    assert done.clue == clue and done.followup == ReviewFollowup.CLUE_RAISED
    assert clue.channel == ClueChannel.SCREENING
    assert clue.risk == "家人重病，医疗支出大" and clue.received_on == TODAY
    assert clue.township_id == w.household_a.township_id
    # reviewed again (even back and forth): still the one clue
    review(w.staff_a, w.household_a, ReviewOutcome.STABLE)
    again = review(w.staff_a, w.household_a, ReviewOutcome.AT_RISK)
    assert RiskClue.objects.filter(household=w.household_a).count() == 1
    assert again.clue == clue


def test_at_risk_with_an_open_case_or_an_undecided_clue_says_which(mon):
    w = mon.world
    open_case(w.staff_a, w.household_a)
    busy = another(w.village_a)
    clue_for(w.staff_a, busy, received=-2)
    before = RiskClue.objects.count()
    a = review(w.staff_a, w.household_a, ReviewOutcome.AT_RISK)
    b = review(w.staff_a, busy, ReviewOutcome.AT_RISK)
    assert RiskClue.objects.count() == before
    assert (a.followup, a.clue) == (ReviewFollowup.OPEN_CASE, None)
    assert (b.followup, b.clue) == (ReviewFollowup.OPEN_CLUE, None)


def test_roles_and_scope(mon):
    w = mon.world
    for reader in (w.cadre_user, w.coordinator):
        with pytest.raises(PermissionDenied):
            review(reader, w.household_a)
    with pytest.raises(Http404):
        review(w.staff_b, w.household_a)
    assert not HouseholdReview.objects.exists()
    assert review(w.reviewer, w.household_a).decided_by == w.reviewer


# --- the page -------------------------------------------------------------------------------
def page(village, year=2026):
    return reverse("monitoring:review_list") + f"?village={village.pk}&year={year}"


def test_the_page_lists_registered_households_with_their_review(client, mon):
    w = mon.world
    ordinary(w.village_a)
    review(w.staff_a, w.household_a, ReviewOutcome.AT_RISK, note="因病")
    another(w.village_a, head_name="钱未评")
    client.force_login(w.cadre_user)
    html = client.get(page(w.village_a)).content.decode()
    assert "张三" in html and "钱未评" in html and "赵一般" not in html
    assert "存在返贫风险" in html and "未评议" in html and w.staff_a.display_name in html
    assert "保存评议" not in html  # a stationed cadre reads
    assert "monitoring/reviews/" in client.get(reverse("monitoring:index")).content.decode()


def test_the_page_trio(client, mon):
    w = mon.world
    post = {"village": w.village_a.pk, "year": 2026, "household": w.household_a.pk}
    post["outcome"] = ReviewOutcome.STABLE
    url = reverse("monitoring:review_list")
    client.force_login(w.coordinator)
    assert client.get(page(w.village_a)).status_code == 200
    assert client.post(url, post).status_code == 403
    client.force_login(w.staff_b)
    assert client.get(page(w.village_a)).status_code == 404
    assert client.post(url, post).status_code == 404
    assert not HouseholdReview.objects.exists()
    client.force_login(w.staff_a)
    assert "保存评议" in client.get(page(w.village_a)).content.decode()
    response = client.post(url, post)
    assert response.status_code == 302 and response["Location"] == page(w.village_a)
    assert HouseholdReview.objects.get().decided_by == w.staff_a


def test_the_page_shows_a_refusal_next_to_the_form(client, mon):
    w = mon.world
    plain = ordinary(w.village_a)
    client.force_login(w.staff_a)
    post = {"village": w.village_a.pk, "year": 2026, "household": plain.pk, "outcome": "stable"}
    response = client.post(reverse("monitoring:review_list"), post)
    # the ordinary household is not on the list, so it is not offered
    assert response.status_code in (400, 404)
    assert not HouseholdReview.objects.exists()


def test_the_page_query_count_does_not_grow(client, mon):
    w = mon.world
    client.force_login(w.reviewer)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page(w.village_a)).status_code == 200
        return len(ctx.captured_queries)

    review(w.staff_a, w.household_a)
    small = count()
    for _ in range(5):
        review(w.staff_a, another(w.village_a), ReviewOutcome.NO_LONGER_NEEDED)
        another(w.village_a)
    assert count() == small


# --- the API --------------------------------------------------------------------------------
URL = "/api/v1/household-reviews/"


def test_api_create_trio_and_update_instead_of_duplicate(mon):
    w = mon.world
    data = {"household": w.household_a.pk, "year": 2026, "outcome": "at_risk", "note": "因学"}
    assert token_client(w.coordinator).post(URL, data, format="json").status_code == 403
    # a household outside scope is not a choice of the body (the API's scoped ids): 400
    outside = token_client(w.staff_b).post(URL, data, format="json")
    assert outside.status_code == 400 and "household" in outside.json()["errors"]
    assert token_client(None).post(URL, data, format="json").status_code == 401
    assert not HouseholdReview.objects.exists()
    response = token_client(w.staff_a).post(URL, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["followup"] == "clue_raised" and body["clue"] is not None
    again = token_client(w.reviewer).post(URL, {**data, "outcome": "stable"}, format="json")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert HouseholdReview.objects.get().outcome == "stable"
    future = token_client(w.staff_a).post(URL, {**data, "year": 2027}, format="json")
    assert future.status_code == 400 and "year" in future.json()["errors"]


def test_api_partial_update_trio(mon):
    w = mon.world
    done = review(w.staff_a, w.household_a)
    url = f"{URL}{done.pk}/"
    change = {"outcome": "no_longer_needed"}
    assert token_client(w.coordinator).patch(url, change, format="json").status_code == 403
    assert token_client(w.staff_b).patch(url, change, format="json").status_code == 404
    done.refresh_from_db()
    assert done.outcome == "stable"
    assert token_client(w.staff_a).patch(url, change, format="json").status_code == 200
    done.refresh_from_db()
    assert done.outcome == "no_longer_needed"


def test_api_list_filters_scope_and_query_count(mon):
    w = mon.world
    review(w.staff_a, w.household_a, year=2025)
    review(w.staff_a, w.household_a)
    review(w.staff_b, w.household_b)
    rows = token_client(w.staff_a).get(URL, {"village": w.village_a.pk, "year": 2026}).json()
    results = rows["results"] if isinstance(rows, dict) else rows
    assert [r["household"] for r in results] == [w.household_a.pk]
    outside = HouseholdReview.objects.get(household=w.household_a, year=2026)
    assert token_client(w.staff_b).get(f"{URL}{outside.pk}/").status_code == 404

    reader = token_client(w.reviewer)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert reader.get(URL).status_code == 200
        return len(ctx.captured_queries)

    count()  # the token's first use
    small = count()
    for _ in range(4):
        review(w.staff_a, another(w.village_a))
    assert count() == small


def test_the_resource_is_in_the_schema_in_chinese():
    schema = token_client().get("/api/v1/schema/", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"][URL])
    assert {"get", "patch"} <= set(schema["paths"][URL + "{id}/"])
    for item in (schema["paths"][URL], schema["paths"][URL + "{id}/"]):
        for operation in item.values():
            assert "年度评议" in operation["summary"]
            assert operation["tags"] == ["防止返贫监测"]
