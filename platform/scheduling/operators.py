"""Scheduling operators for BPMN service tasks.

scheduling.offer_slots   free slots for a service (its skill) in a region and window
scheduling.book          book a slot ("<resource>@<ISO start>", or resource + start)
scheduling.dispatch      the least-loaded technician with the skill in the region that day
scheduling.cancel        cancel the ticket's live appointment(s)

Times are ISO 8601 with an offset; results are plain JSON for the process data.
"""

import datetime as dt

from bpmn.services import ServiceCall, register
from scheduling import actions
from scheduling.models import Booking
from scheduling.queries import resource_by_code, service_by_code
from scheduling.slots import free_slots, qualified

DEFAULT_DAYS = 7
MAX_OFFERED = 50


def _instant(value, name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{name} is not an ISO date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} needs a UTC offset: {value!r}")
    return parsed


def _day(value, name: str) -> dt.datetime:
    """A date ("2026-12-01") is that day from midnight UTC+8 (the default zone)."""
    text = str(value)
    if len(text) == 10:
        return dt.datetime.fromisoformat(text + "T00:00:00+08:00")
    return _instant(text, name)


def booking_json(booking: Booking) -> dict:
    return {
        "appointment_id": booking.id,
        "appointment_start": booking.starts_at.isoformat(),
        "appointment_end": booking.ends_at.isoformat(),
        "appointment_resource": booking.resource.code,
        "technician": booking.resource.user.get_username() if booking.resource.user else "",
    }


@register(
    "scheduling.offer_slots",
    "Free slots of the service (by the skill it needs) in the region, from `since` "
    "(default now) for `days` days (default 7), at most `limit` (default 50).",
    params=("service", "region", "since", "days", "limit"),
)
def offer_slots(params: dict, call: ServiceCall) -> dict:
    service = service_by_code(params.get("service") or call.data.get("appointment_service"))
    since = _instant(params["since"], "since") if params.get("since") else dt.datetime.now(dt.UTC)
    days = int(params.get("days") or DEFAULT_DAYS)
    limit = min(int(params.get("limit") or MAX_OFFERED), MAX_OFFERED)
    resources = qualified(service, str(params.get("region") or ""))
    slots = free_slots(resources, service, since, since + dt.timedelta(days=days))[:limit]
    return {
        "slots": [
            {"key": s.key, "start": s.start.isoformat(), "resource": s.resource.code} for s in slots
        ]
    }


def _ticket(call: ServiceCall) -> dict:
    return {
        "ticket_id": call.instance_id,
        "ticket_number": str(call.data.get("ticket_number") or ""),
        "notify_address": str(call.data.get("appointment_notify") or ""),
    }


@register(
    "scheduling.book",
    "Book a slot for the ticket: `slot` as offered (resource@start) or `resource` + `start`.",
    params=("service", "slot", "resource", "start"),
)
def book(params: dict, call: ServiceCall) -> dict:
    service = service_by_code(params.get("service") or call.data.get("appointment_service"))
    if params.get("slot"):
        code, _at, start = str(params["slot"]).partition("@")
    else:
        code, start = params.get("resource"), params.get("start")
    booking = actions.do_book(
        resource_by_code(code), _instant(start, "start"), service, **_ticket(call)
    )
    return booking_json(booking)


@register(
    "scheduling.dispatch",
    "Book the least-loaded technician with the service's skill in the region on `day` "
    "(at `start` if given, else their earliest free slot).",
    params=("service", "region", "day", "start"),
)
def dispatch(params: dict, call: ServiceCall) -> dict:
    service = service_by_code(params.get("service") or call.data.get("appointment_service"))
    start = _instant(params["start"], "start") if params.get("start") else None
    day = _day(params.get("day") or (start or dt.datetime.now(dt.UTC)).date().isoformat(), "day")
    region = str(params.get("region") or call.data.get("region") or "")
    booking = actions.do_dispatch(service, region, day, start=start, **_ticket(call))
    return booking_json(booking)


@register(
    "scheduling.cancel",
    "Cancel the ticket's appointments not yet started (or the one `appointment_id`).",
    params=("appointment_id",),
)
def cancel(params: dict, call: ServiceCall) -> dict:
    ids = (
        [int(params["appointment_id"])]
        if params.get("appointment_id")
        else list(
            Booking.objects.filter(
                ticket_id=call.instance_id, status=Booking.Status.BOOKED
            ).values_list("id", flat=True)
        )
    )
    for booking_id in ids:
        actions.do_cancel(booking_id)
    return {"cancelled": len(ids)}
