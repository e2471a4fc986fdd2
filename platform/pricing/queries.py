"""Read paths: the settlement block the ticket page renders."""

from decimal import Decimal

from pricing.models import Settlement


def settlement_for(ticket_ref: str) -> dict | None:
    """Context for ``pricing/_settlement.html`` (the ticket page includes it), or None."""
    settlement = Settlement.objects.filter(ticket_id=str(ticket_ref)).first()
    if settlement is None:
        return None
    payments = list(settlement.payments.all())
    paid = sum((p.amount for p in payments), Decimal("0.00"))
    if settlement.status == Settlement.Status.DRAFT:
        payment_status = "Not yet confirmed"
    elif paid >= settlement.total:
        payment_status = "Paid"
    elif paid:
        payment_status = "Partially paid"
    else:
        payment_status = "Unpaid"
    return {
        "settlement": settlement,
        "payments": payments,
        "paid": paid,
        "outstanding": settlement.total - paid,
        "payment_status": payment_status,
        "lines": list(settlement.lines.all()),
        "schedule": list(settlement.schedule.all()),
        "version": _version_label(settlement.decision_version),
    }


def _version_label(version: str) -> str:
    if version.startswith("file:"):
        return "as shipped"
    return version
