"""CoreSync settings: one module, every machine-specific value from the environment.

Variables (all optional in development):
- ``DJANGO_DEBUG`` (bool, default false), ``DJANGO_SECRET_KEY`` or ``DJANGO_SECRET_KEY_FILE``.
- ``DATABASE_URL``: e.g. ``postgres://user@127.0.0.1:5432/coresync``; default is the embedded
  SQLite file ``var/coresync.sqlite3`` so the demo needs no server.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated list.
- ``CACHE_URL``: e.g. ``redis://127.0.0.1:6379/1``; default is the local-memory cache.
  ``CACHE_SOCKET_TIMEOUT`` (seconds, default 0.5) bounds each Redis call.

A malformed value fails loudly at start-up (django-environ raises ``ImproperlyConfigured``).
"""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()


def _checkout_secret_key(path: Path) -> str:
    """Return this checkout's own development secret key, creating it on first use.

    The key is 50 random URL-safe characters in ``var/secret_key`` (git-ignored, mode 0600),
    written to a temporary file and linked into place, so processes starting together all
    read the same complete key. Never used in production (``DJANGO_SECRET_KEY`` is required
    there), and ``check --deploy`` fails on it (``coresync.core.checks``).
    """
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(secrets.token_urlsafe(38))
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    return path.read_text().strip()


def _secret(name: str, default: str | None = None) -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


# "production" turns on every HTTPS/cookie protection (manage.py check --deploy is clean);
# "development" (the default, used by the demo and tests) serves plain HTTP on localhost.
ENVIRONMENT = env.str("DJANGO_ENV", default="development")
if ENVIRONMENT not in ("development", "production"):
    raise environ.ImproperlyConfigured('DJANGO_ENV must be "development" or "production".')
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The secret key signs sessions, JWTs, password-reset and booking links. It always comes
# from DJANGO_SECRET_KEY (or _FILE); in development without one, each checkout makes its own
# random key in var/secret_key. There is no built-in key anyone could read in the code.
SECRET_KEY = _secret("DJANGO_SECRET_KEY", default="")
SECRET_KEY_FROM_CHECKOUT = not SECRET_KEY
if PRODUCTION:
    if len(SECRET_KEY) < 32:
        raise environ.ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) of 32+ characters is required "
            "in production."
        )
    if DEBUG:
        raise environ.ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
elif SECRET_KEY_FROM_CHECKOUT:
    SECRET_KEY = _checkout_secret_key(VAR_DIR / "secret_key")
elif len(SECRET_KEY) < 32:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must have 32+ characters.")
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS and cookies (on in production; each can be overridden from the environment).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "coresync.core",
    "coresync.accounts",
    "coresync.spa",
    "coresync.catalog",
    "coresync.resources",
    "coresync.memberships",
    "coresync.giftcards",
    "coresync.scheduling",
    "coresync.bookings",
    "coresync.payments",
    "coresync.checkout",
    "coresync.notifications",
    "coresync.calendars",
    "coresync.staff",
    "coresync.shop",
    "coresync.concierge",
    "coresync.dashboard",
    "coresync.iot",
    "coresync.realtime",
    "coresync.privacy",
    "coresync.assistant",
    "coresync.accounting",
    "coresync.googlesync",
    "coresync.spafile",
    "coresync.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Content-Security-Policy on every response (django-csp), in development too so that the
# browser tests run under it: scripts, styles, fonts and images only from this origin (no
# inline script or style anywhere on the site), no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "coresync.urls"
WSGI_APPLICATION = "coresync.wsgi.application"
ASGI_APPLICATION = "coresync.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "coresync" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'coresync.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE: every write transaction takes the database write lock when it starts,
    # so two bookings can never interleave their check and insert (SQLite serializes writes).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
