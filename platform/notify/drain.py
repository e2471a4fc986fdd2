"""One queued fan-out drain at a time, with Celery.

Publishing a Celery message costs a few milliseconds of a request (kombu measured 4–6 ms
per publish on this machine, a Redis SET 0.1 ms), and one drain task sees every job
committed before it starts. So a commit enqueues `notify.run_pending_fanout` only when it
sets the flag (SET NX); the task clears the flag before it looks for jobs, so a job
committed after that sets it again and enqueues the next drain. The flag expires, so a
lost message (a purged queue, a Redis restart) holds nothing back for long, and beat's
stale sweep runs any job left over. Without Redis (a memory broker in tests) every commit
enqueues.
"""

from django.db import connection

from notify import conf

_TTL_S = 10
_clients: dict = {}


def _redis():
    url = conf.get("REDIS_URL", "")
    if not url:
        return None
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return _clients[url]


def _key() -> str:
    # Per database: test, bench and served databases may share one Redis.
    return f"flowdesk:fanout-drain-queued:{connection.settings_dict['NAME']}"


def claim() -> bool:
    """True when the caller is to enqueue a drain (no other is queued)."""
    client = _redis()
    return client is None or bool(client.set(_key(), "1", nx=True, ex=_TTL_S))


def release() -> None:
    """A drain starts: later commits enqueue the next one."""
    client = _redis()
    if client is not None:
        client.delete(_key())
