"""Tickets: one process instance each, its worklist rows and its append-only timeline."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from definitions.models import ProcessVersion


def _tracking_token() -> str:
    return secrets.token_urlsafe(24)


class Ticket(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    class Channel(models.TextChoices):
        PC = "pc"
        MOBILE = "mobile"
        H5 = "h5"
        WEBFORM = "webform"
        MINIPROGRAM = "miniprogram"
        EMAIL = "email"
        PHONE = "phone"
        API = "api"

    class Priority(models.IntegerChoices):
        LOW = 0
        NORMAL = 1
        HIGH = 2
        URGENT = 3
        VIP = 4

    number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    process_version = models.ForeignKey(
        ProcessVersion, on_delete=models.PROTECT, related_name="tickets"
    )
    title = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    correlation_key = models.CharField(max_length=200, blank=True, db_index=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # Names of the messages the workflow waits for (correlation reads them without loading
    # the engine state, which lives in the ProcessInstance row).
    waiting_messages = models.JSONField(default=list, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True, db_index=True)
    incident = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    lock_version = models.PositiveIntegerField(default=0)
    tracking_token = models.CharField(max_length=64, default=_tracking_token, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Number, title and form values, lower-cased, for text search: written by a database
    # trigger (tickets.triggers), never by the application.
    search_text = models.TextField(blank=True, default="", editable=False)
    # The earliest due time of its open tasks (the list's "due" and "priority" sorts):
    # kept by database triggers (tickets.triggers), never written by the application.
    due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["due_at", "id"], name="ticket_due_idx"),
            models.Index(fields=["-priority", "due_at", "id"], name="ticket_priority_due_idx"),
            # The worklist's "created" and "updated" sorts walk the open tickets from the
            # index alone (the ticket rows are wide), probing each one's open tasks.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status="active"),
                name="ticket_open_created_idx",
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                condition=models.Q(status="active"),
                name="ticket_open_updated_idx",
            ),
            # Searches filtered by channel: intersected with the trigram hits of the text.
            models.Index(fields=["channel"], name="ticket_channel_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"ticket {self.pk}"

    @property
    def state(self) -> str:
        """The serialized engine state (read from the ProcessInstance row)."""
        return self.instance.state


class ProcessInstance(models.Model):
    """The engine state of a ticket, apart from the row that lists, search and timelines
    read: only the engine path (tickets.engine) loads it."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="instance"
    )
    state = models.TextField(blank=True)
    state_format = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"process instance of {self.ticket_id}"


class HumanTask(models.Model):
    """The worklist row of one READY user/manual task; worklists never load workflows."""

    class State(models.TextChoices):
        OPEN = "open"
        CLAIMED = "claimed"
        DONE = "done"
        CANCELLED = "cancelled"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tasks")
    engine_task_id = models.CharField(max_length=36)
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, default="user")
    lane = models.CharField(max_length=200, blank=True)
    form_schema = models.CharField(max_length=300, blank=True)
    form_ui = models.CharField(max_length=300, blank=True)
    instructions = models.TextField(blank=True)
    candidate_groups = models.ManyToManyField(Group, blank=True, related_name="+")
    candidate_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.IntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    # Service level (org.sla): warning/breach marks in business time, the last level sent,
    # the next mark the SLA sweep waits for, and the clock paused while waiting for the
    # customer (request information).
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_marks = models.JSONField(default=list, blank=True)  # [[level, iso time], ...]
    sla_level = models.PositiveSmallIntegerField(default=0)
    next_sla_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.DurationField(default=datetime.timedelta)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "engine_task_id"], name="humantask_engine_task_unique"
            )
        ]
        indexes = [
            models.Index(fields=["state", "assignee", "-priority", "due_at"], name="worklist_idx"),
            # Open tasks per assignee: least-loaded routing and capacity checks count these.
            models.Index(
                fields=["assignee"],
                condition=models.Q(state__in=["open", "claimed"]),
                name="open_tasks_assignee_idx",
            ),
        ]
        ordering = ["-priority", "due_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} / {self.name}"


class TicketEvent(models.Model):
    """Append-only timeline and audit trail."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        HumanTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bpmn_id = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at"], name="timeline_idx")]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.kind}"


class TicketMessage(models.Model):
    """One entry of a ticket's conversation: a public reply (the customer sees it) or an
    internal note (staff only), written by a staff user, the customer or the system."""

    class Visibility(models.TextChoices):
        PUBLIC = "public"
        INTERNAL = "internal"

    class AuthorKind(models.TextChoices):
        STAFF = "staff"
        CUSTOMER = "customer"
        SYSTEM = "system"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_name = models.CharField(max_length=200, blank=True)  # the customer's, as given
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    body = models.TextField()
    source = models.CharField(max_length=16, default="web")  # web, api, portal, email
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ticket", "id"], name="thread_idx")]

    def __str__(self) -> str:
        return f"{self.ticket} {self.visibility} message {self.pk}"

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class MessageAttachment(models.Model):
    """A file sent with a message, kept through the storage API and served only by a view
    that checks the reader (never by a media URL)."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TicketRating(models.Model):
    """The customer's satisfaction rating of a resolved ticket (one per ticket)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.ticket} rated {self.score}"


class PortalLink(models.Model):
    """A one-time link that lists all of a customer's tickets, asked for by e-mail or by
    SMS (the address it went to: `email` or `phone`, normalised): the signed token carries
    the nonce; the row records its use (a second use is refused)."""

    nonce = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"portal link for {self.email or self.phone}"


class TicketRequester(models.Model):
    """Who asked, as they typed it on the form or in the mail. Linking the ticket to a
    customer never changes or hides this; when the phone or e-mail given belongs to a
    known customer under another name, `mismatch` flags the ticket for an agent."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="requester")
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # The language they wrote in (the form's), which messages to them use; blank: unknown.
    language = models.CharField(max_length=10, blank=True)
    mismatch = models.BooleanField(default=False)
    # The known customer whose phone/e-mail was given, and by which key (when flagged).
    matched_customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_by = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.ticket}: {self.name}"
