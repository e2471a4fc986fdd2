"""Settlement endpoints under /api/v1/pricing/settlements (scopes pricing:read /
pricing:write; finance and process owners): compute, confirm, payments, credit notes and
refunds. Money in and out is a JSON string with two decimals."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from integrations.auth import require_scope
from integrations.idempotency import idempotent
from pricing.actions import (
    PaymentConflict,
    PricingInputError,
    SettlementLocked,
    do_confirm_settlement,
    do_record_payment,
    do_settle,
)
from pricing.api import ErrorOut, _writer
from pricing.balance import balance_of, payment_status, refunded_of
from pricing.corrections import do_issue_credit_note, do_refund_payment
from pricing.models import CreditNote, Payment, Settlement
from pricing.rules import DIMENSIONS

router = Router(tags=["pricing"])


class LineOut(Schema):
    position: int
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


class CreditLineOut(Schema):
    position: int  # the statement line it takes back
    description: str
    amount: Decimal
    tax: Decimal


class CreditNoteOut(Schema):
    number: str
    ticket_id: str
    reason: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    created_at: str
    lines: list[CreditLineOut]


class RefundOut(Schema):
    id: int
    key: str
    amount: Decimal
    reason: str
    reference: str
    refunded_at: str


class PaymentRowOut(Schema):
    id: int
    key: str
    amount: Decimal
    method: str
    reference: str
    received_at: str
    status: str  # received, partially_refunded, refunded
    refunded: Decimal
    refunds: list[RefundOut]


class SettlementOut(Schema):
    ticket_id: str
    status: str  # draft or confirmed
    standing: str  # unpaid, partially_paid, paid, credited, refund_due, (partially_)refunded
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
    credited: Decimal  # the credit notes' totals (negative)
    net_total: Decimal
    payment_method: str
    plan: str
    paid: Decimal
    refunded: Decimal
    outstanding: Decimal  # negative: a refund is due
    lines: list[LineOut]
    schedule: list[DueOut]
    credit_notes: list[CreditNoteOut]
    payments: list[PaymentRowOut]


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


HEADER_FIELDS = (
    "ticket_id",
    "status",
    "currency",
    "region",
    "region_coefficient",
    "customer_tier",
    "tier_discount_rate",
    "decision_id",
    "decision_version",
    "dimensions",
    "subtotal",
    "tax",
    "total",
    "payment_method",
    "plan",
)


def credit_note_out(note: CreditNote) -> dict:
    return {
        "number": note.number,
        "ticket_id": note.settlement.ticket_id,
        "reason": note.reason,
        "subtotal": note.subtotal,
        "tax": note.tax,
        "total": note.total,
        "created_at": note.created_at.isoformat(),
        "lines": [
            {
                "position": x.line.position,
                "description": x.description,
                "amount": x.amount,
                "tax": x.tax,
            }
            for x in note.lines.all()
        ],
    }


def payment_row_out(payment: Payment) -> dict:
    refunds = list(payment.refunds.all())
    return {
        "id": payment.id,
        "key": payment.key,
        "amount": payment.amount,
        "method": payment.method,
        "reference": payment.reference,
        "received_at": payment.received_at.isoformat(),
        "status": payment_status(payment),
        "refunded": refunded_of(payment),
        "refunds": [
            {
                "id": r.id,
                "key": r.key,
                "amount": r.amount,
                "reason": r.reason,
                "reference": r.reference,
                "refunded_at": r.refunded_at.isoformat(),
            }
            for r in refunds
        ],
    }


def settlement_out(s: Settlement) -> dict:
    notes = list(s.credit_notes.select_related("settlement").prefetch_related("lines__line"))
    payments = list(s.payments.prefetch_related("refunds"))
    balance = balance_of(s, payments, notes)
    return {
        **{f: getattr(s, f) for f in HEADER_FIELDS},
        "standing": balance.standing,
        "credited": balance.credited,
        "net_total": balance.net_total,
        "paid": balance.paid,
        "refunded": balance.refunded,
        "outstanding": balance.outstanding,
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
        "credit_notes": [credit_note_out(n) for n in notes],
        "payments": [payment_row_out(p) for p in payments],
    }


def _missing(ticket_ref: str):
    return 404, {"detail": f"{ticket_ref} has no settlement"}


@router.get(
    "/pricing/settlements/{ticket_ref}",
    response={200: SettlementOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:read")
def get_settlement(request: HttpRequest, ticket_ref: str):
    """A ticket's settlement statement with its credit notes, payments and refunds."""
    _writer(request)
    settlement = Settlement.objects.filter(ticket_id=ticket_ref).first()
    if settlement is None:
        return _missing(ticket_ref)
    return 200, settlement_out(settlement)


