"""The only writers of notification state: one `do_*` per change, each in transaction.atomic().

`do_notify` writes outbox rows in the caller's transaction, so a rolled-back change notifies
nobody; delivery happens after commit (notify.delivery).
"""

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from notify.delivery import schedule_delivery
from notify.drafts import Drafts, Notification, chosen_channels
from notify.models import (
    ChannelName,
    ChannelPreference,
    InAppMessage,
    NotificationTemplate,
    OutboxMessage,
    WebhookSubscription,
)
from notify.rendering import RenderError, check_template
from notify.webhooks import BadWebhookUrl, check_webhook_url

log = logging.getLogger("flowdesk.notify")
State = OutboxMessage.State


class InvalidState(ValueError):
    """The object is not in a state that allows this change."""


def do_notify(
    event_type: str,
    *,
    ticket_id: int | None = None,
    users: Iterable = (),
    addresses: Iterable = (),
    context: dict[str, Any] | None = None,
    urgent: bool = False,
    channels: Iterable[str] | None = None,
    subject: str | None = None,
    body: str | None = None,
    idempotency_key: str | None = None,
    webhooks: bool = True,
    internal: bool = False,
) -> list[OutboxMessage]:
    """Queue `event_type` for users (on their channels), raw addresses and webhooks.

    channels: None = every channel with an active template for the event (or
    FLOWDESK_NOTIFY_DEFAULT_CHANNELS when there is none). addresses: "email:a@b.cn",
    "sms:138…", "wecom:<userid>", a bare e-mail address, or (channel, address) pairs.
    subject/body: inline template text overriding the stored templates. idempotency_key:
    a repeated call with the same key queues nothing new. webhooks: False when the caller
    sends the event to subscribers itself (notify.fanout). internal: staff-only news (an
    internal note), for staff-scoped subscriptions only. Returns the rows created.
    """
    with transaction.atomic():
        note = Notification(
            event_type=event_type,
            ticket_id=ticket_id,
            context=dict(context or {}),
            urgent=urgent,
            base_key=idempotency_key or uuid.uuid4().hex,
            now=timezone.now(),
            subject=subject,
            body=body,
            templates=_templates(event_type, subject, body),
        )
        drafts = Drafts()
        drafts.add_users(note, users, chosen_channels(channels, note.templates))
        drafts.add_addresses(note, addresses)
        if webhooks:
            drafts.add_webhooks(note, internal=internal)
        return drafts.insert()


def _templates(event_type: str, subject, body) -> dict[str, NotificationTemplate]:
    if subject is not None and body is not None:  # inline texts: stored ones are not used
        return {}
    active = NotificationTemplate.objects.filter(event_type=event_type, active=True)
    return {t.channel: t for t in active}


# ---------------------------------------------------------------- inbox, outbox, settings


def do_mark_read(user, message_ids: Iterable[int] | None = None) -> int:
    """Mark the user's in-app messages read (all unread ones when `message_ids` is None)."""
    with transaction.atomic():
        unread = InAppMessage.objects.filter(user=user, read_at__isnull=True)
        if message_ids is not None:
            unread = unread.filter(id__in=list(message_ids))
        return unread.update(read_at=timezone.now())


