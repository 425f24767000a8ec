"""Settings, read from the environment with django-environ.

Development defaults are safe and need no services: SQLite, the embedded Celery broker
(kombu's SQLAlchemy transport on a SQLite file) and the local-memory cache. Production
differs only by environment variables (see README.md).
"""
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

# "production" makes the deploy-time guarantees explicit: no default secret, secure cookies, and
# never Django's debug mode, whatever DEBUG says.
PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False) and not PRODUCTION

_DEV_SECRET = "dev-insecure-0b7f4e2c9a1d4f6e8b3c5a7d9e1f2a4c6b8d0e2f4a6c8e0b2d4f6a8c0e2b4d6f"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET)
# Keys that are public (this file, Django's project template, examples) sign nothing in production.
_KNOWN_SECRETS = {_DEV_SECRET, "changeme", "change-me", "secret", "django-insecure", "your-secret-key"}
SECRET_KEY_MIN_LENGTH = 50
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production (PRODUCTION=1).")
if PRODUCTION:
    if SECRET_KEY == _DEV_SECRET or SECRET_KEY.lower() in _KNOWN_SECRETS or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must not be a development or published key in production.")
    if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} random characters in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))').")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", ".localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_site.HelpdeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "csp",
    "axes",
    "django_otp",
    "console.apps.TOTPConfig",
    "core",
    "plans",
    "tickets",
    "billing",
    "appointments",
    "helpcenter",
    "monitor",
    "console",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.TenantMiddleware",
    "core.middleware.TenantLanguageMiddleware",
    # After the tenant is known: staff with a second factor confirm it; tenant admins set it up when required.
    "console.middleware.SecondFactorMiddleware",
    # Read-only staff (observers) change nothing: every write is a 403.
    "console.middleware.ReadOnlyRoleMiddleware",
    "helpdesk.logs.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

