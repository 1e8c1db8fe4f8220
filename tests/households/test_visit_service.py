"""The visit service (households/services.py): the credited-visit rules of issue #3, scope,
uploads, idempotent submissions, editing within the window and the reviewer's decision.
The browser form and the API both go through these functions, so the rules are tested here
once, not per page."""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone
from PIL import Image

from households.models import CreditStatus, PairingRule, Visit, VisitKind, VisitPhoto
from households.services import (
    distance_metres,
    photo_check,
    visit_delete,
    visit_record,
    visit_review,
    visit_update,
)
from tests.factories import (
    HouseholdFactory,
    HouseholdPairingFactory,
    MeasureFactory,
    PairingFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def today():
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def jpeg(name="photo.jpg", taken: datetime.datetime | None = None, size=(16, 12)):
    """A real JPEG; with `taken`, an EXIF DateTimeOriginal as a phone camera writes it."""
    image = Image.new("RGB", size, (180, 40, 40))
    buffer = io.BytesIO()
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def record(world, **overrides):
    values = {
        "user": world.staff_a,
        "household": world.household_a,
        "helper": world.helper_a,
        "visited_on": days_ago(1),
        "learned": "了解生产生活情况，宣讲政策",
    }
    values.update(overrides)
    return visit_record(**values)


class TestDates:
    def test_a_normal_visit_counts(self, world):
        visit = record(world)
        assert visit.credit_status == CreditStatus.CREDITED
        assert visit.credit_reason == ""
        assert visit.household_pairing is not None
        assert visit.village == world.village_a and visit.path == world.village_a.path

    def test_date_defaults_to_today(self, world):
        visit = record(world, visited_on=None)
        assert visit.visited_on == today()

    def test_future_date_is_refused_and_nothing_written(self, world):
        with pytest.raises(ValidationError) as info:
            record(world, visited_on=today() + datetime.timedelta(days=1))
        assert info.value.message_dict["visited_on"] == ["走访日期不能晚于今天。"]
        assert not Visit.objects.exists()

    def test_before_pairing_start_is_saved_but_not_counted(self, world):
        pairing = world.household_a.pairings.get()
        visit = record(world, visited_on=pairing.start_date - datetime.timedelta(days=1))
        assert visit.pk
        assert visit.credit_status == CreditStatus.NOT_COUNTED
        assert visit.pairing_rule == PairingRule.BEFORE_START
        assert "早于走访人与该户结对的开始日期" in visit.credit_reason
        assert pairing.start_date.isoformat() in visit.credit_reason

    def test_before_the_visiting_helpers_own_pairing_is_not_counted(self, world):
        """The household was paired with helper A long ago; helper B joined last week."""
        HouseholdPairingFactory(
            household=world.household_a, helper=world.helper_b, start_date=days_ago(7)
        )
        visit = record(world, helper=world.helper_b, visited_on=days_ago(10), user=world.admin)
        assert visit.credit_status == CreditStatus.NOT_COUNTED
        assert days_ago(7).isoformat() in visit.credit_reason

    def test_household_without_any_pairing_is_not_counted(self, world):
        lonely = HouseholdFactory(village=world.village_a, head_name="王五")
        visit = record(world, household=lonely)
        assert visit.credit_status == CreditStatus.NOT_COUNTED
        assert visit.pairing_rule == PairingRule.NOT_PAIRED
        assert "未与该户结对" in visit.credit_reason


class TestOnePerDay:
    def test_second_visit_same_helper_household_day_is_not_counted(self, world):
        first = record(world)
        second = record(world, learned="下午又去了一次")
        assert first.credit_status == CreditStatus.CREDITED
        assert second.credit_status == CreditStatus.NOT_COUNTED
        assert "不重复计入" in second.credit_reason
        assert Visit.objects.counted().count() == 1

    def test_another_day_counts_again(self, world):
        record(world, visited_on=days_ago(2))
        assert record(world, visited_on=days_ago(1)).credit_status == CreditStatus.CREDITED
        assert Visit.objects.counted().count() == 2


class TestPhotosAndPlace:
    def test_exif_more_than_a_day_away_holds_the_visit_for_review(self, world):
        taken = timezone.localtime() - datetime.timedelta(days=20)
        visit = record(world, photos=[jpeg(taken=taken.replace(tzinfo=None))])
        assert visit.credit_status == CreditStatus.REVIEW
        assert "拍摄时间" in visit.credit_reason and "超过1天" in visit.credit_reason
        photo = visit.photos.get()
        assert timezone.localtime(photo.taken_at).date() == taken.date()
        assert photo.image.name.startswith("visits/")

    def test_exif_within_a_day_counts(self, world):
        taken = datetime.datetime.combine(days_ago(2), datetime.time(18, 30))
        visit = record(world, photos=[jpeg(taken=taken)])
        assert visit.credit_status == CreditStatus.CREDITED

    def test_photo_without_exif_counts(self, world):
        visit = record(world, photos=[jpeg(), jpeg("second.jpg")])
        assert visit.credit_status == CreditStatus.CREDITED
        assert visit.photos.count() == 2
        assert all(p.taken_at is None for p in visit.photos.all())

    def test_coordinates_far_from_the_village_hold_the_visit(self, world, settings):
        settings.VISIT_MAX_DISTANCE_METRES = 3000
        # The village factory puts villages at 32.23 N, 106.29 E; 0.1 degree north is ~11 km.
        visit = record(world, latitude=Decimal("32.330000"), longitude=Decimal("106.290000"))
        assert visit.credit_status == CreditStatus.REVIEW
        assert "公里" in visit.credit_reason

    def test_coordinates_near_the_village_count_and_are_rounded(self, world):
        visit = record(world, latitude="32.2312345678", longitude="106.2901234567")
        assert visit.credit_status == CreditStatus.CREDITED
        assert visit.latitude == Decimal("32.231235")
        visit.refresh_from_db()
        assert visit.longitude == Decimal("106.290123")

    def test_radius_is_a_setting(self, world, settings):
        settings.VISIT_MAX_DISTANCE_METRES = 20_000
        visit = record(world, latitude=Decimal("32.330000"), longitude=Decimal("106.290000"))
        assert visit.credit_status == CreditStatus.CREDITED

    def test_half_coordinates_and_out_of_range_are_refused(self, world):
        with pytest.raises(ValidationError) as info:
            record(world, latitude=Decimal("32.2"))
        assert "longitude" in info.value.message_dict
        with pytest.raises(ValidationError) as info:
            record(world, latitude=Decimal("95"), longitude=Decimal("200"))
        assert {"latitude", "longitude"} <= set(info.value.message_dict)
        assert not Visit.objects.exists()

    def test_distance_is_haversine(self):
        assert distance_metres(32.23, 106.29, 32.23, 106.29) == 0
        assert 11_000 < distance_metres(32.23, 106.29, 32.33, 106.29) < 11_300


class TestUploads:
    def test_non_image_is_refused_with_its_name_and_nothing_written(self, world, media_root):
        fake = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 not an image", content_type="image/jpeg")
        with pytest.raises(ValidationError) as info:
            record(world, photos=[jpeg(), fake])
        message = info.value.message_dict["photos"][0]
        assert "合同.pdf" in message and "不是有效的图片" in message
        assert not Visit.objects.exists() and not VisitPhoto.objects.exists()
        assert not media_root.exists() or not any(media_root.rglob("*.jpg"))

    def test_oversized_upload_is_refused(self, world, settings):
        settings.UPLOAD_MAX_BYTES = 1024 * 1024
        big = jpeg(size=(8, 8))
        big.size = 2 * 1024 * 1024  # what Django reports for a 2 MB upload
        with pytest.raises(ValidationError) as info:
            record(world, photos=[big])
        assert "超过 1 MB" in info.value.message_dict["photos"][0]
        assert not Visit.objects.exists()

    def test_gif_is_refused_as_an_unsupported_format(self):
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, "GIF")
        with pytest.raises(ValidationError) as info:
            photo_check(SimpleUploadedFile("a.gif", buffer.getvalue()))
        assert info.value.code == "bad_image_format"

    def test_decompression_bomb_is_a_clear_error_not_a_crash(self, monkeypatch):
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
        with pytest.raises(ValidationError) as info:
            photo_check(jpeg(size=(64, 64)))
        assert info.value.code == "photo_too_large"

    def test_png_is_accepted(self):
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, "PNG")
        checked = photo_check(SimpleUploadedFile("a.png", buffer.getvalue()))
        assert checked.taken_at is None


