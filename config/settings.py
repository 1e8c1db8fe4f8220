"""Settings for the pairing-work product.

Everything comes from the environment with defaults that make a fresh clone run on a laptop:
SQLite in the project folder and Celery tasks run in-process. Set DJANGO_ENV=production for a
server: it then refuses to start without SECRET_KEY and turns on the HTTPS-only protections.
"""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy
from kombu import Exchange, Queue

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env_str("DJANGO_ENV", "development").lower() == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "auditlog",
    "axes",
    "csp",
    # The product's own apps, from the ground floor up (the import graph follows this order:
    # `manage.py import_graph` fails on an import that points down-to-up or in a cycle).
    "core",
    "accounts",
    "villages",
    "periods",
    "pairing",
    "cadres",
    "households",
    "monitoring",
    "inspections",
    "assessments",
    "notifications",
    "ledgers",
    "reporting",
    "home",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The idle timeout's session refresh, once a minute at most (see SESSION_IDLE_SECONDS).
    "accounts.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After a write, this browser and user read from the primary for a while (a replica only).
    "config.db_router.PrimaryPinMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The request for the security log's signals; the forced password change.
    "accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, so a lockout answer wins over everything above it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/pairing; default: a SQLite file here.
# DATABASE_REPLICA_URL (optional): a streaming read replica; dashboards, ledger exports and the
# API's lists read from it inside `config.db_router.reads_from_replica` blocks, everything else
# (and a user who wrote within DATABASE_REPLICA_PIN_SECONDS) from the primary.
# DATABASE_POOLER=pgbouncer: the URLs point at PgBouncer in transaction mode (deploy/pgbouncer.ini).
DATABASE_POOLER = env_str("DATABASE_POOLER").lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or pgbouncer, not {DATABASE_POOLER!r}"
    )
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)


def _database(url: str) -> dict:
    database = dj_database_url.parse(
        url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
    )
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.postgresql":
        if DATABASE_POOLER == "pgbouncer":
            # Transaction pooling: a server connection is one client's only for a transaction,
            # so no cursor may outlive one (QuerySet.iterator() then fetches in chunks from a
            # client-side cursor) and no startup `options` (PgBouncer refuses them: set
            # max_parallel_workers_per_gather and timezone on the role, deploy/pgbouncer.ini).
            database["DISABLE_SERVER_SIDE_CURSORS"] = True
        else:
            # Two cores: parallel workers made short dashboard queries slower (PERFORMANCE.md),
            # and server-side prepared statements switched plans to generic ones, so keep client
            # binding.
            options.setdefault("options", "-c max_parallel_workers_per_gather=0 -c timezone=UTC")
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded worker is a second process on the same file: WAL lets it write while
        # runserver reads, and a writer waits up to 20 s for the other instead of failing.
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        database["CONN_MAX_AGE"] = 0
    return database


DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = _database(env_str("DATABASE_REPLICA_URL"))
    # A test run uses one database: the replica alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]

