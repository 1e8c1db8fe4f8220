"""Offline field work in a real Chromium at 360 px (issue 15): the service worker keeps the
forms and the user's households, entries wait in the outbox (IndexedDB) and are sent when the
network returns, photos are shrunk on the phone with their capture time kept, a refused entry
is corrected, an expired session loses nothing, and logging out clears the phone."""

from __future__ import annotations

import datetime
import io
import os

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cadres.models import FieldDay
from households.models import CreditStatus, Visit
from tests.offline.conftest import camera_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, screenshot_dir, name, show=None):
    if show:
        page.locator(show).first.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 120)")  # clear of the sticky save button
    path = os.path.join(screenshot_dir, f"offline-{name}.png")
    page.screenshot(path=path, full_page=False)
    return path


def log_in(page, live_server, user, password, *, next_url=""):
    url = live_server.url + reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    page.goto(url)
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def ready_offline(page):
    """The worker controls the page and has cached the shell and the households."""
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=20000)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def visit_form_url(live_server, household):
    return live_server.url + reverse("households:visit_create") + f"?household={household.pk}"


def photo_file(name, taken, **kwargs):
    return {"name": name, "mimeType": "image/jpeg", "buffer": camera_jpeg(taken, **kwargs)}


def add_photos(page, files):
    page.set_input_files("input[name=photos]", files=files)
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-photo-list] li').length >= {len(files)}",
        timeout=30000,
    )


def wait_for_visits(count, timeout=30.0, **filters):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Visit.objects.filter(**filters).count() >= count:
            return
        time.sleep(0.3)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_three_visits_with_photos_typed_offline_are_saved_once_each_when_back_in_coverage(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    ready_offline(page)

    page.context.set_offline(True)
    taken = timezone.localtime().replace(microsecond=0, tzinfo=None)
    old = taken - datetime.timedelta(days=5)
    photo_sets = [
        [photo_file("a1.jpg", old, seed=1), photo_file("a2.jpg", taken, seed=2)],
        [photo_file("b1.jpg", taken, seed=3)],
        [photo_file("c1.jpg", taken, seed=4), photo_file("c2.jpg", taken, seed=5)],
    ]
    # offline, the household is found on the phone (the pick page's rule: pinyin initials)
    page.goto(live_server.url + reverse("households:visit_create"))
    page.fill("[data-offline-q]", "zs")
    page.locator("[data-offline-results] a:has-text('张三')").wait_for()
    assert "李四" not in page.locator("[data-offline-results]").inner_text()
    shot(page, screenshot_dir, "0-offline-pick")
    page.click("[data-offline-results] a:has-text('张三')")
    for n, photos in enumerate(photo_sets, start=1):
        if n > 1:
            page.goto(visit_form_url(live_server, world.household_a))  # served by the worker
        page.wait_for_selector("form[data-outbox][data-outbox-ready]")
        assert page.locator("[data-hh-name]").inner_text() == "张三"
        if n == 1:
            assert page.locator("[data-offline-note]").is_visible()
            shot(page, screenshot_dir, "1-offline-form")
        page.fill("textarea[name=learned]", f"第{n}次离线走访，了解生产生活情况")
        add_photos(page, photos)
        if n == 1:
            assert "1600×1200 像素" in page.locator("[data-photo-list]").inner_text()
            shot(page, screenshot_dir, "2-offline-photos-shrunk", show="[data-photo-list]")
        page.click("form[data-outbox] button[type=submit]")
        page.wait_for_selector("[data-outbox-notice] li")
        assert "没有网络" in page.locator("[data-outbox-notice]").inner_text()
    assert page.locator("[data-outbox-items] li[data-state=waiting]").count() == 3
    shot(page, screenshot_dir, "3-offline-three-waiting", show="[data-outbox-list]")
    assert Visit.objects.count() == 0

    page.reload()  # nothing is lost on a reload (the worker serves the page offline)
    page.wait_for_selector("[data-outbox-items] li[data-state=waiting]")
    assert page.locator("[data-outbox-items] li[data-state=waiting]").count() == 3
    # nor when the browser's tab is closed: a new one opens the outbox page from the phone
    context = page.context
    page.close()
    page = context.new_page()
    page.goto(live_server.url + reverse("households:offline_outbox"))
    page.wait_for_selector("[data-outbox-items] li[data-state=waiting]")
    assert page.locator("[data-outbox-items] li[data-state=waiting]").count() == 3

    page.context.set_offline(False)  # back in coverage: sent by themselves
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for_visits(3)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-outbox-items] li[data-state=sent]').length === 3",
        timeout=30000,
    )
    shot(page, screenshot_dir, "4-back-online-sent", show="[data-outbox-list]")
    visits = list(Visit.objects.order_by("id").prefetch_related("photos"))
    assert len(visits) == 3
    assert len({v.submission_token for v in visits}) == 3
    assert [v.photos.count() for v in visits] == [2, 1, 2]
    for visit in visits:
        for photo in visit.photos.all():
            photo.image.open()
            data = photo.image.read()
            photo.image.close()
            assert len(data) < 1024 * 1024
            with Image.open(io.BytesIO(data)) as image:
                assert max(image.size) == 1600 and image.format == "JPEG"
            assert timezone.localtime(photo.taken_at).replace(tzinfo=None) in (taken, old)
    # the server's credit rule on the kept capture time: a photo taken 5 days before the visit
    # holds it for review; then one credited visit a helper, household and day
    assert visits[0].credit_status == CreditStatus.REVIEW
    assert "照片拍摄时间" in visits[0].credit_reason
    assert visits[1].credit_status == CreditStatus.CREDITED
    assert visits[2].credit_status == CreditStatus.NOT_COUNTED

    page.goto(live_server.url + reverse("households:detail", args=[world.household_a.pk]))
    assert page.locator("article.visit").count() == 3
    shot(page, screenshot_dir, "4b-household-page-three-visits", show="article.visit")
    assert fits(page)