class TestSubmissionToken:
    def test_same_token_twice_makes_one_visit(self, world):
        token = uuid.uuid4()
        first = record(world, submission_token=token, photos=[jpeg()])
        again = record(world, submission_token=token, photos=[jpeg()])
        assert again.pk == first.pk
        assert Visit.objects.count() == 1
        assert VisitPhoto.objects.count() == 1

    def test_token_of_another_user_is_refused(self, world):
        token = uuid.uuid4()
        record(world, submission_token=token)
        with pytest.raises(ValidationError) as info:
            record(world, user=world.admin, submission_token=token)
        assert "submission_token" in info.value.message_dict
        assert Visit.objects.count() == 1

    def test_different_tokens_make_two_visits(self, world):
        record(world, submission_token=uuid.uuid4())
        record(world, submission_token=uuid.uuid4(), visited_on=days_ago(3))
        assert Visit.objects.count() == 2


class TestScopeAndRoles:
    def test_out_of_scope_household_is_not_found_and_nothing_written(self, world):
        with pytest.raises(Http404):
            record(
                world,
                household=world.household_b,
                helper=world.helper_b,
                photos=[jpeg()],
                submission_token=uuid.uuid4(),
            )
        assert not Visit.objects.exists() and not VisitPhoto.objects.exists()

    def test_helper_outside_scope_is_a_field_error(self, world):
        with pytest.raises(ValidationError) as info:
            record(world, helper=world.helper_b)
        assert "helper" in info.value.message_dict

    def test_helper_defaults_to_the_households_helper(self, world):
        visit = record(world, helper=None)
        assert visit.helper == world.helper_a

    def test_cadre_records_as_themselves(self, world):
        visit = record(world, user=world.cadre_user, helper=world.helper_b)
        assert visit.helper == world.helper_a
        assert visit.created_by == world.cadre_user

    def test_reviewer_and_coordinator_cannot_record(self, world):
        for user in (world.reviewer, world.coordinator):
            with pytest.raises(PermissionDenied):
                record(world, user=user)
        assert not Visit.objects.exists()

    def test_org_pairing_outside_scope_is_not_found(self, world):
        other = PairingFactory(village=world.village_b)
        with pytest.raises(Http404):
            record(world, org_pairing=other)
        assert not Visit.objects.exists()

    def test_unknown_kind_and_empty_text_name_their_fields(self, world):
        with pytest.raises(ValidationError) as info:
            record(world, kind="teleport", learned="  ")
        assert {"kind", "learned"} <= set(info.value.message_dict)

    def test_measure_of_another_household_is_refused(self, world):
        other = HouseholdFactory(village=world.village_a, head_name="赵六")
        with pytest.raises(ValidationError) as info:
            record(world, measure=MeasureFactory(plan__household=other))
        assert "measure" in info.value.message_dict
        own = MeasureFactory(plan__household=world.household_a)
        assert record(world, measure=own).measure == own


