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
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 0),
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path or str(default_sqlite)}
    raise ValueError(f"{name}: unsupported scheme {parsed.scheme!r} (use postgres:// or sqlite://)")


DEBUG = env_bool("DEBUG", True)
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
    "definitions",
    "tickets",
    "forms.apps.FormsConfig",
    "pricing",
    "notify",
    "customers",
    "integrations",
    "intake",
    "org",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "integrations.errors.JsonErrorsMiddleware",  # every 4xx under /api/ is {"detail": …}
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
LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
STATIC_ROOT = VAR_DIR / "static"
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
    "deliver-notifications": {"task": "notify.deliver_pending", "schedule": 10.0},
    "deliver-digests": {"task": "notify.deliver_digests", "schedule": 60.0},
    "purge-idempotency-keys": {"task": "integrations.purge_idempotency_keys", "schedule": 3600.0},
}
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
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
