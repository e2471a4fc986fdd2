"""Outbox rows prepared for one transaction, inserted together (notify.actions.do_notify
for one notification, notify.fanout for a batch of ticket events).

`Drafts` reads what its rows share once: the recipients' preferences, the active webhook
subscriptions, and each recipient's redaction of a context (`redaction_for`, asked once per
recipient, ticket and context however many rules reach them). `insert` skips rows whose
idempotency key is already queued, writes the rest in one INSERT and schedules one delivery
after the commit.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from notify import conf
from notify.delivery import schedule_delivery
from notify.models import (
    PUSH_CHANNELS,
    ChannelName,
    ChannelPreference,
    NotificationTemplate,
    OutboxMessage,
    WebhookSubscription,
)
from notify.preferences import preferences_for, quiet_until, user_address
from notify.rendering import RenderError, json_safe, redaction_for, render

log = logging.getLogger("flowdesk.notify")
State = OutboxMessage.State
_ADDRESS_CHANNELS = {ChannelName.EMAIL, ChannelName.SMS, ChannelName.WECOM}


@dataclass
class Notification:
    """One notification (a do_notify call, or one rule and language of an event): what
    every outbox row of it shares."""

    event_type: str
    ticket_id: int | None
    context: dict[str, Any]
    urgent: bool
    base_key: str
    now: dt.datetime
    subject: str | None
    body: str | None
    templates: dict[str, NotificationTemplate] = field(default_factory=dict)

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

    @cached_property
    def frozen_context(self):
        """The context as a cache key (see _frozen); None when it cannot be one."""
        return _frozen(self.context)


class Drafts:
    """Outbox rows being prepared in one transaction."""

    def __init__(self):
        self.rows: list[OutboxMessage] = []
        self._preferences: dict[int, ChannelPreference] = {}
        self._subscriptions: list[WebhookSubscription] | None = None
        self._redactions: dict[tuple, Any] = {}

    # ------------------------------------------------------------ shared reads

    def load_preferences(self, users: Iterable) -> dict[int, ChannelPreference]:
        """Preferences by user id, each user's read once per Drafts (call it with every
        recipient of a batch first: one query)."""
        missing = {u.pk: u for u in users if u.pk not in self._preferences}
        if missing:
            self._preferences.update(preferences_for(missing.values()))
        return self._preferences

    def subscriptions(self) -> list[WebhookSubscription]:
        if self._subscriptions is None:
            active = WebhookSubscription.objects.filter(active=True).select_related("created_by")
            self._subscriptions = list(active.order_by("id"))
        return self._subscriptions

    def redaction(self, user, note: Notification):
        """What `user` (None: an address or a webhook) may read of `note`'s context."""
        frozen = note.frozen_context
        if frozen is None:  # a context no key can stand for: asked every time
            return redaction_for(user, note.ticket_id, note.context)
        key = (user.pk if user is not None else None, note.ticket_id, frozen)
        if key not in self._redactions:
            self._redactions[key] = redaction_for(user, note.ticket_id, note.context)
        return self._redactions[key]

    # ------------------------------------------------------------ rows

    def add_users(self, note: Notification, users: Iterable, channels: list[str]) -> None:
        people = list({u.pk: u for u in users if u is not None and u.is_active}.values())
        prefs = self.load_preferences(people)
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
                key = note.key(channel, f"u{user.pk}")
                row = self._draft(note, channel, key, user=user, address=address)
                _apply_timing(row, pref, note.now)
                self.rows.append(row)

    def add_addresses(self, note: Notification, addresses: Iterable) -> None:
        for raw in addresses:
            channel, address = parse_address(raw)
            digest = hashlib.sha256(address.encode()).hexdigest()[:16]
            key = note.key(channel, f"a{digest}")
            self.rows.append(self._draft(note, channel, key, address=address))

    def add_webhooks(self, note: Notification, *, internal: bool) -> None:
        """One delivery per subscription that wants the event, its payload redacted for the
        subscription's scope (WebhookSubscription.Scope): a customer-scoped one never gets
        internal news and sees no masked or hidden field in clear."""
        for sub in self.subscriptions():
            if not sub.wants(note.event_type):
                continue
            reader = sub.reader()
            if internal and reader is None:
                continue
            data = self.redaction(reader, note)(json_safe(note.context))
            key = note.key(ChannelName.WEBHOOK, f"s{sub.pk}")
            envelope = {
                "id": key,
                "event": note.event_type,
                "ticket_id": note.ticket_id,
                "occurred_at": note.now.isoformat(),
                "data": data,
            }
            self.rows.append(
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

    def _draft(self, note: Notification, channel: str, key: str, *, user=None, address=""):
        link = conf.ticket_link(note.ticket_id)
        name = (user.get_full_name() or user.get_username()) if user else address
        # Rendered per recipient: what they may not read of the ticket never reaches them.
        redact = self.redaction(user, note)
        context = {
            "event": note.event_type,
            "ticket_id": note.ticket_id,
            "link": link,
            "recipient": name,
            **redact(note.context),
        }
        row = OutboxMessage(
            channel=channel,
            recipient=user,
            address=address,
            event_type=note.event_type,
            ticket_id=note.ticket_id,
            urgent=note.urgent,
            idempotency_key=key,
            payload={"link": context.get("link") or link, **_thread_of(note.context)},
            next_attempt_at=note.now,
            created_at=note.now,
        )
        subject_text, body_text = note.texts(channel)
        try:
            row.subject = redact(" ".join(render(subject_text, context).split()))[:500]
            row.body = redact(render(body_text, context))
        except RenderError as exc:
            # Visible in the outbox, resendable once the template is fixed; the caller's
            # change (a ticket transition) goes through.
            row.state, row.last_error, row.subject = State.DEAD, str(exc), subject_text[:500]
        return row

    # ------------------------------------------------------------ writing

    def insert(self) -> list[OutboxMessage]:
        """Write the rows not queued before (one SELECT, one INSERT); the first row of a
        key wins. Schedules a delivery run when one of them is pending."""
        unique: dict[str, OutboxMessage] = {}
        for row in self.rows:
            unique.setdefault(row.idempotency_key, row)
        self.rows = []
        if not unique:
            return []
        existing = set(
            OutboxMessage.objects.filter(idempotency_key__in=list(unique)).values_list(
                "idempotency_key", flat=True
            )
        )
        fresh = [row for key, row in unique.items() if key not in existing]
        created = OutboxMessage.objects.bulk_create(fresh) if fresh else []
        if any(row.state == State.PENDING for row in created):
            schedule_delivery()
        return created


def _frozen(context: dict[str, Any]):
    """A context as a cache key: equal only when every key and value is, types included;
    None for one that cannot stand as a key (a cycle, something unhashable)."""
    try:
        return _freeze(context, 0)
    except (TypeError, RecursionError):
        return None


def _freeze(value: Any, depth: int):
    if depth > 20:
        raise RecursionError("context nested too deep to be a cache key")
    if isinstance(value, dict):
        return (
            dict,
            frozenset((_freeze(k, depth + 1), _freeze(v, depth + 1)) for k, v in value.items()),
        )
    if isinstance(value, list | tuple):
        return (type(value), tuple(_freeze(item, depth + 1) for item in value))
    if isinstance(value, set | frozenset):
        return (type(value), frozenset(_freeze(item, depth + 1) for item in value))
    if value is None or isinstance(value, str | int | float):
        return (type(value), value)
    return (type(value), str(value))


def _thread_of(context: dict[str, Any]) -> dict[str, str]:
    """The ticket number an e-mail about the ticket threads by (its reply address)."""
    number = context.get("ticket")
    return {"ticket_number": number} if isinstance(number, str) and number else {}


def _apply_timing(row: OutboxMessage, pref: ChannelPreference, now: dt.datetime) -> None:
    """Urgent and in-app messages go now; others join the digest or wait out quiet hours."""
    if row.urgent or row.channel not in PUSH_CHANNELS or row.state != State.PENDING:
        return
    if pref.digest_interval_minutes:
        row.digest_key = f"{pref.user_id}:{row.channel}"
    else:
        row.next_attempt_at = quiet_until(pref, now) or now


def chosen_channels(channels, templates) -> list[str]:
    """The channels of a notification: `channels` (None: those with an active template,
    else the configured defaults); an unknown one is an error."""
    if channels is None:
        chosen = [c for c in templates if c != ChannelName.WEBHOOK] or list(conf.default_channels())
    else:
        chosen = list(dict.fromkeys(channels))
    unknown = set(chosen) - (set(ChannelName.values) - {ChannelName.WEBHOOK})
    if unknown:
        raise ValueError(f"unknown notification channels: {sorted(unknown)}")
    return chosen


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
