"""``Idempotency-Key`` for creating calls (POST /tickets, /messages, /processes).

The first request under a key claims it by inserting its row (state in_progress) in its own
transaction, before any work; the unique (owner, key) constraint makes exactly one of two
concurrent requests the owner. When the work is done its response (status and body) is
stored on the row. A repeat of the same request (same owner, key, method, path and body):

- after completion gets the stored response again, with ``Idempotent-Replayed: true``;
- while the first is still running waits for it (up to FLOWDESK_IDEMPOTENCY_WAIT_S,
  default 5 s) and then replays it, or gets 409 "a request with this Idempotency-Key is
  in progress" if it is still not done.

The same key with another request is a 409. 5xx answers and exceptions release the key
(the client may retry); an in_progress row older than FLOWDESK_IDEMPOTENCY_LEASE_S (a
crashed worker) is taken over. Keys expire after 24 h (actions.do_purge_idempotency_keys).
"""

import functools
import hashlib
import json
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja.decorators import decorate_view

from integrations.actions import IDEMPOTENCY_TTL
from integrations.auth import token_of
from integrations.errors import ApiError
from integrations.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_POLL_S = 0.05


def _wait_s() -> float:
    return float(getattr(settings, "FLOWDESK_IDEMPOTENCY_WAIT_S", 5))


def _lease_s() -> float:
    return float(getattr(settings, "FLOWDESK_IDEMPOTENCY_LEASE_S", 300))


def _owner(request) -> str:
    token = token_of(request)
    return f"token:{token.key_id}" if token else f"user:{request.user.pk}"


def request_fingerprint(request) -> str:
    body = request.body
    if request.content_type == "application/json":
        try:  # the same JSON spelled with other spacing or key order is the same request
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body or b""), status=row.status_code, content_type=row.content_type
    )
    response[REPLAYED] = "true"
    return response


def _abandoned(row: IdempotencyKey) -> bool:
    age = (timezone.now() - row.created_at).total_seconds()
    expired = age > IDEMPOTENCY_TTL.total_seconds()
    return expired or (row.state == IdempotencyKey.State.IN_PROGRESS and age > _lease_s())


def claim(request, key: str) -> int | HttpResponse:
    """The claimed row's id, or the response to replay; ApiError(409) otherwise."""
    owner, fingerprint = _owner(request), request_fingerprint(request)
    deadline = time.monotonic() + _wait_s()
    while True:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    owner=owner, key=key, request_hash=fingerprint
                ).id
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if row is None:
            continue  # released between our insert and our read: claim again
        if _abandoned(row):
            IdempotencyKey.objects.filter(id=row.id, created_at=row.created_at).delete()
            continue
        if row.request_hash != fingerprint:
            raise ApiError(409, f"{HEADER} {key!r} was already used for a different request")
        if row.state == IdempotencyKey.State.DONE:
            return _replay(row)
        if time.monotonic() >= deadline:
            raise ApiError(409, f"a request with this {HEADER} is in progress; retry later")
        time.sleep(_POLL_S)


def _finish(claim_id: int, response) -> None:
    if response.status_code >= 500 or getattr(response, "streaming", False):
        IdempotencyKey.objects.filter(id=claim_id).delete()
        return
    IdempotencyKey.objects.filter(id=claim_id).update(
        state=IdempotencyKey.State.DONE,
        status_code=response.status_code,
        response_body=response.content,
        content_type=response.get("Content-Type", "application/json"),
    )


def _recording(run):
    """Wraps the operation's run (which yields the final HttpResponse) to store it."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        try:
            response = run(request, *args, **kwargs)
        except BaseException:
            claim_id = getattr(request, "_idempotency_claim", None)
            if claim_id:
                IdempotencyKey.objects.filter(id=claim_id).delete()
            raise
        claim_id = getattr(request, "_idempotency_claim", None)
        if claim_id:
            _finish(claim_id, response)
        return response

    return wrapper


def idempotent(view):
    """Endpoint decorator (below the router's): honour an Idempotency-Key header."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            raise ApiError(400, f"{HEADER} must be at most 255 characters")
        outcome = claim(request, key)
        if isinstance(outcome, HttpResponse):
            return outcome
        request._idempotency_claim = outcome
        return view(request, *args, **kwargs)

    wrapper.idempotent = True
    return decorate_view(_recording)(wrapper)
