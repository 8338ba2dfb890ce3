from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coresync.core"
    label = "core"

    def ready(self) -> None:
        from coresync.core import checks  # noqa: F401  (registers the deployment checks)