class TestReview:
    def held(self, world):
        return record(world, latitude=Decimal("33.0"), longitude=Decimal("106.29"))

    def test_reviewer_accepts_a_held_visit(self, world):
        visit = self.held(world)
        assert visit.credit_status == CreditStatus.REVIEW
        visit_review(user=world.reviewer, visit=visit, accept=True, note="核实属实")
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.CREDITED
        assert visit.reviewed_by == world.reviewer and visit.reviewed_at is not None
        assert "核实属实" in visit.credit_reason

    def test_reviewer_refuses_a_held_visit(self, world):
        visit = self.held(world)
        visit_review(user=world.reviewer, visit=visit, accept=False)
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.REJECTED
        assert not Visit.objects.counted().exists()

    def test_staff_cannot_review(self, world):
        visit = self.held(world)
        with pytest.raises(PermissionDenied):
            visit_review(user=world.staff_a, visit=visit, accept=True)
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.REVIEW

    def test_reviewer_outside_the_region_gets_404(self, world):
        from accounts.models import Role
        from tests.factories import UserFactory

        visit = self.held(world)
        outsider = UserFactory(role=Role.REVIEWER, region=world.township_b)
        with pytest.raises(Http404):
            visit_review(user=outsider, visit=visit, accept=True)
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.REVIEW

    def test_accepting_when_the_day_is_already_credited_is_refused(self, world):
        held = self.held(world)
        record(world, learned="同一天另一次走访")  # counts: the held one does not
        with pytest.raises(ValidationError):
            visit_review(user=world.reviewer, visit=held, accept=True)
        held.refresh_from_db()
        assert held.credit_status == CreditStatus.REVIEW
        assert Visit.objects.counted().count() == 1

    def test_a_not_counted_visit_cannot_be_accepted(self, world):
        record(world)
        duplicate = record(world)
        with pytest.raises(ValidationError):
            visit_review(user=world.reviewer, visit=duplicate, accept=True)


