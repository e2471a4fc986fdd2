"""The organization that work is routed to: departments, skills, agents' duty and capacity,
groups' supervisors and business calendars. Writers live in org.actions."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from org.hours import HoursError, check_time_zone, parse_intervals, parse_week

DEFAULT_CAPACITY = 10  # open tasks an agent without a profile may hold


class BusinessCalendar(models.Model):
    """Working hours per weekday in one time zone. No hours configured means 24x7."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}; a weekday left out is a day off.
    hours = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            check_time_zone(self.time_zone)
            parse_week(self.hours)
        except HoursError as exc:
            raise ValidationError(str(exc)) from exc


class CalendarException(models.Model):
    """A date that does not follow the weekly hours: a holiday, or a make-up workday (调休)
    such as a Sunday worked to bridge a holiday week."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday"
        WORKDAY = "workday"

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    # Overrides the day's hours: a shortened holiday eve, or a make-up day's own hours.
    # Empty: a holiday has no hours; a workday works the calendar's standard day.
    hours = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique")
        ]
        ordering = ["calendar", "date"]

    def __str__(self) -> str:
        return f"{self.calendar} {self.date} {self.kind}"

    def clean(self) -> None:
        try:
            parse_intervals(self.hours or [], str(self.date))
        except HoursError as exc:
            raise ValidationError(str(exc)) from exc


class SkillTag(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Department(models.Model):
    """A node of the org tree. `region` marks the department that manages a sales/service
    region (its head is that region's manager)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="departments"
    )
    region = models.CharField(max_length=60, blank=True, db_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["Department"]:
        """Parent first, root last."""
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class AgentProfile(models.Model):
    """Routing facts of one user. A user without a profile counts as on duty with
    DEFAULT_CAPACITY, so a fresh deployment routes before anyone fills profiles in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    on_duty = models.BooleanField(default=True)
    capacity = models.PositiveIntegerField(default=DEFAULT_CAPACITY)  # max open tasks
    region = models.CharField(max_length=60, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_agents",
    )
    skills = models.ManyToManyField(SkillTag, blank=True, related_name="agents")
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"profile of {self.user}"


class GroupProfile(models.Model):
    """Routing facts of one role/team (an auth Group): who supervises it, where its work
    escalates, and which calendar its SLA clocks run on."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="org_profile")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_groups",
    )
    escalation_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"profile of {self.group}"


class RoundRobinCursor(models.Model):
    """Whose turn it is in a group, where the database has no sequences (SQLite; see
    org.turns: PostgreSQL keeps the number in a sequence per group). Turn k starts at
    member (k - 1) mod n in username order and goes to the first eligible member from
    there on."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="rr_cursor")
    turns = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"round-robin cursor of {self.group}"
