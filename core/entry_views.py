"""Pages for entered records (trainings, meetings, Party days, study trips, days in the field,
village income): list, create, detail with change history, edit and delete within the window.

One `EntryPages` per kind names its model, form and services; the views stay thin (parse, call
the service, render) and every query starts from `visible_to(request.user)`."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import add_service_errors
from core.history import change_history
from core.permissions import can_edit_entry, edit_window_closes

PAGE_SIZE = 50


def query_without_page(request) -> str:
    """The list's query string without its page number, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def display_value(obj, name: str) -> str:
    """A field's value as the pages show it (choices by label, dates ISO, booleans 是/否)."""
    model_field = obj._meta.get_field(name)
    if model_field.choices:
        return getattr(obj, f"get_{name}_display")()
    value = getattr(obj, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def field_label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


@dataclass
class EntryPages:
    model: type[models.Model]
    form_class: type
    namespace: str
    name: str  # url names: <namespace>:<name>_create, _detail, _edit, _delete
    label: str  # Chinese noun, e.g. 培训
    record: Callable
    update: Callable
    delete: Callable
    instance_kw: str  # the service's keyword for the instance (training=..., income=...)
    queryset: Callable  # user -> scoped queryset with its select_related
    list_columns: list[str]
    detail_fields: list[str]
    title: Callable = str
    created_by_field: str = "created_by"
    created_at_field: str = "created_at"
    date_field: str | None = None
    extra_initial: Callable | None = None
    village_lookup: str = "village_id"  # how the list's village filter reaches the village

    # --- helpers ---------------------------------------------------------------------------
    def url(self, action: str, *args) -> str:
        return reverse(f"{self.namespace}:{self.name}_{action}", args=args)

    def list_url(self) -> str:
        return reverse("pairing:activities") + f"?kind={self.name}"

    def can_edit(self, user, obj) -> bool:

        @dataclass
        class _View:
            created_by_id: int | None
            created_at: datetime.datetime | None

        view = _View(
            getattr(obj, f"{self.created_by_field}_id", None),
            getattr(obj, self.created_at_field, None),
        )
        return can_edit_entry(user, view)

    def window_closes(self, obj):
        at = getattr(obj, self.created_at_field, None)
        return edit_window_closes(at) if at else None

    def base_context(self, **extra) -> dict:
        return {"pages": self, "label": self.label, **extra}

    # --- views -----------------------------------------------------------------------------
    def list_page(self, request) -> dict:
        """The context of one page of this kind's list (the activities hub renders it)."""
        queryset = self.queryset(request.user)
        village = request.GET.get("village", "")
        if village.isdigit():
            queryset = queryset.filter(**{self.village_lookup: int(village)})
        order = [f"-{self.date_field}", "-id"] if self.date_field else ["-id"]
        paginator = Paginator(queryset.order_by(*order), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [
            {
                "obj": obj,
                "url": self.url("detail", obj.pk),
                "cells": [display_value(obj, name) for name in self.list_columns],
            }
            for obj in page.object_list
        ]
        return self.base_context(
            page_obj=page,
            rows=rows,
            headers=[field_label(self.model, name) for name in self.list_columns],
            create_url=self.url("create"),
        )

    def create_view(self, request):
        if not request.user.can_enter_work:
            raise PermissionDenied(_("您的角色不能填报工作记录。"))
        if request.method == "POST":
            form = self.form_class(request.POST, user=request.user)
            if form.is_valid():
                try:
                    obj = self.record(user=request.user, **form.service_kwargs())
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("%(label)s已保存。") % {"label": self.label})
                    return redirect(self.url("detail", obj.pk))
        else:
            initial = self.extra_initial(request) if self.extra_initial else {}
            form = self.form_class(user=request.user, initial=initial)
        return render(
            request,
            "entries/form.html",
            self.base_context(form=form, heading=_("新增%(label)s") % {"label": self.label}),
        )

    def detail_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        facts = [(field_label(self.model, n), display_value(obj, n)) for n in self.detail_fields]
        return render(
            request,
            "entries/detail.html",
            self.base_context(
                obj=obj,
                title=self.title(obj),
                facts=facts,
                can_edit=self.can_edit(request.user, obj),
                window_closes=self.window_closes(obj),
                history=change_history(obj),
                edit_url=self.url("edit", obj.pk),
                delete_url=self.url("delete", obj.pk),
            ),
        )

    def edit_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if not self.can_edit(request.user, obj):
            raise PermissionDenied(
                _("已超过修改期限（或不是您填报的记录），只有审核人员可以修改。")
            )
        if request.method == "POST":
            form = self.form_class(request.POST, user=request.user, instance=obj)
            if form.is_valid():
                try:
                    self.update(
                        user=request.user, **{self.instance_kw: obj}, **form.service_kwargs()
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("修改已保存。"))
                    return redirect(self.url("detail", obj.pk))
        else:
            form = self.form_class(user=request.user, instance=obj)
        return render(
            request,
            "entries/form.html",
            self.base_context(
                form=form,
                obj=obj,
                heading=_("修改%(label)s") % {"label": self.label},
                cancel_url=self.url("detail", obj.pk),
            ),
        )

    def delete_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if not self.can_edit(request.user, obj):
            raise PermissionDenied(
                _("已超过删除期限（或不是您填报的记录），只有审核人员可以删除。")
            )
        if request.method == "POST":
            try:
                self.delete(user=request.user, **{self.instance_kw: obj})
            except ValidationError as exc:  # e.g. a record of a locked period (periods/)
                messages.error(request, " ".join(exc.messages))
                return redirect(self.url("detail", obj.pk))
            messages.success(request, _("%(label)s已删除。") % {"label": self.label})
            return redirect(self.list_url())
        return render(
            request,
            "entries/confirm_delete.html",
            self.base_context(
                obj=obj, title=self.title(obj), cancel_url=self.url("detail", obj.pk)
            ),
        )

    def urls(self, prefix: str) -> list:
        return [
            path(f"{prefix}/new/", login_required(self.create_view), name=f"{self.name}_create"),
            path(
                f"{prefix}/<int:pk>/", login_required(self.detail_view), name=f"{self.name}_detail"
            ),
            path(
                f"{prefix}/<int:pk>/edit/", login_required(self.edit_view), name=f"{self.name}_edit"
            ),
            path(
                f"{prefix}/<int:pk>/delete/",
                login_required(self.delete_view),
                name=f"{self.name}_delete",
            ),
        ]


def initial_village(request) -> dict:
    """?village=<id> preselects the village on an entry form (from a village page)."""
    value = request.GET.get("village", "")
    return {"village": int(value)} if value.isdigit() else {}


# The activities ledger's kinds (pairing:activities, ?kind=...), in the order of its tabs. Each
# app registers its own entry pages when its views load, so the ledger page in pairing/ lists
# days in the field (cadres/, an app above it) without importing it.
ACTIVITY_ORDER = ["training", "meeting", "party_day", "study_trip", "field_day", "income"]
ACTIVITY_PAGES: dict[str, EntryPages] = {}


def register_activity(kind: str, pages: EntryPages) -> EntryPages:
    ACTIVITY_PAGES[kind] = pages
    return pages


def activity_kinds() -> dict[str, EntryPages]:
    """The registered activity kinds, in the ledger's order."""
    rank = {kind: i for i, kind in enumerate(ACTIVITY_ORDER)}
    return dict(sorted(ACTIVITY_PAGES.items(), key=lambda item: rank.get(item[0], len(rank))))
