"""List filters say what they filter: an open choice reads "走访方式：全部" (or names its
subject, "全部村"), never a bare "全部" — for every filter set of the pages."""

import importlib
import inspect

import django_filters
import pytest
from django.test import RequestFactory

from core.forms import LabelledFilterSet

pytestmark = pytest.mark.django_db

PAGE_FILTER_MODULES = [
    "cadres.filters",
    "home.filters",
    "households.filters",
    "inspections.filters",
    "monitoring.filters",
    "pairing.filters",
    "villages.filters",
]


def page_filtersets():
    found = []
    for name in PAGE_FILTER_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_filters.FilterSet) and cls.__module__ == name:
                found.append(cls)
    return found


def first_option(bound):
    for value, label in bound.field.widget.choices:
        return value, str(label)
    return None


def test_every_page_filterset_labels_its_open_choices():
    assert len(page_filtersets()) > 20
    for cls in page_filtersets():
        assert issubclass(cls, LabelledFilterSet), cls


@pytest.mark.parametrize("cls", page_filtersets(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_no_bare_all(cls, world):
    request = RequestFactory().get("/")
    request.user = world.reviewer
    form = cls(None, queryset=cls._meta.model.objects.none(), request=request).form
    for bound in form:
        option = first_option(bound) if hasattr(bound.field.widget, "choices") else None
        if option is None or option[0] not in ("", None):
            continue
        assert option[1] != "全部", f"{cls.__name__}.{bound.name}"
        assert "全部" in option[1] or option[1] == "不限", (cls.__name__, bound.name, option)


def test_visit_filter_reads_its_subject(world):
    from households.filters import VisitFilter
    from households.models import Visit

    request = RequestFactory().get("/")
    request.user = world.reviewer
    form = VisitFilter(None, queryset=Visit.objects.none(), request=request).form
    html = str(form["credit_status"])
    assert "考核计入：全部" in html
    assert "全部方式" in str(form["kind"])  # an open choice that already names its subject
