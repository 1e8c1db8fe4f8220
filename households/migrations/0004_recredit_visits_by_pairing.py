"""Visits written before the pairing rule moved into the visit service were credited without
it (a helper whose pairing had ended, or who was never paired, was counted). Decide them again:
a household visit that is credited or held for review, by a helper with no pairing with the
household in force on the visit date, becomes "not counted" with the reason. The affected
visits are found in one query; only they are read."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q


def recredit(apps, schema_editor):
    Visit = apps.get_model("households", "Visit")
    HouseholdPairing = apps.get_model("households", "HouseholdPairing")
    in_force = HouseholdPairing.objects.filter(
        household_id=OuterRef("household_id"),
        helper_id=OuterRef("helper_id"),
        start_date__lte=OuterRef("visited_on"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("visited_on")))
    affected = list(
        Visit.objects.filter(household__isnull=False, credit_status__in=["credited", "review"])
        .filter(~Exists(in_force))
        .values_list("id", "household_id", "helper_id", "visited_on")
    )
    if not affected:
        return
    spans: dict = {}
    for household_id, helper_id, start, end in HouseholdPairing.objects.filter(
        household_id__in={row[1] for row in affected}
    ).values_list("household_id", "helper_id", "start_date", "end_date"):
        spans.setdefault((household_id, helper_id), []).append((start, end))
    for visit_id, household_id, helper_id, visited_on in affected:
        own = spans.get((household_id, helper_id), [])
        ended = [end for _start, end in own if end is not None and end < visited_on]
        if not own:
            rule, reason = "not_paired", "走访人未与该户结对，走访不计入考核。"
        elif ended:
            rule = "after_end"
            reason = f"走访日期晚于走访人与该户结对的解除日期（{max(ended).isoformat()}），不计入考核。"
        else:
            rule = "before_start"
            first = min(start for start, _end in own)
            reason = f"走访日期早于走访人与该户结对的开始日期（{first.isoformat()}），不计入考核。"
        Visit.objects.filter(pk=visit_id).update(
            credit_status="not_counted", pairing_rule=rule, credit_reason=reason, household_pairing=None
        )


class Migration(migrations.Migration):
    dependencies = [("households", "0003_visit_pairing_rule")]

    operations = [migrations.RunPython(recredit, migrations.RunPython.noop)]
