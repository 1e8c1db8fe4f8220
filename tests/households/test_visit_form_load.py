"""The visit form under load (6 of 230 posts re-rendered with a 200 and not saved): every way a
post can come back is either a save (a redirect, the first visit for a repeated token, a second
visit the same day saved as not counted) or a refusal whose reason is on the page, with a
token the next submit can use."""

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from households import services
from households.models import CreditStatus, PairingRule, Visit, VisitKind
from tests.factories import CadreFactory, HouseholdFactory, HouseholdPairingFactory
from tests.pages.helpers import yesterday

pytestmark = pytest.mark.django_db

CREATE = "households:visit_create"

_spec = importlib.util.spec_from_file_location(
    "loadtest", Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"
)
assert _spec is not None and _spec.loader is not None
loadtest = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("loadtest", loadtest)
_spec.loader.exec_module(loadtest)


def form_data(world, **overrides):
    data = {
        "household": world.household_a.pk,
        "submission_token": str(uuid.uuid4()),
        "helper": world.helper_a.pk,
        "visited_on": yesterday().isoformat(),
        "kind": VisitKind.HOME,
        "learned": "了解春耕准备情况，协调化肥",
        "problems": "",
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


def posted_token(response) -> str:
    fields, _action = loadtest.read_form(response.content.decode(), "submission_token")
    return fields["submission_token"]


def test_the_load_test_procedure_saves_every_post(world, client):
    """What scripts/loadtest.py does (open the form, post what a browser would), repeatedly,
    for households with one and with two helpers, several times the same day."""
    second = HouseholdFactory(village=world.village_a, head_name="王五")
    HouseholdPairingFactory(household=second, helper=world.helper_a)
    HouseholdPairingFactory(household=second, helper=CadreFactory(name="帮扶人丙", unit=world.unit))
    client.force_login(world.staff_a)
    statuses = []
    for i in range(6):
        household = (world.household_a.pk, second.pk)[i % 2]
        path = f"{reverse(CREATE)}?household={household}"
        fields, _action = loadtest.read_form(client.get(path).content.decode(), "submission_token")
        fields["learned"] = f"压力测试走访 {i}"
        statuses.append(client.post(path, fields).status_code)
    assert statuses == [302] * 6
    assert Visit.objects.count() == 6


def test_same_token_posted_twice_by_the_same_user_saves_one_visit(world, client):
    client.force_login(world.staff_a)
    data = form_data(world)
    first = client.post(reverse(CREATE), data)
    again = client.post(reverse(CREATE), data)
    visit = Visit.objects.get()
    assert first.status_code == again.status_code == 302
    assert again["Location"].endswith(f"#visit-{visit.pk}")


def test_token_used_by_another_user_is_explained_and_replaced(world, client):
    """The one refusal the page did not explain: the token's error sat on the hidden field, so
    the page said only "请修正下面标出的内容" with nothing marked, and posting again sent the same
    token and was refused again."""
    token = str(uuid.uuid4())
    Visit.objects.create(
        household=world.household_b,
        village=world.village_b,
        helper=world.helper_b,
        visited_on=yesterday(),
        learned="了解情况",
        submission_token=token,
        created_by=world.staff_b,
    )
    client.force_login(world.staff_a)
    response = client.post(reverse(CREATE), form_data(world, submission_token=token))
    assert response.status_code == 200
    assert "提交标识已被使用" in response.content.decode()
    fresh = posted_token(response)
    assert fresh and fresh != token
    saved = client.post(reverse(CREATE), form_data(world, submission_token=fresh))
    assert saved.status_code == 302
    assert Visit.objects.count() == 2


@pytest.mark.parametrize("token", ["", "not-a-uuid"])
def test_missing_or_damaged_token_is_explained_and_replaced(world, client, token):
    client.force_login(world.staff_a)
    response = client.post(reverse(CREATE), form_data(world, submission_token=token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "页面已过期" in body
    fresh = posted_token(response)
    uuid.UUID(fresh)
    assert client.post(reverse(CREATE), form_data(world, submission_token=fresh)).status_code == 302
    assert Visit.objects.count() == 1


def test_a_refused_post_keeps_its_token_and_shows_the_error(world, client):
    client.force_login(world.staff_a)
    data = form_data(world, learned="")
    response = client.post(reverse(CREATE), data)
    assert response.status_code == 200
    assert "请填写了解的情况和帮扶内容" in response.content.decode()
    assert posted_token(response) == data["submission_token"]
    assert not Visit.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_posts_racing_for_the_one_credited_visit_a_day_all_save(world):
    """Eight posts for the same helper, household and day at the same moment, each in its own
    connection (real concurrency on PostgreSQL): some pass the duplicate check before another
    commits, the database constraint catches them and they are saved as not counted. Every post
    saves a visit; exactly one counts; none ends in an error."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait()
            services.visit_record(
                user=world.staff_a,
                household=world.household_a,
                helper=world.helper_a,
                visited_on=yesterday(),
                learned="同时提交",
                submission_token=uuid.uuid4(),
            )
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    visits = Visit.objects.filter(household=world.household_a, visited_on=yesterday())
    assert visits.count() == 8
    assert visits.counted().count() == 1
    assert set(
        visits.exclude(credit_status=CreditStatus.CREDITED).values_list("pairing_rule", flat=True)
    ) == {PairingRule.DUPLICATE}
