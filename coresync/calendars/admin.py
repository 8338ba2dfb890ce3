"""Admin for private calendar feeds: find them, see whose they are, revoke them.

Feeds are created from the API (each person for themselves, managers for technicians and
rooms); here they are read-only apart from the revoke action, which goes through
:func:`coresync.calendars.services.revoke_feed`. A customer feed's URL is not shown: it is that
customer's secret.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from coresync.calendars.models import CalendarFeed, FeedKind
from coresync.calendars.selectors import feed_url
from coresync.calendars.services import revoke_feed


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "owner_display", "is_live", "created_at", "revoked_at")
    list_filter = (LiveFilter, "kind")
    list_select_related = ("user", "technician", "room")
    search_fields = ("user__email", "user__name", "technician__slug", "room__slug")
    date_hierarchy = "created_at"
    actions = ["revoke"]
    fields = (
        "kind",
        "user",
        "technician",
        "room",
        "subscription_url",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = fields

    @admin.display(description="owner")
    def owner_display(self, feed: CalendarFeed) -> str:
        return str(feed.owner)

    @admin.display(boolean=True, description="live")
    def is_live(self, feed: CalendarFeed) -> bool:
        return feed.is_live

    @admin.display(description="subscription URL")
    def subscription_url(self, feed: CalendarFeed) -> str:
        if feed.kind == FeedKind.CUSTOMER:
            return "(the customer's secret; not shown)"
        if not feed.is_live:
            return "(revoked)"
        return feed_url(feed)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Revoke selected feeds (their URLs stop working)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[CalendarFeed]) -> None:
        revoked = 0
        for feed in queryset.filter(revoked_at__isnull=True):
            revoke_feed(feed, actor=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} feed(s).", messages.SUCCESS)
