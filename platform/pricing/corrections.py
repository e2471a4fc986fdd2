"""Corrections of confirmed statements, written like pricing.actions (one transaction each):
credit notes, which take back some or all of a statement's lines, and refunds of payments.
A confirmed statement itself never changes."""

from decimal import Decimal

from django.db import transaction

from pricing.actions import PaymentConflict, SettlementLocked
from pricing.balance import refunded_of
from pricing.compute import cents
from pricing.models import CreditNote, CreditNoteLine, Payment, Refund, Settlement
from pricing.rules import PricingInputError
from pricing.settle import money_amount

ZERO = Decimal("0.00")


def _reason(reason) -> str:
    text = str(reason or "").strip()
    if not text or len(text) > 500:
        raise PricingInputError("a reason of 1 to 500 characters is required")
    return text


def _key(key) -> str:
    text = str(key or "").strip()
    if not text or len(text) > 100:
        raise PricingInputError("an idempotency key of 1 to 100 characters is required")
    return text


def _remaining(settlement: Settlement) -> dict[int, tuple]:
    """Per line position: (line, amount not yet credited, tax not yet credited)."""
    lines = list(settlement.lines.prefetch_related("credits"))
    return {
        line.position: (
            line,
            line.amount + sum((c.amount for c in line.credits.all()), ZERO),
            line.tax + sum((c.tax for c in line.credits.all()), ZERO),
        )
        for line in lines
    }


def _requested(requested, remaining: dict) -> list[tuple]:
    """(line, amount, tax) to take back, from [{position, amount}]; the last credit of a
    line takes back exactly the tax left on it, so a line credited in parts nets to zero."""
    if not isinstance(requested, list) or not all(isinstance(r, dict) for r in requested):
        raise PricingInputError("lines must be a list of {position, amount}")
    out, seen = [], set()
    for entry in requested:
        position = entry.get("position")
        if position not in remaining or isinstance(position, bool):
            raise PricingInputError(f"the statement has no line {position!r}")
        if position in seen:
            raise PricingInputError(f"line {position} is listed twice")
        seen.add(position)
        line, amount_left, tax_left = remaining[position]
        if line.amount <= 0:
            raise PricingInputError(
                f"line {position} is a discount; a full credit note takes it back"
            )
        amount = money_amount(entry.get("amount"), f"amount of line {position}")
        if amount > amount_left:
            raise PricingInputError(
                f"line {position}: {amount} is more than the {amount_left} left to credit"
            )
        tax = tax_left if amount == amount_left else cents(amount * line.tax_rate)
        out.append((line, amount, tax))
    return out


@transaction.atomic
def do_issue_credit_note(ticket_id: str, *, reason: str, lines=None, by=None) -> CreditNote:
    """Take back the listed amounts of a confirmed statement's lines (``lines``: [{position,
    amount}]), or everything not yet credited (``lines`` None). Raises PricingInputError
    (bad input), SettlementLocked (a draft: recompute it instead) or Settlement.DoesNotExist."""
    reason = _reason(reason)
    settlement = Settlement.objects.select_for_update().get(ticket_id=str(ticket_id))
    if settlement.status != Settlement.Status.CONFIRMED:
        raise SettlementLocked("a draft statement is corrected by settling it again")
    remaining = _remaining(settlement)
    if lines is None:
        taken = [(line, amount, tax) for line, amount, tax in remaining.values() if amount or tax]
    else:
        taken = _requested(lines, remaining)
    subtotal = sum((amount for _, amount, _ in taken), ZERO)
    tax = sum((t for _, _, t in taken), ZERO)
    if not taken or subtotal + tax <= 0:
        raise PricingInputError("nothing is left to credit on this statement")
    sequence = settlement.credit_notes.count() + 1
    note = CreditNote.objects.create(
        settlement=settlement,
        sequence=sequence,
        number=f"{settlement.ticket_id}-CN{sequence}",
        reason=reason,
        subtotal=-subtotal,
        tax=-tax,
        total=-(subtotal + tax),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(
            credit_note=note, line=line, description=line.description, amount=-amount, tax=-t
        )
        for line, amount, t in taken
    )
    return note


@transaction.atomic
def do_refund_payment(
    ticket_id: str, payment_id: int, *, key: str, amount, reason: str, reference: str = ""
) -> tuple[Refund, bool]:
    """Give back money of one payment. Returns (refund, created); the same key again returns
    the first refund and records nothing. Refunds of a payment never exceed its amount."""
    key, reason = _key(key), _reason(reason)
    amount = money_amount(amount, "amount")
    settlement = Settlement.objects.select_for_update().get(ticket_id=str(ticket_id))
    payment = Payment.objects.filter(settlement=settlement, id=payment_id).first()
    if payment is None:
        raise Payment.DoesNotExist(f"{settlement.ticket_id} has no payment {payment_id}")
    earlier = payment.refunds.filter(key=key).first()
    if earlier is not None:
        if earlier.amount != amount:
            raise PaymentConflict(f"idempotency key {key!r} was used for another refund")
        return earlier, False
    left = payment.amount - refunded_of(payment)
    if amount > left:
        raise PricingInputError(
            f"amount {amount} is more than the {left} of this payment not yet refunded"
        )
    refund = Refund.objects.create(
        payment=payment, key=key, amount=amount, reason=reason, reference=str(reference)[:100]
    )
    return refund, True
