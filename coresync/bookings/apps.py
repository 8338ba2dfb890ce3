from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "coresync.bookings"
    label = "bookings"
