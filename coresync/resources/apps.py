from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "coresync.resources"
    label = "resources"
