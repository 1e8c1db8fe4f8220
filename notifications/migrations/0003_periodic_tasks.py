"""Write the beat schedule (notifications/schedule.py) on a fresh database, so a worker and beat
started after `migrate` run the reminders without another step. Entries that exist are kept:
an administrator's edits in the admin are never overwritten by a migration."""

from django.db import migrations


def forwards(apps, schema_editor):
    from notifications.schedule import sync_schedule

    sync_schedule(
        CrontabSchedule=apps.get_model("django_celery_beat", "CrontabSchedule"),
        PeriodicTask=apps.get_model("django_celery_beat", "PeriodicTask"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_digest"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
