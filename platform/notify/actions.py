"""The only writers of notification state: one `do_*` per change, each in transaction.atomic().

`do_notify` writes outbox rows in the caller's transaction, so a rolled-back change notifies
nobody; delivery happens after commit (notify.delivery).
"""

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from notify import conf
from notify.delivery import schedule_delivery
from notify.models import (
    PUSH_CHANNELS,
    ChannelName,
    ChannelPreference,
    InAppMessage,
    NotificationTemplate,
    OutboxMessage,
    WebhookSubscription,
)
from notify.preferences import preferences_for, quiet_until, user_address
from notify.rendering import RenderError, check_template, json_safe, redaction_for, render
from notify.webhooks import BadWebhookUrl, check_webhook_url

log = logging.getLogger("flowdesk.notify")
State = OutboxMessage.State
_ADDRESS_CHANNELS = {ChannelName.EMAIL, ChannelName.SMS, ChannelName.WECOM}


class InvalidState(ValueError):
    """The object is not in a state that allows this change."""


@dataclass
class _Notification:
    """One do_notify call: what every outbox row of it shares."""

    event_type: str
    ticket_id: int | None
    context: dict[str, Any]
    urgent: bool
    base_key: str
    now: dt.datetime
    subject: str | None
    body: str | None
    templates: dict[str, NotificationTemplate] = field(default_factory=dict)
    redactions: dict[int | None, Any] = field(default_factory=dict)

    def redaction(self, user):
        """What `user` (None: an address or a webhook) may read, asked once per recipient."""
        key = user.pk if user is not None else None
        if key not in self.redactions:
            self.redactions[key] = redaction_for(user, self.ticket_id, self.context)
        return self.redactions[key]

    def texts(self, channel: str) -> tuple[str, str]:
        template = self.templates.get(channel)
        subject, body = self.subject, self.body
        if subject is None:
            subject = template.subject if template else self.event_type
        if body is None:
            body = template.body if template else ""
        return subject, body

    def key(self, channel: str, target: str) -> str:
        return f"{self.base_key[:160]}:{channel}:{target}"

    def draft(self, channel: str, key: str, *, user=None, address: str = "") -> OutboxMessage:
        link = conf.ticket_link(self.ticket_id)
        name = (user.get_full_name() or user.get_username()) if user else address
        # Rendered per recipient: what they may not read of the ticket never reaches them.
        redact = self.redaction(user)
        context = {
            "event": self.event_type,
            "ticket_id": self.ticket_id,
            "link": link,
            "recipient": name,
            **redact(self.context),
        }
        row = OutboxMessage(
            channel=channel,
            recipient=user,
            address=address,
            event_type=self.event_type,
            ticket_id=self.ticket_id,
            urgent=self.urgent,
            idempotency_key=key,
            payload={"link": context.get("link") or link, **_thread_of(self.context)},
            next_attempt_at=self.now,
            created_at=self.now,
        )
        subject_text, body_text = self.texts(channel)
        try:
            row.subject = redact(" ".join(render(subject_text, context).split()))[:500]
            row.body = redact(render(body_text, context))
        except RenderError as exc:
            # Visible in the outbox, resendable once the template is fixed; the caller's
            # change (a ticket transition) goes through.
            row.state, row.last_error, row.subject = State.DEAD, str(exc), subject_text[:500]
        return row


