from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "coresync.staff"
    label = "staff"
    verbose_name = "Staff: time off, time clock and payroll"

    def ready(self) -> None:
        from coresync.staff import jobs  # noqa: F401 - registers the outbox handler
