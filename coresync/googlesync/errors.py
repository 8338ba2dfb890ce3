"""Errors of the Google integration."""


class GoogleError(Exception):
    """A call to Google failed. ``permanent``: retrying cannot help (a 4xx other than
    401/403 rate limits/409/410/429); otherwise the outbox retries with backoff."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


class FullSyncRequired(GoogleError):
    """Google answered 410 Gone to an incremental sync: the sync token expired, a full
    sync must start over (Google Calendar API guide, "Synchronize resources efficiently")."""

    def __init__(self) -> None:
        super().__init__("The sync token is no longer valid.", status=410)
