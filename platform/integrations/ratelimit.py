"""Fixed-window rate limits: one counter per bucket and minute.

Redis (INCR + EXPIRE) when ``settings.REDIS_URL`` is set, so every web worker shares the
count; otherwise Django's cache (per process, which is what the embedded single-process
deployment has). A Redis outage lets requests through rather than failing them.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from integrations.errors import ApiError

log = logging.getLogger("flowdesk.integrations")
_clients: dict[str, object] = {}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window resets


class RateLimited(ApiError):
    def __init__(self, verdict: Verdict, what: str):
        super().__init__(
            429,
            f"rate limit of {verdict.limit} requests per minute exceeded for {what}; "
            f"retry in {verdict.retry_after} s",
            headers={"Retry-After": str(verdict.retry_after)},
        )
        self.verdict = verdict


def _redis():
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return _clients[url]


def _namespace() -> str:
    return getattr(settings, "FLOWDESK_RATE_NAMESPACE", "flowdesk:rate")


def hit(bucket: str, limit: int, window_s: int = 60, now: float | None = None) -> Verdict:
    """Count one request against `bucket`; allowed while the window's count <= limit."""
    now = time.time() if now is None else now
    window = int(now // window_s)
    retry_after = max(1, math.ceil((window + 1) * window_s - now))
    key = f"{_namespace()}:{bucket}:{window}"
    count = _increment(key, window_s + 1)
    return Verdict(count <= limit, count, limit, retry_after)


def _increment(key: str, ttl: int) -> int:
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline()
            pipe.incr(key)
            pipe.expire(key, ttl)
            return int(pipe.execute()[0])
        except Exception as exc:  # an outage must not take the API down
            log.warning("rate limit counter unavailable (%s); request allowed", exc)
            return 0
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


def enforce(bucket: str, limit: int, what: str) -> Verdict:
    """Raise RateLimited (429 with Retry-After) when the bucket is over its limit."""
    verdict = hit(bucket, limit)
    if not verdict.allowed:
        raise RateLimited(verdict, what)
    return verdict


def api_rate_per_min(token=None) -> int:
    """Requests per minute for an API token: its own `rate_per_min` when set, else the
    deployment's FLOWDESK_API_RATE_PER_MIN."""
    own = getattr(token, "rate_per_min", None)
    return int(own) if own else int(getattr(settings, "FLOWDESK_API_RATE_PER_MIN", 600))


def intake_rate_per_min() -> int:
    return int(getattr(settings, "FLOWDESK_INTAKE_RATE_PER_MIN", 10))
