from django.apps import AppConfig


class SpaConfig(AppConfig):
    name = "coresync.spa"
    label = "spa"
