"""Writes through the API go through the page services: the same rules (credited visits, edit
window, scope, duplicates) with the API's status codes: 201 created, 200 replayed or changed,
204 deleted, 400 invalid, 403 role or window, 404 outside scope, 409 duplicate."""

import datetime
import io
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cadres.models import FieldDay
from households.models import CreditStatus, Visit
from inspections.models import RectificationItem, RectificationStatus
from notifications.models import Notification
from pairing.models import Meeting, PartyDay, StudyTrip, Training
from tests.api.conftest import token_client, url
from tests.factories import MeetingFactory, TrainingFactory, UnitFactory
from villages.models import VillageIncome

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def jpeg(name="photo.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (180, 40, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def visit_body(world, **overrides):
    body = {
        "household": world.household_a.pk,
        "visited_on": days_ago(1).isoformat(),
        "kind": "home",
        "learned": "了解生产生活情况，宣讲政策",
    }
    body.update(overrides)
    return body


class TestVisits:
    def test_staff_records_a_credited_visit(self, world):
        response = token_client(world.staff_a).post(url("visits"), visit_body(world), format="json")
        assert response.status_code == 201, response.content
        visit = Visit.objects.get()
        assert response.json()["id"] == visit.pk
        assert visit.credit_status == CreditStatus.CREDITED
        assert visit.helper == world.helper_a
        assert visit.household_pairing == world.household_a.pairings.get()
        assert visit.created_by == world.staff_a

    def test_photo_upload_and_download(self, world):
        client = token_client(world.staff_a)
        response = client.post(
            url("visits"), {**visit_body(world), "photos": [jpeg(), jpeg("b.jpg")]}
        )
        assert response.status_code == 201, response.content
        photos = response.json()["photos"]
        assert len(photos) == 2
        download = client.get(photos[0]["url"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content)[:2] == b"\xff\xd8"
        assert token_client(world.staff_b).get(photos[0]["url"]).status_code == 404

    def test_not_an_image_is_refused_and_nothing_written(self, world):
        fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
        response = token_client(world.staff_a).post(
            url("visits"), {**visit_body(world), "photos": [fake]}
        )
        assert response.status_code == 400
        assert "photos" in response.json()["errors"]
        assert not Visit.objects.exists()

    def test_submission_token_replay_returns_the_first_visit(self, world):
        client = token_client(world.staff_a)
        body = visit_body(world, submission_token=str(uuid.uuid4()))
        first = client.post(url("visits"), body, format="json")
        again = client.post(url("visits"), body, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert Visit.objects.count() == 1

    def test_submission_token_of_another_user_is_409(self, world):
        body = visit_body(world, submission_token=str(uuid.uuid4()))
        token_client(world.staff_a).post(url("visits"), body, format="json")
        response = token_client(world.admin).post(url("visits"), body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "duplicate"
        assert "submission_token" in response.json()["errors"]
        assert Visit.objects.count() == 1

    def test_second_visit_same_day_is_saved_but_not_counted(self, world):
        client = token_client(world.staff_a)
        client.post(url("visits"), visit_body(world), format="json")
        second = client.post(url("visits"), visit_body(world), format="json")
        assert second.status_code == 201
        assert second.json()["credit_status"] == CreditStatus.NOT_COUNTED
        assert Visit.objects.count() == 2

    def test_household_outside_scope_changes_nothing(self, world):
        response = token_client(world.staff_a).post(
            url("visits"), visit_body(world, household=world.household_b.pk), format="json"
        )
        assert response.status_code == 400
        assert "household" in response.json()["errors"]
        assert not Visit.objects.exists()

    def test_coordinator_may_not_enter_visits(self, world):
        response = token_client(world.coordinator).post(
            url("visits"), visit_body(world), format="json"
        )
        assert response.status_code == 403
        assert not Visit.objects.exists()

    def test_cadre_visit_is_always_their_own(self, world):
        response = token_client(world.cadre_user).post(
            url("visits"), visit_body(world, helper=None), format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["helper"] == world.helper_a.pk

    def test_edit_within_the_window_then_not(self, world):
        client = token_client(world.staff_a)
        visit_id = client.post(url("visits"), visit_body(world), format="json").json()["id"]
        changed = client.patch(url("visits", visit_id), {"problems": "缺劳力"}, format="json")
        assert changed.status_code == 200
        assert Visit.objects.get().problems == "缺劳力"
        assert (
            token_client(world.staff_b)
            .patch(url("visits", visit_id), {"problems": "x"}, format="json")
            .status_code
            == 404
        )
        with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
            late = token_client(world.staff_a).patch(
                url("visits", visit_id), {"problems": "迟到的修改"}, format="json"
            )
            assert late.status_code == 403
            assert late.json()["code"] == "permission_denied"
            assert "期限" in late.json()["detail"]
        assert Visit.objects.get().problems == "缺劳力"
        assert client.delete(url("visits", visit_id)).status_code == 204
        assert not Visit.objects.exists()

    def test_patch_refuses_fields_it_cannot_change(self, world):
        client = token_client(world.staff_a)
        visit_id = client.post(url("visits"), visit_body(world), format="json").json()["id"]
        response = client.patch(
            url("visits", visit_id), {"household": world.household_a.pk}, format="json"
        )
        assert response.status_code == 400
        assert "household" in response.json()["errors"]

    def test_reviewer_decides_a_held_visit(self, world):
        far = visit_body(world, latitude=39.9, longitude=116.4)  # Beijing, far from the village
        visit_id = token_client(world.staff_a).post(url("visits"), far, format="json").json()["id"]
        assert Visit.objects.get().credit_status == CreditStatus.REVIEW
        assert (
            token_client(world.staff_a)
            .post(url("visits", visit_id) + "review/", {"accept": True}, format="json")
            .status_code
            == 403
        )
        response = token_client(world.reviewer).post(
            url("visits", visit_id) + "review/", {"accept": True, "note": "核实"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["credit_status"] == CreditStatus.CREDITED


class TestEntries:
    def test_training_create_change_delete(self, world):
        client = token_client(world.staff_a)
        body = {
            "kind": "night_school",
            "title": "农民夜校：养殖技术",
            "held_on": days_ago(2).isoformat(),
            "village": world.village_a.pk,
            "attendance": 30,
            "village_cadres_trained": 3,
        }
        created = client.post(url("trainings"), body, format="json")
        assert created.status_code == 201, created.content
        training_id = created.json()["id"]
        assert created.json()["village_name"] == world.village_a.name
        changed = client.patch(url("trainings", training_id), {"attendance": 2}, format="json")
        assert changed.status_code == 400  # fewer attendees than village cadres trained
        assert "village_cadres_trained" in changed.json()["errors"]
        assert Training.objects.get().attendance == 30
        assert client.delete(url("trainings", training_id)).status_code == 204

    def test_training_in_another_township_changes_nothing(self, world):
        body = {
            "kind": "night_school",
            "title": "夜校",
            "held_on": days_ago(2).isoformat(),
            "village": world.village_b.pk,
        }
        response = token_client(world.staff_a).post(url("trainings"), body, format="json")
        assert response.status_code == 400
        assert "village" in response.json()["errors"]
        assert not Training.objects.exists()
        other = TrainingFactory(village=world.village_b)
        response = token_client(world.staff_a).patch(
            url("trainings", other.pk), {"title": "改"}, format="json"
        )
        assert response.status_code == 404
        assert Training.objects.get(pk=other.pk).title == other.title

    def test_future_training_is_refused(self, world):
        body = {
            "kind": "night_school",
            "title": "夜校",
            "held_on": days_ago(-3).isoformat(),
            "village": world.village_a.pk,
        }
        response = token_client(world.staff_a).post(url("trainings"), body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"]["held_on"] == ["日期不能晚于今天。"]

    def test_meeting(self, world):
        body = {
            "kind": "special",
            "title": "专题研究帮扶工作",
            "held_on": days_ago(1).isoformat(),
            "village": world.village_a.pk,
            "unit": world.unit.pk,
            "leader_level": "principal",
        }
        response = token_client(world.staff_a).post(url("meetings"), body, format="json")
        assert response.status_code == 201, response.content
        assert Meeting.objects.get().created_by == world.staff_a

    def test_reviewer_cannot_enter_but_can_edit_later(self, world):
        body = {
            "kind": "special",
            "title": "专题会议",
            "held_on": days_ago(1).isoformat(),
            "village": world.village_a.pk,
        }
        assert (
            token_client(world.reviewer).post(url("meetings"), body, format="json").status_code
            == 403
        )
        meeting = MeetingFactory(village=world.village_a, created_by=world.staff_a)
        response = token_client(world.reviewer).patch(
            url("meetings", meeting.pk), {"title": "联席会议"}, format="json"
        )
        assert response.status_code == 200

    def test_field_day_once_per_cadre_and_day(self, world):
        client = token_client(world.staff_a)
        body = {
            "cadre": world.helper_a.pk,
            "region": world.village_a.region_id,
            "day": days_ago(1).isoformat(),
        }
        assert client.post(url("field-days"), body, format="json").status_code == 201
        again = client.post(url("field-days"), body, format="json")
        assert again.status_code == 409
        assert again.json()["code"] == "duplicate"
        assert again.json()["errors"]["day"] == ["该干部这一天已登记过在岗天数。"]
        assert FieldDay.objects.count() == 1

    def test_cadre_records_own_field_day(self, world):
        from tests.factories import TermFactory

        TermFactory(cadre=world.helper_a, village=world.village_a)
        body = {"region": world.village_a.region_id, "day": days_ago(1).isoformat()}
        response = token_client(world.cadre_user).post(url("field-days"), body, format="json")
        assert response.status_code == 201, response.content
        assert FieldDay.objects.get().cadre == world.helper_a

    def test_party_day_once_per_village_and_day(self, world):
        client = token_client(world.staff_a)
        body = {"village": world.village_a.pk, "held_on": days_ago(1).isoformat(), "theme": "党日"}
        assert client.post(url("party-days"), body, format="json").status_code == 201
        assert client.post(url("party-days"), body, format="json").status_code == 409
        assert PartyDay.objects.count() == 1

    def test_study_trip(self, world):
        body = {
            "unit": world.unit.pk,
            "village": world.village_a.pk,
            "started_on": days_ago(5).isoformat(),
            "days": 3,
            "destination": "浙江安吉",
        }
        response = token_client(world.staff_a).post(url("study-trips"), body, format="json")
        assert response.status_code == 201, response.content
        assert StudyTrip.objects.get().days == 3

    def test_entry_dates_before_2000_are_refused(self, world):
        body = {
            "unit": UnitFactory().pk,
            "village": world.village_a.pk,
            "started_on": "1999-12-31",
            "destination": "浙江",
        }
        response = token_client(world.staff_a).post(url("study-trips"), body, format="json")
        assert response.status_code == 400
        assert "started_on" in response.json()["errors"]


class TestVillageIncome:
    def test_one_figure_per_village_and_year(self, world):
        client = token_client(world.staff_a)
        body = {"village": world.village_a.pk, "year": 2025, "amount": "23000.50"}
        created = client.post(url("village-incomes"), body, format="json")
        assert created.status_code == 201, created.content
        again = client.post(url("village-incomes"), {**body, "amount": "1"}, format="json")
        assert again.status_code == 409
        assert "year" in again.json()["errors"]
        changed = client.patch(
            url("village-incomes", created.json()["id"]), {"amount": "25000"}, format="json"
        )
        assert changed.status_code == 200
        assert str(VillageIncome.objects.get().amount) == "25000.00"
        village = client.get(url("villages", world.village_a.pk)).json()
        assert village["incomes"][0]["year"] == 2025

    def test_negative_amount_and_bad_year(self, world):
        body = {"village": world.village_a.pk, "year": 1990, "amount": "-5"}
        response = token_client(world.staff_a).post(url("village-incomes"), body, format="json")
        assert response.status_code == 400
        assert {"year", "amount"} <= set(response.json()["errors"])
        assert not VillageIncome.objects.exists()


class TestRectification:
    def _item(self, world):
        return RectificationItem.objects.create(
            village=world.village_a,
            problem="走访记录不全",
            task="补齐",
            deadline=days_ago(-10),
            responsible_person=world.staff_a,
        )

    def test_evidence_submit_close(self, world):
        item = self._item(world)
        staff = token_client(world.staff_a)
        early = staff.post(url("rectifications", item.pk) + "submit/", {}, format="json")
        assert early.status_code == 400  # evidence first
        uploaded = staff.post(
            url("rectifications", item.pk) + "evidence/", {"file": jpeg(), "note": "补齐的记录"}
        )
        assert uploaded.status_code == 200, uploaded.content
        submitted = staff.post(
            url("rectifications", item.pk) + "submit/", {"note": "已整改"}, format="json"
        )
        assert submitted.json()["status"] == RectificationStatus.SUBMITTED
        assert (
            staff.post(url("rectifications", item.pk) + "close/", {}, format="json").status_code
            == 403
        )
        closed = token_client(world.reviewer).post(
            url("rectifications", item.pk) + "close/", {}, format="json"
        )
        assert closed.status_code == 200
        assert closed.json()["status"] == RectificationStatus.CLOSED
        reopen = token_client(world.reviewer).post(
            url("rectifications", item.pk) + "reopen/", {}, format="json"
        )
        assert reopen.status_code == 400 and "reason" in reopen.json()["errors"]

    def test_other_township_cannot_touch_it(self, world):
        item = self._item(world)
        response = token_client(world.staff_b).post(
            url("rectifications", item.pk) + "evidence/", {"file": jpeg()}
        )
        assert response.status_code == 404
        assert not item.evidence.exists()


class TestNotifications:
    def test_mark_read_and_read_all(self, world):
        mine = [
            Notification.objects.create(
                recipient=world.staff_a, kind="other", subject_key=f"k{i}", period="p", title="t"
            )
            for i in range(3)
        ]
        theirs = Notification.objects.create(
            recipient=world.staff_b, kind="other", subject_key="k", period="p", title="t"
        )
        client = token_client(world.staff_a)
        response = client.post(url("notifications", mine[0].pk) + "read/")
        assert response.status_code == 200 and response.json()["read_at"]
        assert client.post(url("notifications", theirs.pk) + "read/").status_code == 404
        assert client.get(url("notifications"), {"unread": "true"}).json()["count"] == 2
        assert client.post(url("notifications") + "read-all/").json() == {"marked": 2}
        theirs.refresh_from_db()
        assert theirs.read_at is None
