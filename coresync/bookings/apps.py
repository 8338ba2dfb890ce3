from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "coresync.bookings"
    label = "bookings"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from coresync.bookings.models import Allocation

        # Allocations deleted with their booking (a customer's data erased, a cascade): the
        # services bump the cache for every write of their own (coresync.bookings.services).
        post_delete.connect(
            _allocation_deleted, sender=Allocation, dispatch_uid="coresync.bookings.allocation"
        )


def _allocation_deleted(sender, instance, **kwargs) -> None:
    from coresync.scheduling.cache import invalidate_interval

    invalidate_interval(instance.starts_at, instance.ends_at)
