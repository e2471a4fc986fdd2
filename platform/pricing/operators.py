"""Pricing service operators for BPMN service tasks."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bpmn.services import ServiceCall, register

CENT = Decimal("0.01")


def _money(value, name: str) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise ValueError(f"{name} is not a number: {value!r}") from None


@register(
    "pricing.quote",
    "Labour (hours x rate) plus parts, times the region coefficient, rounded to cents.",
    params=("labor_hours", "labor_rate", "parts_cost", "coefficient"),
)
def quote(params: dict, call: ServiceCall) -> dict:
    hours = _money(params.get("labor_hours"), "labor_hours")
    rate = _money(params.get("labor_rate"), "labor_rate")
    parts = _money(params.get("parts_cost"), "parts_cost")
    coefficient = _money(params.get("coefficient", 1), "coefficient")
    if hours < 0 or rate < 0 or parts < 0 or coefficient <= 0:
        raise ValueError("quote inputs must not be negative")
    labor = (hours * rate).quantize(CENT, ROUND_HALF_UP)
    total = ((labor + parts) * coefficient).quantize(CENT, ROUND_HALF_UP)
    return {"labor": str(labor), "parts": str(parts.quantize(CENT)), "total": str(total)}


SETTLE_KEYS = (
    "services",
    "labour_hours",
    "labour_rate",
    "region",
    "customer_tier",
    "payment_method",
    "instalments",
    "milestones",
    "first_due",
)


@register(
    "pricing.settle",
    "Compute the ticket's draft settlement from catalog items, reserved parts and the "
    "settlement pricing decision; pricing dimensions not given are read from process data.",
    params=SETTLE_KEYS,
)
def settle(params: dict, call: ServiceCall) -> dict:
    from pricing.actions import do_settle
    from pricing.rules import DIMENSIONS

    ticket_ref = _ticket_ref(call, "pricing.settle")
    data = {k: v for k, v in call.data.items() if k in DIMENSIONS or k in SETTLE_KEYS}
    data.update({k: v for k, v in params.items() if v is not None})
    settlement = do_settle(str(ticket_ref), data)
    return {
        "total": str(settlement.total),
        "subtotal": str(settlement.subtotal),
        "tax": str(settlement.tax),
        "currency": settlement.currency,
        "decision_version": settlement.decision_version,
        "payment_method": settlement.payment_method,
        "instalments": [str(d.amount) for d in settlement.schedule.all()],
    }


def _ticket_ref(call: ServiceCall, operator: str) -> str:
    ref = call.data.get("ticket_number") or call.instance_id
    if not ref:
        raise ValueError(f"{operator} runs for a ticket: the process has no ticket number")
    return str(ref)


@register(
    "pricing.reserve",
    "Reserve parts for the ticket: parts is a list of {sku, warehouse, quantity}; all or none "
    "(one short line reserves nothing and the task becomes an incident).",
    params=("parts",),
)
def reserve(params: dict, call: ServiceCall) -> dict:
    from django.db import transaction

    from pricing.actions import do_reserve_part
    from pricing.settle import whole

    parts = params.get("parts") or []
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise ValueError("pricing.reserve: parts must be a list of {sku, warehouse, quantity}")
    ticket = _ticket_ref(call, "pricing.reserve")
    with transaction.atomic():
        held = [
            do_reserve_part(
                ticket_id=ticket,
                sku=str(p.get("sku", "")),
                warehouse=str(p.get("warehouse", "")),
                quantity=whole(p.get("quantity"), f"quantity of {p.get('sku')}"),
            )
            for p in parts
        ]
    return {"reservations": [r.id for r in held], "quantity": sum(r.quantity for r in held)}


@register(
    "pricing.release",
    "Give back every part held for the ticket (cancel, send back).",
    params=(),
)
def release(params: dict, call: ServiceCall) -> dict:
    from pricing.actions import do_release_reservations

    released = do_release_reservations(_ticket_ref(call, "pricing.release"))
    return {"released": sum(r.quantity for r in released)}


@register(
    "pricing.consume",
    "Book the parts held for the ticket as used without a statement: work the customer does "
    "not pay for (under warranty or contract) still takes its parts off the shelf.",
    params=(),
)
def consume(params: dict, call: ServiceCall) -> dict:
    from pricing.actions import do_consume_reservations

    used = do_consume_reservations(_ticket_ref(call, "pricing.consume"))
    return {"parts_used": sum(r.quantity for r in used)}


@register(
    "pricing.confirm",
    "Confirm the ticket's settlement: the statement is frozen and the parts held for the "
    "ticket are booked as used. Confirming a confirmed statement again changes nothing.",
    params=(),
)
def confirm(params: dict, call: ServiceCall) -> dict:
    from pricing.actions import do_confirm_settlement
    from pricing.models import Reservation, Settlement

    ticket_ref = _ticket_ref(call, "pricing.confirm")
    settlement = Settlement.objects.filter(ticket_id=ticket_ref).first()
    if settlement is None:
        raise ValueError(f"pricing.confirm: {ticket_ref} has no settlement to confirm")
    if settlement.status == Settlement.Status.DRAFT:
        settlement = do_confirm_settlement(ticket_ref)
    used = Reservation.objects.filter(ticket_id=ticket_ref, state=Reservation.State.CONSUMED)
    return {
        "status": settlement.status,
        "total": str(settlement.total),
        "currency": settlement.currency,
        "parts_used": sum(used.values_list("quantity", flat=True)),
    }


@register(
    "pricing.record_payment",
    "Record money received against the ticket's confirmed settlement (amount, method, "
    "reference); run again for the same step it counts once.",
    params=("amount", "method", "reference"),
)
def record_payment(params: dict, call: ServiceCall) -> dict:
    from pricing.actions import do_record_payment
    from pricing.balance import balance_of

    ticket_ref = _ticket_ref(call, "pricing.record_payment")
    if not call.task_id:
        raise ValueError("pricing.record_payment runs as a step of a ticket's process")
    payment, _ = do_record_payment(
        ticket_ref,
        key=f"step:{call.task_id}",
        amount=params.get("amount"),
        method=str(params.get("method") or ""),
        reference=str(params.get("reference") or ""),
    )
    balance = balance_of(payment.settlement)
    return {
        "payment_id": payment.id,
        "amount": str(payment.amount),
        "paid": str(balance.net_paid),
        "outstanding": str(balance.outstanding),
        "paid_in_full": balance.outstanding <= 0,
    }
