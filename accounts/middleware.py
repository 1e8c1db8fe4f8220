"""Request-wide security duties: remember the request for the security log's model signals,
send a user who must change their password to the page that does it before anything else, and
log refused out-of-scope objects.

Out of scope is a 404 everywhere (`get_object_or_404` on `visible_to(user)` in pages, the
API's scoped querysets), and nothing tells it from "no such id" without a second query; so
every 404 an authenticated user gets on an object URL (a URL with an id or a code in it:
`<pk>`, `<…_pk>`, `<…_id>`, `<code>`) is counted in the security log, folded per user and hour
(`security_event_fold`): a probe shows up as one row with a count, without flooding the log.
The response is inspected rather than the exception because the API turns Http404 into its
JSON answer inside the view; DRF puts the token's user on the request, so API probes count too."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import SecurityEvent
from accounts.services import current_request, security_event_fold


def password_change_due(user) -> bool:
    """True when an administrator created or reset the account (must_change_password), or the
    password is older than PASSWORD_MAX_AGE_DAYS (0 turns the age rule off)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.must_change_password:
        return True
    max_age = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0)
    if max_age and user.password_changed_at is not None:
        return timezone.now() - user.password_changed_at > datetime.timedelta(days=max_age)
    return False


def object_url_kwarg(name: str) -> bool:
    """A URL keyword that names one object (what a 404 there means: out of scope or absent)."""
    return name in ("pk", "code") or name.endswith(("_pk", "_id"))


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            blocked = self._password_gate(request)
            if blocked is not None:
                return blocked
            expired = self._session_expired(request)
            request.session_expired = expired
            response = self.get_response(request)
            if response.status_code == 404:
                self._record_refused_object(request)
            if expired:
                self._say_expired(response)
            return response
        finally:
            current_request.reset(token)

    @staticmethod
    def _session_expired(request) -> bool:
        """The browser still sends a session cookie but no session answers to it: the idle
        timeout (SESSION_IDLE_SECONDS) ended it. (Logging out deletes the cookie.)"""
        if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return False
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or user.is_authenticated:
            return False
        return not list(session.keys())  # a live anonymous session keeps its data

    @staticmethod
    def _say_expired(response) -> None:
        """A page that sends an expired session to the login page says why there: the login
        page reads `expired=1` ("登录已过期，请重新登录；未提交的内容已保留")."""
        location = response.get("Location", "") if response.status_code in (301, 302) else ""
        login_url = reverse("accounts:login")
        if location.startswith(login_url) and "expired=1" not in location:
            response["Location"] = location + ("&" if "?" in location else "?") + "expired=1"

    @staticmethod
    def _record_refused_object(request) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if not getattr(user, "is_authenticated", False) or match is None:
            return
        if not any(object_url_kwarg(name) for name in match.kwargs):
            return
        security_event_fold(
            kind=SecurityEvent.Kind.OUT_OF_SCOPE,
            request=request,
            user=user,
            detail={"path": request.path[:300], "method": request.method, "view": match.view_name},
        )

    @staticmethod
    def _password_gate(request):
        if not password_change_due(getattr(request, "user", None)):
            return None
        change_url = reverse("accounts:password_change")
        open_paths = (
            change_url,
            reverse("accounts:logout"),
            reverse("accounts:login"),
            "/" + settings.STATIC_URL.lstrip("/"),
            "/sw.js",  # the service worker script (no data; a redirect would fail its update)
        )
        if request.path.startswith(open_paths):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("请先修改密码后再使用系统。")}, status=403)
        return HttpResponseRedirect(f"{change_url}?{urlencode({'next': request.get_full_path()})}")


IDLE_STAMP_KEY = "_idle_seen"


def session_idle_stamp(session) -> None:
    """Mark the session as saved now (SessionIdleMiddleware): a login saves the session anyway,
    so the first request after it need not save it again."""
    session[IDLE_STAMP_KEY] = int(timezone.now().timestamp())


class SessionIdleMiddleware:
    """The inactivity timeout without a session write on every request. The session ends
    SESSION_COOKIE_AGE (SESSION_IDLE_SECONDS) after it was last saved; instead of saving it on
    every request (SESSION_SAVE_EVERY_REQUEST), a request saves it when its last save is more
    than SESSION_IDLE_REFRESH_SECONDS old (a minute): a session still ends after at most the
    idle time, and at least that minus a minute, without activity. An empty session (no
    cookie, or one the timeout already ended) is left alone. Sits right below
    SessionMiddleware, which saves the session when this marks it changed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.refresh = getattr(settings, "SESSION_IDLE_REFRESH_SECONDS", 60)

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and (session.session_key or session.modified):
            self.touch(session)
        return response

    def touch(self, session) -> None:
        if not session.keys():
            return
        now = int(timezone.now().timestamp())
        seen = session.get(IDLE_STAMP_KEY)
        # A session saved anyway (a login, a message) carries the time too, for free.
        if session.modified or not isinstance(seen, int) or not 0 <= now - seen < self.refresh:
            session[IDLE_STAMP_KEY] = now