# --- Cache and sessions ---------------------------------------------------------------------
# With Redis (CACHE_REDIS_URL, default REDIS_URL) the cache is shared by every web machine: API
# request limits, the read replica's "pinned to the primary" marks, and the sessions, kept in the
# cache in front of the database (cached_db: a Redis restart logs nobody out). Without Redis, the
# embedded default: a per-process memory cache and sessions in the database.
CACHE_REDIS_URL = env_str("CACHE_REDIS_URL", env_str("REDIS_URL"))
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": "pairing",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassesValidator"},
    {"NAME": "accounts.validators.NotContainingUsernameValidator"},
]
# Days after which a password must be changed (graded protection asks for periodic change;
# 90 is usual). 0: no age limit.
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# A list filter left open offers "全部", never Django's "---------" (django-filter).
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("全部")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded photos and evidence live outside the code tree in production (MEDIA_ROOT).
# Development serves static files from the apps' folders; production from STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Largest accepted photo or evidence upload, in bytes.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Product rules that differ by deployment -------------------------------------------------
# Days after creation during which the author may edit or delete an entry (issue: 7 days).
ENTRY_EDIT_WINDOW_DAYS = env_int("ENTRY_EDIT_WINDOW_DAYS", 7)
# Reporting periods (periods/rules.py): a period locks by itself from the PERIOD_LOCK_DAYS-th day
# after its end (a county may set its own number), approved or not; a reviewer's reopening of
# an expired period lasts PERIOD_REOPEN_DAYS days; a period not submitted PERIOD_SUBMIT_DAYS
# days after its end is overdue. Periods ending before PERIOD_LOCK_START are not governed.
PERIOD_LOCK_DAYS = env_int("PERIOD_LOCK_DAYS", 45)
PERIOD_REOPEN_DAYS = env_int("PERIOD_REOPEN_DAYS", 7)
PERIOD_SUBMIT_DAYS = env_int("PERIOD_SUBMIT_DAYS", 10)
PERIOD_LOCK_START = env_str("PERIOD_LOCK_START", "2026-10-01")
# A visit whose coordinates lie farther than this from the village is held for review.
VISIT_MAX_DISTANCE_METRES = env_int("VISIT_MAX_DISTANCE_METRES", 3000)
# Monthly days in the village shown to stationed cadres and first secretaries on their home page
# (the source documents set figures only for leaders and talents, which the indicators hold).
STATIONED_FIELD_DAYS_TARGET = env_int("STATIONED_FIELD_DAYS_TARGET", 20)
# Exports larger than this many rows run as a background job instead of in the request.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 5000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# A running export without a progress heartbeat for this long has lost its worker; a job still
# waiting for a worker after EXPORT_PENDING_SECONDS is failed (ledgers/services.py).
EXPORT_STALE_SECONDS = env_int("EXPORT_STALE_SECONDS", 120)
EXPORT_PENDING_SECONDS = env_int("EXPORT_PENDING_SECONDS", 900)
# Household rosters uploaded from Excel: larger files or more rows are refused (split them).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20000)
# Overdue items are escalated to the township, then the county, after these many days.
ESCALATE_TOWNSHIP_AFTER_DAYS = env_int("ESCALATE_TOWNSHIP_AFTER_DAYS", 3)
ESCALATE_COUNTY_AFTER_DAYS = env_int("ESCALATE_COUNTY_AFTER_DAYS", 10)
SECURITY_LOG_KEEP_DAYS = env_int("SECURITY_LOG_KEEP_DAYS", 180)
# API tokens stop working this many days after they are issued (api/authentication.py).
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 90)
# API request limits (DRF rate strings: "<n>/sec|min|hour|day"; empty turns a limit off).
API_THROTTLE_USER_RATE = env_str("API_THROTTLE_USER_RATE", "1200/min")
API_THROTTLE_ANON_RATE = env_str("API_THROTTLE_ANON_RATE", "120/min")

# --- Celery ----------------------------------------------------------------------------------
# With a broker (REDIS_URL or CELERY_BROKER_URL) tasks go to Redis and the workers of the
# deployment. Without one, the embedded default: tasks are queued as files in
# CELERY_EMBEDDED_QUEUE_DIR (kombu's filesystem transport, nothing to install) and the worker and
# beat that `dev.py start` runs next to runserver take them, reading the same database, so a long
# export runs in the background there too. In-process (eager) tasks only when asked for:
# CELERY_TASK_ALWAYS_EAGER=true, or the test suite (pytest, `manage.py test`).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_EMBEDDED = not CELERY_BROKER_URL
_UNDER_TEST = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_EMBEDDED and _UNDER_TEST)
CELERY_EMBEDDED_QUEUE_DIR = Path(
    env_str("CELERY_EMBEDDED_QUEUE_DIR", str(BASE_DIR / "var" / "celery-queue"))
)
if CELERY_EMBEDDED:
    CELERY_BROKER_URL = "filesystem://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1800)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 2100)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker and not acknowledged (acks_late) goes back to the queue after this
# many seconds on Redis (a worker killed with -9 never acknowledges): longer than the longest
# task (CELERY_TASK_TIME_LIMIT), or a long export would be handed to a second worker meanwhile.
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 300
)
# An unreachable broker must not hold a page for long: connecting gives up after 2 s and
# publishing is retried twice within about a second (config.celery.enqueue then reports it).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
}
if CELERY_EMBEDDED:
    # One folder both ways: the web process writes messages in, the embedded worker reads them.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(CELERY_EMBEDDED_QUEUE_DIR),
            "data_folder_out": str(CELERY_EMBEDDED_QUEUE_DIR),
            "control_folder": str(CELERY_EMBEDDED_QUEUE_DIR / "control"),
            "store_processed": False,
        }
    )
    # The filesystem transport has no broadcast: no remote control, events or result store.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues by kind, so a worker machine can take one kind (deploy/systemd): exports and evaluations
