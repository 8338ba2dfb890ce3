from django.contrib import admin

from coresync.googlesync.models import BookingEvent, CalendarLink


@admin.register(CalendarLink)
class CalendarLinkAdmin(admin.ModelAdmin):
    """Credentials are never shown."""

    list_display = ("technician", "kind", "calendar_id", "last_pulled_at", "last_error")
    fields = ("technician", "kind", "calendar_id", "is_active", "last_pulled_at", "last_error")
    readonly_fields = ("last_pulled_at", "last_error")


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ("booking", "link", "event_id", "is_deleted", "flag", "flagged_at")
    list_filter = ("flag", "is_deleted")
    readonly_fields = [field.name for field in BookingEvent._meta.fields]
