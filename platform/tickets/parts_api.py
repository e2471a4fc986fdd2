"""A ticket's part reservations under /api/v1/pricing/reservations (scopes pricing:read /
pricing:write). They live here, above pricing, because reading them is reading the ticket:
the caller must see the ticket (tickets.access, a 404 otherwise, as for every ticket
endpoint), unless they keep the stock (finance, process owners), who reserve, release and
consume parts for any ticket and so read them all. A ticket is named by its number or id;
reservations are kept under its number, and a reference that names no ticket is a 404."""

from django.http import HttpRequest
from ninja import Router, Schema

from integrations.auth import require_scope
from integrations.errors import ApiError
from pricing.actions import (
    InsufficientStock,
    UnknownStock,
    do_consume_reservations,
    do_release_reservations,
    do_reserve_part,
    may_edit_catalog,
)
from pricing.api import ErrorOut, _writer
from pricing.models import Reservation
from pricing.queries import reservations_of
from tickets.access import access_ticket
from tickets.models import Ticket

router = Router(tags=["pricing"])


class ReserveIn(Schema):
    ticket_id: str
    sku: str
    warehouse: str
    quantity: int


class ReservationOut(Schema):
    id: int
    ticket_id: str
    sku: str
    warehouse: str
    quantity: int
    state: str


class CloseIn(Schema):
    reservation_ids: list[int] | None = None  # none: all the ticket's held reservations


def _reservation_out(r: Reservation) -> dict:
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "sku": r.stock.part.sku,
        "warehouse": r.stock.warehouse.code,
        "quantity": r.quantity,
        "state": r.state,
    }


def _readable_ref(user, ticket_ref: str) -> str | None:
    """The reference reservations are kept under (the ticket's number) when ``user`` may
    read them, else None."""
    try:
        return access_ticket(user, ticket_ref).number
    except Ticket.DoesNotExist:
        return ticket_ref if may_edit_catalog(user) else None


def _ticket_number(ticket_ref: str) -> str:
    """The number of the ticket `ticket_ref` names (its number or id), for stock keepers;
    ApiError 404 when it names none."""
    ref = str(ticket_ref)
    if ref.isdigit() and len(ref) <= 18:
        found = Ticket.objects.filter(id=int(ref))
    else:
        found = Ticket.objects.filter(number=ref)
    number = found.values_list("number", flat=True).first()
    if number is None:
        raise ApiError(404, f"ticket {ticket_ref} not found")
    return number


@router.post(
    "/pricing/reservations",
    response={201: ReservationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
@require_scope("pricing:write")
def reserve(request: HttpRequest, body: ReserveIn):
    """Reserve parts for a ticket; 409 when the warehouse has too few available."""
    _writer(request)
    try:
        reservation = do_reserve_part(
            ticket_id=_ticket_number(body.ticket_id),
            sku=body.sku,
            warehouse=body.warehouse,
            quantity=body.quantity,
        )
    except UnknownStock as exc:
        return 404, {"detail": str(exc)}
    except InsufficientStock as exc:
        return 409, {"detail": str(exc)}
    except ValueError as exc:
        return 400, {"detail": str(exc)}
    return 201, _reservation_out(reservation)


@router.get("/pricing/reservations", response={200: list[ReservationOut], 404: ErrorOut})
@require_scope("pricing:read")
def list_reservations(request: HttpRequest, ticket_id: str):
    """A ticket's reservations in every state (by the ticket's number or id); 404 for a
    ticket the caller may not see."""
    ref = _readable_ref(request.user, ticket_id)
    if ref is None:
        return 404, {"detail": f"ticket {ticket_id} not found"}
    return 200, [_reservation_out(r) for r in reservations_of(ref)]


def _close(request, ticket_id: str, body: CloseIn, action):
    _writer(request)
    closed = action(_ticket_number(ticket_id), body.reservation_ids)
    return [_reservation_out(r) for r in closed]


CLOSED = {200: list[ReservationOut], 403: ErrorOut, 404: ErrorOut}


@router.post("/pricing/reservations/{ticket_id}/release", response=CLOSED)
@require_scope("pricing:write")
def release(request: HttpRequest, ticket_id: str, body: CloseIn):
    """Give back a ticket's held parts (all, or the listed reservations)."""
    return _close(request, ticket_id, body, do_release_reservations)


@router.post("/pricing/reservations/{ticket_id}/consume", response=CLOSED)
@require_scope("pricing:write")
def consume(request: HttpRequest, ticket_id: str, body: CloseIn):
    """Book a ticket's held parts as used (they leave the stock)."""
    return _close(request, ticket_id, body, do_consume_reservations)
