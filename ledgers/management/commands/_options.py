"""Shared by the ledgers' management commands."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_by_name(username: str | None):
    """`--user NAME` runs a command within that person's scope; without it the operator at the
    server's console sees everything."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).select_related("region").first()
    if user is None:
        raise CommandError(f"没有用户名为 {username} 的用户。")
    return user
