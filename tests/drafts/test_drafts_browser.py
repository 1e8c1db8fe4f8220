"""Drafts of the ordinary forms in a real Chromium at 360 px (static/js/drafts.js): what is
typed survives a session that ended, a validation error keeps the server's values, another
user on the same browser never sees the draft, and logging out removes it."""

from __future__ import annotations

import datetime
import os

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from pairing.models import Training

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESTORED = "已恢复上次未提交的内容"
EXPIRED = "登录已过期，请重新登录；未提交的内容已保留"
DRAFT_KEYS = "() => Object.keys(localStorage).filter(k => k.startsWith('dj-draft|'))"


def shot(page, screenshot_dir, name):
    path = os.path.join(screenshot_dir, f"drafts-{name}.png")
    page.screenshot(path=path, full_page=False)
    return path


def log_in(page, live_server, user, password, *, next_url=""):
    url = live_server.url + reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    page.goto(url)
    submit_login(page, user, password)


def submit_login(page, user, password):
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def open_form(page, live_server):
    page.goto(live_server.url + reverse("pairing:training_create"))
    page.wait_for_selector("html[data-drafts-ready]", state="attached")


def type_training(page, world, *, title, content, attendance="35"):
    page.select_option("select[name=village]", str(world.village_a.pk))
    page.select_option("select[name=kind]", "night_school")
    page.fill("input[name=title]", title)
    held_on = timezone.localdate() - datetime.timedelta(days=1)
    page.fill("input[name=held_on]", held_on.isoformat())
    page.fill("input[name=attendance]", attendance)
    page.fill("textarea[name=content]", content)


def save(page):
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()


def drafts(page) -> list[str]:
    return page.evaluate(DRAFT_KEYS)


def expire_session():
    Session.objects.all().delete()  # the idle timeout ends the session on the server


def test_a_training_typed_when_the_session_ended_is_restored_after_login_and_saved(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    open_form(page, live_server)
    type_training(page, world, title="农民夜校：果树修剪", content="讲解冬季修剪要点，现场示范")
    expire_session()
    save(page)  # at once: the draft is written on submit, not only after the typing pause

    page.wait_for_url("**/accounts/login/**expired=1**")
    note = page.locator("[data-expired-note]")
    assert note.is_visible() and note.inner_text() == EXPIRED
    shot(page, screenshot_dir, "1-expired-login-page")
    assert len(drafts(page)) == 1  # kept on the login page
    submit_login(page, world.staff_a, world.password)

    page.wait_for_url("**" + reverse("pairing:training_create"))
    page.wait_for_selector("form[data-draft-restored]")
    assert page.locator("input[name=title]").input_value() == "农民夜校：果树修剪"
    assert page.locator("textarea[name=content]").input_value() == "讲解冬季修剪要点，现场示范"
    assert page.locator("input[name=attendance]").input_value() == "35"
    assert page.locator("select[name=village]").input_value() == str(world.village_a.pk)
    notice = page.locator("[data-draft-notice]")
    assert RESTORED in notice.inner_text()
    assert page.locator("[data-draft-clear]").inner_text() == "清除"
    box = notice.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, screenshot_dir, "2-restored-after-login")
    page.locator("textarea[name=content]").scroll_into_view_if_needed()
    shot(page, screenshot_dir, "2b-restored-content")

    save(page)
    page.wait_for_url("**/pairing/trainings/*/")
    training = Training.objects.get()
    assert training.title == "农民夜校：果树修剪"
    assert training.content == "讲解冬季修剪要点，现场示范"
    assert training.attendance == 35 and training.created_by == world.staff_a
    assert drafts(page) == []
    open_form(page, live_server)  # the form is empty again
    assert page.locator("input[name=title]").input_value() == ""
    assert page.locator("[data-draft-notice]").count() == 0


def test_the_clear_button_gives_back_the_pages_own_values(phone_page, live_server, world):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    open_form(page, live_server)
    page.fill("input[name=title]", "写了一半的主题")
    page.wait_for_timeout(700)  # saved as typed
    page.reload()
    page.wait_for_selector("form[data-draft-restored]")
    assert page.locator("input[name=title]").input_value() == "写了一半的主题"
    page.click("[data-draft-clear]")
    assert page.locator("[data-draft-notice]").count() == 0
    assert page.locator("input[name=title]").input_value() == ""
    assert drafts(page) == []


