"""The four indicators of monitoring against relapse (issue 14): added to the catalogue as data,
the same way migration 0002 loaded the first 23 (rows that exist, edited or not, are kept)."""

from django.db import migrations

MONITORING_CODES = ["MON-CLUE-15D", "MON-HELPER", "MON-VISIT-MONTH", "MON-NOTICE-DAYS"]


def load(apps, schema_editor):
    from assessments.catalogue import load_indicator_catalogue

    load_indicator_catalogue(apps.get_model("assessments", "Indicator"))


def unload(apps, schema_editor):
    apps.get_model("assessments", "Indicator").objects.filter(code__in=MONITORING_CODES).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_threshold_help")]

    operations = [migrations.RunPython(load, unload)]
