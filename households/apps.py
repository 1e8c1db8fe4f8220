from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "贫困户与走访"

    def ready(self):
        # Change history (who, when, what) shown on each record's page (issue #3). Imported in
        # ready(): models can be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from households.models import (
            Household,
            HouseholdPairing,
            IncomeRecord,
            Measure,
            Member,
            Plan,
            Visit,
        )

        auditlog.register(
            Household, exclude_fields=["updated_at", "path", "township", "name_initials"]
        )
        # Everything township staff (and coordinators, for pairings) keep on the pages.
        auditlog.register(HouseholdPairing)
        auditlog.register(Member)
        auditlog.register(IncomeRecord)
        auditlog.register(Plan)
        auditlog.register(Measure)
        auditlog.register(
            Visit, exclude_fields=["updated_at", "path", "township", "submission_token"]
        )
