"""The payment provider registry: ``PAYMENT_PROVIDER`` names the provider in use.

Each provider is listed here explicitly (no discovery): ``onsite`` (pay at the spa, the
offline default) and ``stripe``. A payment is always refunded or cancelled through the
provider that took it (``Payment.provider``), whatever the setting says today.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from coresync.payments.providers.base import BasePaymentProvider
from coresync.payments.providers.onsite import OnsitePaymentProvider
from coresync.payments.providers.stripe import StripePaymentProvider

PROVIDERS: dict[str, type[BasePaymentProvider]] = {
    OnsitePaymentProvider.identifier: OnsitePaymentProvider,
    StripePaymentProvider.identifier: StripePaymentProvider,
}


def get_provider(identifier: str | None = None) -> BasePaymentProvider:
    """Return the provider named ``identifier``, or the one ``PAYMENT_PROVIDER`` selects.

    Raises:
        ImproperlyConfigured: an unknown name.
    """
    name = identifier or settings.PAYMENT_PROVIDER
    provider_class = PROVIDERS.get(name)
    if provider_class is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ImproperlyConfigured(f'Unknown payment provider "{name}"; use one of {known}.')
    return provider_class.from_settings()
