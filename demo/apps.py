from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo builder (`seed_demo`): it writes through every app, so it sits on top."""

    name = "demo"
    verbose_name = "演示数据"
