from django.contrib import admin

from coresync.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody edits history."""

    list_display = ["created_at", "action", "subject_type", "subject_label", "actor"]
    list_filter = ["action", "subject_type"]
    search_fields = ["subject_label", "subject_id", "action", "actor__email"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "subject_type"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
