from django.contrib import admin

from coresync.concierge.models import ConciergeRequest


@admin.register(ConciergeRequest)
class ConciergeRequestAdmin(admin.ModelAdmin):
    """Requests are read here; they move through the staff's steps (desk pages and API),
    which check the rules and email the member."""

    list_display = ["reference", "title", "member", "status", "pickup_date", "review_due_at"]
    list_filter = ["status", "category"]
    search_fields = ["reference", "title", "member__email", "member__name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        field.name for field in ConciergeRequest._meta.fields if field.name not in {"id"}
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
