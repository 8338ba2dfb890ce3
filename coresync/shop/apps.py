from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The pickup shop (SPEC §8, ARCHITECTURE.md "Shop and concierge")."""

    name = "coresync.shop"
    label = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        from coresync.payments import purchases
        from coresync.shop import mail  # noqa: F401  (registers the shop's outbox handler)
        from coresync.shop.services import PURCHASE_KIND, record_order_payment

        purchases.register(PURCHASE_KIND, record_order_payment)
