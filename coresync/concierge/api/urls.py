"""``/api/v1/concierge/…``."""

from rest_framework.routers import SimpleRouter

from coresync.concierge.api import views

router = SimpleRouter()
router.register("requests", views.ConciergeRequestViewSet, basename="concierge-request")

urlpatterns = router.urls