@router.put(
    "/pricing/settlements/{ticket_ref}",
    response={200: SettlementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
)
@require_scope("pricing:write")
def put_settlement(request: HttpRequest, ticket_ref: str, body: SettleIn):
    """Compute the ticket's draft settlement (again); 409 once it is confirmed (correct it
    with a credit note)."""
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
        return _missing(ticket_ref)
    except SettlementLocked as exc:
        return 409, {"detail": str(exc)}
    return 200, settlement_out(settlement)


class CreditLineIn(Schema):
    position: int
    amount: Decimal


class CreditNoteIn(Schema):
    reason: str
    lines: list[CreditLineIn] | None = None  # none: everything not yet credited


@router.post(
    "/pricing/settlements/{ticket_ref}/credit-notes",
    response={201: CreditNoteOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
@require_scope("pricing:write")
@idempotent
def issue_credit_note(request: HttpRequest, ticket_ref: str, body: CreditNoteIn):
    """Correct a confirmed statement: a credit note taking back amounts of its lines (or all
    of it), with its own number; 409 for a draft (settle it again instead)."""
    _writer(request)
    lines = None
    if body.lines is not None:
        lines = [{"position": x.position, "amount": x.amount} for x in body.lines]
    try:
        note = do_issue_credit_note(ticket_ref, reason=body.reason, lines=lines, by=request.user)
    except Settlement.DoesNotExist:
        return _missing(ticket_ref)
    except SettlementLocked as exc:
        return 409, {"detail": str(exc)}
    except PricingInputError as exc:
        return 400, {"detail": str(exc)}
    issued = CreditNote.objects.select_related("settlement").prefetch_related("lines__line")
    return 201, credit_note_out(issued.get(id=note.id))


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
        return _missing(ticket_ref)
    except (PaymentConflict, SettlementLocked) as exc:
        return 409, {"detail": str(exc)}
    except PricingInputError as exc:
        return 400, {"detail": str(exc)}
    balance = balance_of(payment.settlement)
    out = {
        "id": payment.id,
        "key": payment.key,
        "amount": payment.amount,
        "method": payment.method,
        "reference": payment.reference,
        "paid": balance.net_paid,
        "outstanding": balance.outstanding,
    }
    return (201 if created else 200), out


class RefundIn(Schema):
    amount: Decimal
    reason: str
    reference: str = ""


@router.post(
    "/pricing/settlements/{ticket_ref}/payments/{payment_id}/refunds",
    response={
        200: PaymentRowOut,
        201: PaymentRowOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
@require_scope("pricing:write")
def refund_payment(request: HttpRequest, ticket_ref: str, payment_id: int, body: RefundIn):
    """Give back money of a payment (header ``Idempotency-Key`` required), never more than
    was paid with it; answers with the payment, now refunded or partially refunded."""
    _writer(request)
    try:
        refund, created = do_refund_payment(
            ticket_ref,
            payment_id,
            key=request.headers.get("Idempotency-Key", ""),
            amount=body.amount,
            reason=body.reason,
            reference=body.reference,
        )
    except Settlement.DoesNotExist:
        return _missing(ticket_ref)
    except Payment.DoesNotExist as exc:
        return 404, {"detail": str(exc)}
    except PaymentConflict as exc:
        return 409, {"detail": str(exc)}
    except PricingInputError as exc:
        return 400, {"detail": str(exc)}
    return (201 if created else 200), payment_row_out(refund.payment)
