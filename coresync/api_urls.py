"""The HTTP API, version 1 (ARCHITECTURE.md "HTTP API"): mounted at ``/api/v1/``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from coresync.bookings.api import views as booking_views
from coresync.catalog.api import views as catalog_views
from coresync.dashboard.api import views as dashboard_views
from coresync.giftcards.api import views as giftcard_views
from coresync.memberships.api import views as membership_views
from coresync.resources.api import views as resource_views
from coresync.scheduling.api import views as scheduling_views

router = SimpleRouter()
router.register("services", catalog_views.ServiceViewSet, basename="service")
router.register("addons", catalog_views.AddOnViewSet, basename="addon")
router.register("rooms", resource_views.RoomViewSet, basename="room")
router.register("technicians", resource_views.TechnicianViewSet, basename="technician")
router.register(
    r"technicians/(?P<technician_slug>[^/.]+)/exceptions",
    resource_views.TechnicianExceptionViewSet,
    basename="technician-exception",
)
router.register(
    r"rooms/(?P<room_slug>[^/.]+)/maintenance",
    resource_views.RoomMaintenanceViewSet,
    basename="room-maintenance",
)
router.register("plans", membership_views.PlanViewSet, basename="plan")
router.register("bookings", booking_views.BookingViewSet, basename="booking")

urlpatterns = [
    path("", include("coresync.accounts.api.urls")),
    path("availability/", scheduling_views.AvailabilityView.as_view(), name="availability"),
    path("calendar/", scheduling_views.CalendarView.as_view(), name="calendar"),
    path("quotes/", booking_views.QuoteView.as_view(), name="quotes"),
    path("memberships/", membership_views.SubscribeView.as_view(), name="membership-subscribe"),
    path("memberships/me/", membership_views.MyMembershipView.as_view(), name="membership-me"),
    path(
        "memberships/me/change/",
        membership_views.ChangePlanView.as_view(),
        name="membership-change",
    ),
    path(
        "memberships/me/cancel/",
        membership_views.CancelMembershipView.as_view(),
        name="membership-cancel",
    ),
    path("gift-cards/", giftcard_views.GiftCardsView.as_view(), name="gift-cards"),
    path(
        "gift-cards/balance/",
        giftcard_views.GiftCardBalanceView.as_view(),
        name="gift-card-balance",
    ),
    path("packages/", giftcard_views.PackagesView.as_view(), name="packages"),
    path("packages/mine/", giftcard_views.MyPackagesView.as_view(), name="my-packages"),
    path(
        "packages/<slug:slug>/buy/",
        giftcard_views.BuyPackageView.as_view(),
        name="package-buy",
    ),
    path("dashboard/", dashboard_views.DashboardView.as_view(), name="dashboard"),
    path("staff/schedule/", booking_views.StaffScheduleView.as_view(), name="staff-schedule"),
    path("staff/", include("coresync.staff.api.urls")),
    path("payments/", include("coresync.payments.api.urls")),
    path("calendars/", include("coresync.calendars.api.urls")),
    path("shop/", include("coresync.shop.api.urls")),
    path("concierge/", include("coresync.concierge.api.urls")),
    path("assistant/", include("coresync.assistant.api.urls")),
    path("", include(router.urls)),
]
