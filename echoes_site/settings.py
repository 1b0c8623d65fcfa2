"""Settings of Emotional Echoes: one module, driven by environment variables.

With no variables set it runs embedded (SQLite, in-memory channel layer, file-system
media, Celery tasks executed in-process on a background thread). Each service is switched
on by its variable; see the README for the full list.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("ECHOES_TESTING", False)
# Django's debug pages (tracebacks, settings, URL lists) are an explicit opt-in for
# developers: whoever reaches a default run (`dev.py run`) sees the friendly 404/500 pages.
DEBUG = env_bool("DJANGO_DEBUG", False)
# Production hardening (a required secret, secure cookies, HSTS, SSL redirect, hashed
# static files): DJANGO_PRODUCTION=true, or DJANGO_DEBUG=false said explicitly, which is
# how deployments have always asked for it. Neither set: a local run over plain HTTP.
_DEBUG_OFF_SAID = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"0", "false", "no", "off"}
PRODUCTION = env_bool("DJANGO_PRODUCTION", _DEBUG_OFF_SAID) and not DEBUG

_DEV_SECRET = "dev-only-insecure-key-change-me-3c6f0a1e9b2d4c8e7f5a1b3d9c0e2f4a"
SECRET_KEY = env("DJANGO_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set in production (DJANGO_DEBUG=false).")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc served locally (no CDN)
    "channels",
    "axes",  # login lockout (web, admin and the API token endpoint)
    "accounts",
    "catalogue",
    "moods",
    "compositions",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "echoes_site.middleware.ContentSecurityPolicyMiddleware",
    "echoes_site.middleware.RequestBodyGuardMiddleware",  # 411 for chunked, 413 for too large
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused because of a lockout into a 429 (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "echoes_site.urls"
WSGI_APPLICATION = "echoes_site.wsgi.application"
ASGI_APPLICATION = "echoes_site.asgi.application"

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
                "echoes_site.live_features.live_features",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections leak under ASGI: each request's sync code runs in a thread of
    # its own and keeps its connection open after the thread is gone (measured: 91 idle
    # connections and "too many clients" 500s within seconds of load). So 0 (a connection
    # per request) is the default, and the WSGI workers (gunicorn, deploy/gunicorn.conf.py)
    # set DATABASE_CONN_MAX_AGE=60: one connection per worker, health-checked before reuse.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    # Start each connection in UTC, or Django sends SET TIME ZONE on every new connection
    # (servers commonly default to "Etc/UTC", which is not the "UTC" Django asks for).
    _db_options.setdefault("options", "-c TimeZone=UTC")
    # Which kind of process a connection belongs to, in pg_stat_activity.
    _db_options.setdefault("application_name", env("DATABASE_APPLICATION_NAME", "echoes"))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # WAL + a busy timeout: the web server and in-process jobs write concurrently.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: channel layer and cache ---------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, exactly the
                # 5 s BZPOPMIN channels_redis blocks in: every idle consumer then dies
                # with "Timeout reading from redis". Give the reads more time than that.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "capacity": 500,
                "expiry": 60,
                "group_expiry": 86400,
                "prefix": env("CHANNEL_LAYER_PREFIX", "echoes"),
            },
        }
    }
    CACHES = {
        "default": {
            # Django's backend, with one connection pool per process (echoes_site/cache.py).
            "BACKEND": "echoes_site.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "echoes"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------
# Without a broker, tasks run in a job process the server starts and supervises (see
# echoes_site.embedded_jobs): no separate worker, no request waits for a job, and a job
# that crashes or hangs takes down only that process, never the web server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_EMBEDDED = not CELERY_BROKER_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_TASK_DEFAULT_QUEUE = "default"

# --- Compositions (jobs on the "compositions" queue; see docs/compositions.md) ---------
COMPOSITIONS_QUEUE = env("COMPOSITIONS_QUEUE", "compositions")
COMPOSITIONS_MAX_IN_FLIGHT = env_int("COMPOSITIONS_MAX_IN_FLIGHT", 3)  # per user
# Seconds; generous because a cold worker process loads TensorFlow inside its first job.
COMPOSITION_SOFT_TIME_LIMIT = env_int("COMPOSITION_SOFT_TIME_LIMIT", 120)
COMPOSITION_TIME_LIMIT = env_int("COMPOSITION_TIME_LIMIT", 180)
# A running job whose heartbeat is older than this is taken to be dead and re-queued.
COMPOSITION_STALE_SECONDS = env_int("COMPOSITION_STALE_SECONDS", 30)
COMPOSITION_SWEEP_SECONDS = env_int("COMPOSITION_SWEEP_SECONDS", 15)
COMPOSITION_MAX_ATTEMPTS = env_int("COMPOSITION_MAX_ATTEMPTS", 4)
# Tests and the fault benchmark only: "<abort|segv|hang>:<seed>" makes the job process of
# any composition with that seed abort, segfault or hang once it starts rendering.
COMPOSITION_FAULT_INJECTION = env("COMPOSITION_FAULT_INJECTION")

# --- Files ----------------------------------------------------------------------------
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Media files are private and never served from a public URL; see compositions' views.
MEDIA_URL = "/media-private/"
STATIC_URL = "/static/"
# collectstatic writes here; in production the proxy serves it (deploy/nginx/echoes.conf).
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 300),
            # SigV4: the only signature newer regions accept (botocore may pick v2 otherwise).
            "signature_version": env("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            "file_overwrite": True,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if not PRODUCTION or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- ML -------------------------------------------------------------------------------
SOUNDFONT_PATH = env("SOUNDFONT_PATH", "/usr/share/sounds/sf2/TimGM6mb.sf2")
EMOTION_WORKERS = env_int("EMOTION_WORKERS", os.cpu_count() or 2)
# An ASGI server process (the one that serves live sessions) loads the emotion models
# in the background as it starts, so no session waits for them; /healthz answers 503
# "warming" until they are loaded (docs/websocket.md, "Warm start").
EMOTION_WARM_START = env_bool("EMOTION_WARM_START", True)
# Live sessions (docs/websocket.md): one MoodReading per this many seconds (also each
# open session's heartbeat); an open session silent this long is closed by the sweep.
MOOD_READING_SECONDS = float(env("MOOD_READING_SECONDS", "5"))
MOOD_SESSION_STALE_SECONDS = float(env("MOOD_SESSION_STALE_SECONDS", "60"))

# --- Auth, sessions, security ---------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Validates nothing; after every password change it revokes tokens and closes sockets.
    {"NAME": "accounts.revocation.CloseSocketsOnPasswordChange"},
]
# The lockout backend comes first: it refuses any attempt from a locked-out address or
# for a locked-out account before a password is even checked.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",
    "accounts.backends.UsernameOrEmailBackend",
]

# How many reverse proxies in front of the app append to X-Forwarded-For; 0 = the socket
# peer is the client (echoes_site/client_address.py). Every throttle and the lockout use it.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

# Login lockout (django-axes, attempts kept in the database so it works without Redis):
# after LOGIN_FAILURE_LIMIT failures from one address, or for one account, further
# attempts are refused for LOGIN_LOCKOUT_MINUTES; each attempt while locked out starts
# the cool-off again (a guesser who keeps trying stays locked out).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours, as a float
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_CLIENT_IP_CALLABLE = "echoes_site.client_address.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:home"

# Upload and body limits: a request body above this is refused with 413/400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
MAX_IMAGE_UPLOAD_BYTES = env_int("MAX_IMAGE_UPLOAD_BYTES", 1024 * 1024)
# Any declared body above this is refused with 413 before it is read (pages and API).
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
# {sockets} becomes this host's ws:// or wss:// origin (echoes_site/middleware.py); the only
# page that frames anything is the recommendations page (Spotify's player).
# 'wasm-unsafe-eval' lets our own scripts compile WebAssembly (the live soundtrack's
# FluidSynth, frontend/static/frontend/vendor/js-synthesizer); it allows no JS eval.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self' data:; connect-src 'self'{sockets}; worker-src 'self' blob:; "
    # Exactly one frame origin: Spotify's embedded player (catalogue.models.SPOTIFY_EMBED_ORIGIN).
    "frame-src https://open.spotify.com; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "echoes_site.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "echoes_site.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "echoes_site.api_errors.api_exception_handler",
    # The API speaks JSON (with a nesting limit and no lone surrogates: echoes_site/parsers.py);
    # only a view that uploads a file adds multipart. One body type per operation keeps the
    # schema's request bodies unambiguous for client generators (docs/api.md).
    "DEFAULT_PARSER_CLASSES": ["echoes_site.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": [
        "echoes_site.throttling.AnonRateThrottle",
        "echoes_site.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", "120/min"),
        "user": env("THROTTLE_USER", "6000/min"),
        "login": env("THROTTLE_LOGIN", "20/min"),
        "compose": env("THROTTLE_COMPOSE", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Emotional Echoes API",
    "DESCRIPTION": "Mood from the webcam, songs for it, and music composed for it.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs pages load Swagger UI and Redoc from our static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The mood vocabulary appears as `mood` and as `label`: one enum component for both
    # (otherwise a W001 warning fails `check --deploy --fail-level WARNING`).
    "ENUM_NAME_OVERRIDES": {"MoodLabelEnum": "ml.mood.MOOD_LABELS"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# In development WhiteNoise serves static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION  # a local run serves the source files, no collectstatic
WHITENOISE_AUTOREFRESH = not PRODUCTION
