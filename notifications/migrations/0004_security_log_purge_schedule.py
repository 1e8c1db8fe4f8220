"""Add the nightly security-log purge to the beat schedule of databases migrated before it was
listed; entries that exist (and an administrator's edits) are kept, as in 0003."""

from django.db import migrations


def forwards(apps, schema_editor):
    from notifications.schedule import sync_schedule

    sync_schedule(
        CrontabSchedule=apps.get_model("django_celery_beat", "CrontabSchedule"),
        PeriodicTask=apps.get_model("django_celery_beat", "PeriodicTask"),
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_periodic_tasks")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
