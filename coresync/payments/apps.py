from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "coresync.payments"
    label = "payments"
