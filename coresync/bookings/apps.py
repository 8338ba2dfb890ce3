from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "coresync.bookings"
    label = "bookings"

    def ready(self) -> None:
        # A technician's time off, however it is written (API, admin, the staff portal's
        # approval, a spa file), flags the bookings it falls on (and unflags them when it goes).
        from django.db.models.signals import post_delete, post_save

        from coresync.resources.models import AvailabilityException

        for signal in (post_save, post_delete):
            signal.connect(
                _exception_changed,
                sender=AvailabilityException,
                dispatch_uid=f"coresync.bookings.absences.{signal is post_save}",
            )


def _exception_changed(sender, instance, **kwargs) -> None:
    from django.db import transaction

    from coresync.bookings.services import review_absences

    with transaction.atomic():
        if instance.technician_id is not None:
            review_absences([instance.technician_id])
        elif instance.room_id is not None:
            review_absences(room_ids=[instance.room_id])
