from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "period", "read_at", "emailed_at")
    list_filter = ("kind", "created_at")
    search_fields = ("title", "recipient__username", "subject_key")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
