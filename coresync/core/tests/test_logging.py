"""Calendar feed tokens never reach the logs (access log and Django's request log)."""

import logging

from coresync.core.logging import MaskFeedTokens, mask_feed_tokens

TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def test_a_feed_token_is_cut_to_four_characters():
    assert mask_feed_tokens(f"GET /calendars/{TOKEN}.ics HTTP/1.1") == (
        "GET /calendars/AbCd….ics HTTP/1.1"
    )
    assert mask_feed_tokens("/api/v1/calendars/feeds/") == "/api/v1/calendars/feeds/"


def test_uvicorn_access_records_are_masked_through_the_configured_logger(caplog):
    logger = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, MaskFeedTokens) for h in logger.handlers for f in h.filters)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/calendars/{TOKEN}.ics", "1.1", 200),
        None,
    )
    MaskFeedTokens().filter(record)
    assert TOKEN not in record.getMessage()
    assert "/calendars/AbCd….ics" in record.getMessage()


def test_django_request_warnings_are_masked(client, db):
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskFeedTokens) for f in h.filters)
    )
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        (f"/calendars/{TOKEN}.ics",),
        None,
    )
    handler.filters[0].filter(record)
    assert TOKEN not in record.getMessage()
