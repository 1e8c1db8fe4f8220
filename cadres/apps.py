from django.apps import AppConfig


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = "干部与驻村工作队"

    def ready(self):
        # Change history (who, when, what) shown on each record's page (issue #3). Imported in
        # ready(): models can be imported only once the app registry is loaded.
        from auditlog.registry import auditlog

        from cadres.models import FieldDay

        auditlog.register(FieldDay)