elif env.bool("DATABASE_POOL", default=PRODUCTION):
    # A connection pool per worker process (psycopg_pool, Django 5.1+): under ASGI Django
    # cannot keep a connection per thread (CONN_MAX_AGE must stay 0), and opening a new
    # PostgreSQL connection for every request costs more CPU than most requests themselves
    # (the load test: PostgreSQL's CPU halved). On in production and in the servers the
    # load test and Schemathesis start; the test suite keeps a connection per thread, since
    # its races run 50 threads at once.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_config(url: str) -> dict:
    """Return the ``CACHES["default"]`` entry for ``CACHE_URL``.

    A Redis URL selects :class:`coresync.core.cache.FailSoftRedisCache`: when Redis is
    unreachable, requests are served without it (cached data misses, rate limits count per
    process) instead of failing, and short socket timeouts (``CACHE_SOCKET_TIMEOUT``
    seconds, default 0.5) keep a hung Redis from hanging requests (docs/fault-drills.md).
    """
    config = env.cache_url_config(url)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        config["BACKEND"] = "coresync.core.cache.FailSoftRedisCache"
        timeout = env.float("CACHE_SOCKET_TIMEOUT", default=0.5)
        options = config.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("socket_timeout", timeout)
    return config


CACHES = {"default": cache_config(env.str("CACHE_URL", default="locmemcache://coresync"))}
# CACHE_KEY_PREFIX: keeps several deployments (or benchmark runs) apart in one Redis.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="")
# The availability cache (coresync/scheduling/cache.py): listings served from the default
# cache, bumped by every change. Exact only when every process shares the cache, so it is on
# by default with a shared backend (Redis, Memcached, database) and off with the per-process
# local-memory cache, where AVAILABILITY_CACHE=true suits a single process (one worker).
AVAILABILITY_CACHE = env.bool(
    "AVAILABILITY_CACHE",
    default=not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")),
)
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=600)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
    # django-environ drops the leading "/" of filemail:///var/mail/coresync; the documented
    # example writes to the absolute path it names.
    from urllib.parse import urlsplit as _urlsplit

    EMAIL_CONFIG["EMAIL_FILE_PATH"] = _urlsplit(env.str("EMAIL_URL")).path or "."
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CoreSync Spa <hello@coresync.example>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# The Reply-To of every guest email: an address the front desk reads (docs/notifications.md).
EMAIL_REPLY_TO = env.str(
    "EMAIL_REPLY_TO", default="CoreSync Spa front desk <desk@coresync.example>"
)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3  # seconds: a reset link works for three hours

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first: its WWW-Authenticate header makes a missing login a 401, not a 403.
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["coresync.core.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["coresync.core.api.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "coresync.core.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coresync.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "booking_create": env.str("THROTTLE_BOOKING_CREATE", default="30/hour"),
        "anon_availability": env.str("THROTTLE_ANON_AVAILABILITY", default="120/min"),
        "shop_order_create": env.str("THROTTLE_SHOP_ORDER_CREATE", default="30/hour"),
        "concierge_request_create": env.str("THROTTLE_CONCIERGE_REQUEST_CREATE", default="20/hour"),
        "assistant_user": env.str("THROTTLE_ASSISTANT_USER", default="120/min"),
        "assistant_anon": env.str("THROTTLE_ASSISTANT_ANON", default="60/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "COERCE_DECIMAL_TO_STRING": True,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Access tokens carry a hash of the password: a password change or reset kills them at
    # once (refresh tokens are blacklisted by accounts.services.revoke_sign_ins).
    "CHECK_REVOKE_TOKEN": True,
    "SIGNING_KEY": SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CoreSync API",
    "DESCRIPTION": "Booking, membership and operations API of the CoreSync spa.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI and ReDoc are served from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_feed_tokens": {"()": "coresync.core.logging.MaskFeedTokens"}},
    "formatters": {
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_feed_tokens"]},
        # uvicorn's access log, as uvicorn writes it, with calendar feed tokens masked.
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["mask_feed_tokens"],
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Payments (issue 4: coresync/payments) -------------------------------------------------
# PAYMENT_PROVIDER: "onsite" (pay at the spa; the offline default) or "stripe". With Stripe,
# STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or their *_FILE) are required at start-up.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="onsite")
if PAYMENT_PROVIDER not in ("onsite", "stripe"):
    raise environ.ImproperlyConfigured('PAYMENT_PROVIDER must be "onsite" or "stripe".')
STRIPE_SECRET_KEY = _secret("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = _secret("STRIPE_WEBHOOK_SECRET", default="")
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise environ.ImproperlyConfigured(
        "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
    )
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Percent of a booking's total paid online when booking (100 = in full; less = a deposit,
# the rest paid at the spa).
PAYMENT_DEPOSIT_PERCENT = env.int("PAYMENT_DEPOSIT_PERCENT", default=100)
if not 1 <= PAYMENT_DEPOSIT_PERCENT <= 100:
    raise environ.ImproperlyConfigured("PAYMENT_DEPOSIT_PERCENT must be between 1 and 100.")
# Membership renewals (docs/memberships.md "Renewals"): the days after a billing period's
# start on which each charge attempt runs; a decline before the last makes the membership
# past due (benefits kept), the last one's decline expires it. Default "0,3,7": three tries
# in seven days.
MEMBERSHIP_RENEWAL_ATTEMPT_DAYS = [
    int(day) for day in env.list("MEMBERSHIP_RENEWAL_ATTEMPT_DAYS", default=["0", "3", "7"])
]
if (
    not MEMBERSHIP_RENEWAL_ATTEMPT_DAYS
    or MEMBERSHIP_RENEWAL_ATTEMPT_DAYS[0] != 0
    or sorted(set(MEMBERSHIP_RENEWAL_ATTEMPT_DAYS)) != MEMBERSHIP_RENEWAL_ATTEMPT_DAYS
    or MEMBERSHIP_RENEWAL_ATTEMPT_DAYS[-1] > 27
):
    raise environ.ImproperlyConfigured(
        "MEMBERSHIP_RENEWAL_ATTEMPT_DAYS must start at 0 and increase, within 27 days."
    )
# The booking returned by POST bookings/ (with its payment) shares the booking's enums.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "BookingStatusEnum": "coresync.bookings.models.BookingStatus",
        "BookingTierEnum": "coresync.bookings.models.BookingTier",
        "ProductCategoryEnum": "coresync.shop.models.ProductCategory",
        "OrderStatusEnum": "coresync.shop.models.OrderStatus",
        "ConciergeCategoryEnum": "coresync.concierge.models.RequestCategory",
        "ConciergeRequestStatusEnum": "coresync.concierge.models.RequestStatus",
        "GiftCardStatusEnum": "coresync.giftcards.models.GiftCardStatus",
    }
)

# --- Notifications, outbox, email, Celery (issue 4: coresync/notifications) -----------------
# See docs/notifications.md. Email goes out through Django's mail API: EMAIL_URL picks the
# backend (consolemail:// default, smtp://user:pass@host:587/?tls=True, filemail:///path);
# ANYMAIL_ESP (e.g. "postmark", "sendgrid", "mailgun", "amazon_ses") switches to that
# django-anymail backend, configured by ANYMAIL_<ESP>_<SETTING> variables (or *_FILE), e.g.
# ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL_ESP = env.str("ANYMAIL_ESP", default="")
if ANYMAIL_ESP:
    import importlib.util as _importlib_util

    if not ANYMAIL_ESP.isidentifier() or (
        _importlib_util.find_spec(f"anymail.backends.{ANYMAIL_ESP}") is None
    ):
        raise environ.ImproperlyConfigured(f'ANYMAIL_ESP "{ANYMAIL_ESP}" is not an Anymail ESP.')
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    ANYMAIL = {
        name.removeprefix("ANYMAIL_").removesuffix("_FILE"): _secret(name.removesuffix("_FILE"))
        for name in sorted(env.ENVIRON)
        if name.startswith(f"ANYMAIL_{ANYMAIL_ESP.upper()}_")
    }
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)  # seconds, per SMTP/ESP call
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Outbox dispatcher: attempts before a message is "dead"; exponential backoff with jitter
# (base·2^(n-1) seconds capped at the maximum, then drawn from [half, all] of it); the lease a
# worker holds on a claimed row; how long done rows are kept.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=30.0)
OUTBOX_BACKOFF_MAX_SECONDS = env.float("OUTBOX_BACKOFF_MAX_SECONDS", default=3600.0)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=30)
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
if OUTBOX_MAX_ATTEMPTS < 1 or OUTBOX_LEASE_SECONDS < 1 or OUTBOX_BACKOFF_BASE_SECONDS <= 0:
    raise environ.ImproperlyConfigured("OUTBOX_* values must be positive.")

