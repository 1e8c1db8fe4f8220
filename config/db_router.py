"""Reads from a streaming read replica, where it is safe (issue 17).

`DATABASE_REPLICA_URL` adds a `replica` database alias (config/settings.py). Writes always go to
the primary (`default`), and so do all reads, except inside an explicitly marked block:

    with reads_from_replica(user=request.user):   # or @replica_view on a view function
        ...  # the dashboard's figures, a ledger's rows, an API list page

Inside such a block reads go to the replica unless
- no replica is configured (the embedded default and a single server: everything is `default`);
- the request's user wrote within the last DATABASE_REPLICA_PIN_SECONDS (PrimaryPinMiddleware
  marks a browser with a signed cookie after any POST/PUT/PATCH/DELETE, and marks the user in the
  cache, shared in Redis, for API clients that keep no cookies): they read their own write;
- the primary is inside a transaction (what a transaction reads must be what it writes against);
- something was written earlier in the same block: the rest of the block reads the primary.

Migrations run on the primary only; the replica receives them by streaming replication."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "primary_pin"
_PIN_SALT = "config.db_router.pin"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _Block:
    __slots__ = ("pin_on_write", "wrote")

    def __init__(self, pin_on_write: bool) -> None:
        self.pin_on_write = pin_on_write
        self.wrote = False


# The innermost open reads_from_replica block of this thread or task, and whether the current
# request is pinned to the primary (set by the middleware for the length of a request).
_block: ContextVar[_Block | None] = ContextVar("replica_block", default=None)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_seconds() -> int:
    return int(getattr(settings, "DATABASE_REPLICA_PIN_SECONDS", 10))


def _user_key(user_id: Any) -> str:
    return f"db-router:primary-pin:{user_id}"


def user_recently_wrote(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(cache.get(_user_key(user.pk)))


def pin_user(user: Any) -> None:
    """The user's next reads, for DATABASE_REPLICA_PIN_SECONDS, come from the primary."""
    if user is not None and getattr(user, "is_authenticated", False):
        cache.set(_user_key(user.pk), 1, pin_seconds())


@contextlib.contextmanager
def reads_from_replica(user: Any = None, *, pin_on_write: bool = True) -> Iterator[bool]:
    """Reads in the block go to the replica where that is safe (see the module's docstring).
    `pin_on_write=False` for a block whose writes are never read back in it (a background
    export's progress rows). Yields whether the block reads from the replica at all."""
    if not replica_configured() or _pinned.get() or user_recently_wrote(user):
        yield False
        return
    token = _block.set(_Block(pin_on_write))
    try:
        yield True
    finally:
        _block.reset(token)


def replica_view(view: Callable) -> Callable:
    """A view function whose reads come from the replica (for its request's user)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with reads_from_replica(user=getattr(request, "user", None)):
            return view(request, *args, **kwargs)

    return wrapped


def reading_from_replica() -> bool:
    """Whether a read here would go to the replica (used by the router and by tests)."""
    block = _block.get()
    if block is None or block.wrote or _pinned.get() or not replica_configured():
        return False
    return not connections[PRIMARY].in_atomic_block


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reading_from_replica() else None

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None and block.pin_on_write:
            block.wrote = True  # read your own write: the rest of the block reads the primary
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class PrimaryPinMiddleware:
    """After a write request (POST/PUT/PATCH/DELETE) the same browser, and the same user, read
    from the primary for DATABASE_REPLICA_PIN_SECONDS, longer than the replica's usual lag."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        pinned = bool(
            request.get_signed_cookie(
                PIN_COOKIE, default=None, salt=_PIN_SALT, max_age=pin_seconds()
            )
        )
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if request.method in UNSAFE_METHODS and response.status_code < 500:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=_PIN_SALT,
                max_age=pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            pin_user(getattr(request, "user", None))
        return response