class TestEditAndDelete:
    def test_author_edits_text_within_the_window(self, world):
        visit = record(world)
        visit_update(user=world.staff_a, visit=visit, problems="房屋漏雨", kind=VisitKind.PHONE)
        visit.refresh_from_db()
        assert visit.problems == "房屋漏雨" and visit.kind == VisitKind.PHONE

    def test_moving_the_date_decides_credit_afresh(self, world):
        visit = record(world, visited_on=days_ago(3))
        record(world, visited_on=days_ago(2))
        visit_update(user=world.staff_a, visit=visit, visited_on=days_ago(2))
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.NOT_COUNTED
        with pytest.raises(ValidationError) as info:
            visit_update(
                user=world.staff_a, visit=visit, visited_on=today() + datetime.timedelta(1)
            )
        assert "visited_on" in info.value.message_dict

    def test_a_reviewers_acceptance_survives_a_text_edit(self, world):
        visit = record(world, latitude=Decimal("33.0"), longitude=Decimal("106.29"))
        visit_review(user=world.reviewer, visit=visit, accept=True)
        visit_update(user=world.staff_a, visit=visit, learned="补充说明")
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.CREDITED

    def test_a_refused_visit_stays_refused_when_the_place_is_corrected(self, world):
        visit = record(world, latitude=Decimal("33.0"), longitude=Decimal("106.29"))
        visit_review(user=world.reviewer, visit=visit, accept=False)
        visit_update(user=world.staff_a, visit=visit, latitude=None, longitude=None)
        visit.refresh_from_db()
        assert visit.credit_status == CreditStatus.REJECTED

    def test_measure_of_another_household_cannot_be_attached_later(self, world):
        visit = record(world)
        foreign = MeasureFactory(plan__household=world.household_b)
        with pytest.raises(ValidationError) as info:
            visit_update(user=world.staff_a, visit=visit, measure=foreign)
        assert "measure" in info.value.message_dict
        visit.refresh_from_db()
        assert visit.measure is None

    def test_fields_outside_the_form_cannot_be_changed(self, world):
        visit = record(world)
        with pytest.raises(ValidationError) as info:
            visit_update(user=world.staff_a, visit=visit, credit_status=CreditStatus.CREDITED)
        assert "credit_status" in info.value.message_dict

    def test_after_the_window_only_a_reviewer_may_change_or_delete(self, world):
        visit = record(world)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
            with pytest.raises(PermissionDenied):
                visit_update(user=world.staff_a, visit=visit, learned="改")
            with pytest.raises(PermissionDenied):
                visit_delete(user=world.staff_a, visit=visit)
            visit_update(user=world.reviewer, visit=visit, learned="审核人更正")
        visit.refresh_from_db()
        assert visit.learned == "审核人更正"

    def test_someone_elses_visit_cannot_be_changed_by_a_colleague(self, world):
        from accounts.models import Role
        from tests.factories import UserFactory

        colleague = UserFactory(role=Role.TOWNSHIP_STAFF, region=world.township_a)
        visit = record(world)
        with pytest.raises(PermissionDenied):
            visit_update(user=colleague, visit=visit, learned="改")

    def test_other_township_gets_404_and_nothing_changes(self, world):
        visit = record(world)
        with pytest.raises(Http404):
            visit_update(user=world.staff_b, visit=visit, learned="改")
        with pytest.raises(Http404):
            visit_delete(user=world.staff_b, visit=visit)
        visit.refresh_from_db()
        assert visit.learned == "了解生产生活情况，宣讲政策"

    def test_author_deletes_within_the_window(self, world):
        visit = record(world, photos=[jpeg()])
        visit_delete(user=world.staff_a, visit=visit)
        assert not Visit.objects.exists() and not VisitPhoto.objects.exists()

    def test_changes_are_kept_in_the_history(self, world):
        from auditlog.models import LogEntry

        visit = record(world)
        visit_update(user=world.staff_a, visit=visit, problems="缺少劳动力")
        entries = LogEntry.objects.get_for_object(visit)
        assert entries.count() == 2
        assert "problems" in entries.first().changes_dict

    def test_factory_visits_are_credited_data(self, world):
        visit = VisitFactory(household=world.household_a, helper=world.helper_a)
        assert visit.is_credited
