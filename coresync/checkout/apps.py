from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "coresync.checkout"
    label = "checkout"
    verbose_name = "Checkout"
