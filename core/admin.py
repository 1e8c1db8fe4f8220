"""The admin's headings of the third-party apps in Chinese. Most of their texts are msgids that
locale/zh_Hans/LC_MESSAGES/django.po translates; the few below are plain English in the
packages (an app name, columns named after a method or property), so no catalogue reaches
them: they are named here, once, through the translation machinery."""

from auditlog.mixins import LogEntryAdminMixin
from axes.admin import AccessAttemptAdmin
from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

apps.get_app_config("axes").verbose_name = _("登录保护")
LogEntryAdminMixin.cid_url.short_description = _("关联标识")
AccessAttemptAdmin.status.short_description = _("状态")
PeriodicTask.scheduler.fget.short_description = _("调度方式")
CrontabSchedule.human_readable.fget.short_description = _("执行时间说明")
