from django.contrib import admin

from coresync.assistant.models import Conversation, Message, ToolCall


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "role", "text", "actions", "latency_ms"]
    readonly_fields = fields
    can_delete = False


class ToolCallInline(admin.TabularInline):
    model = ToolCall
    extra = 0
    fields = ["created_at", "tool", "arguments", "outcome", "error_code"]
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Managers read and search transcripts (replay); nothing is edited here. Transcripts
    are purged after ``ASSISTANT_RETENTION_DAYS``."""

    list_display = ["id", "owner", "channel", "started_at", "last_activity_at"]
    list_filter = ["channel"]
    search_fields = ["id", "owner__email", "owner__name", "messages__text"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "id",
        "owner",
        "session_key",
        "channel",
        "language",
        "state",
        "started_at",
        "last_activity_at",
    ]
    inlines = [MessageInline, ToolCallInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("assistant.view_conversation")
