from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "coresync.dashboard"
    label = "dashboard"
    verbose_name = "Front desk day board and manager dashboard"
