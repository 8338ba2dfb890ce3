"""Log filters: secrets that travel in URLs never reach the logs.

A private calendar feed is ``/calendars/<token>.ics`` (RFC 5545 clients can send no header,
so the token must be in the path). Anyone reading the access log could subscribe to a
guest's feed, so :class:`MaskFeedTokens` keeps only the token's first four characters, in
uvicorn's access log and in Django's request log alike (``LOGGING`` in settings).
"""

import logging
import re

FEED_TOKEN_IN_PATH = re.compile(r"(/calendars/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+(\.ics)")


def mask_feed_tokens(text: str) -> str:
    """Return ``text`` with every feed token cut to its first four characters and ``…``."""
    return FEED_TOKEN_IN_PATH.sub(r"\1\2…\3", text)


class MaskFeedTokens(logging.Filter):
    """Rewrite a record's message and arguments so no feed token is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_feed_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_feed_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
