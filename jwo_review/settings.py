"""Settings for JWO Review.

Everything that differs between a laptop, CI and production comes from the
environment through the strict helpers in ``jwo_review.env``.

- Neither ``DATABASE_URL`` nor ``REDIS_URL`` set: the embedded default. SQLite,
  Celery tasks run in-process, an in-memory channel layer and a local cache.
- ``DATABASE_URL=postgres://...``: PostgreSQL through psycopg2.
- ``REDIS_URL=redis://...``: Redis as Celery broker, Channels layer and cache.
- ``JWO_ENV=production``: secure cookies, HSTS and a required secret key.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from jwo_review.env import envbool, envfloat, envint, envlist, envstr, envurl

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

JWO_ENV = envstr("JWO_ENV", "development")
if JWO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"JWO_ENV={JWO_ENV!r}; use development, test or production.")
PRODUCTION = JWO_ENV == "production"

SECRET_KEY = envstr("SECRET_KEY", "" if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters in production.")
DEBUG = envbool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "jwo_review.accounts",
    "jwo_review.store",
    "jwo_review.simulator",
    "inference",
    "low_confidence_queue",
    "annotation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jwo_review.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jwo_review.urls"
WSGI_APPLICATION = "jwo_review.wsgi.application"
ASGI_APPLICATION = "jwo_review.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jwo_review.accounts.context.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASE_URL = envurl("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60, minimum=0))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # test_<database>: runs against different databases never share (or drop) a test database.
        default_test_name = f"test_{DATABASES['default']['NAME']}"
        DATABASES["default"].setdefault("TEST", {})["NAME"] = envstr("TEST_DATABASE_NAME", default_test_name)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / envstr("SQLITE_NAME", "db.sqlite3")),
            # IMMEDIATE: a transaction takes the write lock when it begins and waits for it (up
            # to the timeout), instead of reading first and failing at once with "database is
            # locked" when it then writes while another writes (a clip render beside a lease
            # renewal). WAL: pages read while a write is under way.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, Channels layer, cache ------------------------------------
REDIS_URL = envurl("REDIS_URL", schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A dead Redis answers in a second, not after the OS's TCP timeout.
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 2.0},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the tasks run in the calling process, so the app works on a bare laptop.
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# A dead broker must not hold a web request for the ~20 s of kombu's default retries:
# ingest has stored the visit by then, and the pipeline's sweep queues it again.
CELERY_BROKER_CONNECTION_TIMEOUT = envfloat("JWO_BROKER_TIMEOUT_S", 2.0, low=0.1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": envfloat("JWO_BROKER_SOCKET_TIMEOUT_S", 10.0, low=0.1),
    # An unacknowledged task (its worker was killed) is delivered again after this long.
    "visibility_timeout": envint("JWO_BROKER_VISIBILITY_TIMEOUT_S", 3600, minimum=1),
}
# Workers look for such tasks every few seconds (one cheap sorted-set read), not kombu's
# default of every tenth 10 s tick: a task is back soon after its visibility timeout.
CELERY_BROKER_TRANSPORT_OPTIONS |= {
    "unacked_restore_interval": min(10, CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_TASK_ROUTES = {
    "jwo_review.store.tasks.*": {"queue": "ingest"},
    "jwo_review.simulator.tasks.*": {"queue": "media"},
    "inference.tasks.score_*": {"queue": "scoring"},
    "inference.tasks.train_*": {"queue": "training"},
    "low_confidence_queue.tasks.train_*": {"queue": "training"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Review tasks whose reviewer walked away go back to the queue.
    "queue-sweep-leases": {"task": "low_confidence_queue.tasks.sweep_leases", "schedule": 30.0},
    # Annotation: slots of annotators who walked away, new tasks from every source, quality.
    "annotation-sweep-leases": {"task": "annotation.tasks.sweep_leases", "schedule": 60.0},
    "annotation-make-tasks": {"task": "annotation.tasks.make_tasks", "schedule": 600.0},
    "annotation-refit-quality": {"task": "annotation.tasks.refit_quality", "schedule": 3600.0},
    # Label Studio: push new and changed tasks to every enabled connection, pull its annotations.
    "annotation-labelstudio-sync": {
        "task": "annotation.tasks.labelstudio_sync_all",
        "schedule": envfloat("JWO_LABELSTUDIO_SYNC_S", 300.0, low=10.0),
    },
    # Visits stored but never scored, or scored but never routed, are queued again.
    "pipeline-sweep-stalled": {
        "task": "jwo_review.pipeline.sweep_stalled_visits",
        "schedule": envfloat("JWO_PIPELINE_SWEEP_S", 60.0, low=1.0),
    },
    # The dashboard's daily rollups: rebuild the days that changed since the last run.
    "metrics-refresh-rollups": {"task": "low_confidence_queue.tasks.refresh_rollups", "schedule": 300.0},
    # The flywheel's nightly run: per store a dataset version, a candidate, the gate, the threshold.
    "flywheel-nightly": {
        "task": "low_confidence_queue.tasks.train_stores_nightly",
        "schedule": crontab(hour=envint("JWO_NIGHTLY_HOUR_UTC", 2, minimum=0) % 24, minute=30),
    },
}

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if JWO_ENV == "test":
    # Hashing cost is irrelevant to what the tests prove and dominated their setup time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / envstr("STATIC_ROOT", "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jwo_review.accounts.authentication.StoreKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jwo_review.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["jwo_review.accounts.throttling.StoreKeyThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "JWO Review API",
    "DESCRIPTION": "Ingest visits from store systems, read receipts, review and annotate.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several resources have a "status"; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "VisitStatusEnum": "jwo_review.store.models.VisitStatus",
        "ClipStatusEnum": "jwo_review.store.models.ClipStatus",
        "WorkStatusEnum": "low_confidence_queue.models.TaskStatus",
    },
}

# --- Product settings ---------------------------------------------------------------
JWO_INGEST_MAX_BATCH = envint("JWO_INGEST_MAX_BATCH", 100, minimum=1)
JWO_INGEST_MAX_EVENTS = envint("JWO_INGEST_MAX_EVENTS", 2000, minimum=1)
# Requests per store key (DRF rate: N/s, N/min, N/hour, N/day); past it, 429 with Retry-After.
JWO_STORE_KEY_RATE = envstr("JWO_STORE_KEY_RATE", "600/min")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", JWO_STORE_KEY_RATE):
    raise ImproperlyConfigured(f"JWO_STORE_KEY_RATE={JWO_STORE_KEY_RATE!r}; use e.g. 600/min or 20/s.")
# Request bodies above this many bytes are refused with 413 (a full batch with plate streams fits).
JWO_MAX_REQUEST_BYTES = envint("JWO_MAX_REQUEST_BYTES", 32 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = JWO_MAX_REQUEST_BYTES
JWO_MAX_ABS_WEIGHT_G = envfloat("JWO_MAX_ABS_WEIGHT_G", 20000.0, low=1.0)
JWO_SHARED_DATA_DIR = Path(envstr("JWO_SHARED_DATA_DIR", str(BASE_DIR / "jwo_review" / "store" / "fixtures")))

# --- Production hardening -------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}

# The pipeline's stages (ingest -> score -> route -> receipt) are named in jwo_review/pipeline.py.
# Called after commit with the ids of newly stored visits (queues scoring).
JWO_VISITS_INGESTED_HOOKS: list[str] = envlist("JWO_VISITS_INGESTED_HOOKS", ["jwo_review.pipeline.visits_ingested"])
# Called after commit with the ids of newly scored visits (routes them).
JWO_VISITS_SCORED_HOOKS: list[str] = envlist("JWO_VISITS_SCORED_HOOKS", ["jwo_review.pipeline.visits_scored"])
# Rows of the dashboard's annotator table (the annotation app's overview).
JWO_DASHBOARD_ANNOTATORS = envstr("JWO_DASHBOARD_ANNOTATORS", "annotation.selectors.annotators_overview")
# The home page's line of work waiting under each card, card -> dotted callable (user) -> str;
# the apps that own the work answer, so the landing page imports none of them.
JWO_HOME_WORK: dict[str, str] = {
    "review": "low_confidence_queue.selectors.home_work",
    "annotate": "annotation.selectors.home_work",
}
# One annotator's own numbers over a range, (user_id=, since=, until=) -> dict, for their "My numbers".
JWO_DASHBOARD_ANNOTATOR_STATS = envstr("JWO_DASHBOARD_ANNOTATOR_STATS", "annotation.selectors.annotator_stats")
# Called after commit with the visit id of each review decision (e.g. to make annotation tasks).
JWO_REVIEW_DECIDED_HOOKS: list[str] = envlist("JWO_REVIEW_DECIDED_HOOKS", ["annotation.hooks.review_task_decided"])
# The flywheel: a new store starts at the model's threshold for an error budget this many
# times smaller, audits this share above it until its evidence (effective sample size
# above the threshold) reaches the settled size; a store with this many visits labelled
# since its latest dataset version is retrained without waiting for the nightly run.
JWO_NEW_STORE_STRICTNESS = envfloat("JWO_NEW_STORE_STRICTNESS", 5.0, low=1.0)
JWO_NEW_STORE_AUDIT_RATE = envfloat("JWO_NEW_STORE_AUDIT_RATE", 0.5, low=0.0, high=1.0)
JWO_NEW_STORE_SETTLED_N_EFF = envint("JWO_NEW_STORE_SETTLED_N_EFF", 1500, minimum=1)
JWO_RETRAIN_MIN_NEW_VISITS = envint("JWO_RETRAIN_MIN_NEW_VISITS", 5000, minimum=1)
# Fewer reviewed holdout visits than this cannot bound accuracy near 99.5%: no candidate is trained.
JWO_RETRAIN_MIN_HOLDOUT = envint("JWO_RETRAIN_MIN_HOLDOUT", 100, minimum=1)
# The recipe a store's candidate is fine-tuned with (inference/recipe.py: measured, demo, test).
JWO_RETRAIN_PRESET = envstr("JWO_RETRAIN_PRESET", "measured")
# The stalled-visit sweep: a visit waits this long before it counts as stalled, a retry
# is leased this long, and after this many retries it is left for a person.
JWO_PIPELINE_GRACE_S = envint("JWO_PIPELINE_GRACE_S", 120, minimum=0)
JWO_PIPELINE_RETRY_S = envint("JWO_PIPELINE_RETRY_S", 600, minimum=1)
JWO_PIPELINE_MAX_ATTEMPTS = envint("JWO_PIPELINE_MAX_ATTEMPTS", 10, minimum=1)
# The Celery task that renders a Clip row (given its id) into a video file.
JWO_CLIP_RENDER_TASK = envstr("JWO_CLIP_RENDER_TASK", "jwo_review.simulator.tasks.render_clip")
JWO_CLIP_MAX_SECONDS = envint("JWO_CLIP_MAX_SECONDS", 30, minimum=1)
# Need-to-know media: functions (user, visit_id) -> bool that say a non-admin holds work
# on a visit and may see its clips and plate streams (jwo_review/store/media_access.py).
JWO_MEDIA_ACCESS_CHECKS: list[str] = envlist(
    "JWO_MEDIA_ACCESS_CHECKS",
    [
        "low_confidence_queue.access.user_holds_visit",
        "annotation.access.user_holds_visit",
        "annotation.labelstudio.access.connection_holds_visit",
    ],
)
# How long a signed media URL for an outside tool (Label Studio) stays valid.
JWO_MEDIA_SIGNED_URL_S = envint("JWO_MEDIA_SIGNED_URL_S", 300, minimum=1)
