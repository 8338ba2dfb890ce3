"""Rate limit on order creation: ``DEFAULT_THROTTLE_RATES["shop_order_create"]`` per user."""

from coresync.core.api.throttles import CreateThrottle


class OrderCreateThrottle(CreateThrottle):
    scope = "shop_order_create"
