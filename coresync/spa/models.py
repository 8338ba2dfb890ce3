"""Spa-wide configuration: time zone, tax, notice, grid, cancellation policy (SPEC, facts)."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction

SETTINGS_CACHE_KEY = "spa.settings.v1"


class SpaSettings(models.Model):
    """The one row of spa-wide rules; read through :func:`coresync.spa.selectors.get_settings`.

    Units: minutes for notice and grid, spa-local calendar days for advance windows, elapsed
    hours for the free-cancellation window, a fraction for the tax rate (``0.08875``).
    """

    name = models.CharField(max_length=120, default="CoreSync Spa")
    timezone = models.CharField(max_length=64, default="America/New_York")
    currency = models.CharField(max_length=3, default="USD")
    tax_rate = models.DecimalField(
        max_digits=6,
        decimal_places=5,
        default=Decimal("0.08875"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Sales tax as a fraction (0.08875 = 8.875%).",
    )
    min_notice_minutes = models.PositiveIntegerField(default=120)
    slot_interval_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    non_member_advance_days = models.PositiveIntegerField(
        default=3, help_text="Spa-local calendar days non-members may book ahead."
    )
    hold_minutes = models.PositiveIntegerField(
        default=15, help_text="How long a booking awaiting payment holds its slot."
    )
    check_in_window_minutes = models.PositiveIntegerField(
        "check-in window (minutes)",
        default=120,
        validators=[MaxValueValidator(24 * 60)],
        help_text="How many minutes before the start a guest may be checked in (on the "
        "booking's spa-local day only).",
    )
    free_cancellation_hours = models.PositiveIntegerField(default=24)
    late_cancellation_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("50")
    )
    no_show_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("100")
    )

    class Meta:
        verbose_name = "spa settings"
        verbose_name_plural = "spa settings"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(SETTINGS_CACHE_KEY)
        # Again after commit: a reader inside this transaction may have cached the new row,
        # which a rollback would make wrong; after commit the cache is refilled from the DB.
        transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class IssuedNumber(models.Model):
    """A gap-tolerant source of unique numbers for references (``CS-YYYY-NNNNNN``…).

    Each call inserts a row; the database's auto-increment (a PostgreSQL identity sequence,
    SQLite ``AUTOINCREMENT``) gives a number that is never reused, even after a rollback,
    which leaves a gap: never ``count()+1``. See :func:`coresync.spa.services.issue_reference`.
    """

    prefix = models.CharField(max_length=8)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "issued number"

    def __str__(self) -> str:
        return f"{self.prefix} {self.pk}"
