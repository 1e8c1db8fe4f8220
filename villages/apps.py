from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = "区划与村"

    def ready(self):
        # Change history (who, when, what) shown on each record's page (issue #3). Imported in
        # ready(): models can be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from villages.models import Region, Village, VillageIncome

        auditlog.register(VillageIncome)
        # Kept by reviewers (pages, API, Excel import): who renamed, added or ended what.
        auditlog.register(Region, exclude_fields=["path"])
        auditlog.register(Village, exclude_fields=["path", "township", "county"])
