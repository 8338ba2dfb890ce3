from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "coresync.calendars"
    label = "calendars"
