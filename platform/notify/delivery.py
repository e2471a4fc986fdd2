"""Delivering the outbox after commit: claim due rows, send each once, record the outcome.

Exactly-once toward our own state, at-least-once toward a provider:
- A worker claims due rows in one short transaction (PostgreSQL: `SELECT … FOR UPDATE SKIP
  LOCKED`; SQLite's IMMEDIATE transactions serialize claimers) by moving them to `sending`
  under a fresh claim token, and sends outside that transaction. A concurrent worker never
  sees a claimed row, and only the claim's owner may record its outcome.
- A row stays `sending` only while a worker holds it. After a crash mid-send the row returns
  to the queue once its lease (FLOWDESK_NOTIFY_LEASE_S, default 300 s) has expired, so the
  provider may see that one message twice. Each redelivery carries the same idempotency key
  (X-Flowdesk-Delivery for webhooks, Idempotency-Key for SMS, X-Flowdesk-Delivery for email,
  the outbox row for the in-app inbox, WeCom's duplicate check), which bounds the duplicate.
- Failures back off exponentially (30 s · 2^(attempt-1), capped) and go dead after
  FLOWDESK_NOTIFY_MAX_ATTEMPTS (8) attempts or at the first permanent error.
Digest rows (digest_key set) are skipped here; deliver_digests folds them into one message.
"""

import datetime as dt
import logging
import time
import uuid

from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from notify import conf
from notify.channels import DeliveryError, get_channel
from notify.models import ChannelPreference, NotificationTemplate, OutboxMessage
from notify.preferences import release_time
from notify.rendering import RenderError, render

log = logging.getLogger("flowdesk.notify")
State = OutboxMessage.State
_RETRY_STATES = (State.PENDING, State.FAILED)
_DIGEST_MAX_ITEMS = 200


def skip_locked(queryset):
    """Lock the rows a query selects, skipping those another transaction holds."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def release_expired_claims(now: dt.datetime) -> int:
    """Rows left in `sending` past their lease (a worker died) go back to the queue."""
    stale = OutboxMessage.objects.filter(
        state=State.SENDING, claimed_at__lt=now - dt.timedelta(seconds=conf.lease_seconds())
    )
    note = "lease expired while sending (worker stopped); "
    dead = stale.filter(attempts__gte=conf.max_attempts()).update(
        state=State.DEAD, claim_token="", last_error=note + "attempts exhausted"
    )
    requeued = stale.update(
        state=State.PENDING, claim_token="", next_attempt_at=now, last_error=note + "requeued"
    )
    if dead or requeued:
        log.warning("outbox: %d stale claims requeued, %d dead", requeued, dead)
    return dead + requeued


def claim_due(limit: int, now: dt.datetime) -> tuple[str, list[OutboxMessage]]:
    """Move up to `limit` due rows to `sending` under a new claim token; return them."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state__in=_RETRY_STATES, digest_key="", next_attempt_at__lte=now
        ).order_by("-urgent", "next_attempt_at", "id")
        ids = list(skip_locked(due).values_list("id", flat=True)[:limit])
        if not ids:
            return token, []
        OutboxMessage.objects.filter(id__in=ids, state__in=_RETRY_STATES).update(
            state=State.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
        )
    rows = OutboxMessage.objects.filter(claim_token=token, state=State.SENDING)
    return token, list(rows.select_related("subscription").order_by("-urgent", "id"))


def _owned(message: OutboxMessage, token: str):
    return OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, claim_token=token)


def _mark_sent(message: OutboxMessage, token: str) -> None:
    updated = _owned(message, token).update(
        state=State.SENT, sent_at=timezone.now(), last_error="", claim_token=""
    )
    if not updated:
        log.warning("outbox %s: sent, but its claim had been taken over", message.pk)


def _mark_failed(message: OutboxMessage, token: str, now, error: str, retryable: bool) -> None:
    if retryable and message.attempts < conf.max_attempts():
        state, next_at = (
            State.FAILED,
            now + dt.timedelta(seconds=conf.backoff_seconds(message.attempts)),
        )
    else:
        state, next_at = State.DEAD, now
    # NUL bytes (from a provider's answer) would make PostgreSQL refuse the whole update.
    _owned(message, token).update(
        state=state,
        next_attempt_at=next_at,
        last_error=error.replace("\x00", "")[:2000],
        claim_token="",
    )
    log.info("outbox %s: %s after attempt %d: %s", message.pk, state, message.attempts, error)


def _release_unsent(token: str, ids: list[int]) -> None:
    """Give rows claimed but not tried (time budget spent) back without using an attempt."""
    OutboxMessage.objects.filter(id__in=ids, state=State.SENDING, claim_token=token).update(
        state=State.PENDING, claim_token="", claimed_at=None, attempts=F("attempts") - 1
    )


