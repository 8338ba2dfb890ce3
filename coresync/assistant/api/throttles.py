"""Rate limits of ``POST assistant/messages/``: per user and per IP
(``DEFAULT_THROTTLE_RATES["assistant_user"]``, ``["assistant_anon"]``)."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AssistantUserThrottle(UserRateThrottle):
    scope = "assistant_user"


class AssistantAnonThrottle(AnonRateThrottle):
    scope = "assistant_anon"
