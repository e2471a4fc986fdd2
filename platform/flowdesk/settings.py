"""One settings module, read from the environment with defaults that run on a laptop."""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_settings(url: str) -> dict:
    """EMAIL_URL: smtp://user:pass@host:587?tls=1, smtps://…:465, console://, locmem://."""
    parsed = urlparse(url)
    if parsed.scheme not in _EMAIL_BACKENDS:
        raise ValueError(f"EMAIL_URL: unknown scheme {parsed.scheme!r}")
    config = {"EMAIL_BACKEND": _EMAIL_BACKENDS[parsed.scheme]}
    if parsed.scheme.startswith("smtp"):
        query = dict(part.split("=", 1) for part in parsed.query.split("&") if "=" in part)
        secure = parsed.scheme == "smtps" or query.get("ssl") in {"1", "true"}
        config.update(
            EMAIL_HOST=parsed.hostname or "localhost",
            EMAIL_PORT=parsed.port or (465 if secure else 25),
            EMAIL_HOST_USER=unquote(parsed.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parsed.password or ""),
            EMAIL_USE_SSL=secure,
            EMAIL_USE_TLS=not secure and query.get("tls") in {"1", "true"},
        )
    return config


PG_OPTIONS = env_str("PG_OPTIONS", "-c parallel_setup_cost=10000")  # PostgreSQL's: 1000


def env_database(name: str, default_sqlite: Path) -> dict:
    """DATABASE_URL: postgres://user:pass@host:port/db or sqlite:///path; SQLite when unset."""
    url = env_str(name)
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite)}
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # Persistent connections: a thread reuses its connection for this many seconds
            # (0 closes it after each request), checked before reuse.
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60)),
            "CONN_HEALTH_CHECKS": True,
            # Session settings sent when connecting (PG_OPTIONS; empty sends none, e.g.
            # behind a pooler that refuses them: set them in postgresql.conf instead). The
            # default gives parallel workers only to statements that cost ten times
            # PostgreSQL's default setup cost: a worklist page scanning a few thousand
            # index entries was planned in parallel and waited ~20 ms for its workers to
            # start (reports over the whole table still get them).
            "OPTIONS": {"options": PG_OPTIONS} if PG_OPTIONS else {},
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path or str(default_sqlite)}
    raise ValueError(f"{name}: unsupported scheme {parsed.scheme!r} (use postgres:// or sqlite://)")


