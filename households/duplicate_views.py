"""重复户 for county reviewers: the findings of households/duplicates.py by kind, each showing
both households side by side; 合并 leads to a confirm page (which one to keep, what moves, what
stays); the merge history with 撤销合并. Writes go through households/merge.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from core.keepers import may_keep
from core.kept_views import HubLink, register_hub_link
from households import duplicates, merge
from households.models import Household, HouseholdMerge

MAX_FINDINGS = 200  # per kind on the page; the API pages through all of them


def _require(user) -> None:
    if not may_keep(user, merge.KEEPER_KIND):
        raise PermissionDenied(_("只有县级审核人员可以查看和合并重复户。"))


@login_required
def duplicates_view(request):
    user = request.user
    _require(user)
    found = duplicates.findings(user)
    by_kind: dict[str, list] = {kind: [] for kind in duplicates.KINDS}
    for finding in found:
        if len(by_kind[finding.kind]) < MAX_FINDINGS:
            by_kind[finding.kind].append(finding)
    shown = [f for rows in by_kind.values() for f in rows]
    sides = duplicates.sides(user, {i for f in shown for i in (f.first, f.second)})
    groups = [
        {
            "kind": kind,
            "label": duplicates.KIND_LABELS[kind],
            "rows": [
                {
                    "finding": f,
                    "first": sides[f.first],
                    "second": sides[f.second],
                    "mergeable": sides[f.first].inside and sides[f.second].inside,
                }
                for f in rows
            ],
            "total": sum(1 for f in found if f.kind == kind),
        }
        for kind, rows in by_kind.items()
    ]
    # Whether a merge can still be undone is checked when 撤销合并 is pressed (it reads every
    # moved record); the refusal then says why.
    history = list(merge.merges_for(user)[:50])
    return render(
        request,
        "households/duplicates/list.html",
        {"groups": groups, "history": history, "max_findings": MAX_FINDINGS},
    )


class MergeForm(forms.Form):
    kept = forms.TypedChoiceField(
        label=gettext_lazy("保留哪一户"), coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("合并理由"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("如：经入户核实为同一户重复建档。"),
    )

    def __init__(self, *args, pair: tuple[Household, Household], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kept"].choices = [
            (h.pk, f"{h.village.township.name}{h.village.name} {h.head_name}户") for h in pair
        ]


def _pair(request) -> tuple[Household, Household]:
    raw = (request.POST or request.GET).get("a", ""), (request.POST or request.GET).get("b", "")
    if not all(value.isdigit() for value in raw) or raw[0] == raw[1]:
        raise Http404
    rows = {
        h.pk: h
        for h in Household.objects.visible_to(request.user)
        .filter(pk__in=[int(v) for v in raw])
        .select_related("village__township", "village__county")
    }
    if len(rows) != 2:
        raise Http404
    return rows[int(raw[0])], rows[int(raw[1])]


@login_required
def merge_view(request):
    user = request.user
    _require(user)
    first, second = _pair(request)
    raw_kept = (request.POST or request.GET).get("kept", "")
    kept, other = (second, first) if raw_kept == str(second.pk) else (first, second)
    data = request.POST if request.method == "POST" else None
    form = MergeForm(data, pair=(first, second), initial={"kept": kept.pk})
    if request.method == "POST" and form.is_valid():
        try:
            merge.merge_households(user, kept, other, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("已将%(other)s并入%(kept)s。")
                % {
                    "other": duplicates.describe(user, other).text,
                    "kept": duplicates.describe(user, kept).text,
                },
            )
            return redirect(reverse("households:detail", args=[kept.pk]))
    plan = merge.merge_plan(user, kept, other)
    sides = duplicates.sides(user, [first.pk, second.pk])
    return render(
        request,
        "households/duplicates/merge.html",
        {
            "form": form,
            "first": sides[first.pk],
            "second": sides[second.pk],
            "kept": kept,
            "other": other,
            "plan": plan,
            "summary": plan.summary(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def undo_view(request, pk: int):
    user = request.user
    _require(user)
    row = HouseholdMerge.objects.visible_to(user).filter(pk=pk).first()
    if row is None:
        raise Http404
    try:
        merge.undo_merge(user, row)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已撤销合并，两户恢复为各自独立的户。"))
    return redirect(reverse("households:duplicates"))


register_hub_link(
    HubLink(
        group=gettext_lazy("贫困户与结对帮扶"),
        label=gettext_lazy("重复户"),
        url_name="households:duplicates",
        kind=merge.KEEPER_KIND,
        intro=gettext_lazy(
            "一人多户：同一身份证号登记在两户、其他村户主同名同生日、户主电话相同；核实后合并，可撤销。"
        ),
    )
)
