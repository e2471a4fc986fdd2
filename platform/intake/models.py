"""Which templates the public may use: a process key is reachable at /intake/<key>/ only
while it is published here, with its own hourly submission limit."""

from django.conf import settings
from django.db import models
from django.utils import timezone

DEFAULT_RATE_PER_HOUR = 120


class PublicForm(models.Model):
    process_key = models.CharField(max_length=200, unique=True)
    enabled = models.BooleanField(default=True)
    # Submissions per hour over all visitors (each address also has its per-minute limit).
    rate_limit_per_hour = models.PositiveIntegerField(default=DEFAULT_RATE_PER_HOUR)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["process_key"]

    def __str__(self) -> str:
        return f"/intake/{self.process_key}/ ({'on' if self.enabled else 'off'})"
