"""The activity services the entry forms and the API share: trainings, meetings, Party days,
study trips, days in the field and village income. Scope, dates, field-named errors and the
edit window."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from cadres.models import FieldDay
from cadres.services import field_day_delete, field_day_record, field_day_update
from pairing.models import Meeting, MeetingKind, PartyDay, StudyTrip, Training, TrainingKind
from pairing.services import (
    meeting_record,
    party_day_record,
    study_trip_record,
    training_delete,
    training_record,
    training_update,
)
from villages.models import VillageIncome
from villages.services import (
    village_income_delete,
    village_income_record,
    village_income_update,
)

pytestmark = pytest.mark.django_db


def _yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


def _training(world, user=None, **overrides):
    values = {
        "user": user or world.staff_a,
        "village": world.village_a,
        "kind": TrainingKind.NIGHT_SCHOOL,
        "title": "农民夜校：养殖技术",
        "held_on": _yesterday(),
        "attendance": 30,
        "village_cadres_trained": 3,
    }
    values.update(overrides)
    return training_record(**values)


class TestTraining:
    def test_staff_records_a_training_in_their_township(self, world):
        training = _training(world)
        assert training.pk and training.created_by == world.staff_a
        assert training.village == world.village_a

    def test_other_township_village_is_not_found_and_nothing_written(self, world):
        with pytest.raises(Http404):
            _training(world, user=world.staff_b)
        assert not Training.objects.exists()

    def test_future_date_and_cadres_above_attendance_name_their_fields(self, world):
        with pytest.raises(ValidationError) as info:
            _training(
                world,
                held_on=timezone.localdate() + datetime.timedelta(days=1),
                attendance=2,
                village_cadres_trained=5,
                title="",
            )
        errors = info.value.message_dict
        assert "held_on" in errors and "village_cadres_trained" in errors and "title" in errors
        assert "不能晚于今天" in errors["held_on"][0]
        assert not Training.objects.exists()

    def test_reviewer_cannot_enter_but_can_edit_later(self, world):
        with pytest.raises(PermissionDenied):
            _training(world, user=world.reviewer)
        training = _training(world)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=30)):
            updated = training_update(user=world.reviewer, training=training, attendance=40)
        assert updated.attendance == 40

    def test_author_edits_within_window_then_not(self, world):
        training = _training(world)
        training_update(user=world.staff_a, training=training, title="新标题")
        training.refresh_from_db()
        assert training.title == "新标题"
        with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
            with pytest.raises(PermissionDenied):
                training_update(user=world.staff_a, training=training, title="再改")
            with pytest.raises(PermissionDenied):
                training_delete(user=world.staff_a, training=training)
        training.refresh_from_db()
        assert training.title == "新标题"

    def test_other_township_staff_cannot_touch_it(self, world):
        training = _training(world)
        with pytest.raises(Http404):
            training_update(user=world.staff_b, training=training, title="x")
        with pytest.raises(Http404):
            training_delete(user=world.staff_b, training=training)
        assert Training.objects.filter(pk=training.pk, title="农民夜校：养殖技术").exists()

    def test_unknown_field_is_refused(self, world):
        training = _training(world)
        with pytest.raises(ValidationError) as info:
            training_update(user=world.staff_a, training=training, created_by=world.staff_b)
        assert "created_by" in info.value.message_dict


class TestOtherActivities:
    def test_meeting(self, world):
        meeting = meeting_record(
            user=world.staff_a,
            village=world.village_a,
            kind=MeetingKind.SPECIAL,
            title="专题会议",
            held_on=_yesterday(),
            unit=world.unit,
        )
        assert Meeting.objects.get() == meeting

    def test_party_day_once_per_village_and_day(self, world):
        day = _yesterday()
        party_day_record(user=world.staff_a, village=world.village_a, held_on=day, theme="主题")
        with pytest.raises(ValidationError) as info:
            party_day_record(
                user=world.staff_a, village=world.village_a, held_on=day, theme="又一次"
            )
        assert "held_on" in info.value.message_dict
        assert PartyDay.objects.count() == 1

    def test_study_trip_needs_a_unit(self, world):
        with pytest.raises(ValidationError) as info:
            study_trip_record(
                user=world.staff_a,
                village=world.village_a,
                unit=None,
                started_on=_yesterday(),
                destination="浙江",
            )
        assert "unit" in info.value.message_dict
        trip = study_trip_record(
            user=world.staff_a,
            village=world.village_a,
            unit=world.unit,
            started_on=_yesterday(),
            destination="浙江安吉",
            days=3,
            participants=12,
        )
        assert StudyTrip.objects.get() == trip


class TestFieldDays:
    def test_cadre_records_own_day_once(self, world):
        fd = field_day_record(
            user=world.cadre_user, region=world.village_a.region, day=_yesterday()
        )
        assert fd.cadre == world.helper_a
        with pytest.raises(ValidationError) as info:
            field_day_record(user=world.cadre_user, region=world.village_a.region, day=_yesterday())
        assert "day" in info.value.message_dict
        assert FieldDay.objects.count() == 1

    def test_region_outside_scope_is_not_found(self, world):
        with pytest.raises(Http404):
            field_day_record(
                user=world.staff_a,
                cadre=world.helper_a,
                region=world.village_b.region,
                day=_yesterday(),
            )
        assert not FieldDay.objects.exists()

    def test_staff_update_and_delete_own(self, world):
        fd = field_day_record(
            user=world.staff_a, cadre=world.helper_a, region=world.township_a, day=_yesterday()
        )
        field_day_update(user=world.staff_a, field_day=fd, note="走访农户")
        assert FieldDay.objects.get().note == "走访农户"
        field_day_delete(user=world.staff_a, field_day=fd)
        assert not FieldDay.objects.exists()


class TestVillageIncome:
    def test_one_figure_per_year(self, world):
        year = timezone.localdate().year
        income = village_income_record(
            user=world.staff_a, village=world.village_a, year=year, amount=Decimal("18000")
        )
        with pytest.raises(ValidationError) as info:
            village_income_record(
                user=world.staff_a, village=world.village_a, year=year, amount=Decimal("1")
            )
        assert "year" in info.value.message_dict
        village_income_update(user=world.staff_a, income=income, amount=Decimal("21000"))
        assert VillageIncome.objects.get().amount == Decimal("21000")

    def test_negative_amount_and_future_year_refused(self, world):
        with pytest.raises(ValidationError) as info:
            village_income_record(
                user=world.staff_a,
                village=world.village_a,
                year=timezone.localdate().year + 1,
                amount=Decimal("-5"),
            )
        assert {"year", "amount"} <= set(info.value.message_dict)

    def test_other_township_gets_404(self, world):
        income = village_income_record(
            user=world.staff_a, village=world.village_a, year=2025, amount=Decimal("30000")
        )
        with pytest.raises(Http404):
            village_income_delete(user=world.staff_b, income=income)
        with pytest.raises(Http404):
            village_income_record(
                user=world.staff_b, village=world.village_a, year=2024, amount=Decimal("1")
            )
        assert VillageIncome.objects.count() == 1
