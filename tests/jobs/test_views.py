"""The pages: the permission trio on each, the reviewer's flow, query-count pins."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.models import Inspection, RectificationItem, SpotCheckDraw
from inspections.services import inspection_record, spot_check_draw
from notifications.models import Notification, NotificationKind
from notifications.services import reminders_run
from tests.factories import HouseholdFactory, HouseholdPairingFactory, UserFactory
from tests.jobs.conftest import SUNDAY, make_item

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def draw(world):
    return spot_check_draw(
        region=world.county, quarter="2026Q4", drawn_by=world.reviewer, share="1", seed=7
    )


@pytest.fixture
def item(world):
    return make_item(
        world,
        deadline=timezone.localdate() - datetime.timedelta(days=4),
        person=world.cadre_user,
    )


# --- draws: reviewers only -------------------------------------------------------------------
def test_draw_pages_are_for_reviewers_only(client, world, draw):
    pages = [
        reverse("inspections:draw_list"),
        reverse("inspections:draw_detail", args=[draw.pk]),
        reverse("inspections:inspection_record", args=[draw.items.first().pk]),
        reverse("inspections:overdue_overview"),
    ]
    for url in pages:
        assert login(client, world.reviewer).get(url).status_code == 200
        for outsider in (world.staff_a, world.staff_b, world.cadre_user, world.coordinator):
            assert login(client, outsider).get(url).status_code == 404, (url, outsider)
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_reviewer_of_another_county_gets_404_for_the_draw(client, world, draw):
    from tests.factories import make_county

    elsewhere = UserFactory(username="rev_else", role="reviewer", region=make_county("别县"))
    url = reverse("inspections:draw_detail", args=[draw.pk])
    assert login(client, elsewhere).get(url).status_code == 404


def test_reviewer_draws_rechecks_and_voids_from_the_page(client, world):
    login(client, world.reviewer)
    response = client.post(
        reverse("inspections:draw_list"),
        {
            "region": world.county.pk,
            "quarter": "2026Q4",
            "share": "0.5",
            "households_per_village": 1,
        },
    )
    draw = SpotCheckDraw.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/draws/{draw.pk}/")
    assert draw.drawn_by == world.reviewer
    page = client.get(response["Location"])
    assert str(draw.seed) in page.content.decode()
    recheck = client.post(reverse("inspections:draw_recheck", args=[draw.pk]))
    assert "复核一致" in recheck.content.decode()
    again = client.post(
        reverse("inspections:draw_list"),
        {
            "region": world.county.pk,
            "quarter": "2026Q4",
            "share": "0.5",
            "households_per_village": 0,
        },
    )
    assert again.status_code == 200 and "已有抽查结果" in again.content.decode()
    no_reason = client.post(reverse("inspections:draw_void", args=[draw.pk]), {"reason": ""})
    assert no_reason.status_code == 400 and "该字段是必填项" in no_reason.content.decode()
    voided = client.post(reverse("inspections:draw_void", args=[draw.pk]), {"reason": "参数填错"})
    assert voided.status_code == 302
    draw.refresh_from_db()
    assert draw.voided and draw.void_reason == "参数填错"


def test_bad_draw_input_is_a_chinese_error_not_a_500(client, world):
    login(client, world.reviewer)
    response = client.post(
        reverse("inspections:draw_list"),
        {
            "region": world.county.pk,
            "quarter": "四季度",
            "share": "2",
            "households_per_village": "x",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "季度格式" in body or "抽查比例" in body
    assert not SpotCheckDraw.objects.exists()


def test_staff_cannot_draw_by_posting(client, world):
    response = login(client, world.staff_a).post(
        reverse("inspections:draw_list"), {"region": world.county.pk, "quarter": "2026Q4"}
    )
    assert response.status_code == 404
    assert not SpotCheckDraw.objects.exists()


def test_draw_pages_query_counts_do_not_grow_with_the_sample(
    client, world, draw, django_assert_max_num_queries
):
    for item in draw.items.all():
        inspection_record(
            item=item, inspector=world.reviewer, inspected_on=timezone.localdate(), no_problem=True
        )
    login(client, world.reviewer)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inspections:draw_detail", args=[draw.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("inspections:draw_list")).status_code == 200


def test_recording_an_inspection_then_its_rectification_item(client, world, draw):
    login(client, world.reviewer)
    target = draw.items.get(village=world.village_a, household__isnull=True)
    response = client.post(
        reverse("inspections:inspection_record", args=[target.pk]),
        {"inspected_on": timezone.localdate().isoformat(), "findings": "一户一策未更新"},
    )
    inspection = Inspection.objects.get(item=target)
    assert response["Location"] == reverse("inspections:rectification_create", args=[inspection.pk])
    form = client.get(response["Location"])
    assert "一户一策未更新" in form.content.decode()
    created = client.post(
        response["Location"],
        {
            "problem": "一户一策未更新",
            "task": "更新一户一策",
            "responsible_unit": world.unit.pk,
            "responsible_person": world.cadre_user.pk,
            "deadline": (timezone.localdate() + datetime.timedelta(days=15)).isoformat(),
        },
    )
    item = RectificationItem.objects.get()
    assert created["Location"] == reverse("inspections:rectification_detail", args=[item.pk])
    assert item.inspection == inspection and item.responsible_person == world.cadre_user


# --- rectification: everyone, in scope -------------------------------------------------------
def test_rectification_list_in_scope(client, world, item, django_assert_max_num_queries):
    url = reverse("inspections:rectification_list")
    for _ in range(5):
        make_item(world, deadline=timezone.localdate(), person=world.cadre_user)
    for user in (world.reviewer, world.staff_a, world.coordinator, world.cadre_user):
        login(client, user)
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert item.problem in response.content.decode(), user
    other = login(client, world.staff_b).get(url)
    assert other.status_code == 200 and item.problem not in other.content.decode()
    client.logout()
    assert client.get(url).status_code == 302


def test_responsible_person_outside_the_scope_still_sees_their_item(client, world):
    outsider_item = make_item(
        world,
        deadline=timezone.localdate(),
        village=world.village_b,
        unit=None,
        person=world.cadre_user,
        problem="乙村问题",
    )
    login(client, world.cadre_user)
    assert "乙村问题" in client.get(reverse("inspections:rectification_list")).content.decode()
    detail = client.get(reverse("inspections:rectification_detail", args=[outsider_item.pk]))
    assert detail.status_code == 200


def test_rectification_list_filters(client, world, item):
    make_item(
        world, deadline=timezone.localdate() + datetime.timedelta(days=9), problem="未逾期事项"
    )
    login(client, world.reviewer)
    body = client.get(
        reverse("inspections:rectification_list"), {"overdue": "true"}
    ).content.decode()
    assert item.problem in body and "未逾期事项" not in body
    body = client.get(reverse("inspections:rectification_list"), {"q": "未逾期"}).content.decode()
    assert "未逾期事项" in body and item.problem not in body


def test_rectification_detail_trio(client, world, item):
    url = reverse("inspections:rectification_detail", args=[item.pk])
    assert login(client, world.staff_a).get(url).status_code == 200
    assert login(client, world.cadre_user).get(url).status_code == 200
    assert login(client, world.staff_b).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "evidence.png"
    return buffer


def test_item_followed_to_closing_through_the_pages(
    client, world, item, other_reviewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    action = lambda name: reverse("inspections:rectification_action", args=[item.pk, name])  # noqa: E731
    login(client, world.cadre_user)
    refused = client.post(action("submit"), {"note": ""})
    assert refused.status_code == 400 and "请先上传整改佐证材料" in refused.content.decode()
    assert client.post(action("evidence"), {"file": _png(), "note": "照片"}).status_code == 302
    evidence = item.evidence.get()
    download = reverse("inspections:evidence_download", args=[evidence.pk])
    assert client.get(download).status_code == 200
    assert login(client, world.staff_b).get(download).status_code == 404
    login(client, world.cadre_user)
    assert client.post(action("submit"), {"note": "已整改"}).status_code == 302
    # The responsible person is not offered, nor allowed, the closing.
    page = client.get(reverse("inspections:rectification_detail", args=[item.pk])).content.decode()
    assert "审核通过，销号" not in page
    denied = client.post(action("close"), {"closed_on": timezone.localdate().isoformat()})
    assert denied.status_code == 400
    login(client, other_reviewer)
    closed = client.post(action("close"), {"closed_on": timezone.localdate().isoformat()})
    assert closed.status_code == 302
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == other_reviewer


def test_unknown_action_is_404(client, world, item):
    url = reverse("inspections:rectification_action", args=[item.pk, "delete"])
    assert login(client, world.reviewer).post(url).status_code == 404


def test_overdue_overview_by_unit(client, world, item):
    response = login(client, world.reviewer).get(reverse("inspections:overdue_overview"))
    assert world.unit.name in response.content.decode()
    assert response.context["total_overdue"] == 1


# --- notifications ---------------------------------------------------------------------------
@pytest.fixture
def reminded(world):
    for _ in range(3):
        HouseholdPairingFactory(
            household=HouseholdFactory(village=world.village_a), helper=world.helper_a
        )
    reminders_run(on=SUNDAY, kinds=[NotificationKind.WEEKLY_VISIT])
    return Notification.objects.get(kind=NotificationKind.DIGEST, recipient=world.cadre_user)


def test_bell_shows_the_unread_count_in_one_query(client, world, reminded):
    login(client, world.cadre_user)
    body = client.get(reverse("notifications:list")).content.decode()
    assert 'class="bell-count">1<' in body
    from django.test import RequestFactory

    from notifications.context_processors import unread

    request = RequestFactory().get("/")
    request.user = world.cadre_user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert unread(request) == {"unread_notifications": 1}
    assert len(queries) == 1


def test_notification_list_and_detail_are_ones_own(
    client, world, reminded, django_assert_max_num_queries
):
    login(client, world.cadre_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notifications:list"))
    assert reminded.title in response.content.decode()
    detail = client.get(reverse("notifications:detail", args=[reminded.pk]))
    assert detail.status_code == 200 and "本周尚未入户走访" in detail.content.decode()
    reminded.refresh_from_db()
    assert reminded.read_at is not None and not reminded.items.filter(read_at=None).exists()
    for outsider in (world.coordinator, world.reviewer):
        assert (
            login(client, outsider)
            .get(reverse("notifications:detail", args=[reminded.pk]))
            .status_code
            == 404
        )
    client.logout()
    assert client.get(reverse("notifications:list")).status_code == 302


def test_mark_read_and_mark_all_read(client, world, reminded):
    login(client, world.coordinator)
    theirs = Notification.objects.get(kind=NotificationKind.DIGEST, recipient=world.coordinator)
    # Someone else's notification: 404 and unchanged.
    assert client.post(reverse("notifications:mark_read", args=[reminded.pk])).status_code == 404
    reminded.refresh_from_db()
    assert reminded.read_at is None
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is not None
    login(client, world.cadre_user)
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
    assert not Notification.objects.filter(recipient=world.cadre_user, read_at=None).exists()
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