# Payroll (docs/staff.md): weekly pay periods starting on this spa-local weekday and time
# ("thu 18:00"); hours over PAYROLL_OVERTIME_HOURS in a period are flagged as overtime; the
# scheduled job closes a period (freezing its totals and emailing managers the export)
# PAYROLL_CLOSE_AFTER_HOURS after it ends, so late approvals still count.
PAYROLL_PERIOD_START = env.str("PAYROLL_PERIOD_START", default="thu 18:00")
PAYROLL_OVERTIME_HOURS = env.int("PAYROLL_OVERTIME_HOURS", default=40)
PAYROLL_CLOSE_AFTER_HOURS = env.int("PAYROLL_CLOSE_AFTER_HOURS", default=24)
if not re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d", PAYROLL_PERIOD_START):
    raise environ.ImproperlyConfigured(
        f'PAYROLL_PERIOD_START must look like "thu 18:00"; got "{PAYROLL_PERIOD_START}".'
    )
if PAYROLL_OVERTIME_HOURS < 1 or not 0 <= PAYROLL_CLOSE_AFTER_HOURS <= 24 * 6:
    raise environ.ImproperlyConfigured(
        "PAYROLL_OVERTIME_HOURS must be positive, PAYROLL_CLOSE_AFTER_HOURS 0 to 144."
    )