def _thread_of(context: dict[str, Any]) -> dict[str, str]:
    """The ticket number an e-mail about the ticket threads by (its reply address)."""
    number = context.get("ticket")
    return {"ticket_number": number} if isinstance(number, str) and number else {}


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
        note = _Notification(
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
        rows = _user_rows(note, users, _chosen_channels(channels, note.templates))
        rows += _address_rows(note, addresses)
        rows += _webhook_rows(note, internal=internal) if webhooks else []
        created = _insert_new(rows)
        if any(row.state == State.PENDING for row in created):
            schedule_delivery()
    return created


def _templates(event_type: str, subject, body) -> dict[str, NotificationTemplate]:
    if subject is not None and body is not None:  # inline texts: stored ones are not used
        return {}
    active = NotificationTemplate.objects.filter(event_type=event_type, active=True)
    return {t.channel: t for t in active}


def _chosen_channels(channels, templates) -> list[str]:
    if channels is None:
        chosen = [c for c in templates if c != ChannelName.WEBHOOK] or list(conf.default_channels())
    else:
        chosen = list(dict.fromkeys(channels))
    unknown = set(chosen) - (set(ChannelName.values) - {ChannelName.WEBHOOK})
    if unknown:
        raise ValueError(f"unknown notification channels: {sorted(unknown)}")
    return chosen


def _user_rows(note: _Notification, users: Iterable, channels: list[str]) -> list[OutboxMessage]:
    people = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    prefs = preferences_for(people)
    rows = []
    for user in people:
        pref = prefs[user.pk]
        for channel in channels:
            if not pref.channel_enabled(channel):
                continue
            address = user_address(user, pref, channel)
            if not address:
                log.info("notify %s: %s has no %s address", note.event_type, user, channel)
                continue
            address = "" if channel == ChannelName.INAPP else address
            row = note.draft(channel, note.key(channel, f"u{user.pk}"), user=user, address=address)
            _apply_timing(row, pref, note.now)
            rows.append(row)
    return rows


def _apply_timing(row: OutboxMessage, pref: ChannelPreference, now: dt.datetime) -> None:
    """Urgent and in-app messages go now; others join the digest or wait out quiet hours."""
    if row.urgent or row.channel not in PUSH_CHANNELS or row.state != State.PENDING:
        return
    if pref.digest_interval_minutes:
        row.digest_key = f"{pref.user_id}:{row.channel}"
    else:
        row.next_attempt_at = quiet_until(pref, now) or now


def parse_address(raw) -> tuple[str, str]:
    if isinstance(raw, (tuple, list)) and len(raw) == 2:
        channel, address = str(raw[0]), str(raw[1]).strip()
    elif isinstance(raw, str) and ":" in raw and raw.split(":", 1)[0] in _ADDRESS_CHANNELS:
        channel, address = (part.strip() for part in raw.split(":", 1))
    elif isinstance(raw, str) and "@" in raw:
        channel, address = ChannelName.EMAIL, raw.strip()
    else:
        raise ValueError(f"cannot tell the channel of address {raw!r} (use 'sms:…' etc.)")
    if channel not in _ADDRESS_CHANNELS or not address:
        raise ValueError(f"invalid notification address {raw!r}")
    return channel, address


def _address_rows(note: _Notification, addresses: Iterable) -> list[OutboxMessage]:
    rows = []
    for raw in addresses:
        channel, address = parse_address(raw)
        digest = hashlib.sha256(address.encode()).hexdigest()[:16]
        rows.append(note.draft(channel, note.key(channel, f"a{digest}"), address=address))
    return rows


def _webhook_rows(note: _Notification, *, internal: bool) -> list[OutboxMessage]:
    """One delivery per subscription that wants the event, its payload redacted for the
    subscription's scope (WebhookSubscription.Scope): a customer-scoped one never gets
    internal news and sees no masked or hidden field in clear."""
    rows = []
    subscriptions = WebhookSubscription.objects.filter(active=True).select_related("created_by")
    for sub in subscriptions.order_by("id"):
        if not sub.wants(note.event_type):
            continue
        reader = sub.reader()
        if internal and reader is None:
            continue
        data = note.redaction(reader)(json_safe(note.context))
        key = note.key(ChannelName.WEBHOOK, f"s{sub.pk}")
        envelope = {
            "id": key,
            "event": note.event_type,
            "ticket_id": note.ticket_id,
            "occurred_at": note.now.isoformat(),
            "data": data,
        }
        rows.append(
            OutboxMessage(
                channel=ChannelName.WEBHOOK,
                subscription=sub,
                address=sub.url,
                event_type=note.event_type,
                subject=note.event_type,
                ticket_id=note.ticket_id,
                urgent=note.urgent,
                idempotency_key=key,
                payload=envelope,
                next_attempt_at=note.now,
                created_at=note.now,
            )
        )
    return rows


def _insert_new(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    unique = list({row.idempotency_key: row for row in rows}.values())
    keys = [row.idempotency_key for row in unique]
    existing = set(
        OutboxMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [row for row in unique if row.idempotency_key not in existing]
    return OutboxMessage.objects.bulk_create(fresh)


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
