"""Pages for kept structure records (units, organisations, pairings, cadres, terms, teams,
households, plans …): a list with filters, create, detail with the record's sections and change
history, edit, end on a date, and delete where nothing refers to the record.

One `KeptPages` per kind names its model, form and services; the views stay thin (parse, call
the service, render). Who may write is `core.keepers.may_keep` (the services enforce it; the
pages only hide the buttons); which records is `visible_to(request.user)` (404 outside)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entry_views import display_value, field_label, query_without_page
from core.forms import DateInput, add_service_errors
from core.history import change_history
from core.keepers import may_keep

PAGE_SIZE = 50


@dataclass
class Column:
    """A list column: a model field's name, or a label with a function of the row."""

    label: str
    value: Callable[[Any], Any]


@dataclass
class Section:
    """A part of a detail page: a small table of related records, with an add link."""

    title: str
    headers: list[str]
    rows: list[tuple[list[str], str | None]]  # (cells, url)
    add_url: str | None = None
    add_label: str = ""
    empty: str = ""


class EndForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("结束日期"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("原因"), required=False, max_length=500, widget=forms.Textarea
    )

    def __init__(self, *args, with_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_reason:
            del self.fields["reason"]
        if not self.is_bound:
            self.initial.setdefault("day", timezone.localdate())


@dataclass
class KeptPages:
    kind: str  # core.keepers kind: who may write
    model: type[models.Model]
    form_class: type  # core.forms.EntryForm subclass: user=…, service_kwargs()
    namespace: str
    name: str  # url names: <namespace>:<name>_list, _create, _detail, _edit, _delete, _end
    label: str  # Chinese noun, e.g. 帮扶单位
    record: Callable
    update: Callable
    instance_kw: str
    queryset: Callable  # user -> scoped queryset with its select_related
    list_columns: list[str | Column]
    detail_fields: list[str]
    delete: Callable | None = None  # service(user=…, <instance_kw>=obj)
    end: Callable | None = None  # service(user=…, <instance_kw>=obj, day=…[, reason=…])
    end_reason: bool = False
    end_label: str = ""  # the button, e.g. 召回 (default 结束)
    title: Callable = str
    filterset: type | None = None
    sections: Callable | None = None  # (request, obj) -> list[Section]
    extra_initial: Callable | None = None  # request -> initial
    ordering: list[str] = field(default_factory=lambda: ["-id"])
    group: str = ""  # the hub's heading
    intro: str = ""  # a sentence above the list
    list_actions: Callable | None = None  # (request) -> [(label, url)] next to 新增
    can_create: Callable | None = None  # user -> bool (default: may_keep)

    # --- helpers ---------------------------------------------------------------------------
    def url(self, action: str, *args) -> str:
        return reverse(f"{self.namespace}:{self.name}_{action}", args=args)

    def list_url(self) -> str:
        return self.url("list")

    def keeps(self, user) -> bool:
        return may_keep(user, self.kind)

    def creates(self, user) -> bool:
        return self.can_create(user) if self.can_create else self.keeps(user)

    def base_context(self, request, **extra) -> dict:
        return {"pages": self, "label": self.label, "keeps": self.keeps(request.user), **extra}

    def cell(self, obj, column: str | Column) -> str:
        if isinstance(column, Column):
            value = column.value(obj)
            return "—" if value in (None, "") else str(value)
        return display_value(obj, column)

    def header(self, column: str | Column) -> str:
        return column.label if isinstance(column, Column) else field_label(self.model, column)

    # --- views -----------------------------------------------------------------------------
    def list_view(self, request):
        queryset = self.queryset(request.user)
        filter_form = None
        if self.filterset is not None:
            filtered = self.filterset(request.GET or None, queryset=queryset, request=request)
            filter_form = filtered.form
            queryset = filtered.qs if filtered.is_bound and filtered.is_valid() else queryset
        paginator = Paginator(queryset.order_by(*self.ordering), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [
            {
                "url": self.url("detail", obj.pk),
                "cells": [self.cell(obj, column) for column in self.list_columns],
            }
            for obj in page.object_list
        ]
        return render(
            request,
            "kept/list.html",
            self.base_context(
                request,
                page_obj=page,
                rows=rows,
                headers=[self.header(column) for column in self.list_columns],
                filter_form=filter_form,
                query=query_without_page(request),
                create_url=self.url("create") if self.creates(request.user) else None,
                actions=self.list_actions(request) if self.list_actions else [],
            ),
        )

    def create_view(self, request):
        if not self.creates(request.user):
            raise PermissionDenied(_("您的角色不能新增%(label)s。") % {"label": self.label})
        if request.method == "POST":
            form = self.form_class(request.POST, request.FILES or None, user=request.user)
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
            "kept/form.html",
            self.base_context(
                request,
                form=form,
                heading=_("新增%(label)s") % {"label": self.label},
                cancel_url=self.list_url(),
            ),
        )

    def detail_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        facts = [(field_label(self.model, n), display_value(obj, n)) for n in self.detail_fields]
        keeps = self.keeps(request.user)
        return render(
            request,
            "kept/detail.html",
            self.base_context(
                request,
                obj=obj,
                title=self.title(obj),
                facts=facts,
                sections=self.sections(request, obj) if self.sections else [],
                history=change_history(obj),
                edit_url=self.url("edit", obj.pk) if keeps else None,
                end_url=self.url("end", obj.pk) if keeps and self.end else None,
                end_label=self.end_label or _("结束"),
                delete_url=self.url("delete", obj.pk) if keeps and self.delete else None,
            ),
        )

    def edit_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if not self.keeps(request.user):
            raise PermissionDenied(_("您的角色不能修改%(label)s。") % {"label": self.label})
        if request.method == "POST":
            form = self.form_class(
                request.POST, request.FILES or None, user=request.user, instance=obj
            )
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
            obj.refresh_from_db()  # the form changed the instance in place
        else:
            form = self.form_class(user=request.user, instance=obj)
        return render(
            request,
            "kept/form.html",
            self.base_context(
                request,
                form=form,
                obj=obj,
                heading=_("修改%(label)s") % {"label": self.label},
                cancel_url=self.url("detail", obj.pk),
            ),
        )

    def end_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if not self.keeps(request.user) or self.end is None:
            raise PermissionDenied(_("您的角色不能修改%(label)s。") % {"label": self.label})
        end_label = self.end_label or _("结束")
        if request.method == "POST":
            form = EndForm(request.POST, with_reason=self.end_reason)
            if form.is_valid():
                kwargs = {"day": form.cleaned_data["day"]}
                if self.end_reason:
                    kwargs["reason"] = form.cleaned_data.get("reason", "")
                try:
                    self.end(user=request.user, **{self.instance_kw: obj}, **kwargs)
                except ValidationError as exc:
                    add_service_errors(form, _day_errors(exc))
                else:
                    messages.success(
                        request,
                        _("%(label)s已%(action)s。") % {"label": self.label, "action": end_label},
                    )
                    return redirect(self.url("detail", obj.pk))
        else:
            form = EndForm(with_reason=self.end_reason)
        return render(
            request,
            "kept/form.html",
            self.base_context(
                request,
                form=form,
                obj=obj,
                heading=f"{end_label}{self.label}：{self.title(obj)}",
                cancel_url=self.url("detail", obj.pk),
                submit_label=end_label,
            ),
        )

    def delete_view(self, request, pk: int):
        obj = get_object_or_404(self.queryset(request.user), pk=pk)
        if not self.keeps(request.user) or self.delete is None:
            raise PermissionDenied(_("您的角色不能删除%(label)s。") % {"label": self.label})
        refusal = None
        if request.method == "POST":
            try:
                self.delete(user=request.user, **{self.instance_kw: obj})
            except ValidationError as exc:
                refusal = " ".join(exc.messages)
            else:
                messages.success(request, _("%(label)s已删除。") % {"label": self.label})
                return redirect(self.list_url())
        return render(
            request,
            "kept/delete.html",
            self.base_context(
                request,
                obj=obj,
                title=self.title(obj),
                refusal=refusal,
                cancel_url=self.url("detail", obj.pk),
                end_url=self.url("end", obj.pk) if self.end else None,
            ),
            status=400 if refusal else 200,
        )

    def urls(self, prefix: str) -> list:
        views = [
            ("", self.list_view, "list"),
            ("new/", self.create_view, "create"),
            ("<int:pk>/", self.detail_view, "detail"),
            ("<int:pk>/edit/", self.edit_view, "edit"),
            ("<int:pk>/end/", self.end_view, "end"),
            ("<int:pk>/delete/", self.delete_view, "delete"),
        ]
        return [
            path(f"{prefix}/{route}", login_required(view), name=f"{self.name}_{action}")
            for route, view, action in views
        ]


def _day_errors(exc: ValidationError) -> ValidationError:
    """An end service's errors on its date field ("end_date", "recalled_on" …) belong next to
    the end form's one date field."""
    if not hasattr(exc, "error_dict"):
        return exc
    moved: dict[str, list[str]] = {}
    for name, errors in exc.message_dict.items():
        target = name if name in ("reason", "__all__") else "day"
        moved.setdefault(target, []).extend(errors)
    return ValidationError(moved)


# The structure hub (/structure/): each app registers its kept pages when its views load, so
# the hub (home/, above them all) lists them without importing them.
KEPT_PAGES: dict[str, KeptPages] = {}


def register_kept(pages: KeptPages) -> KeptPages:
    KEPT_PAGES[f"{pages.namespace}:{pages.name}"] = pages
    return pages


@dataclass
class HubLink:
    """A hub entry for a page that is not a KeptPages (a tree, a bulk action, a catalogue)."""

    group: str
    label: str
    url_name: str
    kind: str  # core.keepers kind: who keeps what the page changes
    intro: str = ""
    create_url_name: str | None = None

    def list_url(self) -> str:
        return reverse(self.url_name)

    def creates(self, user) -> bool:
        return self.create_url_name is not None and may_keep(user, self.kind)

    def create_url(self) -> str | None:
        return reverse(self.create_url_name) if self.create_url_name else None


HUB_LINKS: dict[str, HubLink] = {}


def register_hub_link(link: HubLink) -> HubLink:
    HUB_LINKS[link.url_name] = link
    return link


def hub_groups(user) -> dict[str, list[dict]]:
    """The hub's entries, grouped, in registration order."""
    groups: dict[str, list[dict]] = {}
    for pages in KEPT_PAGES.values():
        groups.setdefault(str(pages.group), []).append(
            {
                "label": pages.label,
                "url": pages.list_url(),
                "create_url": pages.url("create") if pages.creates(user) else None,
                "intro": pages.intro,
            }
        )
    for link in HUB_LINKS.values():
        groups.setdefault(str(link.group), []).append(
            {
                "label": link.label,
                "url": link.list_url(),
                "create_url": link.create_url() if link.creates(user) else None,
                "intro": link.intro,
            }
        )
    return groups
