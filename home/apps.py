from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The top floor: the pages that put figures against their targets (the home page, the
    village pages, the household list and page). They read every app below, assessments'
    thresholds included, and nothing below imports them."""

    name = "home"
    verbose_name = "工作台"