# What the emails say about the place (the spa's name comes from its settings row).
SPA_ADDRESS = env.str("SPA_ADDRESS", default="12 Crosby Street, New York, NY 10013")
SPA_PHONE = env.str("SPA_PHONE", default="+1 212 555 0142")
SPA_DIRECTIONS = env.str(
    "SPA_DIRECTIONS",
    default="Two blocks from Spring St (6) and Prince St (R/W); the entrance is the black "
    "door next to the gallery, ring the bell marked CoreSync.",
)
SPA_PARKING = env.str(
    "SPA_PARKING",
    default="Garage at 55 Howard Street (5 minutes' walk); we validate 3 hours. "
    "Street parking is scarce.",
)
SPA_WHAT_TO_BRING = env.str(
    "SPA_WHAT_TO_BRING",
    default="Just yourself: robes, slippers and toiletries are provided. Please arrive "
    "15 minutes early and tell us about allergies or injuries.",
)
SPA_MAP_URL = env.str("SPA_MAP_URL", default="https://maps.google.com/?q=12+Crosby+Street+NYC")
REVIEW_URL = env.str("REVIEW_URL", default="https://g.page/r/coresync-spa/review")

# SMS and push providers (log-only by default: they write a NotificationLog row and send
# nothing). A dotted path to a coresync.notifications.channels.Channel subclass.
NOTIFICATION_SMS_CHANNEL = env.str(
    "NOTIFICATION_SMS_CHANNEL", default="coresync.notifications.channels.LogOnlySMSChannel"
)
NOTIFICATION_PUSH_CHANNEL = env.str(
    "NOTIFICATION_PUSH_CHANNEL", default="coresync.notifications.channels.LogOnlyPushChannel"
)

# Celery (coresync/celery.py): Redis broker; the beat schedule is in coresync.celery.
# With no worker running, `manage.py dispatch_outbox` does the same work in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60  # seconds; beats the outbox lease so a stuck run is killed
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TIMEZONE = TIME_ZONE  # crontab entries (nightly cleanup) read in spa local time
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
OUTBOX_DISPATCH_INTERVAL_SECONDS = env.int("OUTBOX_DISPATCH_INTERVAL_SECONDS", default=30)

# --- Calendars and ICS feeds (issue 4: coresync/calendars) ----------------------------------
# The right-hand side of every event UID (``booking-CS-2026-000123@<domain>``): set it once to a
# domain the spa controls and never change it, or calendars will show each booking twice.
CALENDAR_UID_DOMAIN = env.str("CALENDAR_UID_DOMAIN", default="coresync.example")
# How often subscribed calendars should re-read a feed (REFRESH-INTERVAL / X-PUBLISHED-TTL),
# and how long HTTP caches may keep one (Cache-Control max-age); both in minutes.
CALENDAR_FEED_REFRESH_MINUTES = env.int("CALENDAR_FEED_REFRESH_MINUTES", default=60)
CALENDAR_FEED_CACHE_MINUTES = env.int("CALENDAR_FEED_CACHE_MINUTES", default=5)
# Name the feed "kind" enum in the OpenAPI schema (another "kind" — time off — exists).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["CalendarFeedKindEnum"] = (
    "coresync.calendars.models.FeedKind"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "TimeEntryStatusEnum": "coresync.staff.models.TimeEntryStatus",
        "TimeEntrySourceEnum": "coresync.staff.models.TimeEntrySource",
        "TimeOffStatusEnum": "coresync.staff.models.TimeOffStatus",
    }
)

