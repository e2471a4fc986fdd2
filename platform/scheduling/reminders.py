"""Reminders before appointments: a sweep claims the bookings whose reminder time has come
(a conditional UPDATE, so two workers never remind twice) and queues a notification to the
resource's user and the address the booking carries, through notify's outbox. Each reads
it in one language: the user in the one they chose, an address (the customer's phone or
e-mail, whose language nobody recorded) in the deployment's LANGUAGE_CODE."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from notify.actions import do_notify
from notify.preferences import chosen_language
from scheduling.models import Booking

BATCH = 100
EVENT = "appointment.reminder"
SUBJECT = gettext_noop("[{{ ticket }}] Appointment reminder: {{ start }}")
BODY = gettext_noop("Your appointment: {{ service }}, {{ start }}, {{ resource }}.")


def _texts(language: str) -> tuple[str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        return _(SUBJECT), _(BODY)


def _remind(booking: Booking) -> int:
    local = timezone.localtime(booking.starts_at)
    context = {
        "ticket": booking.ticket_number,
        "service": booking.service.name if booking.service else "",
        "start": local.strftime("%Y-%m-%d %H:%M"),
        "resource": booking.resource.name,
    }
    rows = []
    user = booking.resource.user
    if user is not None:
        subject, body = _texts(chosen_language(user))
        rows += do_notify(
            EVENT,
            ticket_id=booking.ticket_id,
            users=[user],
            context=context,
            subject=subject,
            body=body,
            idempotency_key=f"appointment-{booking.id}-reminder",
            webhooks=False,
        )
    if booking.notify_address:
        subject, body = _texts("")
        rows += do_notify(
            EVENT,
            ticket_id=booking.ticket_id,
            addresses=[booking.notify_address],
            context=context,
            subject=subject,
            body=body,
            idempotency_key=f"appointment-{booking.id}-reminder-address",
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
