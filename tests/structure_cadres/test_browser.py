"""The cadre pages at 360 px in a real Chromium: a reviewer recalls a term with its reason, and
a stationed cadre's own page fits the phone (no sideways scrolling of the page itself)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from accounts.models import Role
from cadres.models import Term
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user, password):
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_reviewer_recalls_a_term_on_a_phone(phone_page, live_server, world, people):
    log_in(phone_page, live_server, world.reviewer, world.password)
    term = people.a.term
    phone_page.goto(live_server.url + reverse("cadres:term_detail", args=[term.pk]))
    assert fits(phone_page)
    phone_page.click("a.button:has-text('召回')")
    phone_page.fill("input[name=day]", "2026-03-01")
    phone_page.fill("textarea[name=reason]", "工作需要")
    phone_page.click("form.once button[type=submit]")
    phone_page.wait_for_url(f"**{reverse('cadres:term_detail', args=[term.pk])}")
    term = Term.objects.get(pk=term.pk)
    assert (term.recalled_on, term.recall_reason) == (datetime.date(2026, 3, 1), "工作需要")


def test_my_profile_fits_a_phone(phone_page, live_server, world, people):
    user = UserFactory(username="stationed_b", role=Role.CADRE, cadre=people.a.stationed)
    log_in(phone_page, live_server, user, world.password)
    phone_page.goto(live_server.url + reverse("cadres:my_profile"))
    assert phone_page.locator("h1").inner_text().startswith("甲村队员")
    assert fits(phone_page)
    phone_page.fill("input[name=email]", "me@example.cn")
    phone_page.click("form.once button[type=submit]")
    phone_page.wait_for_selector(".messages")
    people.a.stationed.refresh_from_db()
    assert people.a.stationed.email == "me@example.cn"