# --- Website (issue 5: coresync/web) ---------------------------------------------------------
# See docs/website.md. Text comes from gettext catalogs (coresync/web/locale); a language is
# added by listing it here and adding its catalog, never by editing templates.
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "coresync" / "web" / "locale"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "django.middleware.locale.LocaleMiddleware",
)
MIDDLEWARE.append("django_htmx.middleware.HtmxMiddleware")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("coresync.web.context_processors.site")
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:account"
LOGOUT_REDIRECT_URL = "web:home"
# Rate limits of the site's forms and the admin's sign-in (coresync.web.throttle, SPEC §11),
# as "N/period" (s, min, hour, day). Sign-in counts failures only.
WEB_RATE_LIMITS = {
    "login_failures_per_email": env.str("WEB_RATE_LOGIN_PER_EMAIL", default="10/5min"),
    "login_failures_per_address": env.str("WEB_RATE_LOGIN_PER_ADDRESS", default="50/5min"),
    "signup_per_address": env.str("WEB_RATE_SIGNUP", default="10/hour"),
    "reset_per_address": env.str("WEB_RATE_RESET_PER_ADDRESS", default="20/hour"),
    "reset_per_email": env.str("WEB_RATE_RESET_PER_EMAIL", default="5/hour"),
}

# The booking assistant (SPEC §9, docs/assistant.md). ASSISTANT_ENABLED is the kill switch
# (API 503 ``assistant_disabled``); transcripts older than the retention are purged daily;
# a proposal waits this many minutes for the guest's yes; the dialogue state is kept this
# long between turns.
ASSISTANT_ENABLED = env.bool("ASSISTANT_ENABLED", default=True)
ASSISTANT_RETENTION_DAYS = env.int("ASSISTANT_RETENTION_DAYS", default=30)
ASSISTANT_PROPOSAL_MINUTES = env.int("ASSISTANT_PROPOSAL_MINUTES", default=10)
ASSISTANT_CONTEXT_MINUTES = env.int("ASSISTANT_CONTEXT_MINUTES", default=30)
# The engine that answers (docs/assistant.md "Switching on an LLM engine"): "offline" (the
# default: no network, no key), "openai" (any OpenAI-compatible chat completions endpoint,
# OPENAI_BASE_URL for a compatible server) or "anthropic". An LLM engine needs its key (or
# *_FILE) and ASSISTANT_LLM_MODEL at start-up; it acts only through the assistant's tools.
ASSISTANT_ENGINE = env.str("ASSISTANT_ENGINE", default="offline")
if ASSISTANT_ENGINE not in ("offline", "openai", "anthropic"):
    raise environ.ImproperlyConfigured(
        'ASSISTANT_ENGINE must be "offline", "openai" or "anthropic".'
    )
