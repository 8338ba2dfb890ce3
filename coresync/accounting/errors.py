"""Errors of the accounting integration."""


class AccountingError(Exception):
    """A call to the accounting provider failed. ``permanent``: retrying cannot help (Intuit
    refused the request as invalid: a 4xx other than 401/429); otherwise the send is retried
    with backoff."""

    def __init__(self, message: str, *, permanent: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class NotConnected(AccountingError):
    """No QuickBooks company is connected (connect one on the manager page)."""

    def __init__(self) -> None:
        super().__init__("QuickBooks is not connected.", permanent=False, code="not_connected")
