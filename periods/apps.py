from django.apps import AppConfig


class PeriodsConfig(AppConfig):
    name = "periods"
    verbose_name = "报送期间"

    def ready(self):
        # The lock of approved and expired periods guards every write of a dated record: the
        # shared save helpers and the admin ask core.guards, and a last pre_save/pre_delete
        # signal refuses a write that came by any other path (a direct ORM save).
        from auditlog.registry import auditlog

        from core.guards import register_write_guard
        from periods import rules
        from periods.models import PeriodSetting

        register_write_guard(rules.guard)
        rules.connect_signals()
        auditlog.register(PeriodSetting)
