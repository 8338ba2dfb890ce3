from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "coresync.iot"
    label = "iot"
    verbose_name = "Smart rooms: devices, scenes, commands and sensor readings"

    def ready(self) -> None:
        from coresync.iot import jobs, services  # noqa: F401 - registers the outbox handler

        services.register()
