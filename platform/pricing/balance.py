"""What a statement comes to once corrected and paid: its credit notes, payments and refunds.

Summed in Python: SQLite sums decimals as floats."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from pricing.models import CreditNote, Payment, Refund, Settlement

ZERO = Decimal("0.00")

STANDINGS = {
    "draft": _("Draft, not yet confirmed"),
    "unpaid": _("Unpaid"),
    "partially_paid": _("Partially paid"),
    "paid": _("Paid"),
    "credited": _("Credited in full"),
    "refund_due": _("Refund due"),
    "partially_refunded": _("Partially refunded"),
    "refunded": _("Refunded"),
}
PAYMENT_STATUSES = {
    "received": _("Received"),
    "partially_refunded": _("Partially refunded"),
    "refunded": _("Refunded"),
}


@dataclass(frozen=True)
class Balance:
    status: str  # the settlement's status: draft or confirmed
    total: Decimal
    credited: Decimal  # the credit notes' totals: zero or negative
    paid: Decimal
    refunded: Decimal

    @property
    def net_total(self) -> Decimal:
        return self.total + self.credited

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def outstanding(self) -> Decimal:
        """Negative when more was paid than the corrected total: a refund is due."""
        return self.net_total - self.net_paid

    @property
    def standing(self) -> str:
        if self.status == Settlement.Status.DRAFT:
            return "draft"
        if self.outstanding < 0:
            return "refund_due"
        if self.refunded:
            return "refunded" if not self.net_paid else "partially_refunded"
        if not self.net_total and not self.paid:
            return "credited"
        if not self.outstanding:
            return "paid"
        return "partially_paid" if self.paid else "unpaid"

    @property
    def standing_label(self) -> str:
        return str(STANDINGS[self.standing])


def balance_of(settlement: Settlement, payments=None, credit_notes=None) -> Balance:
    """From the database, or from the settlement's ``payments`` (their refunds prefetched)
    and ``credit_notes`` a caller has read already."""
    if payments is None:
        amounts = Payment.objects.filter(settlement=settlement).values_list("amount", flat=True)
        refunds = Refund.objects.filter(payment__settlement=settlement).values_list(
            "amount", flat=True
        )
    else:
        amounts = [p.amount for p in payments]
        refunds = [r.amount for p in payments for r in p.refunds.all()]
    if credit_notes is None:
        credits = CreditNote.objects.filter(settlement=settlement).values_list("total", flat=True)
    else:
        credits = [n.total for n in credit_notes]
    return Balance(
        status=settlement.status,
        total=settlement.total,
        credited=sum(credits, ZERO),
        paid=sum(amounts, ZERO),
        refunded=sum(refunds, ZERO),
    )


def refunded_of(payment: Payment) -> Decimal:
    return sum((r.amount for r in payment.refunds.all()), ZERO)


def payment_status(payment: Payment) -> str:
    refunded = refunded_of(payment)
    if not refunded:
        return "received"
    return "refunded" if refunded >= payment.amount else "partially_refunded"
