from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "coresync.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from coresync.bookings import events
        from coresync.notifications.content import (
            GIFT_CARD_DELIVERY,
            RECEIPT_KINDS,
            register_context_builder,
            register_payment_summary,
        )
        from coresync.payments import (
            jobs,  # noqa: F401 - registers the outbox handlers
            memberships,  # noqa: F401 - registers the renewal/upgrade handlers
            purchases,
        )
        from coresync.payments.giftcards import (
            gift_card_email_context,
            record_gift_card_payment,
            record_package_payment,
        )
        from coresync.payments.receipts import receipt_context
        from coresync.payments.selectors import booking_payment_summary
        from coresync.payments.subscribers import settle_on_booking_change

        events.subscribe(settle_on_booking_change)
        register_payment_summary(booking_payment_summary)  # how a booking is paid, in emails
        register_context_builder(RECEIPT_KINDS, receipt_context)
        register_context_builder((GIFT_CARD_DELIVERY,), gift_card_email_context)
        purchases.register("gift_card", record_gift_card_payment)
        purchases.register("package", record_package_payment)
