from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "coresync.accounting"
    label = "accounting"
    verbose_name = "Accounting (QuickBooks Online)"

    def ready(self) -> None:
        from coresync.accounting import jobs  # noqa: F401 - registers the outbox handler
        from coresync.accounting.subscribers import rerecord_on_booking_change
        from coresync.bookings import events

        events.subscribe(rerecord_on_booking_change)
