"""Browser tests: Playwright (sync API) drives Debian's Chromium, headless, against
pytest-django's live server, with the clock frozen at Tuesday 2026-12-01 08:00 New York and
ticking (``time-machine`` patches the whole process, so the server thread sees it too).

Chromium is the ``chromium`` binary on PATH (``apt-get install chromium``); Playwright's own
browser downloads are never used. Without it the tests skip, unless ``CORESYNC_E2E_REQUIRED``
is set (CI sets it), in which case they fail.

Screenshots go to ``screenshots/`` at the repository root (git-ignored).
"""

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.db import OperationalError
from django.test import Client

from conftest import FROZEN_NOW

SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
MOBILE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module, stopped after it: while Playwright's sync API
    runs, its event loop counts as running in this thread, so Django's async-safety check
    is turned off for the module only (and never leaks into later tests or subprocesses)."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "the chromium binary is not on PATH (apt-get install chromium)"
        if os.environ.get("CORESYNC_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # The ORM calls the tests make between browser steps are synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def ticking_clock() -> Iterator[None]:
    """Start the clock at Tuesday 2026-12-01 08:00 New York time and let it run."""
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield


@pytest.fixture
def site(live_server, spa, ticking_clock) -> str:
    """The live server's base URL, with the small spa of the root conftest loaded."""
    return live_server.url


@pytest.fixture
def open_page(browser, site) -> Iterator[Callable]:
    """Open a page in a fresh browser context: ``open_page(path, user=None, viewport=MOBILE,
    **context_options)``; ``user`` is signed in through a session cookie."""
    contexts = []
    violations: list[str] = []

    def open_(path: str = "/", *, user=None, viewport=MOBILE, **options):
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session_for(user), "url": site}]
            )
        page = context.new_page()
        page.on("pageerror", lambda error: pytest.fail(f"JavaScript error: {error}"))
        # The Content-Security-Policy is on in tests too: any violation fails the test.
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(site + path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def session_for(user, attempts: int = 50) -> str:
    """Sign ``user`` in and return the session key. On SQLite the live server's thread may
    hold the session table's lock for a moment (a page of an earlier context polling):
    "database table is locked" is retried, briefly."""
    for _attempt in range(attempts - 1):
        try:
            client = Client()
            client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value
        except (OperationalError, UpdateError):
            time.sleep(0.05)
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``screenshots/<name>-<width>.png``."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    # From the top, so the sticky header is where a visitor first sees it.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


def has_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
