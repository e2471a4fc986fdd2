"""Bookable resources (a technician, a room, a bay), the services booked on them and the
bookings themselves.

Two bookings of one resource never overlap: on PostgreSQL an exclusion constraint
(btree_gist, `tstzrange(starts_at, ends_at) &&` per resource, cancelled ones excepted,
migration 0002) refuses the second of two concurrent writers; elsewhere a unique
(resource, starts_at) plus the overlap check inside the booking transaction does.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Resource(models.Model):
    class Kind(models.TextChoices):
        TECHNICIAN = "technician"
        ROOM = "room"
        BAY = "bay"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TECHNICIAN)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduling_resources",
    )
    skills = models.ManyToManyField("org.SkillTag", blank=True, related_name="resources")
    region = models.CharField(max_length=60, blank=True, db_index=True)
    # The shift calendar its slots come from; without one the resource offers no slots.
    calendar = models.ForeignKey(
        "org.BusinessCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """What a customer books: its length is the slot length, its skill who may do it."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    minutes = models.PositiveIntegerField(default=60)
    skill = models.ForeignKey(
        "org.SkillTag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resource_kind = models.CharField(
        max_length=12, choices=Resource.Kind.choices, default=Resource.Kind.TECHNICIAN
    )
    remind_minutes = models.PositiveIntegerField(default=24 * 60)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked"
        CHECKED_IN = "checked_in"
        DONE = "done"
        CANCELLED = "cancelled"

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ticket_number = models.CharField(max_length=40, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the reminder goes besides the resource's user: "sms:138…", "email:…".
    notify_address = models.CharField(max_length=200, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "starts_at"],
                condition=~Q(status="cancelled"),
                name="booking_one_start_per_resource",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "starts_at"], name="booking_resource_idx"),
            models.Index(fields=["status", "remind_at"], name="booking_reminder_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def active(self) -> bool:
        return self.status != self.Status.CANCELLED
