from django.apps import AppConfig


class GoogleSyncConfig(AppConfig):
    name = "coresync.googlesync"
    label = "googlesync"
    verbose_name = "Google Calendar and Sheets"
