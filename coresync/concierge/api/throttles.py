"""Rate limit on new concierge requests: ``DEFAULT_THROTTLE_RATES["concierge_request_create"]``
per user."""

from coresync.core.api.throttles import CreateThrottle


class RequestCreateThrottle(CreateThrottle):
    scope = "concierge_request_create"
