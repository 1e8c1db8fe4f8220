"""Uploads are stored under names the product chooses from their content, re-encoded, and served
with the type of their content (never the uploader's extension), nosniff and a set disposition;
a decompression bomb is refused with a Chinese message, not a 500."""

import datetime
import importlib
import io
import uuid

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from households.models import Visit, VisitKind, VisitPhoto
from households.services import visit_record
from inspections.models import RectificationEvidence
from inspections.services import (
    inspection_record,
    rectification_create,
    rectification_evidence_add,
    spot_check_draw,
)
from tests.pages.helpers import jpeg_bytes, yesterday

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def polyglot(name="report.html") -> SimpleUploadedFile:
    taken = timezone.make_aware(
        datetime.datetime.combine(yesterday(), datetime.time(10, 30)),
        timezone.get_default_timezone(),
    )
    return SimpleUploadedFile(name, jpeg_bytes(taken=taken) + HTML, content_type="text/html")


def bomb_png(name="bomb.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


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


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_served_as_jpeg(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert ".html" not in disposition
    content = body_of(response)
    assert HTML not in content and b"<script" not in content
    Image.open(io.BytesIO(content)).verify()


class TestVisitPhotos:
    def test_html_polyglot_through_the_service_is_stored_and_served_as_jpeg(self, world, client):
        visit = visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=yesterday(),
            learned="了解情况",
            photos=[polyglot()],
        )
        photo = visit.photos.get()
        assert photo.image.name.endswith(".jpg")
        assert photo.taken_at is not None  # the EXIF time was read before re-encoding
        with default_storage.open(photo.image.name, "rb") as handle:
            stored = handle.read()
        assert HTML not in stored
        client.force_login(world.staff_a)
        assert_served_as_jpeg(client.get(reverse("households:photo", args=[photo.pk])))
        thumb = client.get(reverse("households:photo_thumb", args=[photo.pk]))
        assert thumb["Content-Type"] == "image/jpeg"
        assert thumb["X-Content-Type-Options"] == "nosniff"
        api = client.get(f"/api/v1/visits/{visit.pk}/photos/{photo.pk}/")
        assert_served_as_jpeg(api)

    def test_html_polyglot_through_the_page(self, world, client):
        client.force_login(world.staff_a)
        response = client.post(
            reverse("households:visit_create"), {**form_data(world), "photos": [polyglot()]}
        )
        assert response.status_code == 302
        photo = VisitPhoto.objects.get(visit__household=world.household_a)
        assert photo.image.name.endswith(".jpg")
        assert_served_as_jpeg(client.get(reverse("households:photo", args=[photo.pk])))

    def test_png_keeps_png_and_loses_exif(self, world):
        buffer = io.BytesIO()
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (30.0, 40.0, 50.0)}  # GPS IFD
        Image.new("RGB", (20, 20), "blue").save(buffer, "PNG", exif=exif)
        upload = SimpleUploadedFile("x.js", buffer.getvalue(), content_type="text/javascript")
        visit = visit_record(
            user=world.staff_a,
            household=world.household_a,
            helper=world.helper_a,
            visited_on=yesterday(),
            learned="了解情况",
            photos=[upload],
        )
        photo = visit.photos.get()
        assert photo.image.name.endswith(".png")
        with default_storage.open(photo.image.name, "rb") as handle, Image.open(handle) as image:
            assert image.format == "PNG"
            assert 0x8825 not in image.getexif()

    @pytest.mark.parametrize("name", ["logo.svg", "app.js"])
    def test_svg_or_script_is_refused(self, world, client, name):
        upload = SimpleUploadedFile(name, SVG, content_type="image/svg+xml")
        with pytest.raises(ValidationError) as caught:
            visit_record(
                user=world.staff_a,
                household=world.household_a,
                helper=world.helper_a,
                visited_on=yesterday(),
                learned="了解情况",
                photos=[upload],
            )
        assert "photos" in caught.value.message_dict
        client.force_login(world.staff_a)
        upload.seek(0)
        response = client.post(
            reverse("households:visit_create"), {**form_data(world), "photos": [upload]}
        )
        assert response.status_code == 200
        assert "不是有效的图片" in response.content.decode()
        assert not Visit.objects.filter(household=world.household_a).exists()

    def test_migration_reencodes_a_legacy_html_photo(self, world, client, caplog):
        visit = Visit.objects.create(
            household=world.household_a,
            village=world.village_a,
            helper=world.helper_a,
            visited_on=yesterday(),
            learned="了解情况",
            created_by=world.staff_a,
        )
        legacy = f"visits/{visit.visited_on:%Y/%m}/{uuid.uuid4().hex}.html"
        default_storage.save(legacy, ContentFile(jpeg_bytes() + HTML))
        photo = VisitPhoto.objects.create(visit=visit)
        VisitPhoto.objects.filter(pk=photo.pk).update(image=legacy)
        missing = VisitPhoto.objects.create(visit=visit)
        VisitPhoto.objects.filter(pk=missing.pk).update(image="visits/2020/01/gone.jpg")
        text = VisitPhoto.objects.create(visit=visit)
        default_storage.save("visits/2020/01/notes.svg", ContentFile(SVG))
        VisitPhoto.objects.filter(pk=text.pk).update(image="visits/2020/01/notes.svg")

        migration = importlib.import_module("households.migrations.0005_reencode_visit_photos")
        migration.reencode_photos(apps, None)

        photo.refresh_from_db()
        assert photo.image.name.endswith(".jpg")
        assert not default_storage.exists(legacy)
        with default_storage.open(photo.image.name, "rb") as handle:
            stored = handle.read()
        assert HTML not in stored
        Image.open(io.BytesIO(stored)).verify()
        missing.refresh_from_db()
        text.refresh_from_db()
        assert missing.image.name == "visits/2020/01/gone.jpg"
        assert text.image.name == "visits/2020/01/notes.svg"
        assert "gone.jpg" in caplog.text and "notes.svg" in caplog.text
        client.force_login(world.staff_a)
        assert_served_as_jpeg(client.get(reverse("households:photo", args=[photo.pk])))
        # a file the migration could not fix is never served as what its name claims
        response = client.get(reverse("households:photo", args=[text.pk]))
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")


