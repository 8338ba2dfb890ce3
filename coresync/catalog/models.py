"""The catalog: categories, services with their durations and prices, add-ons, peak pricing
(SPEC §1). Prices are non-member prices per guest, in the spa's currency, as ``Decimal``."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class RoomType(models.TextChoices):
    """Kinds of room (SPEC §1). Only ``shared`` rooms are sold per place; the others are sold
    whole to one booking (up to their capacity in guests)."""

    MENSUITE = "mensuite", "Men's suite"
    PRIVATE = "private", "Private"
    SHARED = "shared", "Shared"
    VIP = "vip", "VIP"


class ServiceCategory(models.Model):
    """A group of services: massage, facial, barber, mani-pedi, thermal…"""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "service categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A bookable service.

    ``skill`` is the technician skill required (empty for a self-guided service, which needs
    only a place in a room). ``room_types`` lists the ``RoomType`` values it may use.
    ``max_guests`` above 1 makes couples/group bookings possible: one technician per guest
    (none if self-guided) and one room holding them all. Buffers are minutes blocked before and
    after the service on both the technician and the room.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="services")
    skill = models.SlugField(
        blank=True, help_text="Technician skill required; empty if self-guided."
    )
    self_guided = models.BooleanField(default=False)
    room_types = models.JSONField(default=list, help_text='Allowed room types, e.g. ["private"].')
    buffer_before = models.PositiveIntegerField(default=0, help_text="Minutes.")
    buffer_after = models.PositiveIntegerField(default=0, help_text="Minutes.")
    slot_interval_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Start-time grid for this service; empty uses the spa default.",
    )
    max_guests = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category__position", "position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(self_guided=True, skill="") | models.Q(self_guided=False),
                name="service_self_guided_has_no_skill",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def durations(self) -> list[int]:
        return [variant.minutes for variant in self.variants.all()]


class ServiceVariant(models.Model):
    """One duration of a service and its non-member price per guest (e.g. Swedish 90 min)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="variants")
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(5)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["service", "minutes"]
        constraints = [
            models.UniqueConstraint(fields=["service", "minutes"], name="service_variant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.minutes} min"


class AddOn(models.Model):
    """An extra on a service (hot stones, CBD oil…): a price per guest and extra minutes."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    extra_minutes = models.PositiveIntegerField(default=0)
    services = models.ManyToManyField(Service, related_name="addons", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "add-on"

    def __str__(self) -> str:
        return self.name


class PeakPricingWindow(models.Model):
    """A surcharge on services that start inside a weekly local-time window (SPEC §1).

    ``days`` holds weekday numbers (Monday = 0); ``start``/``end`` are spa-local wall-clock
    times, the window is ``start <= local start time < end``.
    """

    days = models.JSONField(default=list, help_text="Weekdays, Monday = 0.")
    start = models.TimeField()
    end = models.TimeField()
    modifier_percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["start"]
        verbose_name = "peak pricing window"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="peak_window_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} +{self.modifier_percent}%"
