"""``/api/v1/shop/…``."""

from rest_framework.routers import SimpleRouter

from coresync.shop.api import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="shop-product")
router.register("orders", views.OrderViewSet, basename="shop-order")

urlpatterns = router.urls
