"""Reads for the notification pages: a person only ever sees their own notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from notifications.models import Notification
from notifications.services import DIGEST_ORDER

if TYPE_CHECKING:
    from accounts.models import User


def notification_list(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """Top-level notifications of a user (digests and stand-alone messages), newest first."""
    qs = Notification.objects.filter(recipient=user, digest__isnull=True)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.annotate(
        item_count=Count("items"),
    ).order_by("-created_at", "-id")


def notification_get(user: User, pk: int) -> Notification | None:
    return Notification.objects.filter(recipient=user, pk=pk).first()


def digest_items(notification: Notification) -> list[Notification]:
    """A digest's reminders, in the digest's order of kinds (what is already late first)."""

    items = list(
        notification.items.order_by("id").only(
            "id", "kind", "title", "body", "link", "period", "read_at"
        )
    )
    order = {kind: i for i, kind in enumerate(DIGEST_ORDER)}
    return sorted(items, key=lambda n: order.get(n.kind, len(order)))


def unread_count(user: User) -> int:
    return Notification.objects.filter(
        Q(recipient=user) & Q(read_at__isnull=True) & Q(digest__isnull=True)
    ).count()


def digest_groups(notification: Notification) -> list[dict]:
    """The digest page's sections: one per kind, with the explanation shown once when every
    reminder of the kind says the same (the weekly-visit rule, say) instead of on every line."""
    groups: list[dict] = []
    for item in digest_items(notification):
        if not groups or groups[-1]["kind"] != item.kind:
            groups.append({"kind": item.kind, "label": item.get_kind_display(), "items": []})
        groups[-1]["items"].append(item)
    for group in groups:
        bodies = {i.body for i in group["items"]}
        group["common_body"] = bodies.pop() if len(bodies) == 1 and len(group["items"]) > 1 else ""
    return groups
