"""Throttles of the API's creating actions: one per-user budget per ``scope``
(:func:`coresync.core.ratelimit.user_budget_retry_after`), counted on ``create`` only."""

from rest_framework.throttling import BaseThrottle

from coresync.core.ratelimit import user_budget_retry_after


class CreateThrottle(BaseThrottle):
    """Count only the view set's ``create`` action by a signed-in user against the budget
    ``scope`` (429 with ``Retry-After`` past it). Subclasses set ``scope``."""

    scope: str

    def __init__(self) -> None:
        self._wait: int | None = None

    def retry_after(self, user) -> int | None:
        return user_budget_retry_after(self.scope, user)

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "create" or not request.user.is_authenticated:
            return True
        self._wait = self.retry_after(request.user)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
