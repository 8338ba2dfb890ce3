from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "coresync.catalog"
    label = "catalog"