@pytest.fixture
def item(world):
    draw = spot_check_draw(
        region=world.county, quarter="2026Q4", drawn_by=world.reviewer, share="1", seed=1
    )
    inspection = inspection_record(
        item=draw.items.get(village=world.village_a),
        inspector=world.reviewer,
        inspected_on=timezone.localdate(),
        findings="走访记录与实际不符",
    )
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


class TestEvidence:
    def test_bomb_refused_by_the_service(self, world, item):
        with pytest.raises(ValidationError) as caught:
            rectification_evidence_add(item=item, user=world.cadre_user, upload=bomb_png())
        assert "像素尺寸过大" in " ".join(caught.value.messages)
        assert not RectificationEvidence.objects.exists()

    def test_bomb_refused_on_the_page_next_to_the_field(self, world, item, client):
        client.force_login(world.cadre_user)
        response = client.post(
            reverse("inspections:rectification_action", args=[item.pk, "evidence"]),
            {"file": bomb_png(), "note": ""},
        )
        assert response.status_code == 400
        form = response.context["evidence_form"]
        assert any("像素尺寸过大" in message for message in form.errors.get("file", []))
        assert "像素尺寸过大" in response.content.decode()
        assert not RectificationEvidence.objects.exists()

    def test_evidence_served_with_its_content_type(self, world, item, client):
        evidence = rectification_evidence_add(
            item=item, user=world.cadre_user, upload=polyglot("scan.html")
        )
        assert evidence.file.name.endswith(".jpg")
        client.force_login(world.cadre_user)
        response = client.get(reverse("inspections:evidence_download", args=[evidence.pk]))
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        pdf = rectification_evidence_add(
            item=item,
            user=world.cadre_user,
            upload=SimpleUploadedFile("a.html", b"%PDF-1.4\n%%EOF\n", content_type="text/html"),
        )
        response = client.get(reverse("inspections:evidence_download", args=[pdf.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
