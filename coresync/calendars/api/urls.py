"""Calendar API URLs, mounted at ``/api/v1/calendars/``."""

from rest_framework.routers import SimpleRouter

from coresync.calendars.api.views import CalendarFeedViewSet

router = SimpleRouter()
router.register("feeds", CalendarFeedViewSet, basename="calendar-feed-api")

urlpatterns = router.urls
