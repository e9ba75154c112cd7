"""LeadFlow's one settings module. Every value comes from the environment (see .env.example)."""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv
from kombu import Exchange, Queue

from leadflow.lib.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# pytest-django reads settings before any conftest can set a key; tests never face the internet.
TESTING = "pytest" in sys.modules
# The checkout's .env (written by `make run` on first use, or by hand from .env.example) fills in
# what the environment leaves unset, so any manage.py command here works; the environment wins.
# Tests read only their environment: a developer's .env must not change what they prove.
LEADFLOW_ENV_FILE = env_str("LEADFLOW_ENV_FILE", str(BASE_DIR / ".env"))
if not TESTING and LEADFLOW_ENV_FILE:
    load_dotenv(LEADFLOW_ENV_FILE, override=False)

VAR_DIR = Path(env_str("LEADFLOW_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_KEY)
if SECRET_KEY in (_INSECURE_KEY, "") and not DEBUG and not TESTING:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (`make run` writes one into .env; "
        "production: see .env.example)"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if TESTING:
    ALLOWED_HOSTS += ["testserver"]
LEADFLOW_PUBLIC_URL = env_str("LEADFLOW_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [LEADFLOW_PUBLIC_URL]
LEADFLOW_PROVIDERS = env_choice("LEADFLOW_PROVIDERS", "sandbox", {"sandbox", "twilio"})

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "anymail",
    "auditlog",
    "dealers",
    "leads",
    "followup",
    "privacy",
]

MIDDLEWARE = [
    # Outermost: a request id for every log line, one event per request, webhook metrics.
    "leadflow.monitoring.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Puts the signed-in user on django-auditlog's change log entries.
    "auditlog.middleware.AuditlogMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dealers.two_factor.TwoFactorMiddleware",
    "dealers.middleware.DealerTimezoneMiddleware",
    "dealers.middleware.AdminTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the response of every other middleware (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

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
                "leadflow.context_processors.providers",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'leadflow.sqlite3'}"),
        # A fresh PostgreSQL connection per request cost ~8x throughput on 2 cores.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat share the file: take the write lock at BEGIN instead of failing
        # with "database is locked" half-way through a transaction, and wait for it.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = None
elif env_int("DATABASE_PREPARE_THRESHOLD", 5) >= 0:
    # Server-side binding lets psycopg prepare the statements intake repeats on every request
    # (after this many uses on a connection), so PostgreSQL skips parsing and planning them.
    # -1 turns it off, e.g. behind a transaction-pooling PgBouncer older than 1.21.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite builds them without the extra columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
OTP_TOTP_ISSUER = "LeadFlow"
LOGIN_REDIRECT_URL = "/queue/"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (leadflow/lib/login_throttle.py): AXES_FAILURE_LIMIT failures per client
# address and, separately, per username lock that address or name. A username stays locked a few
# minutes; an address that was locked before waits twice as long each time (up to a day).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LEADFLOW_LOGIN_USERNAME_COOLOFF_MINUTES = env_int("LEADFLOW_LOGIN_USERNAME_COOLOFF_MINUTES", 5)
LEADFLOW_LOGIN_ADDRESS_COOLOFF_MINUTES = env_int("LEADFLOW_LOGIN_ADDRESS_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = "leadflow.lib.login_throttle.cool_off"
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Failures while locked neither count nor extend the lock: the lock ends when the window does.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success must not wipe the failures a stranger's address made against this username, or
# the victim's sign-in would unlock the attacker.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The client's address: REMOTE_ADDR, or the proxy header's when REMOTE_ADDR is a trusted proxy.
LEADFLOW_TRUSTED_PROXIES = env_list("LEADFLOW_TRUSTED_PROXIES", "")
LEADFLOW_CLIENT_IP_HEADER = "HTTP_" + env_str(
    "LEADFLOW_CLIENT_IP_HEADER", "X-Forwarded-For"
).upper().replace("-", "_")
AXES_CLIENT_IP_CALLABLE = "leadflow.lib.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "leads.views.login_locked_out"

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English")), ("nl", _("Dutch")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Page dates in one format per language (leadflow/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["leadflow.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or TESTING
STATICFILES_DIRS = [BASE_DIR / "static"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = LEADFLOW_PUBLIC_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Webhooks: a lead is a few KB; anything over this is refused (413) but still recorded.
LEADFLOW_MAX_BODY_BYTES = env_int("LEADFLOW_MAX_BODY_BYTES", 256 * 1024)
# An inventory feed lists the whole stock: a few hundred bytes per car.
LEADFLOW_MAX_INVENTORY_BYTES = env_int("LEADFLOW_MAX_INVENTORY_BYTES", 8 * 1024 * 1024)
# The customer's booking page: how long its link works, the slot length, how far ahead.
LEADFLOW_BOOKING_LINK_DAYS = env_int("LEADFLOW_BOOKING_LINK_DAYS", 14)
LEADFLOW_BOOKING_SLOT_MINUTES = env_int("LEADFLOW_BOOKING_SLOT_MINUTES", 60)
LEADFLOW_BOOKING_DAYS_AHEAD = env_int("LEADFLOW_BOOKING_DAYS_AHEAD", 10)
# A call leg still "dialing" this long after its claim belongs to a dead worker (the ring
# tasks' hard time limit is 40 s): the dispatcher reconciles it with the provider.
LEADFLOW_STALE_DIALING_SECONDS = env_int("LEADFLOW_STALE_DIALING_SECONDS", 50)
LEADFLOW_DEMO_TOKEN = env_str("LEADFLOW_DEMO_TOKEN")
# GET /metrics answers only with "Authorization: Bearer <this>"; unset, /metrics is off (404).
LEADFLOW_METRICS_TOKEN = env_str("LEADFLOW_METRICS_TOKEN")
LEADFLOW_DEMO_PASSWORD = env_str("LEADFLOW_DEMO_PASSWORD", "demo")
# The key of the person hash (suppression list, consent): a phone number or email is stored
# only as HMAC-SHA256 under this key. Unset, it is derived from SECRET_KEY — set it on its own in
# production, so rotating SECRET_KEY never forgets who opted out.
LEADFLOW_PERSON_KEY = env_str("LEADFLOW_PERSON_KEY") or f"person:{SECRET_KEY}"

# Dealers' webhook secrets and page tokens are encrypted with these Fernet keys (newest first;
# leadflow/lib/secrets_box.py). Unset: one key derived from SECRET_KEY.
LEADFLOW_SECRET_KEYS = env_list("LEADFLOW_SECRET_KEYS", "")

# Providers
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")
TWILIO_TIMEOUT_SECONDS = env_int("TWILIO_TIMEOUT_SECONDS", 10)
if LEADFLOW_PROVIDERS == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured(
        "LEADFLOW_PROVIDERS=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    )
META_APP_SECRET = env_str("META_APP_SECRET")
META_GRAPH_API_URL = env_str("META_GRAPH_API_URL", "https://graph.facebook.com/v21.0").rstrip("/")
# Meta waits about 20 s for the webhook's answer; the Graph fetch happens inside that wait.
META_GRAPH_TIMEOUT_SECONDS = env_int("META_GRAPH_TIMEOUT_SECONDS", 5)

# Web Push (the installable app's notifications): the VAPID key pair identifies this server to
# the browsers' push services. A base64url private key (`vapid --gen` or `make run`'s .env);
# unset: no push, the phone call stays the alarm. Subscriptions may only point at the known
# push services (a salesperson's browser chooses the URL; the server must not post anywhere).
LEADFLOW_VAPID_PRIVATE_KEY = env_str("LEADFLOW_VAPID_PRIVATE_KEY")
LEADFLOW_VAPID_SUBJECT = env_str("LEADFLOW_VAPID_SUBJECT", "mailto:leadflow@localhost")
LEADFLOW_PUSH_HOSTS = env_list(
    "LEADFLOW_PUSH_HOSTS",
    "fcm.googleapis.com,updates.push.services.mozilla.com,.push.apple.com,.notify.windows.com",
)
LEADFLOW_PUSH_TIMEOUT_SECONDS = env_int("LEADFLOW_PUSH_TIMEOUT_SECONDS", 10)

# Email: Django's email API; django-anymail in production (EMAIL_BACKEND=anymail.backends.<esp>...).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "leadflow.lib.mail.ConsoleEmailBackend")
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    # Django's would print reset links into production logs; ours does so only with DEBUG.
    EMAIL_BACKEND = "leadflow.lib.mail.ConsoleEmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LeadFlow <leadflow@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"] (ANYMAIL_WEBHOOK_SECRET, ...).
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in __import__("os").environ.items()
    if key.startswith("ANYMAIL_")
}

# The ESP whose inbound and tracking webhooks are served under /anymail/<esp>/ (the others answer
# 404). Default: the one EMAIL_BACKEND names (anymail.backends.<esp>.EmailBackend). Its webhooks
# must carry ANYMAIL_WEBHOOK_SECRET (HTTP basic auth): without it, anyone could post forged
# leads, replies and opt-outs, so LeadFlow refuses to start.
_BACKEND_ESP = EMAIL_BACKEND.split(".")[2] if EMAIL_BACKEND.startswith("anymail.backends.") else ""
LEADFLOW_EMAIL_ESP = env_str("LEADFLOW_EMAIL_ESP", _BACKEND_ESP)
if LEADFLOW_EMAIL_ESP and not ANYMAIL.get("WEBHOOK_SECRET"):
    raise ImproperlyConfigured(
        f"Email webhooks of {LEADFLOW_EMAIL_ESP} need ANYMAIL_WEBHOOK_SECRET (user:password)"
    )

# Customers' email replies go to reply+<lead>-<signature>@<this domain>; route that domain's
# inbound mail to anymail's inbound webhook. Default: the host of LEADFLOW_PUBLIC_URL.
LEADFLOW_REPLY_DOMAIN = env_str("LEADFLOW_REPLY_DOMAIN")

# Celery's broker: CELERY_BROKER_URL (amqp:// for RabbitMQ, or redis://) wins over REDIS_URL;
# with neither, a broker in files under var/ that needs no server (one machine only).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
BROKER_KIND = CELERY_BROKER_URL.split("://", 1)[0].split("+", 1)[0]
if BROKER_KIND not in {"filesystem", "redis", "rediss", "amqp", "amqps", "pyamqp"}:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL / REDIS_URL must start with redis://, rediss:// or amqp:// "
        f"(got {BROKER_KIND}://)"
    )
if BROKER_KIND == "filesystem":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
elif BROKER_KIND.startswith("redis"):
    # Tasks are short and never scheduled far ahead (the schedule lives in the database), so
    # the visibility timeout only bounds how long a killed worker's task waits to be redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300)
    }
else:
    # RabbitMQ: publish() returns only once the broker has taken the message (publisher
    # confirms), so a lead's 2xx never hides a task that was lost on the wire; the queues
    # below are durable and the messages persistent, so a broker restart keeps them.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    CELERY_BROKER_HEARTBEAT = 30
# Declared the same on every broker: durable, one exchange each, and a queue of its own for
# ringing so nothing ever waits in front of a salesperson's call.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct", durable=True), routing_key=name, durable=True)
    for name in ("default", "ring")
]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With acks_late, a task whose broker connection dropped is redelivered; stop running it here.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"followup.ring.*": {"queue": "ring"}}
CELERY_BEAT_SCHEDULE: dict = {
    # Due attempts, the 30-second watchdog, retries and reconciliation (followup.dispatch).
    "followup-dispatch": {"task": "followup.dispatch", "schedule": 2.0, "options": {"expires": 10}},
    # Lost leads nobody's attempt noticed still get their BDC recovery call.
    "followup-recovery-sweep": {"task": "followup.recovery_sweep", "schedule": 300.0},
}
# Leads the BDC held overnight go back to the salespeople when the showroom takes leads again.
CELERY_BEAT_SCHEDULE["followup-bdc-sweep"] = {"task": "followup.bdc.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["followup.messages.send_due"] = {
    # Scheduled reminders, retries after transient errors, messages whose enqueue was lost.
    "task": "followup.messages.send_due",
    "schedule": 30.0,
}
# Meta's decisions on submitted WhatsApp templates, and templates still to submit.
CELERY_BEAT_SCHEDULE["whatsapp-templates"] = {
    "task": "followup.whatsapp.sync_templates",
    "schedule": 15 * 60,
}
# Monday 07:00 in each dealer's time zone: the tick decides per dealer, beat itself runs in UTC.
CELERY_BEAT_SCHEDULE["funnel-digest"] = {"task": "leads.funnel_digest_due", "schedule": 15 * 60}
# Personal data retention (docs/privacy.md): days each data class is kept.
LEADFLOW_RETAIN_INTAKE_BODY_DAYS = env_int("LEADFLOW_RETAIN_INTAKE_BODY_DAYS", 90)
LEADFLOW_RETAIN_CLOSED_LEAD_DAYS = env_int("LEADFLOW_RETAIN_CLOSED_LEAD_DAYS", 730)
LEADFLOW_RETAIN_CONSENT_DAYS = env_int("LEADFLOW_RETAIN_CONSENT_DAYS", 1825)
LEADFLOW_RETAIN_AUDIT_DAYS = env_int("LEADFLOW_RETAIN_AUDIT_DAYS", 365)
# Rows per transaction: small enough that no batch holds its locks for long.
LEADFLOW_RETENTION_BATCH = env_int("LEADFLOW_RETENTION_BATCH", 500)
CELERY_BEAT_SCHEDULE["privacy-retention"] = {
    "task": "privacy.retention",
    "schedule": crontab(hour=3, minute=17),
}
AUDITLOG_DISABLE_REMOTE_ADDR = False

CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Logs: one JSON event per line in production (request id, lead, dealer, process as fields);
# plain lines for `make run` (DEBUG) and tests. LOG_FORMAT=json|plain chooses explicitly.
# Every handler carries the personal-data filter: phone numbers, email addresses and customers'
# texts never reach a log line (leadflow/lib/logmask.py; a handler added here needs it too).
LOG_FORMAT = env_choice("LOG_FORMAT", "plain" if DEBUG or TESTING else "json", {"json", "plain"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Tokens in URLs (Meta's verify token, unsubscribe and reset links) are masked.
    "filters": {
        "context": {"()": "leadflow.lib.logcontext.LogContextFilter"},
        "personal_data": {"()": "leadflow.lib.logmask.PersonalDataFilter"},
        "mask_tokens": {"()": "leadflow.lib.log_masking.MaskTokens"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "personal_data", "mask_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # runserver's access log, through the masking handler instead of Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
