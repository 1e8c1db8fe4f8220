"""Every model's admin list, add and change page opens in Chinese within a fixed query budget."""

import datetime

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

MODELS = [
    m
    for m in admin.site._registry
    if m._meta.app_label not in {"auth", "authtoken", "django_celery_beat", "auditlog", "axes"}
]


@pytest.fixture
def demo_admin(client):
    call_command("seed_demo", scale="small", seed=5, today=datetime.date(2026, 11, 20))
    client.force_login(User.objects.get(username="admin"))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_open_within_query_budget(demo_admin, model, django_assert_max_num_queries):
    info = (model._meta.app_label, model._meta.model_name)
    with django_assert_max_num_queries(25):
        response = demo_admin.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert response.status_code == 200
    assert str(model._meta.verbose_name_plural) in response.content.decode()
    obj = model.objects.first()
    if obj is not None:
        response = demo_admin.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert response.status_code == 200
    if admin.site._registry[model].has_add_permission(demo_admin.get("/").wsgi_request):
        assert demo_admin.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200


def test_admin_is_in_chinese(demo_admin):
    body = demo_admin.get(reverse("admin:index")).content.decode()
    assert "贫困户" in body and "走访记录" in body
