from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Monitoring against relapse (防止返贫致贫, DOMAIN.md "After 2020"): risk clues,
    monitoring cases and their steps, measures, income and expenses, risk removal, notices."""

    name = "monitoring"
    verbose_name = _("防止返贫监测")

    def ready(self):
        # Change history (who, when, what) on each record's page (core/history.py). Imported
        # in ready(): models can be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from monitoring.models import (
            HouseholdFinance,
            HouseholdReview,
            MonitoringCase,
            MonitoringMeasure,
            MonitoringRange,
            MonitoringStep,
            PublicNotice,
            RiskClue,
            RiskRemoval,
        )

        place = ["updated_at", "path", "township", "village"]
        auditlog.register(MonitoringRange, exclude_fields=["updated_at"])
        auditlog.register(RiskClue, exclude_fields=place)
        auditlog.register(MonitoringCase, exclude_fields=place)
        auditlog.register(MonitoringStep)
        auditlog.register(RiskRemoval, exclude_fields=["checks"])
        auditlog.register(MonitoringMeasure, exclude_fields=["updated_at"])
        auditlog.register(HouseholdFinance, exclude_fields=["updated_at"])
        auditlog.register(HouseholdReview, exclude_fields=place)
        auditlog.register(PublicNotice, exclude_fields=["updated_at", "path", "township"])
