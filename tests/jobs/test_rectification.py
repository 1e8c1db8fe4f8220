"""Inspections and the rectification ledger: from a finding to a closed item, by two people."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from inspections.models import RectificationItem, RectificationLog, RectificationStatus
from inspections.selectors import overdue_items_by_unit, responsible_choices
from inspections.services import (
    inspection_record,
    rectification_close,
    rectification_create,
    rectification_evidence_add,
    rectification_reopen,
    rectification_submit,
    spot_check_draw,
)
from pairing.models import Pairing, PairingParticipant
from tests.factories import PartyOrganisationFactory, UnitFactory, UserFactory
from tests.jobs.conftest import make_item

pytestmark = pytest.mark.django_db


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def inspection(world):
    draw = spot_check_draw(
        region=world.county, quarter="2026Q4", drawn_by=world.reviewer, share="1", seed=1
    )
    item = draw.items.get(village=world.village_a)
    return inspection_record(
        item=item,
        inspector=world.reviewer,
        inspected_on=timezone.localdate(),
        findings="走访记录与实际不符",
    )


@pytest.fixture
def item(world, inspection):
    return rectification_create(
        created_by=world.reviewer,
        village=world.village_a,
        inspection=inspection,
        problem="走访记录与实际不符",
        task="重新入户核实并补记",
        responsible_unit=world.unit,
        responsible_person=world.cadre_user,
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )


def test_inspection_needs_findings_or_no_problem(world, inspection):
    with pytest.raises(ValidationError, match="未发现问题"):
        inspection_record(
            item=inspection.item, inspector=world.reviewer, inspected_on=timezone.localdate()
        )
    with pytest.raises(ValidationError, match="晚于今天"):
        inspection_record(
            item=inspection.item,
            inspector=world.reviewer,
            inspected_on=timezone.localdate() + datetime.timedelta(days=1),
            no_problem=True,
        )


def test_only_reviewers_record_inspections(world, inspection):
    with pytest.raises(Http404):
        inspection_record(
            item=inspection.item,
            inspector=world.staff_a,
            inspected_on=timezone.localdate(),
            no_problem=True,
        )


def test_item_goes_from_open_to_closed_by_a_second_person(world, item, other_reviewer, media):
    assert item.status == RectificationStatus.OPEN
    with pytest.raises(ValidationError, match="佐证"):
        rectification_submit(item=item, user=world.cadre_user)
    rectification_evidence_add(item=item, user=world.cadre_user, upload=png(), note="补记照片")
    rectification_submit(item=item, user=world.cadre_user, note="已补记")
    item.refresh_from_db()
    assert item.status == RectificationStatus.SUBMITTED and item.submitted_at
    closed = rectification_close(item=item, user=other_reviewer)
    assert closed.status == RectificationStatus.CLOSED
    assert closed.closed_by == other_reviewer and closed.closed_on == timezone.localdate()
    assert list(closed.log.values_list("action", flat=True)) == [
        RectificationLog.Action.CREATED,
        RectificationLog.Action.EVIDENCE,
        RectificationLog.Action.SUBMITTED,
        RectificationLog.Action.CLOSED,
    ]


def test_the_responsible_person_cannot_close_their_own_item(world, media):
    """Even a reviewer cannot close an item they are responsible for."""
    item = make_item(
        world,
        deadline=timezone.localdate() + datetime.timedelta(days=5),
        person=world.reviewer,
        status=RectificationStatus.SUBMITTED,
    )
    with pytest.raises(PermissionDenied, match="责任人不能"):
        rectification_close(item=item, user=world.reviewer)
    item.refresh_from_db()
    assert item.status == RectificationStatus.SUBMITTED
    # The database holds the rule too, whatever path a write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(
            status="closed", closed_on=timezone.localdate(), closed_by=world.reviewer
        )


def test_only_reviewers_close_and_only_submitted_items(world, item, other_reviewer):
    with pytest.raises(PermissionDenied):
        rectification_close(item=item, user=world.staff_a)
    with pytest.raises(ValidationError, match="已提交销号"):
        rectification_close(item=item, user=other_reviewer)


def test_reopen_needs_a_reason_and_clears_the_closing(world, item, other_reviewer, media):
    rectification_evidence_add(item=item, user=world.cadre_user, upload=png())
    rectification_submit(item=item, user=world.cadre_user)
    rectification_close(item=item, user=other_reviewer)
    with pytest.raises(ValidationError, match="原因"):
        rectification_reopen(item=item, user=other_reviewer, reason="")
    reopened = rectification_reopen(item=item, user=other_reviewer, reason="佐证不足")
    assert reopened.status == RectificationStatus.REOPENED
    assert reopened.closed_on is None and reopened.closed_by is None
    rectification_submit(item=item, user=world.cadre_user)  # may be submitted again


def test_evidence_type_and_size_are_checked(world, item, settings, media):
    text = SimpleUploadedFile("note.png", b"just text, not a picture", content_type="image/png")
    with pytest.raises(ValidationError, match="不是 JPG、PNG、WEBP 图片或 PDF"):
        rectification_evidence_add(item=item, user=world.cadre_user, upload=text)
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="超过"):
        rectification_evidence_add(item=item, user=world.cadre_user, upload=png())
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    pdf = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    evidence = rectification_evidence_add(item=item, user=world.cadre_user, upload=pdf)
    assert evidence.file.name.endswith(".pdf")
    assert not item.evidence.filter(file__endswith=".png").exists()


def test_outsiders_cannot_touch_an_item(world, item, media):
    with pytest.raises(Http404):
        rectification_evidence_add(item=item, user=world.staff_b, upload=png())
    with pytest.raises(Http404):
        rectification_submit(item=item, user=world.staff_b)


def test_creating_an_item_checks_its_fields(world, inspection):
    with pytest.raises(ValidationError) as caught:
        rectification_create(
            created_by=world.reviewer,
            village=world.village_a,
            inspection=inspection,
            problem="",
            task="",
            deadline=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert set(caught.value.error_dict) == {"problem", "task", "responsible_person", "deadline"}


def test_responsible_choices_are_the_people_of_the_village(world, term_a):
    units, users = responsible_choices(world.village_a)
    assert world.unit in units
    assert {world.staff_a, world.cadre_user, world.coordinator} <= set(users)
    assert world.staff_b not in users


def test_participating_units_stay_when_another_participant_has_no_unit(world):
    """A pairing's participants are read one by one: an organisation without a unit (a village
    branch) does not hide the units of the other participants."""
    pairing = Pairing.objects.get(village=world.village_a)
    helping = UnitFactory(name="参与单位")
    PairingParticipant.objects.create(
        pairing=pairing, organisation=PartyOrganisationFactory(unit=helping)
    )
    PairingParticipant.objects.create(
        pairing=pairing,
        organisation=PartyOrganisationFactory(unit=None, village=world.village_b, kind="branch"),
    )
    units, _users = responsible_choices(world.village_a)
    assert {world.unit, helping} <= set(units)


def test_overdue_items_count_against_the_responsible_unit(world):
    on = datetime.date(2026, 11, 22)
    other = UnitFactory()
    make_item(world, deadline=datetime.date(2026, 10, 1))  # open, overdue
    make_item(  # closed late
        world,
        deadline=datetime.date(2026, 9, 1),
        status="closed",
        closed_on=datetime.date(2026, 9, 10),
        closed_by=world.reviewer,
    )
    make_item(  # closed on time: not counted
        world,
        deadline=datetime.date(2026, 9, 1),
        status="closed",
        closed_on=datetime.date(2026, 8, 30),
        closed_by=world.reviewer,
    )
    make_item(world, deadline=datetime.date(2026, 12, 1))  # not due yet
    make_item(world, deadline=datetime.date(2025, 10, 1))  # another year
    make_item(world, deadline=datetime.date(2026, 10, 1), unit=other)
    assert overdue_items_by_unit(2026, on=on) == {world.unit.pk: 2, other.pk: 1}
    assert overdue_items_by_unit(2025, on=on) == {world.unit.pk: 1}


def test_a_coordinator_submits_for_their_unit(world, item, media):
    rectification_evidence_add(item=item, user=world.coordinator, upload=png())
    rectification_submit(item=item, user=world.coordinator)
    another = UserFactory(username="coord2", role=Role.COORDINATOR, unit=UnitFactory())
    with pytest.raises(Http404):
        rectification_submit(item=item, user=another)
