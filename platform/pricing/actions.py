"""The writers of pricing: catalog imports and stock reservations (one transaction each)."""

from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from definitions.access import has_permission, roles_of
from pricing import catalogs, settle
from pricing.balance import balance_of
from pricing.csvio import ImportReport, RowError
from pricing.models import (
    Part,
    Payment,
    PaymentDue,
    Reservation,
    Settlement,
    SettlementLine,
    StockLevel,
    Warehouse,
)
from pricing.rules import PricingInputError


class InsufficientStock(ValueError):
    pass


class UnknownStock(LookupError):
    pass


def may_edit_catalog(user) -> bool:
    """Process owners and finance maintain the catalogs (Django permission or group)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_superuser
        or bool(roles_of(user) & {"process_owners", "finance"})
        or has_permission(user, "pricing.change_serviceitem")
    )


def do_import_catalog(kind_name: str, data: bytes, *, by=None) -> ImportReport:
    """Check every row, then store all of them or none. Raises csvio.CsvFileError when the file
    itself is unreadable and KeyError for an unknown kind."""
    kind = catalogs.KINDS[kind_name]
    rows, errors, count = catalogs.parse_file(kind, data)
    report = ImportReport(kind.name, rows=count, errors=errors)
    if not count and not errors:
        report.errors.append(RowError(2, "", "the file has a header but no rows"))
    with transaction.atomic():
        report.errors.extend(catalogs.check_references(kind, rows))
        if not report.errors:
            try:
                with transaction.atomic():
                    report.created, report.updated = catalogs.store(kind, rows)
            except IntegrityError as exc:  # a reservation raced the stock import
                report.created = report.updated = 0
                report.errors.append(
                    RowError(0, "", f"the import conflicted with a concurrent change: {exc}")
                )
    report.errors.sort(key=lambda e: e.line)  # stable: a row's cells stay in column order
    return report


CATALOG_FILES = ("regions", "tiers", "services", "parts", "stock")  # parts before their stock


def do_import_catalog_folder(folder: Path, *, by=None) -> dict[str, ImportReport]:
    """Import every ``<kind>.csv`` of a folder (e.g. processes/catalog/): all files or none.
    Returns the report of each file read; the first one with problems stops the import."""
    reports = {}
    with transaction.atomic():
        for kind in CATALOG_FILES:
            path = Path(folder) / f"{kind}.csv"
            if not path.is_file():
                continue
            reports[kind] = do_import_catalog(kind, path.read_bytes(), by=by)
            if not reports[kind].ok:
                transaction.set_rollback(True)
                break
    return reports


def _stock_row(sku: str, warehouse: str) -> StockLevel:
    try:
        return StockLevel.objects.get(part__sku=sku, warehouse__code=warehouse)
    except StockLevel.DoesNotExist:
        if not Part.objects.filter(sku=sku).exists():
            raise UnknownStock(f"unknown SKU {sku!r}") from None
        if not Warehouse.objects.filter(code=warehouse).exists():
            raise UnknownStock(f"unknown warehouse {warehouse!r}") from None
        raise UnknownStock(f"{sku} is not stocked in {warehouse}") from None


@transaction.atomic
def do_reserve_part(*, ticket_id: str, sku: str, warehouse: str, quantity: int) -> Reservation:
    """Hold ``quantity`` of a part for a ticket. One conditional UPDATE raises ``reserved`` only
    while ``on_hand - reserved`` covers the quantity, so concurrent callers never oversell."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValueError("quantity must be a whole number above 0")
    stock = _stock_row(sku, warehouse)
    moved = StockLevel.objects.filter(pk=stock.pk, on_hand__gte=F("reserved") + quantity).update(
        reserved=F("reserved") + quantity
    )
    if not moved:
        stock.refresh_from_db()
        raise InsufficientStock(
            f"only {stock.available} of {sku} available in {warehouse}, {quantity} requested"
        )
    return Reservation.objects.create(ticket_id=str(ticket_id), stock=stock, quantity=quantity)


def _close(ticket_id: str, state: str, ids=None, since=None) -> list[Reservation]:
    held = (
        Reservation.objects.select_for_update(of=("self",))
        .select_related("stock__part", "stock__warehouse")
        .filter(ticket_id=str(ticket_id), state=Reservation.State.RESERVED)
    )
    if ids is not None:
        held = held.filter(id__in=ids)
    if since is not None:
        held = held.filter(created_at__gte=since)
    closed = list(held.order_by("stock_id", "id"))
    now = timezone.now()
    for reservation in closed:
        change = {"reserved": F("reserved") - reservation.quantity}
        if state == Reservation.State.CONSUMED:
            change["on_hand"] = F("on_hand") - reservation.quantity
        StockLevel.objects.filter(pk=reservation.stock_id).update(**change)
        reservation.state, reservation.closed_at = state, now
    Reservation.objects.bulk_update(closed, ["state", "closed_at"])
    return closed