# Plain widgets are built in Python, the same HTML as Django's templates (core.widget_rendering).
FORM_RENDERER = "core.widget_rendering.WidgetRenderer"
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
                "django.template.context_processors.i18n",
                "helpdesk.context_processors.tenant",
                "csp.context_processors.nonce",
            ],
            # {% field_row %} in every template without a {% load %}
            "builtins": ["core.templatetags.form_ui"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (web threads, the worker, beat) on one file: WAL lets readers run beside
    # the writer; IMMEDIATE transactions take the write lock at BEGIN, so a writer waits its turn
    # (up to the busy timeout) instead of failing at once with "database is locked" when a
    # transaction that began by reading tries to write while another one writes. Measured with
    # tests/api/test_concurrent_writes.py: 58 of 108 parallel API writes failed without IMMEDIATE,
    # none with it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a new PostgreSQL connection costs ~3.5 ms on every request otherwise.
# Each web thread and each worker process keeps one open (README "Scaling out" for the limits).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No parallel workers for a statement unless asked (docs/operations.md): the pages' queries last
    # milliseconds, and on a shared machine starting workers for them cost a search 30–40 ms
    # (bench/README.md). Empty leaves PostgreSQL's own setting (e.g. behind a pooler that refuses
    # startup options).
    # Parameters bound on the server, and psycopg prepares a statement once a connection has run it
    # five times, so PostgreSQL stops planning it on every request: the ticket page's joins cost more
    # to plan than to run (bench/README.md). Django turns psycopg's preparing off unless
    # ``prepare_threshold`` is given; binding alone prepares nothing. Persistent connections keep
    # the prepared statements. Off (DATABASE_PREPARED_STATEMENTS=0) behind a pooler in transaction
    # mode that does not track prepared statements (PgBouncer before 1.21).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    _parallel = env.str("DATABASE_PARALLEL_WORKERS", default="0").strip()
    if _parallel:
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _gather = f"-c max_parallel_workers_per_gather={int(_parallel)}"
        _options["options"] = f"{_options.get('options', '')} {_gather}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests run a real Celery worker in another process, so the test database must be a file
    # (SQLite's default test database lives in memory). One file per test run, never reused: runs
    # in parallel do not share it, and a stale -wal file of an old run is never applied to it.
    _test_db = VAR_DIR / "test" / f"test-db-{os.getpid()}-{os.urandom(3).hex()}.sqlite3"
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", env.str("TEST_DATABASE_NAME", default=str(_test_db)))
    Path(DATABASES["default"]["TEST"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "helpdesk.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "helpdesk.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# Customers log in from shared office computers: the login ends with the browser, and after
# SESSION_COOKIE_AGE at the latest even if the browser stays open.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Sessions are read from the cache (Redis in production) and written through to the database: no
# session query on a request whose session is cached, and a session survives a flushed cache.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Login throttling (django-axes): 5 failures of one user name from one address lock that pair
# out for 15 minutes; a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "core.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_VERBOSE = False  # no start-up banner on every manage.py command
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.login_locked_out"
# Behind a reverse proxy: how many proxies append to X-Forwarded-For (0: use REMOTE_ADDR).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT
                                     else ["REMOTE_ADDR"])

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
FORMAT_MODULE_PATH = ["helpdesk.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Outside production WhiteNoise serves the files straight from the apps' and STATICFILES_DIRS'
# folders, re-read on every request: `manage.py runserver` shows styled pages with DEBUG on or off
# and without collectstatic. Production serves the collected, hashed files (collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
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

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="helpdesk@example.com")
# At most this many acknowledgements per hour to one address: a loop with an autoresponder ends.
EMAIL_ACK_LIMIT_PER_HOUR = env.int("EMAIL_ACK_LIMIT_PER_HOUR", default=5)

# Celery: the embedded broker needs no server; production points CELERY_BROKER_URL at Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The queue tasks are sent to when nothing routes them (the workers' -Q must include it).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Broker outages: a worker keeps retrying to connect, at start-up and later, for as long as it takes
# (max_retries None), and a worker that was running a task when the connection dropped stays up and
# reconnects. Nothing is lost while the broker is down: every message, page, digest and webhook is a
# row in the database (core.outbox), and beat's every-minute sweep sends what is due.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through Django's LOGGING (JSON lines in production), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks running when the connection is lost are redelivered by the broker (late ack): cancel them
# rather than let them finish and then fail to acknowledge; every task here is idempotent.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,      # unacknowledged tasks come back after an hour at the latest
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
        "socket_keepalive": True,
        "retry_on_timeout": True,
        "health_check_interval": 25,     # redis-py pings an idle connection before using it
    }
# Publishing (beat, on-commit wake-ups) does not hang on a broker that is down.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# The outbox (core.outbox): how long a claimed message or webhook delivery is left to its worker
# before another may send it again (a worker killed mid-send re-sends at most that one item, after
# this long), the time one dispatcher run may take, and the HTTP timeout of a webhook POST.
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=120.0)
OUTBOX_DISPATCH_BUDGET_SECONDS = env.float("OUTBOX_DISPATCH_BUDGET_SECONDS", default=60.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
if OUTBOX_LEASE_SECONDS <= 0 or WEBHOOK_TIMEOUT_SECONDS <= 0 or OUTBOX_DISPATCH_BUDGET_SECONDS <= 0:
    raise ImproperlyConfigured("OUTBOX_LEASE_SECONDS, OUTBOX_DISPATCH_BUDGET_SECONDS and WEBHOOK_TIMEOUT_SECONDS "
                               "must be positive.")
# SMTP timeout: a hung mail server must not hold a claimed message past its lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# SLA monitor: rows per claimed batch; an optional pause between batches (operations, crash tests).
SLA_SCAN_BATCH_SIZE = env.int("SLA_SCAN_BATCH_SIZE", default=500)
SLA_SCAN_PAUSE_SECONDS = env.float("SLA_SCAN_PAUSE_SECONDS", default=0.0)
if SLA_SCAN_BATCH_SIZE < 1 or SLA_SCAN_PAUSE_SECONDS < 0:
    raise ImproperlyConfigured("SLA_SCAN_BATCH_SIZE must be >= 1 and SLA_SCAN_PAUSE_SECONDS >= 0.")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.rest.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.rest.errors.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "DESCRIPTION": ("REST API for CRM integration. Authenticate with `Authorization: Bearer <token>` "
                    "(`manage.py create_api_token`). Errors are `application/problem+json`. Webhooks are signed "
                    "per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Roles: every "
                    "staff token or session reads everything of its tenant; writes to contracts (plan terms, "
                    "subscriptions with their overrides and notice, hour packages and their prices) and to "
                    "webhooks are for `admin` tokens and tenant admins only (operations marked \"(admin)\"; "
                    "an `agent` token gets 403)."),
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"TicketStatusEnum": "tickets.models.Ticket.Status",
                            "DeliveryStatusEnum": "core.models.WebhookDelivery.Status",
                            "PlanChannelEnum": "plans.models.Channel",
                            "WorkKindEnum": "plans.models.WorkKind",
                            "PackageStatusEnum": "billing.models.Package.Status",
                            "SuggestionStatusEnum": "helpcenter.models.suggestions.Suggestion.Status",
                            "ArticleStatusEnum": "helpcenter.models.kb.Article.Status"},
    # The schema is in English whatever the caller's language (core.rest.schema).
    "PREPROCESSING_HOOKS": ["core.rest.schema.english_begin"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "core.rest.schema.integer_path_ids",
                             "core.rest.schema.add_problem_responses",
                             "core.rest.schema.english_end",
                             "core.webhook_schema.add_webhooks"],
    # 3.1: the document publishes the webhook payloads under `webhooks`.
    "OAS_VERSION": "3.1.0",
}
# Networks the server may connect to on a tenant's behalf although they are internal (webhooks,
# IMAP): for on-premises installs whose CRM or mail server is on the local network, e.g.
# "10.0.0.0/8,192.168.5.0/24". Empty: only public addresses (core/netpolicy.py).
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
try:
    import ipaddress as _ipaddress

    for _network in OUTBOUND_ALLOWED_NETWORKS:
        _ipaddress.ip_network(_network.strip(), strict=False)
