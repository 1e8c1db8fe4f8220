from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "用户与安全"

    def ready(self):
        from accounts import signals

        signals.connect_threshold_signals()