def test_a_validation_error_is_not_overwritten_by_an_old_draft(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    open_form(page, live_server)
    type_training(page, world, title="新的主题", content="新的内容", attendance="")
    page.wait_for_timeout(700)
    # An older draft of the same form as the answer arrives (e.g. from another tab): the page
    # the server gave back holds what was sent, with the reasons, and keeps it.
    page.add_init_script(
        """for (const k of Object.keys(localStorage)) {
             if (!k.startsWith('dj-draft|')) continue;
             const d = JSON.parse(localStorage.getItem(k));
             d.fields.title = '旧草稿的主题'; d.fields.content = '旧草稿的内容';
             d.changed = Object.keys(d.fields);
             localStorage.setItem(k, JSON.stringify(d));
           }"""
    )
    save(page)
    page.wait_for_selector("html[data-drafts-ready]", state="attached")
    assert page.locator(".field.has-error:has([name=attendance]) .errorlist").count() == 1
    assert page.locator("input[name=title]").input_value() == "新的主题"
    assert page.locator("textarea[name=content]").input_value() == "新的内容"
    assert page.locator("[data-draft-notice]").count() == 0
    assert drafts(page) == []  # dropped, the fields untouched
    shot(page, screenshot_dir, "3-validation-error-kept")
    assert Training.objects.count() == 0

    # the answered form is kept again as soon as it is edited, whole
    page.fill("input[name=attendance]", "20")
    page.wait_for_timeout(700)
    assert len(drafts(page)) == 1
    save(page)
    page.wait_for_url("**/pairing/trainings/*/")
    training = Training.objects.get()
    assert (training.title, training.content, training.attendance) == ("新的主题", "新的内容", 20)
    assert drafts(page) == []


def test_another_user_on_the_same_browser_never_sees_the_draft(
    phone_page, live_server, world, screenshot_dir
):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    open_form(page, live_server)
    type_training(page, world, title="甲镇的培训", content="甲镇工作人员写的内容")
    expire_session()
    save(page)
    page.wait_for_url("**/accounts/login/**expired=1**")
    submit_login(page, world.staff_b, world.password)  # someone else takes the phone

    page.wait_for_url("**" + reverse("pairing:training_create"))
    page.wait_for_selector("html[data-drafts-ready]", state="attached")
    assert page.locator("[data-draft-notice]").count() == 0
    assert page.locator("input[name=title]").input_value() == ""
    assert page.locator("textarea[name=content]").input_value() == ""
    assert "甲镇的培训" not in page.content()
    shot(page, screenshot_dir, "4-other-user-empty-form")
    kept = drafts(page)
    assert len(kept) == 1 and kept[0].startswith(f"dj-draft|{world.staff_a.pk}|")

    # staff_b logs out: only staff_b's drafts go; staff_a finds the text again
    page.locator("form[action$='/accounts/logout/'] button").first.evaluate(
        "b => b.form.requestSubmit()"
    )
    page.wait_for_url("**/accounts/login/**")
    assert drafts(page) == kept
    submit_login(page, world.staff_a, world.password)
    open_form(page, live_server)
    page.wait_for_selector("form[data-draft-restored]")
    assert page.locator("input[name=title]").input_value() == "甲镇的培训"


def test_logging_out_clears_the_users_drafts(phone_page, live_server, world):
    page = phone_page
    log_in(page, live_server, world.staff_a, world.password)
    open_form(page, live_server)
    page.fill("input[name=title]", "还没保存的培训")
    page.fill("textarea[name=content]", "退出前写的内容")
    page.wait_for_timeout(700)
    page.goto(live_server.url + reverse("home"))  # left without saving: the draft stays
    page.wait_for_selector("html[data-drafts-ready]", state="attached")
    assert len(drafts(page)) == 1

    # outbox.js warns first when entries wait on the phone; cancelling keeps everything
    page.evaluate(
        """user => new Promise((resolve, reject) => {
             const open = indexedDB.open('dangjian-offline', 1);
             open.onupgradeneeded = () => {
               open.result.createObjectStore('outbox', {keyPath: 'id'});
               open.result.createObjectStore('drafts', {keyPath: 'key'});
             };
             open.onsuccess = () => {
               const tx = open.result.transaction('outbox', 'readwrite');
               tx.objectStore('outbox').put({id: 'x', kind: 'field_day', user: user,
                 state: 'refused', fields: {}, created: Date.now(), errors: {}, reason: ''});
               tx.oncomplete = () => { open.result.close(); resolve(); };
               tx.onerror = () => reject(tx.error);
             };
           })""",
        world.staff_a.pk,
    )
    logout = page.locator("form[action$='/accounts/logout/'] button").first
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    logout.evaluate("b => b.form.requestSubmit()")
    page.wait_for_timeout(500)
    assert dialogs and "1 条记录没有发送" in dialogs[0]
    page.goto(live_server.url + reverse("home"))  # still logged in, the draft kept
    page.wait_for_selector("html[data-drafts-ready]", state="attached")
    assert len(drafts(page)) == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/accounts/logout/'] button").first.evaluate(
        "b => b.form.requestSubmit()"
    )
    page.wait_for_url("**/accounts/login/**")
    assert drafts(page) == []

    submit_login(page, world.staff_a, world.password)
    open_form(page, live_server)
    assert page.locator("[data-draft-notice]").count() == 0
    assert page.locator("input[name=title]").input_value() == ""