except ValueError as _exc:
    raise ImproperlyConfigured(f"OUTBOUND_ALLOWED_NETWORKS: {_exc}") from None

# Requests per token (or staff login) per window: "600/min", "10/s", "5000/hour".
API_RATE = env.str("API_RATE", default="600/min")

# Content-Security-Policy (django-csp): only this site's own scripts, styles and images; no inline
# code anywhere in templates/. The API docs pages get a wider policy in helpdesk/api_urls.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes and scrapers talk plain HTTP to the process, behind the TLS proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# Logs: JSON lines in production (LOG_FORMAT=json), readable lines in development (helpdesk/logs.py).
from helpdesk.logs import logging_config  # noqa: E402  (needs nothing from the settings above)

LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or console.")
LOGGING = logging_config(json=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO"))

# Health thresholds (seconds): /healthz answers 503 when a figure is older (helpdesk/health.py).
HEALTH_SLA_SCAN_MAX_AGE = env.int("HEALTH_SLA_SCAN_MAX_AGE", default=300)
HEALTH_OUTBOX_MAX_AGE = env.int("HEALTH_OUTBOX_MAX_AGE", default=900)
HEALTH_INTAKE_MAX_AGE = env.int("HEALTH_INTAKE_MAX_AGE", default=600)

# /metrics (Prometheus): a bearer token, or client networks allowed without one; neither: 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# Error reporting: only when SENTRY_DSN is set (nothing is sent anywhere otherwise).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()],
                    environment=env.str("SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "development"),
                    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0), send_default_pii=False)

# TOTP second factor (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "Helpdesk"
# Should django-otp's own device admin ever be registered again, it must not show keys or QR codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
