"""The permission trio for every page: in scope works, another township's staff gets 404
(lists: sees nothing of township A), anonymous is sent to log in. Plus the role rules:
reviewers cannot enter work, only reviewers review, the edit window closes."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.pages.helpers import ENTRY_URLS, records_in

pytestmark = pytest.mark.django_db


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def object_pages(world, records):
    """(name, url) of every page about one object of township A."""
    visit = records["visit"]
    pages = [
        ("village", reverse("villages:detail", args=[world.village_a.pk])),
        ("household", reverse("households:detail", args=[world.household_a.pk])),
        ("visit form", reverse("households:visit_create") + f"?household={world.household_a.pk}"),
        ("visit", reverse("households:visit_detail", args=[visit.pk])),
        ("visit edit", reverse("households:visit_edit", args=[visit.pk])),
        ("visit delete", reverse("households:visit_delete", args=[visit.pk])),
        ("photo", reverse("households:photo", args=[records["photo"].pk])),
        ("photo thumb", reverse("households:photo_thumb", args=[records["photo"].pk])),
    ]
    for key, prefix in ENTRY_URLS.items():
        obj = records[key]
        for action in ("detail", "edit", "delete"):
            pages.append((f"{key} {action}", reverse(f"{prefix}_{action}", args=[obj.pk])))
    return pages


def test_object_pages_trio(world, client):
    records = records_in(world)
    pages = object_pages(world, records)
    for name, url in pages:
        assert_sent_to_login(client.get(url)), name
    client.force_login(world.staff_b)
    for name, url in pages:
        assert client.get(url).status_code == 404, name
    client.force_login(world.staff_a)
    for name, url in pages:
        assert client.get(url).status_code == 200, name
    client.force_login(world.reviewer)
    for name, url in pages:
        if "form" in name:
            continue  # reviewers do not enter visits
        assert client.get(url).status_code == 200, name


def test_other_township_cannot_post_to_a_records_pages(world, client):
    records = records_in(world)
    client.force_login(world.staff_b)
    visit = records["visit"]
    assert client.post(reverse("households:visit_delete", args=[visit.pk])).status_code == 404
    assert (
        client.post(
            reverse("households:visit_edit", args=[visit.pk]), {"learned": "改掉"}
        ).status_code
        == 404
    )
    for key, prefix in ENTRY_URLS.items():
        response = client.post(reverse(f"{prefix}_delete", args=[records[key].pk]))
        assert response.status_code == 404, key
    visit.refresh_from_db()
    assert visit.learned == "了解情况"
    for key in ENTRY_URLS:
        obj = records[key]
        assert type(obj).objects.filter(pk=obj.pk).exists(), key


LIST_PAGES = [
    ("home", lambda w: reverse("home")),
    ("villages", lambda w: reverse("villages:list")),
    ("households", lambda w: reverse("households:list")),
    ("visit picker", lambda w: reverse("households:visit_create") + "?q=zs"),
    *[
        (f"activities {kind}", lambda w, kind=kind: reverse("pairing:activities") + f"?kind={kind}")
        for kind in ENTRY_URLS
    ],
]


@pytest.mark.parametrize("name,url_for", LIST_PAGES, ids=[n for n, _ in LIST_PAGES])
def test_list_pages_trio(world, client, name, url_for):
    records_in(world)
    url = url_for(world)
    assert_sent_to_login(client.get(url))
    client.force_login(world.staff_a)
    mine = client.get(url)
    assert mine.status_code == 200
    client.force_login(world.staff_b)
    theirs = client.get(url)
    assert theirs.status_code == 200
    text = theirs.content.decode()
    assert "张三" not in text and "甲村" not in text
    if name in ("villages", "households", "visit picker"):
        assert "张三" in mine.content.decode() or "甲村" in mine.content.decode()


def test_activity_lists_show_the_record_in_scope_only(world, client):
    records = records_in(world)
    for key in ENTRY_URLS:
        url = reverse("pairing:activities") + f"?kind={key}"
        detail = reverse(f"{ENTRY_URLS[key]}_detail", args=[records[key].pk])
        client.force_login(world.staff_a)
        assert detail in client.get(url).content.decode(), key
        client.force_login(world.staff_b)
        assert detail not in client.get(url).content.decode(), key


def test_unknown_activity_kind_is_404(world, client):
    client.force_login(world.staff_a)
    assert client.get(reverse("pairing:activities") + "?kind=nope").status_code == 404


def test_create_pages_for_each_role(world, client):
    urls = [reverse(f"{prefix}_create") for prefix in ENTRY_URLS.values()]
    urls.append(reverse("households:visit_create"))
    for url in urls:
        assert_sent_to_login(client.get(url))
    for user in (world.staff_a, world.cadre_user, world.admin):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    for user in (world.reviewer, world.coordinator):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (user, url)
            assert "无权" in response.content.decode()


def test_review_queue_is_for_reviewers(world, client):
    records = records_in(world)
    url = reverse("households:review_list")
    assert_sent_to_login(client.get(url))
    client.force_login(world.staff_a)
    assert client.get(url).status_code == 403
    review = reverse("households:visit_review", args=[records["visit"].pk])
    assert client.post(review, {"decision": "refuse"}).status_code == 403
    client.force_login(world.reviewer)
    assert client.get(url).status_code == 200


def test_the_window_closes_for_the_author_but_not_for_a_reviewer(world, client):
    records = records_in(world)
    later = timezone.now() + datetime.timedelta(days=8)
    with time_machine.travel(later):
        client.force_login(world.staff_a)
        for key, prefix in ENTRY_URLS.items():
            obj = records[key]
            assert client.get(reverse(f"{prefix}_edit", args=[obj.pk])).status_code == 403, key
            detail = client.get(reverse(f"{prefix}_detail", args=[obj.pk])).content.decode()
            assert "修改期限已过" in detail
        visit = records["visit"]
        assert client.get(reverse("households:visit_edit", args=[visit.pk])).status_code == 403
        client.force_login(world.reviewer)
        for key, prefix in ENTRY_URLS.items():
            obj = records[key]
            assert client.get(reverse(f"{prefix}_edit", args=[obj.pk])).status_code == 200, key


def test_a_colleague_in_the_same_township_sees_but_cannot_edit(world, client):
    from accounts.models import Role
    from tests.factories import UserFactory

    records = records_in(world)
    colleague = UserFactory(role=Role.TOWNSHIP_STAFF, region=world.township_a)
    client.force_login(colleague)
    training = records["training"]
    assert client.get(reverse("pairing:training_detail", args=[training.pk])).status_code == 200
    assert client.get(reverse("pairing:training_edit", args=[training.pk])).status_code == 403


def test_log_in_and_out_in_chinese(world, client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "登录" in page and "用户名" in page
    response = client.post(
        reverse("accounts:login"),
        {"username": world.staff_a.username, "password": "wrong-password"},
    )
    assert response.status_code == 200 and "正确的" in response.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"username": world.staff_a.username, "password": world.password},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    assert "退出" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("accounts:login")
    assert_sent_to_login(client.get(reverse("home")))


def test_home_works_for_every_role(world, client):
    records_in(world)
    for user in (
        world.staff_a,
        world.cadre_user,
        world.coordinator,
        world.reviewer,
        world.admin,
    ):
        client.force_login(user)
        response = client.get(reverse("home"), follow=True)
        assert response.status_code == 200, user.username
        if user == world.coordinator:  # a unit's coordinator works from their unit's page
            assert response.redirect_chain == [(reverse("pairing:my_unit"), 302)]
        visit_links = reverse("households:visit_create") in response.content.decode()
        assert visit_links == user.can_enter_work, user.username
