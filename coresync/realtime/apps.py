from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "coresync.realtime"
    label = "realtime"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from coresync.realtime import services

        services.register()
