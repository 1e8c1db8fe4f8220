"""API tokens: an administrator issues one per user (a county's registry program runs under
its own account, with that account's role and region) and can revoke it. Every issue and
revocation is written to the security log (SecurityEvent kind "token"). A token works for
API_TOKEN_LIFETIME_DAYS (90) days from its issue; then it is refused and must be issued anew."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import SecurityEvent, User
from accounts.services import security_event_record


def token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=max(1, int(settings.API_TOKEN_LIFETIME_DAYS)))


def token_expires_at(token: Token) -> datetime.datetime:
    """When the token stops working: its issue time plus API_TOKEN_LIFETIME_DAYS."""
    return token.created + token_lifetime()


def token_is_expired(token: Token, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) >= token_expires_at(token)


def token_issue(
    *, user: User, by: User | None = None, request: HttpRequest | None = None, via: str = "admin"
) -> Token:
    """A new token for `user`; an existing one stops working at once (one token per user)."""
    with transaction.atomic():
        replaced = Token.objects.filter(user=user).delete()[0] > 0
        token = Token.objects.create(user=user)
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN,
            request=request,
            user=by,
            username="" if by else via,
            detail={
                "action": "issue",
                "token_user": user.get_username(),
                "replaced": replaced,
                "via": via,
                "expires_at": token_expires_at(token).isoformat(),
            },
        )
    return token


def token_revoke(
    *, user: User, by: User | None = None, request: HttpRequest | None = None, via: str = "admin"
) -> bool:
    """Revoke the user's token; True when there was one."""
    with transaction.atomic():
        removed = Token.objects.filter(user=user).delete()[0] > 0
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN,
            request=request,
            user=by,
            username="" if by else via,
            detail={
                "action": "revoke",
                "token_user": user.get_username(),
                "had_token": removed,
                "via": via,
            },
        )
    return removed
