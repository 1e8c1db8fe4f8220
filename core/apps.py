from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: scope and roles, permissions, ID-card numbers and the generic entry
    pages, forms, history and save helpers every other app builds on. It imports no other app
    of the product (tests/foundation/test_layers.py and `manage.py import_graph` hold it)."""

    name = "core"
    verbose_name = "基础"
