"""The admin's headings in Chinese (issue 15): the index, and the title, column headers and
filter titles of each changelist of the third-party apps administrators use — the audit log,
login attempts, API tokens and periodic tasks."""

import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import timezone

pytestmark = pytest.mark.django_db

THIRD_PARTY = [
    "/admin/auditlog/logentry/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accessfailurelog/",
    "/admin/axes/accesslog/",
    "/admin/authtoken/tokenproxy/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/crontabschedule/",
    "/admin/django_celery_beat/intervalschedule/",
    "/admin/django_celery_beat/clockedschedule/",
    "/admin/django_celery_beat/solarschedule/",
]


def headings(html: str) -> list[str]:
    """The texts a person reads as headings: h1/h2/h3/caption, table headers, filter titles,
    the index's app and model names."""
    found = []
    # Column headers (the rows' first cells are <th> too: they hold data, not headings).
    heads = " ".join(re.findall(r"<thead>(.*?)</thead>", html, flags=re.S))
    body = re.sub(r"<table\b.*?</table>", " ", html, flags=re.S)
    index = re.findall(r'<th scope="row"[^>]*>(.*?)</th>', html, flags=re.S)
    found += [" ".join(re.sub(r"<[^>]+>", " ", t).split()) for t in index]
    for tag, source in (
        ("th", heads),
        ("h1", body),
        ("h2", body),
        ("h3", body),
        ("caption", html),
        ("summary", html),
    ):
        for inner in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", source, flags=re.S):
            text = re.sub(r"<[^>]+>", " ", inner)
            found.append(" ".join(text.split()))
    return [t for t in found if t]


def english(texts):
    return [
        t for t in texts if re.search(r"[A-Za-z]{3,}", t) and not re.search(r"[\u4e00-\u9fff]", t)
    ]


@pytest.fixture
def rows(world):
    now = timezone.now()
    AccessAttempt.objects.create(
        username="x",
        ip_address="10.0.0.1",
        user_agent="ua",
        attempt_time=now,
        failures_since_start=3,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    AccessFailureLog.objects.create(
        username="x",
        ip_address="10.0.0.1",
        user_agent="ua",
        attempt_time=now,
        http_accept="",
        path_info="/login/",
    )
    AccessLog.objects.create(
        username="x",
        ip_address="10.0.0.1",
        user_agent="ua",
        attempt_time=now,
        http_accept="",
        path_info="/login/",
    )


def test_index_headings_are_chinese(world, client):
    client.force_login(world.admin)
    html = client.get("/admin/").content.decode()
    for name in ("审计日志", "登录保护", "登录失败记录", "登录日志", "接口令牌", "定时任务"):
        assert name in html, name
    assert english(headings(html)) == []


@pytest.mark.parametrize("url", THIRD_PARTY)
def test_changelist_headings_are_chinese(world, client, rows, url):
    client.force_login(world.admin)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert re.search(r"[\u4e00-\u9fff]", title.split("|")[0]), title
    assert english(headings(html)) == [], url
    filters = re.findall(r"<summary>(.*?)</summary>", html, flags=re.S)
    assert english(filters) == [], filters


def test_admin_is_for_administrators_only(world, client):
    client.force_login(world.reviewer)
    response = client.get("/admin/auditlog/logentry/")
    assert response.status_code in (302, 403)