DEBUG = env_bool("DEBUG", False)  # `make run` sets DEBUG=1 for itself
SECRET_KEY = env_str("SECRET_KEY", "flowdesk-insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
VAR_DIR = Path(env_str("FLOWDESK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # the API docs page from its own static files (the CDN copy breaks the CSP)
    "definitions",
    "tickets",
    "forms.apps.FormsConfig",
    "pricing",
    "scheduling",
    "notify",
    "customers",
    "integrations",
    "intake",
    "org",
    "analytics",
    "knowledge",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "flowdesk.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files with DEBUG off too
    "flowdesk.middleware.MalformedInputMiddleware",  # NUL bytes, oversized/deep bodies: 4xx
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Chinese or English (flowdesk/language.py)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "flowdesk.middleware.HtmxLoginMiddleware",  # a signed-out live refresh: the login page
    "flowdesk.language.UserLanguageMiddleware",  # the profile's language beats the browser's
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "integrations.errors.JsonErrorsMiddleware",  # every 4xx under /api/ is {"detail": …}
    "axes.middleware.AxesMiddleware",  # login throttling (AXES_* below)
]

ROOT_URLCONF = "flowdesk.urls"
WSGI_APPLICATION = "flowdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "flowdesk.navigation.sections",
            ]
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "flowdesk.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers wait for the lock instead of failing at once (the embedded worker shares the file).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = []
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username+IP first
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after AXES_FAILURE_LIMIT wrong passwords for one username from one IP,
# that pair is refused for AXES_COOLOFF_MINUTES, even with the right password.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False

# Safe defaults behind a proxy and over HTTPS: HSTS only when the request is secure.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env_str("SECURE_REFERRER_POLICY", "same-origin")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # trust X-Forwarded-Proto from the proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
X_FRAME_OPTIONS = "DENY"  # the public intake form is exempt (it is embedded in other sites)
FORMS_URLFIELD_ASSUME_HTTPS = True
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")  # when neither profile nor browser says
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The portal's catalogue is platform/intake/locale; its compiled .mo is committed next to
# the .po, so a fresh machine needs no gettext tools (rebuild: see the .po's header).
# The workbench's catalogues: one folder per area of web/ (web/locale/<area>/zh_Hans/...), so
# areas are translated side by side without touching one file.
LOCALE_PATHS = sorted(p for p in (BASE_DIR / "web" / "locale").glob("*") if p.is_dir())
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files (message attachments): kept under var/, never served by a media URL (a
# view checks the reader first), so there is no MEDIA_URL route.
MEDIA_ROOT = Path(env_str("FLOWDESK_MEDIA_ROOT", str(VAR_DIR / "media")))
FLOWDESK_ATTACHMENT_MAX_BYTES = env_int("FLOWDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
FLOWDESK_REOPEN_DAYS = env_int("FLOWDESK_REOPEN_DAYS", 7)  # the customer may reopen this long
WHITENOISE_USE_FINDERS = True  # serve web/static without collectstatic (embedded default)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/tasks/"
LOGOUT_REDIRECT_URL = "/login/"

# Engine: where bundles come from and how much an expression or script may cost.
PROCESSES_DIR = BASE_DIR / "processes"
DMN_DIR = BASE_DIR / "dmn"
FLOWDESK_MAX_UPLOAD_BYTES = env_int("FLOWDESK_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# Hard limits on model code (bpmn.limits): a script runs in a sandbox process stopped after
# this many seconds (wall clock and CPU) or this much memory; an expression in this process
# is stopped at its deadline. Handed to the engine by tickets.apps.
FLOWDESK_SCRIPT_TIMEOUT_S = env_float("FLOWDESK_SCRIPT_TIMEOUT_S", 5.0)
FLOWDESK_SCRIPT_MEMORY_MB = env_int("FLOWDESK_SCRIPT_MEMORY_MB", 256)
FLOWDESK_EXPRESSION_TIMEOUT_MS = env_int("FLOWDESK_EXPRESSION_TIMEOUT_MS", 200)
# A bundle deployed as JSON grows when escaped (quotes, newlines, \uXXXX): twice the upload
# limit plus 1 MiB for the rest of the request. Larger bodies are a 413.
# A message attachment sent to the API as base64 grows by a third.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(
    2 * FLOWDESK_MAX_UPLOAD_BYTES, -(-FLOWDESK_ATTACHMENT_MAX_BYTES * 4 // 3)
) + (1024 * 1024)
FLOWDESK_MAX_JSON_DEPTH = env_int("FLOWDESK_MAX_JSON_DEPTH", 32)
FLOWDESK_TICKET_PREFIX = env_str("FLOWDESK_TICKET_PREFIX", "SV")

# Celery: Redis when REDIS_URL is set; otherwise the embedded worker thread does the sweeps.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "fire-due-timers": {"task": "tickets.tasks.fire_due_timers", "schedule": 5.0},
    "sweep-sla": {"task": "tickets.tasks.sweep_sla", "schedule": 30.0},
    "appointment-reminders": {"task": "scheduling.send_due_reminders", "schedule": 60.0},
    "deliver-notifications": {"task": "notify.deliver_pending", "schedule": 10.0},
    "fan-out-stale-events": {"task": "notify.run_stale_fanout", "schedule": 15.0},
    "poll-imap": {"task": "intake.poll_imap", "schedule": 60.0},
    "deliver-digests": {"task": "notify.deliver_digests", "schedule": 60.0},
    "purge-idempotency-keys": {"task": "integrations.purge_idempotency_keys", "schedule": 3600.0},
    "analytics-rollup": {"task": "analytics.rollup_pending", "schedule": 3600.0},
    "analytics-rollup-today": {"task": "analytics.rollup_today", "schedule": 300.0},
}
TIMER_SWEEP_BATCH = env_int("TIMER_SWEEP_BATCH", 50)

# Integration API and intake channels (integrations/, intake/).
FLOWDESK_API_RATE_PER_MIN = env_int("FLOWDESK_API_RATE_PER_MIN", 600)  # per API token
FLOWDESK_INTAKE_RATE_PER_MIN = env_int("FLOWDESK_INTAKE_RATE_PER_MIN", 10)  # public form, per IP
FLOWDESK_TRUST_X_FORWARDED_FOR = env_bool("FLOWDESK_TRUST_X_FORWARDED_FOR", False)
FLOWDESK_IDEMPOTENCY_WAIT_S = env_int("FLOWDESK_IDEMPOTENCY_WAIT_S", 5)
FLOWDESK_WEBHOOK_ALLOW_PRIVATE = env_bool("FLOWDESK_WEBHOOK_ALLOW_PRIVATE", False)
# SpiffArena connector tasks (http/GetRequest ...): hosts they may call ("*.example.com",
# "*" for any), and whether private/loopback addresses are allowed (see bpmn/net.py).
FLOWDESK_HTTP_ALLOWED_HOSTS = env_list("FLOWDESK_HTTP_ALLOWED_HOSTS", "")
FLOWDESK_HTTP_ALLOW_PRIVATE = env_bool("FLOWDESK_HTTP_ALLOW_PRIVATE", False)
# What SpiffArena's get_env() and get_frontend_url() answer in scripts.
FLOWDESK_ENV = env_str("FLOWDESK_ENV", "local")
FLOWDESK_FRONTEND_URL = env_str("FLOWDESK_FRONTEND_URL", "http://127.0.0.1:8000")
FLOWDESK_HTTP_TIMEOUT_S = env_float("FLOWDESK_HTTP_TIMEOUT_S", 10.0)
FLOWDESK_INTAKE_PROCESS = env_str("FLOWDESK_INTAKE_PROCESS", "inquiry")
FLOWDESK_INTAKE_CATEGORIES = env_list("FLOWDESK_INTAKE_CATEGORIES", "")

# Notification channels (notify/conf.py describes each).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
if env_str("EMAIL_URL"):  # one URL instead of the variables above
    globals().update(email_settings(env_str("EMAIL_URL")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "flowdesk@localhost")
# Replies come back to support+<ticket number>@… (notify/mailing.py); empty: the sender.
FLOWDESK_REPLY_ADDRESS = env_str("FLOWDESK_REPLY_ADDRESS")
# Inbound mail polled by the worker: imaps://user:pass@host:993/INBOX (empty: no polling).
IMAP_URL = env_str("IMAP_URL")
MEDIA_ROOT = Path(env_str("FLOWDESK_MEDIA_ROOT", str(VAR_DIR / "media")))
FLOWDESK_EMAIL_FROM = env_str("FLOWDESK_EMAIL_FROM")
FLOWDESK_SMS_URL = env_str("FLOWDESK_SMS_URL")
FLOWDESK_SMS_TOKEN = env_str("FLOWDESK_SMS_TOKEN")
FLOWDESK_WECOM_URL = env_str("FLOWDESK_WECOM_URL")
FLOWDESK_WECOM_TOKEN = env_str("FLOWDESK_WECOM_TOKEN")
FLOWDESK_WECOM_AGENT_ID = env_str("FLOWDESK_WECOM_AGENT_ID")
FLOWDESK_NOTIFY_HTTP_TIMEOUT_S = env_float("FLOWDESK_NOTIFY_HTTP_TIMEOUT_S", 10)
FLOWDESK_NOTIFY_DEFAULT_CHANNELS = env_list("FLOWDESK_NOTIFY_DEFAULT_CHANNELS", "inapp")
FLOWDESK_NOTIFY_MAX_ATTEMPTS = env_int("FLOWDESK_NOTIFY_MAX_ATTEMPTS", 8)
FLOWDESK_NOTIFY_BACKOFF_BASE_S = env_int("FLOWDESK_NOTIFY_BACKOFF_BASE_S", 30)
FLOWDESK_NOTIFY_BACKOFF_MAX_S = env_int("FLOWDESK_NOTIFY_BACKOFF_MAX_S", 6 * 3600)
FLOWDESK_NOTIFY_LEASE_S = env_int("FLOWDESK_NOTIFY_LEASE_S", 300)
FLOWDESK_NOTIFY_BATCH = env_int("FLOWDESK_NOTIFY_BATCH", 100)
if os.environ.get("FLOWDESK_NOTIFY_CELERY"):  # unset: Celery when REDIS_URL is set
    FLOWDESK_NOTIFY_CELERY = env_bool("FLOWDESK_NOTIFY_CELERY")
FLOWDESK_FANOUT_INLINE = env_bool("FLOWDESK_FANOUT_INLINE", False)  # see notify/fanout.py
FLOWDESK_TICKET_LINK = env_str("FLOWDESK_TICKET_LINK", "/tickets/{ticket_id}/")
FLOWDESK_DEFAULT_TIME_ZONE = env_str("FLOWDESK_DEFAULT_TIME_ZONE", TIME_ZONE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "spiff": {"level": "WARNING"},
        "flowdesk": {"level": env_str("FLOWDESK_LOG_LEVEL", "INFO")},
    },
}