@transaction.atomic
def do_release_reservations(ticket_id: str, ids=None, since=None) -> list[Reservation]:
    """Give a ticket's held parts back (cancel, send back): all of them, the listed ``ids``,
    or those reserved at or after ``since`` (the work a send back undoes)."""
    return _close(ticket_id, Reservation.State.RELEASED, ids, since)


@transaction.atomic
def do_consume_reservations(ticket_id: str, ids=None) -> list[Reservation]:
    """The held parts were used: they leave the shelf (on_hand and reserved both drop)."""
    return _close(ticket_id, Reservation.State.CONSUMED, ids)


class SettlementLocked(ValueError):
    """A confirmed settlement is immutable."""


@transaction.atomic
def do_settle(ticket_id: str, data: dict) -> Settlement:
    """Compute (or recompute) the draft settlement of a ticket from ``data``: services and
    quantities, labour, region, customer tier, payment method and plan, and the pricing
    dimensions. Raises PricingInputError (bad data) or SettlementLocked (already confirmed)."""
    ticket_id = str(ticket_id)
    method = str((data or {}).get("payment_method") or "")
    if method not in Settlement.PaymentMethod.values:
        raise PricingInputError(
            f"payment_method must be one of {', '.join(Settlement.PaymentMethod.values)}"
        )
    result, header, (plan, count, percents) = settle.price_request(ticket_id, data)
    if result.total < 0:
        raise PricingInputError("the settlement total would be negative")
    dues = settle.schedule(result.total, data, plan, count, percents)
    existing = Settlement.objects.select_for_update().filter(ticket_id=ticket_id).first()
    if existing is not None and existing.status != Settlement.Status.DRAFT:
        raise SettlementLocked(f"the settlement of {ticket_id} is confirmed and cannot change")
    fields = {
        **header,
        "subtotal": result.subtotal,
        "tax": result.tax,
        "total": result.total,
        "payment_method": method,
        "plan": plan,
    }
    if existing is None:
        settlement = Settlement.objects.create(ticket_id=ticket_id, **fields)
    else:
        settlement = existing
        for name, value in fields.items():
            setattr(settlement, name, value)
        settlement.save()
        settlement.lines.all().delete()
        settlement.schedule.all().delete()
    SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=settlement,
            position=n,
            kind=line.kind,
            code=line.code[:40],
            description=line.description[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            tax_rate=line.tax_rate,
            tax=line.tax,
        )
        for n, line in enumerate(result.lines, 1)
    )
    PaymentDue.objects.bulk_create(PaymentDue(settlement=settlement, **due) for due in dues)
    return settlement


@transaction.atomic
def do_confirm_settlement(ticket_id: str) -> Settlement:
    """Freeze the statement; the parts it bills leave the stock (held reservations consumed)."""
    settlement = Settlement.objects.select_for_update().get(ticket_id=str(ticket_id))
    if settlement.status != Settlement.Status.DRAFT:
        raise SettlementLocked(f"the settlement of {ticket_id} is already confirmed")
    _close(settlement.ticket_id, Reservation.State.CONSUMED)
    settlement.status = Settlement.Status.CONFIRMED
    settlement.confirmed_at = timezone.now()
    settlement.save(update_fields=["status", "confirmed_at", "updated_at"])
    return settlement


class PaymentConflict(ValueError):
    """The idempotency key was used for a different payment."""


@transaction.atomic
def do_record_payment(
    ticket_id: str, *, key: str, amount, method: str, reference: str = ""
) -> tuple[Payment, bool]:
    """Record money received against the confirmed settlement of a ticket. Returns (payment,
    created); the same key again returns the first payment and records nothing."""
    key = str(key or "").strip()
    if not key or len(key) > 100:
        raise PricingInputError("an idempotency key of 1 to 100 characters is required")
    amount = settle.money_amount(amount, "amount")
    if method not in Settlement.PaymentMethod.values:
        raise PricingInputError(
            f"method must be one of {', '.join(Settlement.PaymentMethod.values)}"
        )
    settlement = Settlement.objects.select_for_update().get(ticket_id=str(ticket_id))
    earlier = settlement.payments.filter(key=key).first()
    if earlier is not None:
        if earlier.amount != amount or earlier.method != method:
            raise PaymentConflict(f"idempotency key {key!r} was used for another payment")
        return earlier, False
    if settlement.status != Settlement.Status.CONFIRMED:
        raise SettlementLocked("payments are recorded against a confirmed settlement")
    outstanding = balance_of(settlement).outstanding
    if amount > outstanding:
        raise PricingInputError(
            f"amount {amount} is more than the {max(outstanding, 0):.2f} outstanding"
        )
    payment = Payment.objects.create(
        settlement=settlement, key=key, amount=amount, method=method, reference=str(reference)[:100]
    )
    return payment, True


__all__ = [
    "PaymentConflict",
    "do_record_payment",
    "PricingInputError",
    "SettlementLocked",
    "do_confirm_settlement",
    "do_settle",
    "InsufficientStock",
    "UnknownStock",
    "do_consume_reservations",
    "do_import_catalog",
    "do_import_catalog_folder",
    "do_release_reservations",
    "do_reserve_part",
    "may_edit_catalog",
]
