"""Village pages: the list of villages in scope and a village's page; the collective income
entry pages (villages:income_*). Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.entry_views import PAGE_SIZE, EntryPages, initial_village
from villages.forms import VillageIncomeForm
from villages.models import VillageIncome
from villages.selectors import village_detail, village_list, villages_decorate
from villages.services import village_income_delete, village_income_record, village_income_update


@login_required
def village_list_view(request):
    filterset, queryset = village_list(user=request.user, params=request.GET, request=request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    villages_decorate(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "villages/village_list.html",
        {"filter": filterset, "page_obj": page, "query": query.urlencode()},
    )


@login_required
def village_detail_view(request, pk: int):
    return render(
        request, "villages/village_detail.html", {"p": village_detail(user=request.user, pk=pk)}
    )


INCOME_PAGES = EntryPages(
    model=VillageIncome,
    form_class=VillageIncomeForm,
    namespace="villages",
    name="income",
    label=gettext_lazy("村集体经济收入"),
    record=village_income_record,
    update=village_income_update,
    delete=village_income_delete,
    instance_kw="income",
    queryset=lambda user: VillageIncome.objects.visible_to(user).select_related(
        "village", "recorded_by"
    ),
    list_columns=["year", "village", "amount", "sources"],
    detail_fields=["village", "year", "amount", "sources", "recorded_by", "recorded_at"],
    title=lambda income: (
        _("%(village)s %(year)s 年集体经济收入")
        % {"village": income.village.name, "year": income.year}
    ),
    created_by_field="recorded_by",
    created_at_field="recorded_at",
    date_field="year",
    extra_initial=initial_village,
)
