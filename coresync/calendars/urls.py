"""Public calendar feed URLs, mounted at ``/calendars/``."""

from django.urls import re_path

from coresync.calendars import views
from coresync.calendars.selectors import TOKEN_PATTERN

urlpatterns = [
    re_path(rf"^(?P<token>{TOKEN_PATTERN})\.ics$", views.feed, name="calendar-feed"),
]
