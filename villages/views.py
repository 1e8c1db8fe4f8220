"""Village pages: the list of villages in scope and a village's page; the collective income
entry pages (villages:income_*). Thin: selectors read, services write."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.entry_views import EntryPages, initial_village, register_activity
from villages.forms import VillageIncomeForm
from villages.models import VillageIncome
from villages.services import village_income_delete, village_income_record, village_income_update

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

register_activity("income", INCOME_PAGES)
