from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "coresync.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from coresync.bookings import events
        from coresync.notifications.content import register_payment_summary
        from coresync.payments import jobs  # noqa: F401 - registers the outbox handlers
        from coresync.payments.selectors import booking_payment_summary
        from coresync.payments.subscribers import settle_on_booking_change

        events.subscribe(settle_on_booking_change)
        register_payment_summary(booking_payment_summary)  # how a booking is paid, in emails