def do_resend(message_id: int, *, by=None) -> OutboxMessage:
    """Put a failed or dead message back in the queue with a fresh attempt budget."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.state not in (State.FAILED, State.DEAD):
            raise InvalidState(f"message {message_id} is {message.state}; only failed/dead resend")
        message.state = State.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.claim_token = ""
        message.claimed_at = None
        message.save(
            update_fields=["state", "attempts", "next_attempt_at", "claim_token", "claimed_at"]
        )
        log.info("outbox %s resent by %s", message_id, by)
        schedule_delivery()
    return message


MIN_SECRET_LENGTH = 12


def do_subscribe_webhook(
    *,
    url: str,
    event_types: Iterable[str],
    created_by=None,
    secret: str | None = None,
    scope: str = WebhookSubscription.Scope.CUSTOMER,
) -> WebhookSubscription:
    """Subscribe `url` to event types ("*" = all). The secret is generated unless given;
    a given one must be at least MIN_SECRET_LENGTH characters (never empty: deliveries are
    always signed). A staff-scoped subscription gets what its creator may read, internal
    notes included, so it needs a creator."""
    event_types = [str(e).strip() for e in event_types if str(e).strip()]
    if not event_types:
        raise ValidationError("a webhook needs at least one event type (or '*')")
    if scope not in WebhookSubscription.Scope.values:
        raise ValidationError(f"scope must be one of {', '.join(WebhookSubscription.Scope)}")
    if scope == WebhookSubscription.Scope.STAFF and created_by is None:
        raise ValidationError("a staff-scoped webhook needs the user whose view it gets")
    URLValidator(schemes=["http", "https"])(url)
    try:  # every caller (API, admin) gets the same check; names are resolved at delivery
        url = check_webhook_url(url, resolve_host=False)
    except BadWebhookUrl as exc:
        raise ValidationError(str(exc)) from exc
    if secret is not None and secret.strip() and len(secret.strip()) < MIN_SECRET_LENGTH:
        raise ValidationError(
            f"a webhook signing secret needs at least {MIN_SECRET_LENGTH} characters"
        )
    with transaction.atomic():
        return WebhookSubscription.objects.create(
            url=url,
            secret=(secret or "").strip() or secrets.token_urlsafe(32),
            event_types=list(dict.fromkeys(event_types)),
            created_by=created_by,
            scope=scope,
        )


def do_unsubscribe_webhook(subscription_id: int, *, by=None) -> WebhookSubscription:
    """Deactivate; deliveries still queued for it go dead when their turn comes."""
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        subscription.active = False
        subscription.save(update_fields=["active"])
        log.info("webhook %s unsubscribed by %s", subscription_id, by)
    return subscription


_PREFERENCE_FIELDS = {
    "inapp_enabled",
    "email_enabled",
    "sms_enabled",
    "wecom_enabled",
    "phone",
    "wecom_user_id",
    "quiet_start",
    "quiet_end",
    "time_zone",
    "digest_interval_minutes",
    "language",
}


def _clean_preference(name: str, value):
    if name in {"quiet_start", "quiet_end"} and isinstance(value, str):
        return dt.time.fromisoformat(value) if value else None
    if name == "time_zone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown time zone {value!r}") from exc
    if name == "language" and value not in {"zh-hans", "en", ""}:
        raise ValidationError("language must be zh-hans, en or empty (follow the browser)")
    if name == "digest_interval_minutes" and (not isinstance(value, int) or value < 0):
        raise ValidationError("digest_interval_minutes must be an integer >= 0")
    return value


def do_set_preferences(user, **changes) -> ChannelPreference:
    """Change the user's channel preferences; unknown fields are an error."""
    unknown = set(changes) - _PREFERENCE_FIELDS
    if unknown:
        raise ValidationError(f"unknown preference fields: {sorted(unknown)}")
    cleaned = {name: _clean_preference(name, value) for name, value in changes.items()}
    with transaction.atomic():
        pref, _ = ChannelPreference.objects.select_for_update().get_or_create(user=user)
        for name, value in cleaned.items():
            setattr(pref, name, value)
        if cleaned:
            pref.save(update_fields=sorted(cleaned))
    return pref


def do_set_template(
    event_type: str, channel: str, *, body: str, subject: str = "", active: bool = True
) -> NotificationTemplate:
    """Create or replace the template of one event on one channel (syntax checked first)."""
    if channel not in ChannelName.values or channel == ChannelName.WEBHOOK:
        raise ValidationError(f"templates exist for message channels, not {channel!r}")
    try:
        check_template(subject)
        check_template(body)
    except RenderError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        template, _ = NotificationTemplate.objects.update_or_create(
            event_type=event_type,
            channel=channel,
            defaults={"subject": subject, "body": body, "active": active},
        )
    return template
