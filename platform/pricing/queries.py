"""Read paths: the settlement block the ticket page includes and the printable statement."""

from django.db.models import Q
from django.utils.translation import gettext

from pricing.balance import PAYMENT_STATUSES, balance_of, payment_status, refunded_of
from pricing.models import Part, Reservation, Settlement, Warehouse


def settlement_for(ticket_ref: str) -> dict | None:
    """Context for ``pricing/_settlement.html`` and ``pricing/statement.html``, or None: the
    statement, its credit notes, payments with their refunds, and what is left to pay."""
    settlement = Settlement.objects.filter(ticket_id=str(ticket_ref)).first()
    if settlement is None:
        return None
    payments = list(settlement.payments.prefetch_related("refunds"))
    credit_notes = list(settlement.credit_notes.prefetch_related("lines__line"))
    balance = balance_of(settlement, payments, credit_notes)
    for payment in payments:
        payment.refunded = refunded_of(payment)
        payment.status_label = PAYMENT_STATUSES[payment_status(payment)]
    return {
        "settlement": settlement,
        "balance": balance,
        "payments": payments,
        "paid": balance.net_paid,
        "outstanding": balance.outstanding,
        "refund_due": -balance.outstanding if balance.outstanding < 0 else 0,
        "payment_status": balance.standing_label,
        "lines": list(settlement.lines.all()),
        "schedule": list(settlement.schedule.all()),
        "credit_notes": credit_notes,
        "version": _version_label(settlement.decision_version),
    }


def has_settlement(ticket_ref: str) -> bool:
    return Settlement.objects.filter(ticket_id=str(ticket_ref)).exists()


def _version_label(version: str) -> str:
    if version.startswith("file:"):
        return gettext("as shipped")
    return version


def part_exists(sku: str) -> bool:
    """For the forms' part picker."""
    return Part.objects.filter(sku=str(sku)).exists()


def part_names(skus: set[str]) -> dict[str, str]:
    """SKU -> the catalogue's name, for the parts of `skus` it has."""
    return dict(Part.objects.filter(sku__in=skus).values_list("sku", "name"))


def warehouse_exists(code: str) -> bool:
    """For the forms' warehouse picker."""
    return Warehouse.objects.filter(code=str(code)).exists()


def warehouse_names(codes: set[str]) -> dict[str, str]:
    """Code -> the warehouse's name, for the warehouses of `codes` there are."""
    return dict(Warehouse.objects.filter(code__in=codes).values_list("code", "name"))


def find_parts(text: str, limit: int) -> list[tuple[str, str]]:
    """(SKU, name) of the parts whose SKU or name holds `text`, SKUs first in order."""
    found = Part.objects.filter(Q(sku__icontains=text) | Q(name__icontains=text))
    return list(found.order_by("sku").values_list("sku", "name")[:limit])


def find_warehouses(text: str, limit: int) -> list[tuple[str, str]]:
    """(code, name) of the warehouses whose code or name holds `text` (all for none)."""
    found = Warehouse.objects.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return list(found.order_by("code").values_list("code", "name")[:limit])


def reservations_of(ticket_ref: str) -> list[Reservation]:
    """A ticket's part reservations in every state, with their part and warehouse."""
    return list(
        Reservation.objects.filter(ticket_id=ticket_ref).select_related(
            "stock__part", "stock__warehouse"
        )
    )
