"""leapdash settings: the only settings module, every value from the environment.

Defaults are production-safe (DEBUG off, HTTPS-only cookies, sandbox off). The demo and the test
suite load a profile file (ENV_FILE) that turns on what they need; real environment variables
always win over a profile. A malformed value raises ImproperlyConfigured at start-up.
"""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Lets admin and other generic classes be subscripted at run time (ModelAdmin[Meter]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = env.str("ENV_FILE", default="")
if _env_file:
    _path = Path(_env_file) if Path(_env_file).is_absolute() else BASE_DIR / _env_file
    if not _path.is_file():
        raise ImproperlyConfigured(f"ENV_FILE points at {_path}, which does not exist.")
    env.read_env(str(_path), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    # .env.example's placeholder is public: a deployment that copied it must not start.
    EXAMPLE_SECRET_KEY = "change-me-to-a-random-string-of-at-least-fifty-characters-0000000000"
    if (
        len(SECRET_KEY) < 50
        or SECRET_KEY == EXAMPLE_SECRET_KEY
        or "change-me" in SECRET_KEY.lower()
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is "
            "off (not .env.example's placeholder, nothing containing 'change-me', at least 5 "
            "distinct characters). Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "axes",
    "leapdash.accounts",
    "leapdash.runs",
    "leapdash.leap",  # the `leap` management command
    "links",
    "connections",
    "meters",
]
LEAP_SANDBOX = env.bool("LEAP_SANDBOX", default=False)
if LEAP_SANDBOX:
    INSTALLED_APPS.append("leapdash.leap.sandbox")
# The sandbox writes data for anonymous visitors: with DEBUG off it is mounted only when this
# second switch says so too (the test profile); otherwise `check --deploy` reports an error.
LEAP_SANDBOX_WITHOUT_DEBUG = env.bool("LEAP_SANDBOX_WITHOUT_DEBUG", default=False)
SANDBOX_MOUNTED = LEAP_SANDBOX and (DEBUG or LEAP_SANDBOX_WITHOUT_DEBUG)
# Anonymous journey pages (which create sandbox connections) per client address per minute.
LEAP_SANDBOX_JOURNEY_PER_MINUTE = env.int("LEAP_SANDBOX_JOURNEY_PER_MINUTE", default=30)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # before CSRF, which reads the form: bad characters and oversized uploads end here
    "leapdash.badinput.BadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "leapdash.idle.SessionTimeoutMiddleware",
    "leapdash.nostore.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes goes last: it turns a locked-out login into its lockout response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leapdash.urls"
WSGI_APPLICATION = "leapdash.wsgi.application"

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
                "csp.context_processors.nonce",
                "leapdash.accounts.roles.role_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/leapdash"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web process serves the sandbox API while a sync writes: WAL lets readers
    # carry on beside the writer, and IMMEDIATE transactions queue writers instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without it
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache holds the single-flight sync locks, so it must be shared by every process: Redis
# in production and tests. The one-process demo may use local memory (CACHE_URL=locmemcache://).
CACHES = {"default": env.cache("CACHE_URL", default=REDIS_URL.replace("redis://", "rediscache://"))}
CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="leapdash"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "leapdash.accounts.lockout.locked_out"
AXES_USERNAME_CALLABLE = "leapdash.accounts.lockout.attempted_username"
# Behind TRUSTED_PROXY_COUNT proxies that each append the address they received from to
# X-Forwarded-For, the client is the entry that many places from its end (python-ipware counts
# the proxies listed in the header, i.e. all but the one connecting to us). Entries a client
# forged in front of those are ignored. With no proxy, REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or more.")
AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...] = ("REMOTE_ADDR",)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    IPWARE_STRICT = False  # forged entries in front of the proxies' own are expected

# Sessions: 12 hours from login at most, however active, and 30 idle minutes (requests that
# only poll, such as a progress bar, do not count as activity). leapdash.idle enforces both.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
if not 0 < SESSION_COOKIE_AGE <= 12 * 60 * 60:
    raise ImproperlyConfigured("SESSION_COOKIE_AGE must be between 1 and 43200 seconds (12 h).")
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
if not 0 < SESSION_IDLE_SECONDS <= SESSION_COOKIE_AGE:
    raise ImproperlyConfigured("SESSION_IDLE_SECONDS must be between 1 and SESSION_COOKIE_AGE.")
SESSION_SAVE_EVERY_REQUEST = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_MANIFEST_STRICT = False

# Uploaded CSVs are streamed from a temporary file, never held whole in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
# Uploads are refused while they stream in, once past the largest import's limit (partner
# records, 20 MB) plus room for the form: a bigger body never reaches the disk whole. The
# imports still check their own limits; the proxy's body-size limit matches this one.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=21 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "leapdash.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security -------------------------------------------------------------------------------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_NAME=HTTP_X_FORWARDED_PROTO so that
# Django sees requests as HTTPS (only when the proxy always sets or strips that header).
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER_NAME", default="")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Error reports hide the Leap key and webhook secret wherever a frame variable holds them.
DEFAULT_EXCEPTION_REPORTER_FILTER = "leapdash.reporting.SecretsFilter"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Leap -----------------------------------------------------------------------------------
LEAP_API_BASE_URL = env.str("LEAP_API_BASE_URL", default="https://api.staging.leap.energy")
LEAP_API_KEY = env.str("LEAP_API_KEY", default="")
LEAP_API_TIMEOUT = env.float("LEAP_API_TIMEOUT", default=30.0)
LEAP_ORG_NAME = env.str("LEAP_ORG_NAME", default="")
LEAP_CONNECT_BASE_URL = env.str("LEAP_CONNECT_BASE_URL", default="https://onboarding.leap.energy")
LEAP_DIRECT_BASE_URL = env.str("LEAP_DIRECT_BASE_URL", default="https://www.addleap.com")
LEAP_WEBHOOK_SECRET = env.str("LEAP_WEBHOOK_SECRET", default="")
# Leap refreshes Connect data hourly: never poll more often, never act on younger changes.
LEAP_SYNC_INTERVAL_MINUTES = env.int("LEAP_SYNC_INTERVAL_MINUTES", default=60)
# Faster only against the local sandbox (`make up` watches beat at work every minute).
_leap_is_sandbox = env.bool("LEAP_SANDBOX", default=False) and LEAP_API_BASE_URL.rstrip(
    "/"
).endswith("/sandbox/api")
if LEAP_SYNC_INTERVAL_MINUTES < (1 if _leap_is_sandbox else 60):
    raise ImproperlyConfigured(
        "LEAP_SYNC_INTERVAL_MINUTES must be at least 60 (Leap's refresh); "
        "shorter intervals are allowed only while the sandbox is the Leap."
    )
# Leap creates meters about a day after COMPLETED, "at times significantly longer".
METERS_OVERDUE_HOURS = env.int("METERS_OVERDUE_HOURS", default=72)

# --- Re-engagement cadence (connections/cadence.py) -----------------------------------------
# No touch within this many hours of the previous touch to the same customer, whatever else.
REENGAGE_MIN_GAP_HOURS = env.int("REENGAGE_MIN_GAP_HOURS", default=20)
# Automated touches go out between these local hours (start inclusive, end exclusive, 0-23) in the
# customer's region's time zone.
REENGAGE_DAY_STARTS = env.int("REENGAGE_DAY_STARTS", default=8)
REENGAGE_DAY_ENDS = env.int("REENGAGE_DAY_ENDS", default=20)
if not 0 <= REENGAGE_DAY_STARTS < REENGAGE_DAY_ENDS <= 23:
    raise ImproperlyConfigured("REENGAGE_DAY_STARTS must be before REENGAGE_DAY_ENDS (hours 0-23).")
REENGAGE_TIME_ZONES = env.dict(
    "REENGAGE_TIME_ZONES", default={"CAISO": "America/Los_Angeles", "NYISO": "America/New_York"}
)
REENGAGE_DEFAULT_TIME_ZONE = env.str("REENGAGE_DEFAULT_TIME_ZONE", default="America/Los_Angeles")
# The outgoing hook posts to public receivers only; this admits receivers on this machine too.
# Set by the test profile and the local simulation, never in production.
OUTGOING_HOOK_ALLOW_LOOPBACK = env.bool("OUTGOING_HOOK_ALLOW_LOOPBACK", default=False)
# Local stand-in for Leap (demo, development, tests); never on against real customers.
LEAP_SANDBOX_API_KEY = env.str("LEAP_SANDBOX_API_KEY", default="")
LEAP_SANDBOX_REFRESH_SECONDS = env.int("LEAP_SANDBOX_REFRESH_SECONDS", default=3600)
LEAP_SANDBOX_METER_DELAY_HOURS = env.float("LEAP_SANDBOX_METER_DELAY_HOURS", default=24.0)
# Webhook retries follow Leap's ~8 h schedule times this factor (0 in tests: retry at once);
# a share of events is delivered twice, as Leap sometimes does.
LEAP_SANDBOX_WEBHOOK_TIME_FACTOR = env.float("LEAP_SANDBOX_WEBHOOK_TIME_FACTOR", default=1.0)
LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE = env.float("LEAP_SANDBOX_WEBHOOK_DUPLICATE_RATE", default=0.05)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The longest task (a full sync) is limited to 45 minutes; Redis re-delivers a task that is
# not acknowledged within the visibility timeout, so that must be longer.
SYNC_TASK_TIME_LIMIT = 45 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
_sync_every = timedelta(minutes=LEAP_SYNC_INTERVAL_MINUTES)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sync-connections": {
        "task": "connections.tasks.sync_connections_task",
        "schedule": _sync_every,
        "options": {"expires": _sync_every.total_seconds() * 5 / 6},
    },
    "sync-enrollments": {
        "task": "meters.tasks.sync_meters_task",
        "schedule": _sync_every,
        "options": {"expires": _sync_every.total_seconds() * 5 / 6},
    },
    # the outgoing re-engagement hook: a no-op unless ops enabled it
    "post-due-touches": {
        "task": "connections.hooks.post_due_touches_task",
        "schedule": timedelta(minutes=15),
        "options": {"expires": 14 * 60},
    },
    "sync-meters-full": {
        "task": "meters.tasks.sync_meters_task",
        "schedule": timedelta(hours=env.int("METERS_FULL_SYNC_HOURS", default=24)),
        "kwargs": {"full": True},
    },
}

