"""No word of code or English on a page (issue 15): a bounded walk of the pages a reviewer and
township staff reach from the home page (one page per URL shape), reading the visible text
(and placeholders, titles, alt texts) for English words; and the places fixed in the sweep."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from assessments.models import Indicator
from tests.factories import TrainingFactory, VisitFactory

pytestmark = pytest.mark.django_db

# File types and abbreviations a person reads as such.
ALLOWED = {"PDF", "JPG", "PNG", "WEBP", "Excel", "xlsx", "ID", "IP", "GPS", "EXIF"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{2,}")
SKIP = ("/static/", "/media/", "/admin/", "/api/", "/accounts/logout")
NOT_PAGES = re.compile(r"(export|download|template|photo|evidence/|delete|reveal|print|\.xlsx)")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|svg|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    shown = re.findall(r'(?:placeholder|title|alt|aria-label)="([^"]*)"', page)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page) + " " + " ".join(shown))


def english_words(page: str) -> set[str]:
    return {
        w
        for w in WORD.findall(visible_text(page))
        if w not in ALLOWED and not re.fullmatch(r"[A-Z]{1,3}\d*", w)
    }


def walk(client, limit=60):
    seen, queue, shapes, found = set(), ["/"], set(), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        assert response.status_code < 500, url
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode()
        for word in english_words(page):
            found.setdefault(word, url)
        for href in re.findall(r'href="([^"#]+)"', page):
            href = html_lib.unescape(href)
            if href.startswith("?"):
                href = url.split("?")[0] + href
            if not href.startswith("/") or href.startswith("//") or href.startswith(SKIP):
                continue
            if NOT_PAGES.search(href):
                continue
            shape = re.sub(r"\d+", "N", href.split("?")[0]) + (
                "?" + re.sub(r"=[^&]*", "=", href.split("?")[1]) if "?" in href else ""
            )
            if shape not in shapes:
                shapes.add(shape)
                queue.append(href)
    return seen, found


@pytest.fixture
def records(world):
    # People are shown by name (a user without one by their login name, which is data).
    for user, (last, first) in ((world.staff_a, ("王", "芳")), (world.reviewer, ("李", "明"))):
        user.last_name, user.first_name = last, first
        user.save(update_fields=["last_name", "first_name"])
    VisitFactory(household=world.household_a, helper=world.helper_a, created_by=world.staff_a)
    TrainingFactory(village=world.village_a, created_by=world.staff_a)


@pytest.mark.parametrize("who", ["reviewer", "staff_a"])
def test_pages_show_no_code_words(world, client, records, who):
    client.force_login(getattr(world, who))
    seen, found = walk(client)
    assert len(seen) > 20
    assert found == {}


def test_indicator_codes_are_not_shown(world, client):
    client.force_login(world.reviewer)
    indicator = Indicator.objects.order_by("code").first()
    for url in (
        reverse("assessments:dashboard"),
        reverse("assessments:indicator", args=[indicator.code]),
    ):
        page = client.get(url).content.decode()
        assert indicator.code not in visible_text(page), url


def test_overdue_page_cites_no_code(world, client):
    client.force_login(world.reviewer)
    page = client.get(reverse("inspections:overdue_overview")).content.decode()
    assert "overdue_items_by_unit" not in page and "inspections." not in visible_text(page)
    assert "供责任单位年度考核参考" in page
