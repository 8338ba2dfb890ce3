from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coresync.core"
    label = "core"
