from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The pickup shop (SPEC §8, ARCHITECTURE.md "Shop and concierge")."""

    name = "coresync.shop"
    label = "shop"
    verbose_name = "Shop"

    def ready(self) -> None:
        from coresync.shop import mail  # noqa: F401  (registers the shop's outbox handler)
