"""Catalog and stock endpoints under /api/v1/pricing (scopes pricing:read / pricing:write)."""

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from integrations.auth import require_scope
from integrations.errors import ApiError
from pricing import catalogs, csvio, simulate
from pricing.actions import (
    InsufficientStock,
    PaymentConflict,
    PricingInputError,
    SettlementLocked,
    UnknownStock,
    do_confirm_settlement,
    do_consume_reservations,
    do_import_catalog,
    do_record_payment,
    do_release_reservations,
    do_reserve_part,
    do_settle,
    may_edit_catalog,
    paid_amount,
)
from pricing.models import (
    CustomerTier,
    Part,
    Region,
    Reservation,
    ServiceItem,
    Settlement,
    StockLevel,
)
from pricing.rules import DIMENSIONS

router = Router(tags=["pricing"])


class ErrorOut(Schema):
    detail: str


class RowErrorOut(Schema):
    line: int
    column: str
    message: str


class ImportOut(Schema):
    kind: str
    rows: int
    created: int
    updated: int
    errors: list[RowErrorOut]


class ImportErrorOut(Schema):
    detail: str
    report: ImportOut


class TierBreakOut(Schema):
    min_qty: int
    unit_price: Decimal


class ServiceOut(Schema):
    code: str
    name: str
    category: str
    unit: str
    base_price: Decimal
    labour_hours: Decimal
    tier_breaks: list[TierBreakOut]
    tax_rate: Decimal


class StockOut(Schema):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class PartOut(Schema):
    sku: str
    name: str
    category: str
    unit_cost: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    reorder_level: int
    stock: list[StockOut]


class RegionOut(Schema):
    code: str
    name: str
    coefficient: Decimal


class TierOut(Schema):
    code: str
    name: str
    discount_rate: Decimal


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


def _writer(request) -> None:
    if not may_edit_catalog(request.user):
        raise ApiError(403, "you may not change the pricing catalogs")


def _kind(kind: str) -> catalogs.Kind:
    try:
        return catalogs.KINDS[kind]
    except KeyError:
        raise ApiError(
            404, f"unknown catalog {kind!r}; one of {', '.join(catalogs.KINDS)}"
        ) from None


def _reservation_out(r: Reservation) -> dict:
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "sku": r.stock.part.sku,
        "warehouse": r.stock.warehouse.code,
        "quantity": r.quantity,
        "state": r.state,
    }


@router.get("/pricing/services", response=list[ServiceOut])
@require_scope("pricing:read")
def list_services(request: HttpRequest):
    """Active service items with their tier breaks."""
    return list(ServiceItem.objects.filter(active=True))


@router.get("/pricing/parts", response=list[PartOut])
@require_scope("pricing:read")
def list_parts(request: HttpRequest):
    """Parts with stock per warehouse (on hand, reserved, available)."""
    stock = {}
    for s in StockLevel.objects.select_related("warehouse"):
        stock.setdefault(s.part_id, []).append(
            {
                "warehouse": s.warehouse.code,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "available": s.available,
            }
        )
    return [
        {**{f: getattr(p, f) for f in catalogs.PART_CELLS}, "stock": stock.get(p.id, [])}
        for p in Part.objects.all()
    ]


@router.get("/pricing/regions", response=list[RegionOut])
@require_scope("pricing:read")
def list_regions(request: HttpRequest):
    """Regions and their price coefficients."""
    return list(Region.objects.all())


@router.get("/pricing/tiers", response=list[TierOut])
@require_scope("pricing:read")
def list_tiers(request: HttpRequest):
    """Customer tiers and their discount rates."""
    return list(CustomerTier.objects.all())


