from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "coresync.notifications"
    label = "notifications"
    verbose_name = "Notifications and outbox"

    def ready(self) -> None:
        # Importing the delivery module registers the outbox handlers of its topics.
        from coresync.notifications import account_mail, delivery, services  # noqa: F401

        services.register()
