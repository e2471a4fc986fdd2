"""Read paths of the in-app inbox and the outbox."""

from django.db import connection

from notify.models import InAppMessage, OutboxMessage


def inbox(user, *, unread_only: bool = False, after_id: int = 0, limit: int = 50) -> list:
    messages = InAppMessage.objects.filter(user=user, id__gt=after_id)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    if after_id:
        return list(messages.order_by("id")[:limit])
    return list(messages.order_by("-id")[:limit])


def centre_page(user, *, unread_only: bool, before_id: int, limit: int):
    """One page of the notification centre, newest first, and the id to continue before
    (None on the last page)."""
    messages = InAppMessage.objects.filter(user=user)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    if before_id:
        messages = messages.filter(id__lt=before_id)
    page = list(messages.order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].id if more else None)


def unread_count(user) -> int:
    return InAppMessage.objects.filter(user=user, read_at__isnull=True).count()


def latest_inbox_id(user) -> int:
    latest = InAppMessage.objects.filter(user=user).order_by("-id").values_list("id", flat=True)
    return latest.first() or 0


def bell(user) -> tuple[int, int]:
    """(unread_count, latest_inbox_id) in one statement: the bell of every page (written
    out, as the ORM's two querysets cost more to build than to run)."""
    table = connection.ops.quote_name(InAppMessage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table} WHERE user_id = %s AND read_at IS NULL), "
            f"(SELECT id FROM {table} WHERE user_id = %s ORDER BY id DESC LIMIT 1)",
            [user.id, user.id],
        )
        count, latest = cursor.fetchone()
    return count, latest or 0


def inbox_item(message: InAppMessage) -> dict:
    return {
        "id": message.id,
        "event": message.event_type,
        "title": message.title,
        "body": message.body,
        "link": message.link,
        "ticket_id": message.ticket_id,
        "created_at": message.created_at.isoformat(),
        "read": message.read_at is not None,
    }


def outbox_for_ticket(ticket_id: int) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(ticket_id=ticket_id).order_by("id"))