@router.get("/pricing/catalogs/{kind}/export", response={200: None, 404: ErrorOut})
@require_scope("pricing:read")
def export_catalog(request: HttpRequest, kind: str):
    """The catalog as CSV (UTF-8 with BOM; formula-like cells escaped with an apostrophe)."""
    body = "\ufeff" + catalogs.export_csv(_kind(kind))
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@router.post(
    "/pricing/catalogs/{kind}/import",
    response={200: ImportOut, 400: ImportErrorOut | ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:write")
def import_catalog(request: HttpRequest, kind: str, file: File[UploadedFile]):
    """Import a CSV (multipart field ``file``): all rows or none; 400 lists the bad rows."""
    _writer(request)
    _kind(kind)
    try:
        report = do_import_catalog(kind, file.read(csvio.MAX_BYTES + 1), by=request.user)
    except csvio.CsvFileError as exc:
        return 400, {"detail": str(exc)}
    if not report.ok:
        return 400, {
            "detail": f"{len(report.errors)} problem(s); nothing was imported",
            "report": report.as_dict(),
        }
    return 200, report.as_dict()


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
            ticket_id=body.ticket_id, sku=body.sku, warehouse=body.warehouse, quantity=body.quantity
        )
    except UnknownStock as exc:
        return 404, {"detail": str(exc)}
    except InsufficientStock as exc:
        return 409, {"detail": str(exc)}
    except ValueError as exc:
        return 400, {"detail": str(exc)}
    return 201, _reservation_out(reservation)


@router.get("/pricing/reservations", response=list[ReservationOut])
@require_scope("pricing:read")
def list_reservations(request: HttpRequest, ticket_id: str):
    """A ticket's reservations in every state."""
    rows = Reservation.objects.filter(ticket_id=ticket_id).select_related(
        "stock__part", "stock__warehouse"
    )
    return [_reservation_out(r) for r in rows]


def _close(request, ticket_id: str, body: CloseIn, action):
    _writer(request)
    closed = action(ticket_id, body.reservation_ids)
    return [_reservation_out(r) for r in closed]


@router.post(
    "/pricing/reservations/{ticket_id}/release", response={200: list[ReservationOut], 403: ErrorOut}
)
@require_scope("pricing:write")
def release(request: HttpRequest, ticket_id: str, body: CloseIn):
    """Give back a ticket's held parts (all, or the listed reservations)."""
    return _close(request, ticket_id, body, do_release_reservations)


@router.post(
    "/pricing/reservations/{ticket_id}/consume", response={200: list[ReservationOut], 403: ErrorOut}
)
@require_scope("pricing:write")
def consume(request: HttpRequest, ticket_id: str, body: CloseIn):
    """Book a ticket's held parts as used (they leave the stock)."""
    return _close(request, ticket_id, body, do_consume_reservations)


class LineOut(Schema):
    kind: str
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal


class DueOut(Schema):
    sequence: int
    label: str
    percent: Decimal | None
    due_date: str
    amount: Decimal


class SettlementOut(Schema):
    ticket_id: str
    status: str
    currency: str
    region: str
    region_coefficient: Decimal
    customer_tier: str
    tier_discount_rate: Decimal
    decision_id: str
    decision_version: str
    dimensions: dict
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    payment_method: str
    plan: str
    paid: Decimal
    outstanding: Decimal
    lines: list[LineOut]
    schedule: list[DueOut]


class ServiceLineIn(Schema):
    code: str
    quantity: int | float | str = 1


class MilestoneIn(Schema):
    label: str = ""
    percent: Decimal
    due_date: str | None = None


class SettleIn(Schema):
    services: list[ServiceLineIn]
    payment_method: str  # cash, card, transfer, wechat_pay, alipay, monthly_account, warranty_free
    region: str = ""
    customer_tier: str = ""
    labour_hours: Decimal | None = None  # labour billed on top of the service items
    labour_rate: Decimal | None = None
    instalments: int | None = None
    milestones: list[MilestoneIn] | None = None
    first_due: str | None = None  # YYYY-MM-DD, default today
    # the pricing decision's inputs: urgency, after_hours, distance_km, warranty_status, ...
    dimensions: dict = {}


COMPUTED = ("lines", "schedule", "paid", "outstanding")


def settlement_out(s: Settlement) -> dict:
    return {
        **{f: getattr(s, f) for f in SettlementOut.model_fields if f not in COMPUTED},
        "paid": (paid := paid_amount(s)),
        "outstanding": s.total - paid,
        "lines": list(s.lines.all()),
        "schedule": [
            {
                "sequence": d.sequence,
                "label": d.label,
                "percent": d.percent,
                "due_date": d.due_date.isoformat(),
                "amount": d.amount,
            }
            for d in s.schedule.all()
        ],
    }


@router.get(
    "/pricing/settlements/{ticket_ref}",
    response={200: SettlementOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:read")
def get_settlement(request: HttpRequest, ticket_ref: str):
    """A ticket's settlement statement (finance and process owners)."""
    _writer(request)
    settlement = Settlement.objects.filter(ticket_id=ticket_ref).first()
    if settlement is None:
        return 404, {"detail": f"{ticket_ref} has no settlement"}
    return 200, settlement_out(settlement)


@router.put(
    "/pricing/settlements/{ticket_ref}",
    response={200: SettlementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
)
@require_scope("pricing:write")
def put_settlement(request: HttpRequest, ticket_ref: str, body: SettleIn):
    """Compute the ticket's draft settlement (again); 409 once it is confirmed."""
    _writer(request)
    try:
        data = body.model_dump(exclude={"dimensions"}, exclude_none=True)
        if not isinstance(body.dimensions, dict):
            raise PricingInputError("dimensions must be an object")
        unknown = sorted(set(body.dimensions) - set(DIMENSIONS))
        if unknown:
            raise PricingInputError(f"unknown pricing dimension(s): {', '.join(unknown)}")
        settlement = do_settle(ticket_ref, {**body.dimensions, **data})
    except SettlementLocked as exc:
        return 409, {"detail": str(exc)}
    except PricingInputError as exc:
        return 400, {"detail": str(exc)}
    return 200, settlement_out(settlement)


@router.post(
    "/pricing/settlements/{ticket_ref}/confirm",
    response={200: SettlementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
@require_scope("pricing:write")
def confirm_settlement(request: HttpRequest, ticket_ref: str):
    """Freeze the statement; its reserved parts are booked as used."""
    _writer(request)
    try:
        settlement = do_confirm_settlement(ticket_ref)
    except Settlement.DoesNotExist:
        return 404, {"detail": f"{ticket_ref} has no settlement"}
    except SettlementLocked as exc:
        return 409, {"detail": str(exc)}
    return 200, settlement_out(settlement)


class SimulationCaseOut(Schema):
    ticket_id: str
    old_version: str
    old_total: Decimal
    new_total: Decimal
    difference: Decimal


class SimulationOut(Schema):
    decision_id: str
    version: int
    status: str
    cases: int
    changed: int
    old_total: Decimal
    new_total: Decimal
    difference: Decimal
    results: list[SimulationCaseOut]


@router.get(
    "/pricing/simulations",
    response={200: SimulationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:read")
def simulate_version(request: HttpRequest, version: int, limit: int = 1000):
    """Old vs new totals of the last ``limit`` settlements (at most 10000) under a version of
    the settlement pricing decision (a draft before publishing), and the aggregate change."""
    _writer(request)
    if not 1 <= limit <= simulate.MAX_CASES:
        return 400, {"detail": f"limit must be between 1 and {simulate.MAX_CASES}"}
    found = simulate.draft_versions().filter(version=version).first()
    if found is None:
        return 404, {"detail": f"{simulate.rules.DECISION_ID} has no version {version}"}
    return 200, simulate.simulate(found, limit)


class PaymentIn(Schema):
    amount: Decimal
    method: str  # cash, card, transfer, wechat_pay, alipay, monthly_account, warranty_free
    reference: str = ""


class PaymentOut(Schema):
    id: int
    key: str
    amount: Decimal
    method: str
    reference: str
    paid: Decimal
    outstanding: Decimal


@router.post(
    "/pricing/settlements/{ticket_ref}/payments",
    response={
        200: PaymentOut,
        201: PaymentOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
@require_scope("pricing:write")
def record_payment(request: HttpRequest, ticket_ref: str, body: PaymentIn):
    """Record money received (header ``Idempotency-Key`` required): the same key again answers
    200 with the first payment and counts once; 201 for a new one."""
    _writer(request)
    try:
        payment, created = do_record_payment(
            ticket_ref,
            key=request.headers.get("Idempotency-Key", ""),
            amount=body.amount,
            method=body.method,
            reference=body.reference,
        )
    except Settlement.DoesNotExist:
        return 404, {"detail": f"{ticket_ref} has no settlement"}
    except (PaymentConflict, SettlementLocked) as exc:
        return 409, {"detail": str(exc)}
    except PricingInputError as exc:
        return 400, {"detail": str(exc)}
    paid = paid_amount(payment.settlement)
    out = {
        "id": payment.id,
        "key": payment.key,
        "amount": payment.amount,
        "method": payment.method,
        "reference": payment.reference,
        "paid": paid,
        "outstanding": payment.settlement.total - paid,
    }
    return (201 if created else 200), out