# (minutes of CPU each) on `heavy`, reminders, notifications and draws on `default`. A worker
# started without -Q (the embedded one, the tests') consumes both.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("default", "heavy")
]
CELERY_TASK_ROUTES = {
    "ledgers.tasks.*": {"queue": "heavy"},
    "assessments.tasks.*": {"queue": "heavy"},
}

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@pairing.local")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (a demo's "mailbox").
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "media" / "outbox"))
# E-mail reminders are sent only when this is on (a laptop demo prints nothing by default).
REMINDER_EMAIL_ENABLED = env_bool("REMINDER_EMAIL_ENABLED", bool(env_str("EMAIL_HOST")))
# Ledgers sent to superiors on a schedule (ledgers/subscriptions.py): a workbook larger than this
# goes as a link to its download page (login and scope needed), built on LEDGER_MAIL_SITE_URL.
LEDGER_MAIL_MAX_BYTES = env_int("LEDGER_MAIL_MAX_BYTES", 10 * 1024 * 1024)
LEDGER_MAIL_SITE_URL = env_str("LEDGER_MAIL_SITE_URL", "http://127.0.0.1:8000")
# Sending attempts of one delivery (Celery retries with backoff, then the next daily run).
LEDGER_MAIL_MAX_ATTEMPTS = env_int("LEDGER_MAIL_MAX_ATTEMPTS", 5)
LEDGER_MAIL_RETRY_SECONDS = env_int("LEDGER_MAIL_RETRY_SECONDS", 60)

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "api.authentication.ApiTokenAuthentication",
    ],
    # Requests per token user and per anonymous address (api/throttling.py reads the rates
    # below at each request; the default cache counts).
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.ApiUserRateThrottle",
        "api.throttling.ApiAnonRateThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.base.ApiAutoSchema",  # every view documents its error answers
    "DEFAULT_VERSIONING_CLASS": None,
    # One JSON error shape for the whole API (api/exceptions.py).
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "党建扶贫结对帮扶 API",
    "DESCRIPTION": "结对帮扶工作数据接口，权限范围与网页一致。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-spectacular's own hook first, then the OpenAPI links (api/schema_links.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_links.postprocess_schema_links",
    ],
    # Several models have a `kind` with different choices: one schema name each (api app).
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "pairing.models.UnitKind",
        "OrgKindEnum": "pairing.models.OrgKind",
        "PairingKindEnum": "pairing.models.PairingKind",
        "TrainingKindEnum": "pairing.models.TrainingKind",
        "MeetingKindEnum": "pairing.models.MeetingKind",
        "CadreKindEnum": "cadres.models.CadreKind",
        "VisitKindEnum": "households.models.VisitKind",
        "NotificationKindEnum": "notifications.models.NotificationKind",
        "LedgerKindEnum": "ledgers.models.LedgerKind",
        "ProjectKindEnum": "pairing.models.ProjectKind",
        "ProjectStatusEnum": "pairing.models.ProjectStatus",
        "GradeEnum": "cadres.models.Grade",
        "TermRoleEnum": "cadres.models.Term.TermRole",
        "TeamRoleEnum": "cadres.models.WorkTeamMember.TeamRole",
        "LiaisonRoleEnum": "cadres.models.Liaison.LiaisonRole",
        "PovertyStatusEnum": "households.models.PovertyStatus",
        "MeasureStatusEnum": "households.models.MeasureStatus",
        "StepKindEnum": "monitoring.models.StepKind",
        "MonitoringMeasureKindEnum": "monitoring.models.MeasureKind",
        "RemovalKindEnum": "monitoring.models.RemovalKind",
        "MonitoringCaseStatusEnum": "monitoring.models.CaseStatus",
        "RemovalStatusEnum": "monitoring.models.RemovalStatus",
        "MonitoringMeasureStatusEnum": "monitoring.models.MeasureStatus",
        "MonitoringProcedureEnum": "monitoring.models.Procedure",
        "ClueOutcomeEnum": "monitoring.models.ClueOutcome",
        "ReviewOutcomeEnum": "monitoring.models.ReviewOutcome",
        "LedgerPeriodRuleEnum": "ledgers.models.PeriodRule",
        "LedgerFrequencyEnum": "ledgers.models.Frequency",
        "LedgerDeliveryStatusEnum": "ledgers.models.LedgerDelivery.Status",
    },
}

# --- Security --------------------------------------------------------------------------------
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
# A username is locked after repeated failures from one address (a township office shares one
# address behind NAT, so the address alone would lock out colleagues).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Reverse proxies (nginx) in front of gunicorn: their X-Forwarded-For entries are trusted, so
# lockouts and the security log see the client's address, not the proxy's.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "accounts.services.client_ip"

SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
# The age above is an inactivity timeout: accounts.middleware.SessionIdleMiddleware saves the
# session again when its last save is more than SESSION_IDLE_REFRESH_SECONDS old (instead of a
# session write on every request, SESSION_SAVE_EVERY_REQUEST).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_IDLE_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content security policy: nothing from other hosts, ever (government networks, no internet).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        # the service worker of offline field work (/sw.js, households/offline.py)
        "worker-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
