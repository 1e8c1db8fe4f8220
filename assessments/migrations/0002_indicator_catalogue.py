from django.db import migrations


def load(apps, schema_editor):
    from assessments.catalogue import load_indicator_catalogue

    load_indicator_catalogue(apps.get_model("assessments", "Indicator"))


def unload(apps, schema_editor):
    from assessments.catalogue import CATALOGUE

    apps.get_model("assessments", "Indicator").objects.filter(code__in=[row[0] for row in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
