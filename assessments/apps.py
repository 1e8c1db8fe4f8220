from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "考核指标与结果"

    def ready(self):
        # Change history (who, when, old → new) of a region's own thresholds, shown on the
        # thresholds page. Each entry keeps the override's fields (serialize_data), so the
        # history of an indicator still names the region after the override was cleared.
        from auditlog.registry import auditlog

        from assessments.models import IndicatorOverride

        auditlog.register(IndicatorOverride, serialize_data=True)
