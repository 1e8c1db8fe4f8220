"""Data builders shared by the page tests."""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cadres.models import FieldDay
from households.models import Visit, VisitPhoto
from pairing.models import MeetingKind, PartyDay, StudyTrip, TrainingKind
from tests.factories import MeetingFactory, TrainingFactory
from villages.models import VillageIncome


def jpeg_bytes(size=(16, 12), taken: datetime.datetime | None = None) -> bytes:
    image = Image.new("RGB", size, (30, 120, 60))
    buffer = io.BytesIO()
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


def jpeg_upload(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def records_in(world, user=None):
    """One record of every entered kind in township A (created by staff A), keyed by the
    EntryPages name, plus a visit with a photo."""
    user = user or world.staff_a
    day = yesterday()
    visit = Visit.objects.create(
        household=world.household_a,
        village=world.village_a,
        helper=world.helper_a,
        visited_on=day,
        learned="了解情况",
        created_by=user,
    )
    photo = VisitPhoto.objects.create(visit=visit, image=jpeg_upload())
    return {
        "visit": visit,
        "photo": photo,
        "training": TrainingFactory(
            village=world.village_a, created_by=user, held_on=day, kind=TrainingKind.NIGHT_SCHOOL
        ),
        "meeting": MeetingFactory(
            village=world.village_a,
            unit=world.unit,
            created_by=user,
            held_on=day,
            kind=MeetingKind.SPECIAL,
        ),
        "party_day": PartyDay.objects.create(
            village=world.village_a, held_on=day, theme="学习", created_by=user
        ),
        "study_trip": StudyTrip.objects.create(
            village=world.village_a,
            unit=world.unit,
            started_on=day,
            destination="浙江安吉",
            created_by=user,
        ),
        "field_day": FieldDay.objects.create(
            cadre=world.helper_a, region=world.village_a.region, day=day, created_by=user
        ),
        "income": VillageIncome.objects.create(
            village=world.village_a, year=day.year, amount=Decimal("15000"), recorded_by=user
        ),
    }


ENTRY_URLS = {
    "training": "pairing:training",
    "meeting": "pairing:meeting",
    "party_day": "pairing:party_day",
    "study_trip": "pairing:study_trip",
    "field_day": "cadres:field_day",
    "income": "villages:income",
}
