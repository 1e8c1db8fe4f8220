"""Rectification evidence is shown and downloaded under the uploader's own file name (the
stored file is re-encoded and named from its content); the name is sanitised and sent as
RFC 5987 `filename*=UTF-8''…`."""

import datetime
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inspections.models import RectificationEvidence
from inspections.services import evidence_name, rectification_evidence_add
from tests.jobs.conftest import make_item

pytestmark = pytest.mark.django_db


def png(name):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def item(world):
    return make_item(
        world,
        deadline=timezone.localdate() + datetime.timedelta(days=30),
        person=world.cadre_user,
    )


@pytest.mark.parametrize(
    ("uploaded", "suffix", "shown"),
    [
        ("整改前后对比.PNG", "png", "整改前后对比.png"),
        ("C:\\Users\\张\\照片 1.jpeg", "jpg", "照片 1.jpg"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ('a"b;\r\nc.pdf', "pdf", "a_b;_c.pdf"),
        ("....", "jpg", "佐证材料.jpg"),
        ("长" * 300 + ".png", "png", "长" * 80 + ".png"),
    ],
)
def test_the_name_is_sanitised(uploaded, suffix, shown):
    assert evidence_name(uploaded, suffix) == shown


def test_page_and_download_use_the_original_name(world, item, client):
    evidence = rectification_evidence_add(
        item=item, user=world.cadre_user, upload=png("村道硬化整改照片.png"), note="整改后"
    )
    evidence.refresh_from_db()
    assert evidence.original_name == "村道硬化整改照片.png"
    assert "村道硬化整改照片" not in evidence.file.name  # stored under a content-chosen name
    client.force_login(world.cadre_user)
    page = client.get(reverse("inspections:rectification_detail", args=[item.pk])).content
    page = page.decode()
    assert "村道硬化整改照片.png" in page and "整改后" in page
    assert evidence.file.name.rsplit("/", 1)[-1] not in page
    response = client.get(reverse("inspections:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote('村道硬化整改照片.png')}" in disposition
    assert f'filename="evidence-{evidence.pk}.png"' in disposition


def test_a_pdf_is_an_attachment_under_its_name(world, item, client):
    pdf = SimpleUploadedFile("验收报告(终稿).pdf", b"%PDF-1.4\n%%EOF\n")
    evidence = rectification_evidence_add(item=item, user=world.cadre_user, upload=pdf)
    client.force_login(world.reviewer)
    response = client.get(reverse("inspections:evidence_download", args=[evidence.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert quote("验收报告(终稿).pdf", safe="") in response["Content-Disposition"]


def test_other_township_gets_404(world, item, client):
    evidence = rectification_evidence_add(item=item, user=world.cadre_user, upload=png("a.png"))
    client.force_login(world.staff_b)
    url = reverse("inspections:evidence_download", args=[evidence.pk])
    assert client.get(url).status_code == 404


def test_an_older_upload_without_a_name_is_named_in_chinese(world, item, client):
    evidence = rectification_evidence_add(item=item, user=world.cadre_user, upload=png("a.png"))
    RectificationEvidence.objects.filter(pk=evidence.pk).update(original_name="")
    evidence.refresh_from_db()
    assert evidence.display_name == f"佐证材料{evidence.pk}.png"