def test_saving_online_shows_the_confirmation_in_view_at_360px(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    page.fill("textarea[name=learned]", "在线走访，了解情况")
    add_photos(page, [photo_file("p.jpg", timezone.localtime().replace(tzinfo=None), seed=7)])
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_url("**/households/*/#visit-*")
    message = page.locator(".messages.flash-near li")
    message.wait_for()
    assert "走访记录已保存，计入考核。" in message.inner_text()
    page.wait_for_timeout(300)
    box = message.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740
    shot(page, screenshot_dir, "5-online-saved-confirmation")
    assert Visit.objects.count() == 1


def test_the_same_entry_sent_three_times_while_the_network_flaps_is_one_visit(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    attempts = []

    def flap(route):
        # The request reaches the server and is saved, but the answer is lost on the way back.
        attempts.append(route.request.post_data_buffer)
        if len(attempts) < 3:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/visits/", flap)
    page.fill("textarea[name=learned]", "信号时有时无")
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_selector("[data-outbox-notice] li")
    assert "稍后自动发送" in page.locator("[data-outbox-notice]").inner_text()
    assert Visit.objects.count() == 1  # the first attempt was saved, its answer lost
    page.click("[data-outbox-bar] [data-outbox-send]")  # 立即发送: lost again
    page.wait_for_function("() => document.querySelector('[data-outbox-bar] [data-outbox-send]')")
    page.wait_for_timeout(800)
    page.click("[data-outbox-bar] [data-outbox-send]")  # the third gets through
    page.wait_for_selector("[data-outbox-items] li[data-state=sent]", timeout=20000)
    assert len(attempts) == 3
    assert Visit.objects.count() == 1
    shot(page, screenshot_dir, "6-flapping-one-visit", show="[data-outbox-list]")


def test_a_refused_entry_shows_the_servers_reason_and_is_corrected(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    ready_offline(page)
    page.context.set_offline(True)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    page.evaluate(f"document.querySelector('[name=visited_on]').value = '{tomorrow}'")
    page.fill("textarea[name=learned]", "日期填错的一次走访")
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_selector("[data-outbox-notice] li")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    refused = page.locator("[data-outbox-items] li[data-state=refused]")
    refused.wait_for(timeout=20000)
    assert "走访日期不能晚于今天" in refused.inner_text()
    assert "走访日期" in refused.locator(".reason").inner_text()
    assert page.locator("[data-outbox-bar]").is_visible()
    shot(page, screenshot_dir, "7-refused-with-reason", show="[data-outbox-list]")
    assert Visit.objects.count() == 0

    refused.locator("a:has-text('修改')").click()
    page.wait_for_selector("form[data-outbox-ready]")
    field = page.locator(".field.has-error:has([name=visited_on])")
    assert "走访日期不能晚于今天" in field.inner_text()
    assert page.locator("textarea[name=learned]").input_value() == "日期填错的一次走访"
    shot(page, screenshot_dir, "8-refused-corrected-on-form")
    page.fill("input[name=visited_on]", today.isoformat())
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_url("**/households/*/#visit-*")
    visit = Visit.objects.get()
    assert visit.visited_on == today and visit.learned == "日期填错的一次走访"


def test_a_session_expired_mid_form_keeps_the_text_and_sends_it_after_login(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    page.fill("textarea[name=learned]", "写到一半，登录过期了")
    page.fill("textarea[name=problems]", "缺少劳动力")
    page.wait_for_timeout(600)  # the draft is kept as it is typed
    Session.objects.all().delete()  # the idle timeout ends the session on the server

    page.reload()  # a reload with an ended session goes to the login page
    page.wait_for_url("**/accounts/login/**")
    note = page.locator("[data-expired-note]")
    assert note.is_visible()
    assert note.inner_text() == "登录已过期，请重新登录；未提交的内容已保留"
    shot(page, screenshot_dir, "9-expired-login-page")
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_selector("form[data-outbox-ready][data-draft-restored]")
    assert page.locator("textarea[name=learned]").input_value() == "写到一半，登录过期了"
    assert page.locator("textarea[name=problems]").input_value() == "缺少劳动力"
    shot(page, screenshot_dir, "10-draft-restored-after-login")

    Session.objects.all().delete()  # ends again, and this time the user taps save
    page.click("form[data-outbox] button[type=submit]")
    page.locator("[data-outbox-expired]").wait_for()
    assert page.locator("textarea[name=learned]").input_value() == "写到一半，登录过期了"
    shot(page, screenshot_dir, "11-expired-on-save-kept")
    assert Visit.objects.count() == 0
    page.click("[data-outbox-expired] a")
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("[data-expired-note]").is_visible()
    page.fill("#id_username", world.staff_a.username)
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    wait_for_visits(1)
    visit = Visit.objects.get()
    assert (visit.learned, visit.problems) == ("写到一半，登录过期了", "缺少劳动力")


def test_a_field_day_typed_offline_is_sent_when_the_network_returns(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.cadre_user, world.password)
    ready_offline(page)
    page.context.set_offline(True)
    page.goto(live_server.url + reverse("cadres:field_day_create"))
    page.wait_for_selector("form[data-outbox-ready]")
    page.select_option("select[name=region]", str(world.village_a.region_id))
    today = timezone.localdate()
    page.fill("input[name=day]", today.isoformat())
    page.fill("textarea[name=note], input[name=note]", "入户走访")
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_selector("[data-outbox-items] li[data-state=waiting]")
    shot(page, screenshot_dir, "12-field-day-offline", show="[data-outbox-list]")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-outbox-items] li[data-state=sent]", timeout=20000)
    assert FieldDay.objects.filter(cadre=world.helper_a, day=today).count() == 1


def test_a_photo_over_the_servers_limit_is_refused_before_upload(
    phone_page, live_server, world, screenshot_dir, settings
):
    settings.UPLOAD_MAX_BYTES = 150 * 1024
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    page.set_input_files(
        "input[name=photos]",
        files=[
            photo_file("big.jpg", None, noise=True),
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture"},
        ],
    )
    errors = page.locator(".field:has([name=photos]) .errorlist")
    errors.wait_for(timeout=30000)
    text = errors.inner_text()
    assert "big.jpg" in text and "超过服务器允许的 150 KB" in text
    assert "notes.jpg" in text and "不是有效的图片" in text
    assert page.locator("[data-photo-list] li").count() == 0
    shot(page, screenshot_dir, "13-photo-refused-before-upload", show="[data-photo-list]")


def test_logging_out_with_unsent_entries_warns_then_clears_the_phone(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    page.goto(visit_form_url(live_server, world.household_a))
    ready_offline(page)
    page.context.set_offline(True)
    page.goto(visit_form_url(live_server, world.household_a))
    page.wait_for_selector("form[data-outbox-ready]")
    page.fill("textarea[name=learned]", "还没发送的走访")
    page.click("form[data-outbox] button[type=submit]")
    page.wait_for_selector("[data-outbox-items] li[data-state=waiting]")
    page.route("**/api/v1/visits/", lambda route: route.abort())  # still no answer
    page.context.set_offline(False)

    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("form[action$='/accounts/logout/'] button").first.evaluate(
        "b => b.form.requestSubmit()"
    )
    page.wait_for_timeout(500)
    assert dialogs and "1 条记录没有发送" in dialogs[0]
    assert page.evaluate("window.Outbox.all().then(a => a.length)") == 1  # kept: cancelled

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/accounts/logout/'] button").first.evaluate(
        "b => b.form.requestSubmit()"
    )
    page.wait_for_url("**/accounts/login/**")
    shot(page, screenshot_dir, "14-logged-out-cleared")
    left = page.evaluate(
        """() => new Promise(resolve => {
          const open = indexedDB.open('dangjian-offline', 1);
          open.onsuccess = () => {
            const tx = open.result.transaction(['outbox', 'drafts']);
            const a = tx.objectStore('outbox').count(), b = tx.objectStore('drafts').count();
            tx.oncomplete = () => resolve(a.result + b.result);
          };
        })"""
    )
    assert left == 0
    assert page.evaluate("() => caches.match('/households/offline/data/')") is None
    assert page.evaluate("() => caches.keys()") == []
    assert page.evaluate("() => navigator.serviceWorker.getRegistrations()") == []
    assert Visit.objects.count() == 0
