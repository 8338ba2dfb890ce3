from django.apps import AppConfig


class SpaFileConfig(AppConfig):
    """The spa configuration file (ARCHITECTURE.md "Spa configuration file"): reading,
    validating, importing and exporting a whole spa, and the ``import_spa``, ``export_spa``
    and ``demo`` commands. It sits above every domain app whose rows it writes."""

    name = "coresync.spafile"
    label = "spafile"
