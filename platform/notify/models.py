"""Notification state: the outbox, templates, per-user preferences, webhooks, the in-app inbox.

Outbox rows are written in the same transaction as the change that caused them (see
actions.do_notify) and delivered after commit by delivery.deliver_pending. A row's life:

    pending --claim--> sending --ok--> sent
                          |--retryable error--> failed (next_attempt_at = backoff) --claim--> …
                          |--permanent error or attempts exhausted--> dead
    pending (digest_key set) --deliver_digests--> digested (folded into one digest row)
    failed/dead --do_resend--> pending
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from notify import conf


class ChannelName(models.TextChoices):
    INAPP = "inapp", "In-app"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WECOM = "wecom", "WeCom"
    WEBHOOK = "webhook", "Webhook"


# Channels that interrupt a person; quiet hours and digests apply to these only.
# The in-app inbox is silent and is the record, so it always gets every message at once.
PUSH_CHANNELS = frozenset({ChannelName.EMAIL, ChannelName.SMS, ChannelName.WECOM})


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"  # a retryable error; tried again at next_attempt_at
        DEAD = "dead"  # a permanent error or attempts exhausted; only do_resend revives it
        DIGESTED = "digested"  # folded into a digest message, never sent on its own

    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notify_outbox",
    )
    # Email address, phone number, WeCom user id or webhook URL; blank for in-app.
    address = models.CharField(max_length=500, blank=True)
    subscription = models.ForeignKey(
        "WebhookSubscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    event_type = models.CharField(max_length=100)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    urgent = models.BooleanField(default=False)
    # "<user id>:<channel>" while waiting to be folded into that user's digest.
    digest_key = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_outbox_due"),
            models.Index(fields=["state", "digest_key"], name="notify_outbox_digest"),
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return (
            f"{self.channel} {self.event_type} → {self.recipient_id or self.address} ({self.state})"
        )


class NotificationTemplate(models.Model):
    """Subject and body for one event on one channel, in Django template syntax."""

    event_type = models.CharField(max_length=100)
    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_type", "channel"], name="notify_template_unique")
        ]
        ordering = ["event_type", "channel"]

    def __str__(self) -> str:
        return f"{self.event_type}/{self.channel}"


class ChannelPreference(models.Model):
    """How one user wants to be reached. A user without a row gets the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    inapp_enabled = models.BooleanField(default=True)
    email_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    wecom_enabled = models.BooleanField(default=True)
    phone = models.CharField(max_length=32, blank=True, help_text="SMS address.")
    wecom_user_id = models.CharField(max_length=64, blank=True, help_text="WeCom UserID.")
    # Local times in `time_zone`; a window may wrap midnight (22:00–08:00).
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default=conf.default_time_zone)
    digest_interval_minutes = models.PositiveIntegerField(default=0, help_text="0 = no digest.")
    # The one language setting of a person: the workbench's pages and their notifications.
    # Empty: not chosen, so pages follow the browser and notifications DEFAULT_LANGUAGE.
    language = models.CharField(
        max_length=10, blank=True, default="", help_text="zh-hans, en, or empty (the browser's)."
    )

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"

    def channel_enabled(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_enabled", True))


class WebhookSubscription(models.Model):
    class Scope(models.TextChoices):
        """Whom a payload is redacted for. CUSTOMER: what the customer may read (public
        messages only, every masked or hidden field masked or hidden). STAFF: what the
        subscription's creator may read on the workbench, internal notes included."""

        CUSTOMER = "customer", "Customer-facing"
        STAFF = "staff", "Staff (internal notes, the creator's view)"

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    # Event types delivered to this URL; "*" means all.
    event_types = models.JSONField(default=list)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CUSTOMER)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.url}"

    def wants(self, event_type: str) -> bool:
        return self.active and ("*" in self.event_types or event_type in self.event_types)

    def reader(self):
        """The user whose view the payloads get; None: the strictest (a customer's)."""
        if self.scope == self.Scope.STAFF and self.created_by and self.created_by.is_active:
            return self.created_by
        return None


class InAppMessage(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_inbox"
    )
    # The outbox row that produced it: a redelivered row finds it instead of adding a copy.
    outbox_message = models.OneToOneField(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="inapp"
    )
    event_type = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at"], name="notify_inbox_unread")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


DEFAULT_LANGUAGE = Language.ZH_HANS


class Recipient(models.TextChoices):
    """Who a rule reaches; the tickets app resolves each role for an event (notify.fanout)."""

    ASSIGNEE = "assignee", "Assignee"
    GROUP = "group", "Members of the candidate groups"
    CUSTOMER = "customer", "Customer (requester)"
    MENTIONED = "mentioned", "Mentioned users"
    SUPERVISORS = "supervisors", "Supervisors"


class NotificationRule(models.Model):
    """Which ticket event notifies whom, on which channels, with which texts.

    Seeded with the defaults by a data migration; an admin turns rules on and off and edits
    channels, recipients and texts (RuleTemplate, one per language)."""

    key = models.SlugField(max_length=64, unique=True)
    event_kind = models.CharField(max_length=64, db_index=True)
    # Only these BPMN steps (empty: any); "technician scheduled" is the completion of one.
    bpmn_ids = models.JSONField(default=list, blank=True)
    # Only events whose detail has these values, e.g. {"visibility": "public"}.
    conditions = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    channels = models.JSONField(default=list)
    recipients = models.JSONField(default=list)
    urgent = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["event_kind", "key"]

    def __str__(self) -> str:
        return f"{self.key} ({self.event_kind}, {'on' if self.enabled else 'off'})"

    def matches(self, bpmn_id: str, detail: dict) -> bool:
        if self.bpmn_ids and bpmn_id not in self.bpmn_ids:
            return False
        return all(detail.get(name) == value for name, value in self.conditions.items())


class RuleTemplate(models.Model):
    """Subject and body of one rule in one language (Django template syntax)."""

    rule = models.ForeignKey(NotificationRule, on_delete=models.CASCADE, related_name="templates")
    language = models.CharField(max_length=10, choices=Language.choices)
    subject = models.CharField(max_length=500)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "language"], name="notify_rule_template_unique")
        ]
        ordering = ["rule", "language"]

    def __str__(self) -> str:
        return f"{self.rule.key}/{self.language}"


class MailMessage(models.Model):
    """A Message-ID flowdesk sent or received on a ticket: replies thread by it, and a
    message received twice is recognised."""

    class Direction(models.TextChoices):
        OUT = "out"
        IN = "in"

    message_id = models.CharField(max_length=500, unique=True)
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # The stored original (.eml) of a received message, a path in Django's storage.
    raw_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id}"


class FanoutJob(models.Model):
    """Ticket events waiting to be fanned out to the notification rules: written in the
    ticket action's transaction (one row per action), fanned out after it commits, or by
    the worker's sweep when the process died in between."""

    events = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"fan-out of {len(self.events)} events"
