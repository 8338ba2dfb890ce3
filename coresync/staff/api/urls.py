"""Staff API URLs, mounted at ``/api/v1/staff/`` (docs/staff.md)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from coresync.bookings.models import REFERENCE_PATTERN
from coresync.staff.api import views

router = SimpleRouter()
router.register("time-entries", views.TimeEntryViewSet, basename="staff-time-entry")
router.register("time-off", views.TimeOffViewSet, basename="staff-time-off")

urlpatterns = [
    path("clock/", views.ClockView.as_view(), name="staff-clock"),
    path(
        "clock/in/",
        views.clock_action_view("in", "Clock in: open an entry now (409 already_clocked_in)."),
        name="staff-clock-in",
    ),
    path(
        "clock/out/",
        views.clock_action_view(
            "out", "Clock out: close the open entry now; it waits for approval."
        ),
        name="staff-clock-out",
    ),
    path(
        "clock/break-start/",
        views.clock_action_view("break-start", "Start an unpaid break in the open entry."),
        name="staff-break-start",
    ),
    path(
        "clock/break-end/",
        views.clock_action_view("break-end", "End the break in progress."),
        name="staff-break-end",
    ),
    path("agenda/", views.AgendaView.as_view(), name="staff-agenda"),
    path("reassignments/", views.ReassignmentListView.as_view(), name="staff-reassignments"),
    re_path(
        rf"^reassignments/(?P<reference>{REFERENCE_PATTERN})/$",
        views.ReassignView.as_view(),
        name="staff-reassign",
    ),
    re_path(
        rf"^reassignments/(?P<reference>{REFERENCE_PATTERN})/cancel/$",
        views.ReassignCancelView.as_view(),
        name="staff-reassign-cancel",
    ),
    path("pay-rates/", views.PayRateView.as_view(), name="staff-pay-rates"),
    path("payroll/", views.PayrollView.as_view(), name="staff-payroll"),
    path("payroll/close/", views.PayrollCloseView.as_view(), name="staff-payroll-close"),
    *router.urls,
]