# Sync runs: a lock per kind in the shared cache; page_done renews it, a dead worker's expires.
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=120)
SYNC_STALE_WARNING_HOURS = env.int("SYNC_STALE_WARNING_HOURS", default=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Operations: probes, metrics, alerts ------------------------------------------------------
INSTALLED_APPS += ["django_prometheus", "leapdash.ops"]
# request counts and latencies; Before must see the request first and After the response last
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Balancers probe over plain HTTP inside the network: no redirect for the two probes.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# /metrics answers only to `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Mail (sync alerts to the Ops group): EMAIL_URL such as smtp+tls://user:pass@host:587, or
# consolemail:// to print them (demo and local profiles).
vars().update(env.email_url("EMAIL_URL", default="smtp://127.0.0.1:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leapdash <leapdash@localhost>")
# Sync alerts to the Ops group (leapdash.runs.alerts): checked every few minutes by beat.
SYNC_ALERT_CHECK_MINUTES = env.int("SYNC_ALERT_CHECK_MINUTES", default=5)
CELERY_BEAT_SCHEDULE["check-sync-alerts"] = {
    "task": "leapdash.runs.tasks.check_sync_alerts_task",
    "schedule": timedelta(minutes=SYNC_ALERT_CHECK_MINUTES),
    "options": {"expires": SYNC_ALERT_CHECK_MINUTES * 60 - 10},
}
