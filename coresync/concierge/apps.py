from django.apps import AppConfig


class ConciergeConfig(AppConfig):
    """Concierge requests of Premium and VIP members (SPEC §8, ARCHITECTURE.md "Shop and
    concierge")."""

    name = "coresync.concierge"
    label = "concierge"
    verbose_name = "Concierge"

    def ready(self) -> None:
        from coresync.concierge import mail  # noqa: F401  (registers the outbox handler)