ASSISTANT_LLM_MODEL = env.str("ASSISTANT_LLM_MODEL", default="")
ASSISTANT_LLM_TIMEOUT_SECONDS = env.float("ASSISTANT_LLM_TIMEOUT_SECONDS", default=8.0)
ASSISTANT_LLM_MAX_TOOL_ROUNDS = env.int("ASSISTANT_LLM_MAX_TOOL_ROUNDS", default=6)
OPENAI_API_KEY = _secret("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
if OPENAI_BASE_URL and not re.match(r"^https?://[^\s/]+", OPENAI_BASE_URL):
    raise environ.ImproperlyConfigured("OPENAI_BASE_URL must be an http(s) URL.")
ANTHROPIC_API_KEY = _secret("ANTHROPIC_API_KEY", default="")
if ASSISTANT_ENGINE != "offline":
    _llm_key = OPENAI_API_KEY if ASSISTANT_ENGINE == "openai" else ANTHROPIC_API_KEY
    if not (_llm_key and ASSISTANT_LLM_MODEL):
        raise environ.ImproperlyConfigured(
            f"ASSISTANT_ENGINE={ASSISTANT_ENGINE} needs ASSISTANT_LLM_MODEL and "
            f"{ASSISTANT_ENGINE.upper()}_API_KEY (or {ASSISTANT_ENGINE.upper()}_API_KEY_FILE)."
        )
if ASSISTANT_LLM_TIMEOUT_SECONDS <= 0 or ASSISTANT_LLM_MAX_TOOL_ROUNDS < 1:
    raise environ.ImproperlyConfigured(
        "ASSISTANT_LLM_TIMEOUT_SECONDS must be positive and ASSISTANT_LLM_MAX_TOOL_ROUNDS >= 1."
    )
# The phone channel (Twilio voice webhook): requests are signed with the account's auth
# token (TWILIO_AUTH_TOKEN or _FILE); without it the webhook refuses every request (403).
# TWILIO_WEBHOOK_BASE_URL (e.g. https://spa.example.com) is the public origin Twilio signs
# when a proxy hides it from Django; empty means the request's own scheme and host.
TWILIO_AUTH_TOKEN = _secret("TWILIO_AUTH_TOKEN", default="")
TWILIO_WEBHOOK_BASE_URL = env.str("TWILIO_WEBHOOK_BASE_URL", default="").rstrip("/")
ASSISTANT_PHONE_VOICE = env.str("ASSISTANT_PHONE_VOICE", default="Polly.Joanna")
ASSISTANT_SPA_FACTS = {
    "address": env.str("SPA_ADDRESS", default="1544 71st Street, Brooklyn, NY 11228"),
    "phone": env.str("SPA_PHONE", default="+1 (551) 574-2281"),
    "email": env.str("SPA_EMAIL", default="info@coresync.life"),
    "parking": env.str(
        "SPA_PARKING", default="Street parking on 71st Street; a public garage is two blocks away."
    ),
}

# --- Accounting and Google (issue 15: coresync/accounting, coresync/googlesync) --------------
# See docs/quickbooks.md and docs/google.md. Both default to offline providers: nothing
# leaves the machine. OAuth tokens are stored encrypted with INTEGRATION_TOKEN_KEY (Fernet
# keys, comma-separated for rotation; or INTEGRATION_TOKEN_KEY_FILE); without one a key is
# derived from SECRET_KEY (development only: set one in production).
INTEGRATION_TOKEN_KEY = _secret("INTEGRATION_TOKEN_KEY", default="")
# QUICKBOOKS_PROVIDER: "offline" (receipts recorded locally only) or "quickbooks" (Intuit's
# API through python-quickbooks; needs QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET).
QUICKBOOKS_PROVIDER = env.str("QUICKBOOKS_PROVIDER", default="offline")
if QUICKBOOKS_PROVIDER not in ("offline", "quickbooks"):
    raise environ.ImproperlyConfigured('QUICKBOOKS_PROVIDER must be "offline" or "quickbooks".')
QUICKBOOKS_CLIENT_ID = env.str("QUICKBOOKS_CLIENT_ID", default="")
QUICKBOOKS_CLIENT_SECRET = _secret("QUICKBOOKS_CLIENT_SECRET", default="")
QUICKBOOKS_ENVIRONMENT = env.str("QUICKBOOKS_ENVIRONMENT", default="sandbox")
if QUICKBOOKS_ENVIRONMENT not in ("sandbox", "production"):
    raise environ.ImproperlyConfigured('QUICKBOOKS_ENVIRONMENT must be "sandbox" or "production".')
if QUICKBOOKS_PROVIDER == "quickbooks" and not (QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET):
    raise environ.ImproperlyConfigured(
        "QUICKBOOKS_PROVIDER=quickbooks needs QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET."
    )
QUICKBOOKS_MINOR_VERSION = env.int("QUICKBOOKS_MINOR_VERSION", default=75)
QUICKBOOKS_TIMEOUT_SECONDS = env.float("QUICKBOOKS_TIMEOUT_SECONDS", default=20.0)
# Who gets the nightly reconciliation report by email (comma-separated; empty: the managers).
QUICKBOOKS_REPORT_EMAILS = env.list("QUICKBOOKS_REPORT_EMAILS", default=[])
# GOOGLE_PROVIDER: "offline" (nothing sent; the ICS feeds remain) or "google" (Calendar and
# Sheets APIs through google-api-python-client). Credentials: OAuth per technician
# (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET) and/or a service account key file for the
# workspace (GOOGLE_SERVICE_ACCOUNT_FILE).
GOOGLE_PROVIDER = env.str("GOOGLE_PROVIDER", default="offline")
if GOOGLE_PROVIDER not in ("offline", "google"):
    raise environ.ImproperlyConfigured('GOOGLE_PROVIDER must be "offline" or "google".')
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = _secret("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_TIMEOUT_SECONDS = env.float("GOOGLE_TIMEOUT_SECONDS", default=15.0)
# Push channels (events.watch) need a public HTTPS URL of this site; empty: polling only.
GOOGLE_PUSH_BASE_URL = env.str("GOOGLE_PUSH_BASE_URL", default="")
GOOGLE_CALENDAR_POLL_MINUTES = env.int("GOOGLE_CALENDAR_POLL_MINUTES", default=10)
# The pricing sheet (a Google Sheet id; empty: the database only) and its cache lifetime.
GOOGLE_PRICING_SHEET_ID = env.str("GOOGLE_PRICING_SHEET_ID", default="")
PRICING_SHEET_CACHE_SECONDS = env.int("PRICING_SHEET_CACHE_SECONDS", default=300)
INTEGRATIONS_ONLINE = QUICKBOOKS_PROVIDER != "offline" or GOOGLE_PROVIDER != "offline"
if PRODUCTION and INTEGRATIONS_ONLINE and not INTEGRATION_TOKEN_KEY:
    raise environ.ImproperlyConfigured(
        "INTEGRATION_TOKEN_KEY (or _FILE) is required in production with QuickBooks or Google."
    )

# --- Smart rooms (issue 16: coresync/iot, docs/smart-rooms.md) ------------------------------
# MQTT_URL (mqtt://[user:password@]host:1883 or mqtts://…) switches from the log-only default
# to the broker. A booking's scene is sent IOT_SCENE_LEAD_MINUTES before it starts; a device
# that has not echoed a command within IOT_CONFIRM_TIMEOUT_SECONDS is logged as timed out;
# sensor readings are kept IOT_SENSOR_RETENTION_DAYS; the planner looks IOT_PLAN_AHEAD_HOURS
# ahead for bookings without a planned scene.
MQTT_URL = env.str("MQTT_URL", default="")
IOT_SCENE_LEAD_MINUTES = env.int("IOT_SCENE_LEAD_MINUTES", default=5)
IOT_CONFIRM_TIMEOUT_SECONDS = env.float("IOT_CONFIRM_TIMEOUT_SECONDS", default=10.0)
IOT_SENSOR_RETENTION_DAYS = env.int("IOT_SENSOR_RETENTION_DAYS", default=30)
IOT_PLAN_AHEAD_HOURS = env.int("IOT_PLAN_AHEAD_HOURS", default=24)
if MQTT_URL and not re.match(r"mqtts?://[^/]+", MQTT_URL):
    raise environ.ImproperlyConfigured("MQTT_URL must look like mqtt://host:1883.")
if IOT_SCENE_LEAD_MINUTES < 0 or IOT_CONFIRM_TIMEOUT_SECONDS <= 0 or IOT_SENSOR_RETENTION_DAYS < 1:
    raise environ.ImproperlyConfigured("IOT_* values must be positive.")

# --- Live updates (issue 16: Channels, docs/realtime.md) -------------------------------------
# In-memory channel layer (one process: the demo) unless REDIS_URL is set; then channels-redis,
# with CHANNELS_PREFIX naming this installation's keys (tests use their own). Each socket's
# join and leave is a Redis command: a worker may open up to CHANNELS_REDIS_MAX_CONNECTIONS
# connections (redis-py's default of 100 refuses the rest when hundreds of sockets close at
# once, e.g. on a deploy; bench/realtime.py).
REDIS_URL = env.str("REDIS_URL", default="")
CHANNELS_PREFIX = env.str("CHANNELS_PREFIX", default="coresync:channels")
CHANNELS_REDIS_MAX_CONNECTIONS = env.int("CHANNELS_REDIS_MAX_CONNECTIONS", default=1000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": CHANNELS_REDIS_MAX_CONNECTIONS,
                        # Above channels-redis's 5 s blocking pop: redis-py's default socket
                        # timeout is also 5 s, and a pop that waits its full time then fails
                        # with TimeoutError and kills the socket's consumer.
                        "socket_timeout": 15,
                    }
                ],
                "prefix": CHANNELS_PREFIX,
                "capacity": 500,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
