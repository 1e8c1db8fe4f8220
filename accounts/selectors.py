"""Reads of the accounts app that other layers ask about a user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User


def lockout_attempts(username: Any) -> QuerySet:
    """The failed-login records that hold `username` (a value or an OuterRef) locked now:
    AXES_FAILURE_LIMIT failures (from any one address) within the cool-off time."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(
        username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts


def lockout_enabled() -> bool:
    return bool(getattr(settings, "AXES_ENABLED", True))


def user_is_locked_out(user: User) -> bool:
    """True while the login lockout (django-axes) holds the user. The API refuses the user's
    token meanwhile, as the login page refuses the password."""
    return lockout_enabled() and lockout_attempts(user.get_username()).exists()
