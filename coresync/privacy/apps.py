from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A person's data across the apps (SPEC §11 "data export and deletion"): it sits above
    every app whose rows it collects or erases."""

    name = "coresync.privacy"
    label = "privacy"
    verbose_name = "Privacy"
