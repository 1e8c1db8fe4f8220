from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Monitoring against relapse (防止返贫致贫, DOMAIN.md "After 2020"): risk clues,
    monitoring cases and their steps, measures, income and expenses, risk removal, notices."""

    name = "monitoring"
    verbose_name = _("防止返贫监测")
