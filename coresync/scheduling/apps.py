from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "coresync.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from coresync.scheduling import invalidation

        invalidation.connect()
