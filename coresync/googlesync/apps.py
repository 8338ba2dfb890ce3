from django.apps import AppConfig


class GoogleSyncConfig(AppConfig):
    name = "coresync.googlesync"
    label = "googlesync"
    verbose_name = "Google Calendar and Sheets"

    def ready(self) -> None:
        from coresync.bookings import events
        from coresync.googlesync import jobs  # noqa: F401 - registers the outbox handler
        from coresync.googlesync.subscribers import push_on_booking_change

        events.subscribe(push_on_booking_change)
