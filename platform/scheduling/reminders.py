"""Reminders before appointments: a sweep claims the bookings whose reminder time has come
(a conditional UPDATE, so two workers never remind twice) and queues a notification to the
resource's user and the address the booking carries, through notify's outbox."""

from django.db import transaction
from django.utils import timezone

from notify.actions import do_notify
from scheduling.models import Booking

BATCH = 100
EVENT = "appointment.reminder"
SUBJECT = "[{{ ticket }}] 预约提醒 Appointment reminder: {{ start }}"
BODY = (
    "您的预约：{{ service }}，{{ start }}，{{ resource }}。\n"
    "Your appointment: {{ service }}, {{ start }}, {{ resource }}."
)


def _remind(booking: Booking) -> int:
    local = timezone.localtime(booking.starts_at)
    context = {
        "ticket": booking.ticket_number,
        "service": booking.service.name if booking.service else "",
        "start": local.strftime("%Y-%m-%d %H:%M"),
        "resource": booking.resource.name,
    }
    rows = do_notify(
        EVENT,
        ticket_id=booking.ticket_id,
        users=[booking.resource.user] if booking.resource.user else [],
        addresses=[booking.notify_address] if booking.notify_address else [],
        context=context,
        subject=SUBJECT,
        body=BODY,
        idempotency_key=f"appointment-{booking.id}-reminder",
        webhooks=False,
    )
    return len(rows)


def send_due_reminders(now=None) -> int:
    """Queue the reminders due by now; returns how many bookings were reminded."""
    now = now or timezone.now()
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED, remind_at__lte=now, reminded_at=None, starts_at__gt=now
    ).select_related("resource__user", "service")[:BATCH]
    sent = 0
    for booking in due:
        with transaction.atomic():
            claimed = Booking.objects.filter(id=booking.id, reminded_at=None).update(
                reminded_at=now
            )
            if claimed:
                _remind(booking)
                sent += 1
    return sent
