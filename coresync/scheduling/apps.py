from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "coresync.scheduling"
    label = "scheduling"
