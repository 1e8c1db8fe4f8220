"""Rectification evidence images are re-encoded on upload as visit photos are
(households.services.photo_reencode): what is stored and served is only the picture, without
the EXIF block (the location where it was taken) and without bytes appended after the image.
A PDF is stored as it was sent (typed by its content)."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from households.services import photo_reencode
from inspections.models import RectificationEvidence
from inspections.services import (
    inspection_record,
    rectification_create,
    rectification_evidence_add,
    spot_check_draw,
)
from tests.api.conftest import token_client

GPS_IFD = 0x8825
# Latitude 30°40'50" N, longitude 104°3'30" E: where the picture was taken.
GPS = {1: "N", 2: (30.0, 40.0, 50.0), 3: "E", 4: (104.0, 3.0, 30.0)}
APPENDED = b"PK\x03\x04<html><script>alert(1)</script></html>"
PDF = b"%PDF-1.4\n1 0 obj\n<</Type/Catalog>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


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


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[GPS_IFD] = GPS
    exif[0x010F] = "手机厂商"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as image:  # the fixture really carries a location
        assert image.getexif().get_ifd(GPS_IFD)
    return data


def plain_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (40, 40, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def stored(evidence: RectificationEvidence) -> bytes:
    with default_storage.open(evidence.file.name, "rb") as handle:
        return handle.read()


def reencoded(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return photo_reencode(image)[0]


def test_jpeg_evidence_loses_its_exif_location(world, item):
    original = jpeg_with_gps()
    evidence = rectification_evidence_add(
        item=item,
        user=world.cadre_user,
        upload=SimpleUploadedFile("整改照片.jpg", original, content_type="image/jpeg"),
    )
    data = stored(evidence)
    assert evidence.file.name.endswith(".jpg")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (24, 16)
        exif = image.getexif()
        assert GPS_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif
    assert b"Exif" not in data
    # The very re-encoding a visit photo gets (one rule, one place).
    assert data == reencoded(original)


def test_bytes_appended_after_the_image_are_dropped(world, item):
    original = plain_jpeg() + APPENDED
    evidence = rectification_evidence_add(
        item=item,
        user=world.cadre_user,
        upload=SimpleUploadedFile("scan.jpg", original, content_type="image/jpeg"),
    )
    data = stored(evidence)
    assert APPENDED not in data
    assert b"<script>" not in data
    assert data.endswith(b"\xff\xd9")  # the JPEG's end-of-image marker is the last thing


def test_png_evidence_stays_png_without_exif(world, item):
    exif = Image.Exif()
    exif[GPS_IFD] = GPS
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(buffer, "PNG", exif=exif)
    evidence = rectification_evidence_add(
        item=item,
        user=world.cadre_user,
        upload=SimpleUploadedFile("x.pdf", buffer.getvalue() + APPENDED),
    )
    data = stored(evidence)
    assert evidence.file.name.endswith(".png")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert GPS_IFD not in image.getexif()
    assert APPENDED not in data


def test_pdf_evidence_is_stored_as_sent(world, item):
    evidence = rectification_evidence_add(
        item=item,
        user=world.cadre_user,
        upload=SimpleUploadedFile("报告.html", PDF, content_type="text/html"),
    )
    assert evidence.file.name.endswith(".pdf")
    assert stored(evidence) == PDF


def test_evidence_through_the_api_and_the_page_is_served_without_the_location(world, item, client):
    response = token_client(world.cadre_user).post(
        f"/api/v1/rectifications/{item.pk}/evidence/",
        {"file": SimpleUploadedFile("a.jpg", jpeg_with_gps() + APPENDED), "note": "整改后"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    evidence = RectificationEvidence.objects.get(item=item)
    client.force_login(world.cadre_user)
    served = client.get(reverse("inspections:evidence_download", args=[evidence.pk]))
    assert served["Content-Type"] == "image/jpeg"
    body = b"".join(served.streaming_content)
    assert APPENDED not in body
    with Image.open(io.BytesIO(body)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)

    client.force_login(world.cadre_user)
    upload = SimpleUploadedFile("page.jpg", jpeg_with_gps() + APPENDED, content_type="image/jpeg")
    page = client.post(
        reverse("inspections:rectification_action", args=[item.pk, "evidence"]),
        {"file": upload, "note": ""},
    )
    assert page.status_code in (200, 302)
    latest = RectificationEvidence.objects.filter(item=item).latest("pk")
    assert latest.pk != evidence.pk
    data = stored(latest)
    assert APPENDED not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
