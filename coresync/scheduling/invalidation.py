"""What bumps the availability cache (:mod:`coresync.scheduling.cache`), wired in
:meth:`coresync.scheduling.apps.SchedulingConfig.ready`.

- Exceptions and maintenance (``AvailabilityException``) and slot holds (``SlotHold``) bump
  the days they cover (a day of margin each side) when created or deleted, and everything
  when edited (the old dates are not at hand, and edits are rare).
- Hours, rooms, technicians, services, their durations and add-ons, peak windows, plans,
  tier prices and the spa's settings bump everything on any save, delete or add-on link
  change, and so does :data:`coresync.core.signals.availability_inputs_changed`, which the
  services send after queryset updates and bulk inserts.
- A technician's external busy blocks (an outside calendar) bump their interval when saved
  or deleted; an edit bumps everything (the old interval is not at hand).
- Bookings bump the days of the allocations they write, move or release (through
  :mod:`coresync.scheduling.ledger`); allocations deleted with their booking (a customer's
  data erased, a cascade) bump their interval here.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from coresync.catalog.models import (
    AddOn,
    PeakPricingWindow,
    Service,
    ServiceCategory,
    ServiceVariant,
)
from coresync.core.signals import availability_inputs_changed
from coresync.memberships.models import MembershipPlan, TierPrice
from coresync.resources.models import (
    AvailabilityException,
    ExternalBusyBlock,
    Room,
    SlotHold,
    Technician,
    WorkingHours,
)
from coresync.scheduling import cache
from coresync.scheduling.models import Allocation
from coresync.spa.models import SpaSettings

EVERYTHING_MODELS = (
    Service,
    ServiceCategory,
    ServiceVariant,
    AddOn,
    PeakPricingWindow,
    Room,
    Technician,
    WorkingHours,
    MembershipPlan,
    TierPrice,
    SpaSettings,
)


def _everything_changed(sender, **kwargs) -> None:
    cache.invalidate_all()


def _exception_changed(sender, instance: AvailabilityException, created: bool = True, **kwargs):
    if not created:
        cache.invalidate_all()
        return
    cache.invalidate_days(instance.date, instance.end_date or instance.date, margin=1)


def _hold_changed(sender, instance: SlotHold, created: bool = True, **kwargs) -> None:
    if not created:
        cache.invalidate_all()
        return
    cache.invalidate_interval(instance.starts_at, instance.ends_at)


def _busy_block_changed(
    sender, instance: ExternalBusyBlock, created: bool = True, **kwargs
) -> None:
    if not created:
        cache.invalidate_all()
        return
    cache.invalidate_interval(instance.starts_at, instance.ends_at)


def _allocation_deleted(sender, instance: Allocation, **kwargs) -> None:
    cache.invalidate_interval(instance.starts_at, instance.ends_at)


def connect() -> None:
    """Connect the receivers above (once, from the app's ``ready``)."""
    uid = "coresync.scheduling.invalidation"
    for model in EVERYTHING_MODELS:
        post_save.connect(_everything_changed, sender=model, dispatch_uid=f"{uid}.save.{model}")
        post_delete.connect(_everything_changed, sender=model, dispatch_uid=f"{uid}.delete.{model}")
    m2m_changed.connect(
        _everything_changed, sender=AddOn.services.through, dispatch_uid=f"{uid}.addon_services"
    )
    post_save.connect(_exception_changed, sender=AvailabilityException, dispatch_uid=f"{uid}.e1")
    post_delete.connect(_exception_changed, sender=AvailabilityException, dispatch_uid=f"{uid}.e2")
    post_save.connect(_hold_changed, sender=SlotHold, dispatch_uid=f"{uid}.h1")
    post_delete.connect(_hold_changed, sender=SlotHold, dispatch_uid=f"{uid}.h2")
    post_save.connect(_busy_block_changed, sender=ExternalBusyBlock, dispatch_uid=f"{uid}.b1")
    post_delete.connect(_busy_block_changed, sender=ExternalBusyBlock, dispatch_uid=f"{uid}.b2")
    post_delete.connect(_allocation_deleted, sender=Allocation, dispatch_uid=f"{uid}.allocation")
    availability_inputs_changed.connect(_everything_changed, dispatch_uid=f"{uid}.inputs")
