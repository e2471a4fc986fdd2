"""API tokens and idempotency keys.

A token is shown once as ``fd_<key_id>_<secret>``; only its SHA-256 is stored. ``key_id`` is a
public, random handle (it names the token in lists, logs and rate-limit counters).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

SCOPES = (
    "tickets:read",
    "tickets:write",
    "tasks:write",
    "messages:write",
    "processes:read",
    "processes:deploy",
    "decisions:publish",
    "webhooks:manage",
    "pricing:read",
    "pricing:write",
    "knowledge:read",
    "knowledge:write",
    "appointments:read",
    "appointments:write",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_id = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Requests per minute for this token; empty: settings.FLOWDESK_API_RATE_PER_MIN. A load
    # test or a trusted back-office integration gets its own, higher rate.
    rate_per_min = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None or not self.user.is_active:
            return False
        return self.expires_at is None or self.expires_at > now

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyKey(models.Model):
    """One creating call under an Idempotency-Key: claimed first (in progress), then the
    response it produced is stored and replayed to repeats of the same request."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    owner = models.CharField(max_length=40)  # "token:<key_id>" or "user:<id>"
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key} ({self.state})"
