"""The server side of offline field work: the service worker's route, the households a phone
keeps (scope, masking, a fixed number of queries), the offline form shell, the login page's
reason after an expired session, and the token rule the outbox relies on when it resends."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import Role
from cadres.models import FieldDay
from households.models import Visit
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PlanFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def log_in(client, user):
    client.force_login(user)
    return client


# --- the service worker ---------------------------------------------------------------------
def test_the_service_worker_is_served_from_the_root_with_its_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert "dangjian-offline" in body and "/households/offline/data/" in body


def test_the_policy_lets_the_worker_in_but_nothing_from_elsewhere(client, world):
    log_in(client, world.staff_a)
    policy = client.get(reverse("households:visit_create"))["Content-Security-Policy"]
    assert "worker-src 'self'" in policy
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["img-src"] == "'self' data:"  # previews of shrunk photos are data: URLs
    assert "script-src 'self'" in policy and "http" not in policy


def test_every_page_carries_the_outbox_for_staff_and_cadres_only(client, world):
    log_in(client, world.staff_a)
    page = client.get(reverse("home")).content.decode()
    assert 'id="outbox-config"' in page and "js/outbox.js" in page and "data-outbox-bar" in page
    client.logout()
    log_in(client, world.reviewer)
    page = client.get(reverse("home")).content.decode()
    assert 'data-enters=""' in page and "data-outbox-bar" not in page


# --- the households a phone keeps -----------------------------------------------------------
def test_staff_keep_their_townships_households_masked_with_helpers_and_open_measures(client, world):
    plan = PlanFactory(household=world.household_a)
    MeasureFactory(plan=plan, content="发展养殖")
    MeasureFactory(plan=plan, content="已完成的措施", status="done")
    log_in(client, world.staff_a)
    data = client.get(reverse("households:offline_data")).json()
    assert data["user"] == world.staff_a.pk
    ids = [h["id"] for h in data["households"]]
    assert ids == [world.household_a.pk]  # not the other township's
    household = data["households"][0]
    number = world.household_a.head_id_number
    assert household["id_number"] == number[:6] + "*" * (len(number) - 10) + number[-4:]
    assert household["phone"] == "139****5678"
    assert number not in str(data)
    assert household["helpers"] == [{"id": world.helper_a.pk, "name": "帮扶人甲"}]
    assert [m["label"] for m in household["measures"]] == ["发展养殖"]
    assert reverse("households:offline_visit_form") in data["shell"]
    assert reverse("cadres:field_day_create") in data["shell"]


def test_a_cadre_keeps_only_the_households_they_help(client, world):
    other = HouseholdFactory(village=world.village_a, head_name="王五")
    HouseholdPairingFactory(household=other, helper=world.helper_b)
    log_in(client, world.cadre_user)
    data = client.get(reverse("households:offline_data")).json()
    assert [h["name"] for h in data["households"]] == ["张三"]


def test_the_kept_households_cost_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    log_in(client, world.staff_a)
    client.get(reverse("households:offline_data"))
    for n in range(30):
        household = HouseholdFactory(village=world.village_a, head_name=f"户主{n}")
        HouseholdPairingFactory(household=household, helper=world.helper_a)
        MeasureFactory(plan=PlanFactory(household=household))
    with django_assert_max_num_queries(9):
        data = client.get(reverse("households:offline_data")).json()
    assert len(data["households"]) == 31
    assert all(h["helpers"] and h["measures"] for h in data["households"][1:])


@pytest.mark.parametrize(
    "name",
    ["households:offline_data", "households:offline_visit_form", "households:offline_outbox"],
)
def test_roles_that_enter_no_work_are_refused_and_visitors_sent_to_login(client, world, name):
    assert client.get(reverse(name)).status_code == 302
    log_in(client, world.reviewer)
    assert client.get(reverse(name)).status_code == 403
    client.logout()
    log_in(client, world.coordinator)
    assert client.get(reverse(name)).status_code == 403


def test_the_offline_visit_form_is_the_visit_form_waiting_for_a_household(client, world):
    log_in(client, world.staff_a)
    page = client.get(reverse("households:offline_visit_form")).content.decode()
    assert "data-offline-shell" in page and 'data-outbox="visit"' in page
    assert 'name="learned"' in page and 'name="submission_token"' in page
    assert "data-offline-pick" in page
    assert 'data-max-bytes="8388608"' in page


def test_the_field_day_form_is_the_outbox_form_and_still_posts_without_script(client, world):
    log_in(client, world.cadre_user)
    url = reverse("cadres:field_day_create")
    page = client.get(url).content.decode()
    assert 'data-outbox="field_day"' in page
    response = client.post(url, {"region": world.village_a.region_id, "day": "2026-11-30"})
    assert response.status_code == 302
    assert FieldDay.objects.filter(cadre=world.helper_a, day=datetime.date(2026, 11, 30)).exists()


# --- the session that ended -----------------------------------------------------------------
def test_an_expired_session_is_sent_to_a_login_page_that_says_why(client, world):
    log_in(client, world.staff_a)
    assert client.get(reverse("households:visit_create")).status_code == 200
    Session.objects.all().delete()  # the idle timeout ended it on the server
    response = client.get(reverse("households:visit_create") + "?household=1")
    assert response.status_code == 302
    assert "expired=1" in response["Location"] and "next=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "登录已过期，请重新登录；未提交的内容已保留" in page
    assert "data-expired-note hidden" not in page


def test_a_first_visit_to_the_login_page_has_no_expiry_note(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "data-expired-note hidden" in page


def test_after_logging_out_the_login_page_has_no_expiry_note(client, world):
    log_in(client, world.staff_a)
    client.post(reverse("accounts:logout"))
    response = client.get(reverse("home"))
    assert "expired=1" not in response["Location"]


# --- the token rule the outbox relies on ----------------------------------------------------
def test_an_entry_sent_three_times_is_one_visit_and_the_same_answer(client, world):
    log_in(client, world.staff_a)
    token = str(uuid.uuid4())
    body = {
        "household": world.household_a.pk,
        "visited_on": "2026-11-30",
        "kind": "home",
        "learned": "了解生产情况",
        "submission_token": token,
    }
    answers = [client.post(reverse("api:visit-list"), body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    assert Visit.objects.filter(submission_token=token).count() == 1


def test_another_users_token_is_refused_and_writes_nothing(client, world):
    token = str(uuid.uuid4())
    body = {"household": world.household_a.pk, "learned": "了解", "submission_token": token}
    log_in(client, world.staff_a)
    assert client.post(reverse("api:visit-list"), body).status_code == 201
    client.logout()
    other = UserFactory(username="staff_a2", role=Role.TOWNSHIP_STAFF, region=world.township_a)
    log_in(client, other)
    answer = client.post(reverse("api:visit-list"), body)
    assert answer.status_code == 409 and "submission_token" in answer.json()["errors"]
    assert Visit.objects.count() == 1


def test_the_outbox_posting_for_an_expired_session_is_told_so_not_saved(client, world):
    log_in(client, world.staff_a)
    client.get(reverse("home"))
    Session.objects.all().delete()
    answer = client.post(
        reverse("api:visit-list"),
        {"household": world.household_a.pk, "learned": "了解"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code in (401, 403)
    assert answer.json()["code"] == "not_authenticated"
    assert Visit.objects.count() == 0


def test_a_household_of_the_other_township_is_refused_with_a_reason_and_nothing_written(
    client, world
):
    log_in(client, world.staff_a)
    answer = client.post(
        reverse("api:visit-list"),
        {
            "household": world.household_b.pk,
            "learned": "了解",
            "submission_token": str(uuid.uuid4()),
        },
    )
    assert answer.status_code in (400, 404)
    assert answer.json()["detail"]
    assert Visit.objects.count() == 0
