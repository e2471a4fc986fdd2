"""Settings the notify app reads, each through `getattr(settings, NAME, default)` at call time.

The project settings module does not define these yet; every one has a default that runs on
a laptop, and `override_settings` works in tests because nothing is cached at import.

Outbox and delivery
    FLOWDESK_NOTIFY_DEFAULT_CHANNELS  channels used when an event has no active template
                                       (default ("inapp",))
    FLOWDESK_NOTIFY_MAX_ATTEMPTS      attempts before a message goes dead (default 8)
    FLOWDESK_NOTIFY_BACKOFF_BASE_S    retry delay base: base * 2**(attempt-1) (default 30)
    FLOWDESK_NOTIFY_BACKOFF_MAX_S     retry delay cap (default 6 hours)
    FLOWDESK_NOTIFY_LEASE_S           a row left in `sending` longer than this (worker crash)
                                       returns to the queue (default 300)
    FLOWDESK_NOTIFY_BATCH             rows claimed per deliver_pending call (default 100)
    FLOWDESK_NOTIFY_CELERY            force Celery enqueue on (True) or off (False);
                                       default: on when REDIS_URL is set
    REDIS_URL                         see above
    FLOWDESK_FANOUT_INLINE            fan out a ticket action's events right after its
                                       commit, in the process that made it (tests); default
                                       False: a Celery task with Celery, else the embedded
                                       worker (notify.fanout)
Channels
    FLOWDESK_NOTIFY_HTTP_TIMEOUT_S    timeout of SMS / WeCom / webhook POSTs (default 10)
    FLOWDESK_EMAIL_FROM               sender address (default DEFAULT_FROM_EMAIL)
    EMAIL_BACKEND, EMAIL_*            Django's own email settings
    FLOWDESK_SMS_URL, FLOWDESK_SMS_TOKEN          SMS gateway endpoint and bearer token
    FLOWDESK_WECOM_URL, FLOWDESK_WECOM_TOKEN,     WeCom message/send endpoint (or a relay),
    FLOWDESK_WECOM_AGENT_ID                       access token and application agent id
Content
    FLOWDESK_TICKET_LINK              in-app link of a ticket (default "/tickets/{ticket_id}/")
    FLOWDESK_DEFAULT_TIME_ZONE        users' time zone for quiet hours (default Asia/Shanghai)
Live updates (views.py)
    FLOWDESK_SSE_MAX_S, FLOWDESK_SSE_POLL_S       stream length and poll interval (55 s, 2 s)
"""

from typing import Any

from django.conf import settings


def get(name: str, default: Any = None) -> Any:
    return getattr(settings, name, default)


def default_channels() -> tuple[str, ...]:
    return tuple(get("FLOWDESK_NOTIFY_DEFAULT_CHANNELS", ("inapp",)))


def max_attempts() -> int:
    return int(get("FLOWDESK_NOTIFY_MAX_ATTEMPTS", 8))


def backoff_seconds(attempt: int) -> int:
    """Delay before the next try after `attempt` failed tries (1-based): 30 s, 60 s, 120 s…"""
    base = int(get("FLOWDESK_NOTIFY_BACKOFF_BASE_S", 30))
    cap = int(get("FLOWDESK_NOTIFY_BACKOFF_MAX_S", 6 * 3600))
    return min(cap, base * 2 ** max(0, attempt - 1))


def lease_seconds() -> int:
    return int(get("FLOWDESK_NOTIFY_LEASE_S", 300))


def batch_size() -> int:
    return int(get("FLOWDESK_NOTIFY_BATCH", 100))


def http_timeout() -> float:
    return float(get("FLOWDESK_NOTIFY_HTTP_TIMEOUT_S", 10))


def celery_enabled() -> bool:
    forced = get("FLOWDESK_NOTIFY_CELERY", None)
    if forced is not None:
        return bool(forced)
    return bool(get("REDIS_URL", ""))


def fanout_inline() -> bool:
    return bool(get("FLOWDESK_FANOUT_INLINE", False))


def ticket_link(ticket_id: int | None) -> str:
    if ticket_id is None:
        return ""
    return str(get("FLOWDESK_TICKET_LINK", "/tickets/{ticket_id}/")).format(ticket_id=ticket_id)


def default_time_zone() -> str:
    return str(get("FLOWDESK_DEFAULT_TIME_ZONE", "Asia/Shanghai"))
