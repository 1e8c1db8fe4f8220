"""Request limits of the API (DRF throttles on the default cache): per token user
(API_THROTTLE_USER_RATE, default 1200/min) and per address for anonymous calls
(API_THROTTLE_ANON_RATE, default 120/min). The rates are read from the settings at each
request, so a test or an operator can change them without a restart of the class.

A user is counted per token (one token per user; a new token starts a new count); calls of
the browser session are not limited, as the pages are not. An address is the client's address behind TRUSTED_PROXY_COUNT proxies (the same
as the security log's). A refused request is a 429 in the API's JSON error shape, with
Retry-After, in Chinese."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.services import client_ip


class ApiThrottled(exceptions.Throttled):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, wait: float | None = None):
        seconds = max(1, int(round(wait))) if wait is not None else None
        if seconds is None:
            detail = _("请求过于频繁，请稍后再试。")
        else:
            detail = _("请求过于频繁，请 %(n)d 秒后再试。") % {"n": seconds}
        super().__init__(wait=seconds, detail=detail)


class _RateFromSettings:
    rate_setting = ""

    def __init__(self):
        # SimpleRateThrottle reads THROTTLE_RATES at import time; read ours now instead.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        return getattr(settings, self.rate_setting) or None

    def get_ident(self, request):
        return client_ip(request) or super().get_ident(request)

    def allow_request(self, request, view):
        if super().allow_request(request, view):
            return True
        raise ApiThrottled(self.wait())


class ApiUserRateThrottle(_RateFromSettings, UserRateThrottle):
    rate_setting = "API_THROTTLE_USER_RATE"

    def get_cache_key(self, request, view):
        auth = getattr(request, "auth", None)
        if not (request.user and request.user.is_authenticated) or not hasattr(auth, "key"):
            # Anonymous calls: the anonymous throttle. The browser session (the pages' own
            # calls) is not limited here, as the pages are not.
            return None
        # Per token (so per user: one token each); a digest, not the key itself, in the cache.
        ident = "token-" + hashlib.sha256(auth.key.encode()).hexdigest()[:24]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonRateThrottle(_RateFromSettings, AnonRateThrottle):
    rate_setting = "API_THROTTLE_ANON_RATE"
