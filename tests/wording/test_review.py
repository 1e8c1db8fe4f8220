"""The review queue (issue 15): it names the household and the author, filters by village and
by the reason a visit is held, and accepts or refuses a selection at once with one reason —
the one review service per visit, in one transaction, all or nothing; the API too."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from households.models import CreditStatus, Visit
from households.services import HOLD_DISTANCE, HOLD_PHOTO_TIME, visit_hold_reasons, visits_review
from tests.factories import VillageFactory
from tests.wording.conftest import held_visit, second_household

pytestmark = pytest.mark.django_db

QUEUE = "households:review_list"
BULK = "households:visits_review"


def statuses(*visits):
    return [Visit.objects.get(pk=v.pk).credit_status for v in visits]


class TestService:
    def test_accepts_a_selection_with_one_note(self, world):
        one = held_visit(world)
        two = held_visit(world, household=second_household(world))
        assert (
            visits_review(
                user=world.reviewer, visit_ids=[one.pk, two.pk], accept=True, note="电话核实在村"
            )
            == 2
        )
        for visit in (one, two):
            visit.refresh_from_db()
            assert visit.credit_status == CreditStatus.CREDITED
            assert visit.reviewed_by == world.reviewer
            assert "电话核实在村" in visit.credit_reason

    def test_refusal_needs_a_reason(self, world):
        one = held_visit(world)
        with pytest.raises(ValidationError) as info:
            visits_review(user=world.reviewer, visit_ids=[one.pk], accept=False, note="  ")
        assert "note" in info.value.message_dict
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_a_visit_outside_scope_writes_nothing(self, world):
        mine = held_visit(world)
        other = held_visit(world, household=world.household_b, author=world.staff_b)
        with pytest.raises(Http404):
            visits_review(
                user=world.staff_a.__class__.objects.get(pk=world.reviewer.pk),
                visit_ids=[mine.pk, other.pk + 10_000],
                accept=True,
            )
        assert statuses(mine, other) == [CreditStatus.REVIEW, CreditStatus.REVIEW]

    def test_all_or_nothing_when_one_visit_fails(self, world):
        one = held_visit(world)
        # A visit whose state the review rule refuses (not held, never credited) stops the lot.
        stale = held_visit(world, household=second_household(world))
        Visit.objects.filter(pk=stale.pk).update(credit_status=CreditStatus.NOT_COUNTED)
        with pytest.raises(ValidationError) as info:
            visits_review(user=world.reviewer, visit_ids=[one.pk, stale.pk], accept=True)
        assert "王五" in " ".join(info.value.message_dict["visits"])
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_only_reviewers(self, world):
        one = held_visit(world)
        with pytest.raises(PermissionDenied):
            visits_review(user=world.staff_a, visit_ids=[one.pk], accept=True)
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_hold_reasons_are_the_crediting_checks(self, world):
        far = held_visit(world, reason="distance")
        photo = held_visit(world, reason="photo_time", household=second_household(world))
        assert visit_hold_reasons(far) == {HOLD_DISTANCE}
        assert visit_hold_reasons(photo) == {HOLD_PHOTO_TIME}


class TestQueuePage:
    def test_names_household_village_and_author(self, world, client):
        visit = held_visit(world)
        client.force_login(world.reviewer)
        page = client.get(reverse(QUEUE)).content.decode()
        assert "张三户" in page and "甲村" in page
        assert f"填报人：{world.staff_a.display_name}" in page
        assert f'name="visits" value="{visit.pk}"' in page
        assert "审核所选走访" in page

    def test_filters_by_village_and_reason(self, world, client):
        far = held_visit(world, reason="distance")
        photo = held_visit(world, reason="photo_time", household=second_household(world))
        other_village = VillageFactory(township=world.township_a, name="丙村")
        elsewhere = held_visit(world, household=second_household(world, "赵六"), reason="distance")
        Visit.objects.filter(pk=elsewhere.pk).update(village=other_village)
        elsewhere.household.village = other_village
        elsewhere.household.save()
        client.force_login(world.reviewer)

        def shown(**params):
            page = client.get(reverse(QUEUE), params).content.decode()
            return {v.pk for v in (far, photo, elsewhere) if f'id="visit-{v.pk}"' in page}

        assert shown() == {far.pk, photo.pk, elsewhere.pk}
        assert shown(reason=HOLD_PHOTO_TIME) == {photo.pk}
        assert shown(reason=HOLD_DISTANCE) == {far.pk, elsewhere.pk}
        assert shown(village=other_village.pk) == {elsewhere.pk}
        assert shown(village=world.village_a.pk, reason=HOLD_DISTANCE) == {far.pk}
        page = client.get(reverse(QUEUE)).content.decode()
        assert "待审核原因" in page and "照片时间不符" in page and "定位距村过远" in page

    def test_other_townships_village_is_not_a_choice(self, world, client):
        client.force_login(world.reviewer)
        held_visit(world)
        user = world.staff_a
        user.role = world.reviewer.role
        user.save()
        client.force_login(user)
        page = client.get(reverse(QUEUE)).content.decode()
        assert "乙村" not in page

    def test_queue_queries_are_pinned(self, world, client, django_assert_max_num_queries):
        for n in range(6):
            held_visit(world, household=second_household(world, f"户{n}"), reason="photo_time")
        client.force_login(world.reviewer)
        with django_assert_max_num_queries(14):
            assert client.get(reverse(QUEUE)).status_code == 200
        with django_assert_max_num_queries(16):
            assert client.get(reverse(QUEUE), {"reason": HOLD_PHOTO_TIME}).status_code == 200


class TestBulkPage:
    def test_reviewer_refuses_a_selection_with_one_reason(self, world, client):
        one = held_visit(world)
        two = held_visit(world, household=second_household(world))
        keep = held_visit(world, household=second_household(world, "赵六"))
        client.force_login(world.reviewer)
        response = client.post(
            reverse(BULK),
            {"visits": [one.pk, two.pk], "decision": "refuse", "note": "定位不在村内"},
        )
        assert response.status_code == 302 and response.url.startswith(reverse(QUEUE))
        assert statuses(one, two, keep) == [
            CreditStatus.REJECTED,
            CreditStatus.REJECTED,
            CreditStatus.REVIEW,
        ]
        assert "定位不在村内" in Visit.objects.get(pk=one.pk).credit_reason
        page = client.get(response.url).content.decode()
        assert "已审核 2 条走访" in page

    def test_refusal_without_reason_is_a_field_error_and_keeps_the_ticks(self, world, client):
        one = held_visit(world)
        client.force_login(world.reviewer)
        response = client.post(reverse(BULK), {"visits": [one.pk], "decision": "refuse"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "不予计入须填写理由" in page
        assert f'value="{one.pk}" form="bulk-review" checked' in page
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_nothing_ticked(self, world, client):
        held_visit(world)
        client.force_login(world.reviewer)
        response = client.post(reverse(BULK), {"decision": "accept"})
        assert response.status_code == 400
        assert "请至少选择一条走访" in response.content.decode()

    def test_township_staff_may_not(self, world, client):
        one = held_visit(world)
        client.force_login(world.staff_a)
        assert client.get(reverse(QUEUE)).status_code == 403
        response = client.post(reverse(BULK), {"visits": [one.pk], "decision": "accept"})
        assert response.status_code == 403
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_other_township_visit_is_404_and_nothing_written(self, world, client):
        from tests.factories import UserFactory

        mine = held_visit(world)
        other = held_visit(world, household=world.household_b, author=world.staff_b)
        township_reviewer = UserFactory(
            username="rev_a", role=world.reviewer.role, region=world.township_a
        )
        client.force_login(township_reviewer)
        response = client.post(reverse(BULK), {"visits": [mine.pk, other.pk], "decision": "accept"})
        assert response.status_code == 404
        assert statuses(mine, other) == [CreditStatus.REVIEW, CreditStatus.REVIEW]


class TestBulkApi:
    URL = "/api/v1/visits/review/"

    def test_reviewer_accepts_a_selection(self, world, client):
        one = held_visit(world)
        two = held_visit(world, household=second_household(world))
        client.force_login(world.reviewer)
        response = client.post(
            self.URL, {"visits": [one.pk, two.pk], "accept": True}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"reviewed": 2}
        assert statuses(one, two) == [CreditStatus.CREDITED, CreditStatus.CREDITED]

    def test_refusal_without_note_is_a_field_error(self, world, client):
        one = held_visit(world)
        client.force_login(world.reviewer)
        response = client.post(
            self.URL, {"visits": [one.pk], "accept": False}, content_type="application/json"
        )
        assert response.status_code == 400
        assert "note" in response.json()["errors"]
        assert statuses(one) == [CreditStatus.REVIEW]

    def test_staff_403_and_other_township_404(self, world, client):
        from tests.factories import UserFactory

        mine = held_visit(world)
        other = held_visit(world, household=world.household_b, author=world.staff_b)
        client.force_login(world.staff_a)
        body = {"visits": [mine.pk], "accept": True}
        assert client.post(self.URL, body, content_type="application/json").status_code == 403
        client.force_login(
            UserFactory(username="rev_a", role=world.reviewer.role, region=world.township_a)
        )
        body = {"visits": [mine.pk, other.pk], "accept": True}
        assert client.post(self.URL, body, content_type="application/json").status_code == 404
        assert statuses(mine, other) == [CreditStatus.REVIEW, CreditStatus.REVIEW]


class TestRefusedPageKeepsTheFilter:
    def test_the_filtered_queue_is_shown_again(self, world, client):
        far = held_visit(world)
        photo = held_visit(world, household=second_household(world), reason="photo_time")
        client.force_login(world.reviewer)
        response = client.post(
            reverse(BULK),
            {"visits": [far.pk], "decision": "refuse", "query": f"reason={HOLD_DISTANCE}"},
        )
        page = response.content.decode()
        assert response.status_code == 400
        assert f'id="visit-{far.pk}"' in page and f'id="visit-{photo.pk}"' not in page
        # a link of that page (filter, pagination) comes back to the queue
        back = client.get(reverse(BULK), {"reason": HOLD_DISTANCE, "page": 1})
        assert back.status_code == 302
        assert back.url == reverse(QUEUE) + f"?reason={HOLD_DISTANCE}&page=1"
