from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "ledgers"
    verbose_name = "台账导出与名册导入"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from ledgers.models import LedgerSubscription

        # The subscription page shows who changed what (core/history.py reads this log).
        auditlog.register(LedgerSubscription, exclude_fields=["created_at"])