def send_claimed(message: OutboxMessage, token: str, now: dt.datetime) -> bool:
    """Send one claimed row and record the outcome. True when the provider accepted it."""
    try:
        get_channel(message.channel).send(message)
    except DeliveryError as exc:
        _mark_failed(message, token, now, str(exc), exc.retryable)
        return False
    except Exception as exc:  # a bug in an adapter must not stall the queue
        log.exception("outbox %s: unexpected error in channel %s", message.pk, message.channel)
        reason = str(exc) or type(exc).__name__
        _mark_failed(
            message, token, now, f"{message.channel} channel failed: {reason}", retryable=True
        )
        return False
    _mark_sent(message, token)
    return True


def deliver_pending(limit: int = 100, now=None, budget_s: float | None = None) -> int:
    """Send due outbox rows; return how many the providers accepted.

    Safe to run concurrently and repeatedly. `budget_s` stops sending after that many
    seconds and hands the untried rows back (used by the Celery task under its time limit).
    """
    now = now or timezone.now()
    release_expired_claims(now)
    token, rows = claim_due(limit, now)
    started, sent = time.monotonic(), 0
    for index, message in enumerate(rows):
        if budget_s is not None and time.monotonic() - started > budget_s:
            _release_unsent(token, [m.pk for m in rows[index:]])
            break
        try:
            sent += send_claimed(message, token, now)
        except Exception:  # recording the outcome failed: the lease hands the row back later
            log.exception("outbox %s: could not record the delivery outcome", message.pk)
    return sent


# ---------------------------------------------------------------- digests


def deliver_digests(now=None) -> int:
    """Fold each user's waiting digest rows into one message per channel once the user's
    digest interval has passed since the oldest of them. Returns digests created."""
    now = now or timezone.now()
    groups = list(
        OutboxMessage.objects.filter(state=State.PENDING)
        .exclude(digest_key="")
        .values("digest_key", "recipient_id")
        .annotate(oldest=Min("created_at"))
        .order_by()
    )
    user_ids = {g["recipient_id"] for g in groups if g["recipient_id"]}
    prefs = {p.user_id: p for p in ChannelPreference.objects.filter(user_id__in=user_ids)}
    made = 0
    for group in groups:
        pref = prefs.get(group["recipient_id"])
        interval = dt.timedelta(minutes=pref.digest_interval_minutes if pref else 0)
        if group["oldest"] + interval > now:
            continue
        try:  # one user's broken digest must not keep the others from theirs
            made += _fold_digest(group["digest_key"], pref, now)
        except Exception:
            log.exception("outbox: digest %s could not be folded", group["digest_key"])
    if made:
        schedule_delivery()
    return made


def _fold_digest(digest_key: str, pref: ChannelPreference | None, now: dt.datetime) -> bool:
    with transaction.atomic():
        waiting = OutboxMessage.objects.filter(state=State.PENDING, digest_key=digest_key)
        items = list(skip_locked(waiting.order_by("created_at", "id"))[:_DIGEST_MAX_ITEMS])
        if not items:
            return False
        first, last = items[0], items[-1]
        subject, body = digest_text(first.channel, items)
        digest = OutboxMessage.objects.create(
            channel=first.channel,
            recipient_id=first.recipient_id,
            address=last.address,
            event_type="digest",
            subject=subject[:500],
            body=body,
            payload={"items": [item.pk for item in items]},
            idempotency_key=f"digest:{digest_key}:{first.pk}",
            next_attempt_at=release_time(pref, now) if pref else now,
            created_at=now,
        )
        OutboxMessage.objects.filter(pk__in=[i.pk for i in items], state=State.PENDING).update(
            state=State.DIGESTED, last_error=f"folded into digest {digest.pk}"
        )
    return True


def digest_text(channel: str, items: list[OutboxMessage]) -> tuple[str, str]:
    """Subject and body of a digest: the active "digest" template of the channel, if any
    (context: items, count), otherwise a plain list of the folded messages."""
    context = {
        "count": len(items),
        "items": [
            {"subject": i.subject, "body": i.body, "event": i.event_type, "ticket_id": i.ticket_id}
            for i in items
        ],
    }
    template = NotificationTemplate.objects.filter(
        event_type="digest", channel=channel, active=True
    ).first()
    if template is not None:
        try:
            return " ".join(render(template.subject, context).split()), render(
                template.body, context
            )
        except RenderError:
            log.exception("digest template for %s is broken; using the plain list", channel)
    lines = [f"- {i.subject}\n  {i.body}".rstrip() if i.body else f"- {i.subject}" for i in items]
    return f"{len(items)} notifications", "\n".join(lines)


# ---------------------------------------------------------------- scheduling


def schedule_delivery() -> None:
    """Call inside a transaction that wrote outbox rows: with Celery configured, enqueue a
    delivery run once it commits; otherwise do nothing (the embedded worker polls)."""
    if conf.celery_enabled():
        transaction.on_commit(_enqueue_delivery, robust=True)


def _enqueue_delivery() -> None:
    from notify.tasks import deliver_pending_task

    try:
        deliver_pending_task.delay()
    except Exception:  # broker down: the rows wait for beat or the next enqueue
        log.warning("outbox: could not enqueue notify.deliver_pending", exc_info=True)
