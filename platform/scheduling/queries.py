"""Read paths: resources and services by code, a ticket's appointments."""

from django.utils.translation import gettext as _

from scheduling.errors import NotFound
from scheduling.models import Booking, Resource, Service


def service_by_code(code) -> Service:
    service = Service.objects.select_related("skill").filter(code=str(code or "")).first()
    if service is None:
        raise NotFound(_("Unknown appointment service %(code)s.") % {"code": code})
    return service


def resource_by_code(code) -> Resource:
    resource = (
        Resource.objects.select_related("calendar", "user")
        .prefetch_related("calendar__exceptions")
        .filter(code=str(code or ""))
        .first()
    )
    if resource is None:
        raise NotFound(_("Unknown resource %(code)s.") % {"code": code})
    return resource


def bookings_of(ticket_id: int) -> list[Booking]:
    return list(
        Booking.objects.filter(ticket_id=ticket_id).select_related(
            "resource", "resource__user", "service"
        )
    )


def live_booking_of(ticket_id: int) -> Booking | None:
    return next((b for b in reversed(bookings_of(ticket_id)) if b.active), None)
