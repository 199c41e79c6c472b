"""Retour's settings, from environment variables only (see `.env.example`).

Defaults are safe for production (DEBUG off, strict hosts); `make run` needs none of them set.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from retour.core.env import env_bool, env_int, env_list, env_str, persistent_secret

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("RETOUR_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("RETOUR_DEBUG", False)
SECRET_KEY = env_str("RETOUR_SECRET_KEY") or persistent_secret(DATA_DIR / "secret_key")
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
    "retour.core",
    "retour.commerce",
    "retour.accounts",
    "retour.policy",
    "retour.returns",
    "retour.logistics",
    "retour.api",
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
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
