"""Retour's settings, from environment variables only (see `.env.example`).

Defaults are safe for production (DEBUG off, strict hosts); `make run` needs none of them set.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from retour.core.env import env_bool, env_int, env_list, env_str, persistent_secret

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("RETOUR_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("RETOUR_DEBUG", False)
SECRET_KEY = env_str("RETOUR_SECRET_KEY") or persistent_secret(DATA_DIR / "secret_key")
# Encrypts carrier credentials at rest (retour.logistics.crypto); derived from SECRET_KEY if unset.
RETOUR_ENCRYPTION_KEY = env_str("RETOUR_ENCRYPTION_KEY")
ALLOWED_HOSTS = env_list("RETOUR_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("RETOUR_CSRF_TRUSTED_ORIGINS")
PUBLIC_URL = env_str("RETOUR_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "retour.core",
    "retour.commerce",
    "retour.events",
    "retour.accounts",
    "retour.policy",
    "retour.returns",
    "retour.logistics",
    "retour.refunds",
    "retour.warehouse",
    "retour.notifications",
    "retour.connectors",
    "retour.insights",
    "retour.api",
    "retour.portal",
    "retour.dashboard",
    "retour.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "retour.urls"
WSGI_APPLICATION = "retour.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def _database() -> dict:
    url = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'retour.sqlite3'}"
    config = dj_database_url.parse(
        url, conn_max_age=env_int("RETOUR_DB_CONN_MAX_AGE", 600), conn_health_checks=True
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue up instead of failing on a lock upgrade.
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config["CONN_MAX_AGE"] = 0 if config["NAME"] == ":memory:" else config["CONN_MAX_AGE"]
        config["TEST"] = {"NAME": env_str("RETOUR_TEST_SQLITE_NAME") or None}
    else:
        # PostgreSQL's JIT compiles any query whose estimated cost passes 100,000: on the
        # insights' grouped reads it spent 4.5 s compiling a query that runs in 0.5 s
        # (bench/insights_bench.py, EXPLAIN ANALYZE). Retour's queries are short: no JIT.
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        config["ENGINE"] = "retour.core.postgres"  # Django's, with a health check without a query
        # Django turns psycopg's prepared statements off (None). Only the hot reads ask for them
        # (core/prepared.py): Django's own cursors bind on the client and never prepare, so no
        # other query ever reaches this threshold. Off for a pooler that cannot keep them
        # (PgBouncer before 1.21 in transaction mode).
        if env_bool("RETOUR_DB_PREPARED_STATEMENTS", True):
            config["OPTIONS"]["prepare_threshold"] = 2**31 - 1
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("RETOUR_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("RETOUR_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env_str("RETOUR_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("RETOUR_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("RETOUR_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("RETOUR_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("RETOUR_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("RETOUR_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("RETOUR_EMAIL_FROM", "Retour <returns@localhost>")

# Background work (ADR 0004): the Tasks API (django-tasks). The default backend keeps its queue in
# the application's database (django-tasks-db), so a job is enqueued in the same transaction as
# the change that asks for it; on SQLite that needs no other service, on PostgreSQL any number of
# `retour worker` processes on any number of hosts share it.
TASKS = {
    "default": {
        "BACKEND": env_str("RETOUR_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
RETOUR_JOBS = {
    # Retries: delay = random(0, min(cap, base × 2^attempt)) seconds ("full jitter").
    "BACKOFF_BASE": env_int("RETOUR_JOBS_BACKOFF_BASE", 10),
    "BACKOFF_CAP": env_int("RETOUR_JOBS_BACKOFF_CAP", 6 * 3600),
    "MAX_ATTEMPTS": env_int("RETOUR_JOBS_MAX_ATTEMPTS", 10),
    # How often the worker's scheduler re-enqueues undelivered outbox events and due retries.
    "SWEEP_SECONDS": env_int("RETOUR_OUTBOX_SWEEP_SECONDS", 30),
    # A delivery still "sending" this long after it was claimed is taken again (crashed worker).
    "LEASE_SECONDS": env_int("RETOUR_DELIVERY_LEASE_SECONDS", 120),
}
RETOUR_WEBHOOKS = {
    "TIMEOUT": env_int("RETOUR_WEBHOOK_TIMEOUT", 10),
    # An endpoint is disabled after this many consecutive failed attempts.
    "DISABLE_AFTER": env_int("RETOUR_WEBHOOK_DISABLE_AFTER", 15),
}
RETOUR_NOTIFICATIONS = {
    # An approved return is expected to ship within this many days; a reminder goes out before.
    "RETURN_SHIP_DAYS": env_int("RETOUR_RETURN_SHIP_DAYS", 14),
    "REMINDER_DAYS_BEFORE": env_int("RETOUR_REMINDER_DAYS_BEFORE", 3),
    "FEEDBACK_AFTER_DAYS": env_int("RETOUR_FEEDBACK_AFTER_DAYS", 2),
}
# The shopper portal's look-up limits (counted in the database: see portal/throttle.py).
RETOUR_PORTAL = {
    "LOOKUPS_PER_IP": env_int("RETOUR_PORTAL_LOOKUPS_PER_IP", 30),
    "LOOKUP_IP_WINDOW": env_int("RETOUR_PORTAL_LOOKUP_IP_WINDOW", 600),
    "FAILURES_PER_ORDER": env_int("RETOUR_PORTAL_FAILURES_PER_ORDER", 5),
    "ORDER_WINDOW": env_int("RETOUR_PORTAL_ORDER_WINDOW", 900),
}
# Staff sign-in (retour.dashboard): a session idle this long is signed out; failed sign-ins are
# counted per IP address and per username (accounts/throttle.py); TOTP two-factor (django-otp).
RETOUR_DASHBOARD = {
    "IDLE_MINUTES": env_int("RETOUR_STAFF_IDLE_MINUTES", 30),
    "SIGNIN_FAILURES_PER_IP": env_int("RETOUR_SIGNIN_FAILURES_PER_IP", 20),
    "SIGNIN_FAILURES_PER_USER": env_int("RETOUR_SIGNIN_FAILURES_PER_USER", 5),
    "SIGNIN_WINDOW": env_int("RETOUR_SIGNIN_WINDOW", 900),
}
OTP_TOTP_ISSUER = "Retour"
# Carriers (retour.logistics): seconds to wait for a carrier's answer. A return with no carrier
# scan expires after RETOUR_RETURN_SHIP_DAYS (above), its label voided. Labels whose carrier sent
# no tracking event for TRACKING_STALE_HOURS are polled every TRACKING_POLL_MINUTES.
RETOUR_LOGISTICS = {
    "HTTP_TIMEOUT": env_int("RETOUR_CARRIER_TIMEOUT", 20),
    "TRACKING_POLL_MINUTES": env_int("RETOUR_TRACKING_POLL_MINUTES", 30),
    "TRACKING_STALE_HOURS": env_int("RETOUR_TRACKING_STALE_HOURS", 6),
    "TRACKING_POLL_BATCH": env_int("RETOUR_TRACKING_POLL_BATCH", 200),
}
# Shop platform connectors: HTTP timeout, how many orders a backfill page reads, the import batch.
RETOUR_CONNECTORS = {
    "HTTP_TIMEOUT": env_int("RETOUR_CONNECTOR_TIMEOUT", 20),
    "PAGE_SIZE": env_int("RETOUR_CONNECTOR_PAGE_SIZE", 50),
    "IMPORT_BATCH": env_int("RETOUR_IMPORT_BATCH", 2000),
    # Processes of `retour import orders` (validating, and on PostgreSQL writing, the batches).
    "IMPORT_WORKERS": env_int("RETOUR_IMPORT_WORKERS", os.cpu_count() or 1),
    "POLL_MINUTES": env_int("RETOUR_CONNECTOR_POLL_MINUTES", 10),
    # A restock waits this long before its own write-back, so that the refund that usually
    # follows carries it (one platform refund with restock rather than a separate adjustment).
    "RESTOCK_DELAY": env_int("RETOUR_CONNECTOR_RESTOCK_DELAY", 300),
    # How often the job asks Shopify whether a bulk export of the order history is ready.
    "BULK_POLL_SECONDS": env_int("RETOUR_CONNECTOR_BULK_POLL_SECONDS", 15),
}
# SMS through a Twilio-compatible Messages API; off while RETOUR_SMS_ACCOUNT is unset.
RETOUR_SMS = {
    "BASE_URL": env_str("RETOUR_SMS_BASE_URL", "https://api.twilio.com"),
    "ACCOUNT": env_str("RETOUR_SMS_ACCOUNT"),
    "TOKEN": env_str("RETOUR_SMS_TOKEN"),
    "FROM": env_str("RETOUR_SMS_FROM"),
}
# Web Push to shoppers' browsers (RFC 8030, VAPID RFC 8292, aes128gcm RFC 8291): one VAPID key
# pair per installation, made on first use and kept in the database (private key encrypted) unless
# RETOUR_VAPID_PRIVATE_KEY (a raw P-256 key, base64url) is set. VAPID_SUBJECT: the contact the
# push services see (mailto: or https:); default the store's support address. ALLOW_LOOPBACK lets
# subscriptions point at http://127.0.0.1 (development and tests only).
RETOUR_PUSH = {
    "VAPID_PRIVATE_KEY": env_str("RETOUR_VAPID_PRIVATE_KEY"),
    "VAPID_SUBJECT": env_str("RETOUR_VAPID_SUBJECT"),
    "TTL": env_int("RETOUR_PUSH_TTL", 2 * 86400),
    "TIMEOUT": env_int("RETOUR_PUSH_TIMEOUT", 10),
    "ALLOW_LOOPBACK": env_bool("RETOUR_PUSH_ALLOW_LOOPBACK", DEBUG),
    # Chrome (FCM), Firefox (Mozilla autopush), Edge (WNS), Safari (Apple).
    "HOSTS": env_list(
        "RETOUR_PUSH_HOSTS",
        "fcm.googleapis.com,updates.push.services.mozilla.com,notify.windows.com,push.apple.com",
    ),
}

SESSION_ENGINE = "retour.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool(
    "RETOUR_SECURE_COOKIES", not DEBUG and PUBLIC_URL.startswith("https")
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("RETOUR_BEHIND_TLS_PROXY", False) else None
)

LOG_LEVEL = env_str("RETOUR_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "console": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": env_str("RETOUR_LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50
