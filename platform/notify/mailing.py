"""E-mail that threads: the Message-ID and reply address of what flowdesk sends about a
ticket, and the record of every Message-ID sent or received (notify.models.MailMessage).

A reply comes back to `support+SV-2026-000123@…` (FLOWDESK_REPLY_ADDRESS with the ticket
number as plus tag) and names our Message-ID in In-Reply-To/References; intake matches
either (intake.actions.do_ingest_email)."""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction

from notify.models import MailMessage


def reply_address(number: str | None) -> str:
    base = getattr(settings, "FLOWDESK_REPLY_ADDRESS", "") or settings.DEFAULT_FROM_EMAIL
    if not number or "@" not in base:
        return base
    local, domain = base.rsplit("@", 1)
    return f"{local}+{number}@{domain}"


def mail_domain() -> str:
    base = getattr(settings, "FLOWDESK_REPLY_ADDRESS", "") or settings.DEFAULT_FROM_EMAIL
    return base.rsplit("@", 1)[-1] if "@" in base else "flowdesk.localhost"


def outgoing_message_id(delivery_key: str, number: str | None) -> str:
    """Stable for one outbox row: a retried delivery sends the same Message-ID."""
    digest = hashlib.sha256(delivery_key.encode()).hexdigest()[:24]
    return f"<{digest}.{number or 'flowdesk'}@{mail_domain()}>"


def ticket_of_message(message_ids: list[str]) -> int | None:
    """The ticket a reply belongs to, by the Message-IDs it answers (nearest first)."""
    if not message_ids:
        return None
    known = dict(
        MailMessage.objects.filter(message_id__in=message_ids, ticket_id__isnull=False).values_list(
            "message_id", "ticket_id"
        )
    )
    return next((known[m] for m in message_ids if m in known), None)


def last_received(ticket_id: int) -> str:
    """The latest Message-ID received on the ticket: what our next mail answers."""
    row = (
        MailMessage.objects.filter(ticket_id=ticket_id, direction=MailMessage.Direction.IN)
        .order_by("-id")
        .values_list("message_id", flat=True)
        .first()
    )
    return row or ""


def seen(message_id: str) -> bool:
    return bool(message_id) and MailMessage.objects.filter(message_id=message_id).exists()


def do_record_mail(message_id: str, *, ticket_id: int | None, direction: str, raw_path: str = ""):
    """Remember a Message-ID; False when it was known already (a duplicate)."""
    if not message_id:
        return True
    try:
        with transaction.atomic():
            MailMessage.objects.create(
                message_id=message_id[:500],
                ticket_id=ticket_id,
                direction=direction,
                raw_path=raw_path,
            )
    except IntegrityError:
        return False
    return True
