"""Reference data read once, then cached process-wide until it changes.

Routing a task reads the same slowly-changing rows every time: the published decision
versions, the latest version of a process, groups by name, their members and profiles,
agents' profiles, calendars, the acting user's roles. They are cached here under the token
of the one ReferenceVersion row; every writer of such data calls `bump()` in its
transaction (org.refdata connects the signals for auth and org models), which gives the
row a new token. The token is read at most once per action or request (`refresh()` starts
a new read; request signals and the do_* writers call it), so a change made by another
process is seen from that process's next action on.
"""

import secrets
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.core.signals import request_started
from django.db import connection

from definitions.models import ReferenceVersion

ROW_ID = 1
MAX_AGE_S = 2.0  # the longest a thread trusts a token it read without refreshing
_UNREAD = object()
_snapshot = threading.local()  # .token: this thread's token (read once per action)
_lock = threading.Lock()
_cache: dict[Hashable, Any] = {}
_cache_token: list[str | None] = [None]


def refresh() -> None:
    """Forget this thread's token: the next cached read checks the row again."""
    _snapshot.token = _UNREAD


# For a caller that reads the token inside a statement it runs anyway (`prime` it after).
TOKEN_SQL = f"SELECT token FROM {ReferenceVersion._meta.db_table} WHERE id = {ROW_ID}"  # noqa: S608


def prime(value: str) -> None:
    """This thread's token, read by the caller (see TOKEN_SQL)."""
    _snapshot.token = value
    _snapshot.read_at = time.monotonic()


def token() -> str:
    current = getattr(_snapshot, "token", _UNREAD)
    # A thread that runs no actions or requests (a sweep loop) still looks again soon.
    if current is _UNREAD or time.monotonic() - _snapshot.read_at > MAX_AGE_S:
        # Written out: a page reads it once, and building the queryset cost more than the read.
        with connection.cursor() as cursor:
            cursor.execute(TOKEN_SQL)
            row = cursor.fetchone()
        current = row[0] if row else ""
        prime(current)
    return current


def cached(key: Hashable, load: Callable[[], Any]) -> Any:
    """`load()` once per reference token (the value must not be mutated by callers)."""
    current = token()
    with _lock:
        if _cache_token[0] != current:
            _cache.clear()
            _cache_token[0] = current
        if key in _cache:
            return _cache[key]
    value = load()
    with _lock:
        if _cache_token[0] == current:
            _cache[key] = value
    return value


def bump() -> None:
    """Reference data changed (call inside the writing transaction): new token for all."""
    new = secrets.token_hex(8)
    if not ReferenceVersion.objects.filter(id=ROW_ID).update(token=new):
        ReferenceVersion.objects.update_or_create(id=ROW_ID, defaults={"token": new})
    # Everything cached so far may be stale; the next read takes the row again (the new
    # token inside this transaction, the old one for others until it commits).
    clear()


def clear() -> None:
    """Empty the process-wide cache and this thread's token (tests, data migrations)."""
    with _lock:
        _cache.clear()
        _cache_token[0] = None
    refresh()


def _on_request(**_kwargs) -> None:
    refresh()


request_started.connect(_on_request, dispatch_uid="definitions.refdata.request_started")
