"""Admin for the outbox and the delivery logs: see what is waiting, what failed and why, and
retry it. Rows are written by the application only: no add, no edit of payloads; deleting
is left to the nightly cleanup."""

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from coresync.notifications.models import (
    EmailLog,
    NotificationLog,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
)
from coresync.notifications.outbox import retry_now


class ReadOnlyAdminMixin:
    """No add, change or delete: the rows are a record."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class OutboxAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OutboxAttempt
    extra = 0
    fields = ("number", "started_at", "duration_ms", "succeeded", "error")
    readonly_fields = fields


class EmailLogInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EmailLog
    extra = 0
    fields = ("created_at", "to", "kind", "status", "error")
    readonly_fields = fields


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "topic",
        "kind",
        "status_badge",
        "attempts",
        "available_at",
        "processed_at",
        "short_error",
    )
    list_filter = ("status", "topic")
    search_fields = ("dedupe_key", "last_error")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_selected",)
    fields = (
        "topic",
        "status",
        "dedupe_key",
        "pretty_payload",
        "attempts",
        "available_at",
        "locked_until",
        "last_error",
        "created_at",
        "processed_at",
    )
    readonly_fields = fields
    inlines = (OutboxAttemptInline, EmailLogInline)

    @admin.display(description="kind")
    def kind(self, message: OutboxMessage) -> str:
        return str(message.payload.get("kind", "")) if isinstance(message.payload, dict) else ""

    @admin.display(description="status", ordering="status")
    def status_badge(self, message: OutboxMessage) -> str:
        color = {
            OutboxStatus.DONE: "#2e7d32",
            OutboxStatus.FAILED: "#ef6c00",
            OutboxStatus.DEAD: "#c62828",
        }.get(message.status, "#555")
        return format_html('<b style="color:{}">{}</b>', color, message.get_status_display())

    @admin.display(description="last error")
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    @admin.display(description="payload")
    def pretty_payload(self, message: OutboxMessage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(message.payload, indent=2, sort_keys=True))

    @admin.action(description="Retry now (failed or dead messages)", permissions=("retry",))
    def retry_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = retry_now(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"{count} message(s) will be sent on the next dispatch run.",
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_outboxmessage")


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "to", "kind", "status", "subject", "sent_at", "outbox_message")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "error")
    date_hierarchy = "created_at"
    list_select_related = ("outbox_message",)
    readonly_fields = (
        "outbox_message",
        "user",
        "to",
        "kind",
        "subject",
        "status",
        "error",
        "message_id",
        "sent_at",
        "created_at",
    )


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "channel", "to", "kind", "status", "provider", "sent_at")
    list_filter = ("channel", "status", "kind")
    search_fields = ("to", "body", "error")
    date_hierarchy = "created_at"
    readonly_fields = (
        "outbox_message",
        "user",
        "channel",
        "to",
        "kind",
        "body",
        "status",
        "error",
        "provider",
        "sent_at",
        "created_at",
    )
