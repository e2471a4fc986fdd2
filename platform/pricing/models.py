"""Catalogs: service items, parts with stock per warehouse and reservations, regions, tiers.

Money is Decimal (12 digits, 2 places); coefficients and rates carry 4 places. Stock moves only
through pricing.actions: a reservation raises ``StockLevel.reserved`` with a conditional UPDATE
(``on_hand - reserved >= quantity``), so concurrent reservations never oversell; the check
constraints below hold the same invariant in the database.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from definitions.element_names import local_name

MONEY = {"max_digits": 12, "decimal_places": 2}
AMOUNT = {"max_digits": 16, "decimal_places": 2}  # settlement amounts: prices x quantities
RATE = {"max_digits": 8, "decimal_places": 4}


class ServiceItem(models.Model):
    """A billable service. ``tier_breaks``: [{"min_qty": 10, "unit_price": "90.00"}, ...]
    sorted by min_qty; from that quantity on, the whole line uses that unit price."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=60, blank=True)
    unit = models.CharField(max_length=20, default="each")
    base_price = models.DecimalField(**MONEY)
    labour_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    tier_breaks = models.JSONField(default=list, blank=True)
    tax_rate = models.DecimalField(**RATE, default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(base_price__gte=0), name="service_price_nonneg"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lt=1), name="service_tax_rate_range"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Part(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=60, blank=True)
    unit_cost = models.DecimalField(**MONEY)
    unit_price = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(**RATE, default=0)
    reorder_level = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0, unit_price__gte=0), name="part_prices_nonneg"
            ),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"


class Warehouse(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class StockLevel(models.Model):
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["part__sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="stock_part_warehouse"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_le_on_hand"
            ),
        ]

    def __str__(self):
        return f"{self.part_id}@{self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def below_reorder(self) -> bool:
        return self.available <= self.part.reorder_level


class Reservation(models.Model):
    class State(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        CONSUMED = "consumed", "Consumed"
        RELEASED = "released", "Released"

    ticket_id = models.CharField(max_length=40, db_index=True)
    stock = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_qty_positive"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.quantity} ({self.state})"


class Region(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    coefficient = models.DecimalField(**RATE, default=1)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(coefficient__gt=0), name="region_coeff_positive")
        ]

    def __str__(self):
        return self.code


class CustomerTier(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    discount_rate = models.DecimalField(**RATE, default=0)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_rate__gte=0, discount_rate__lt=1), name="tier_discount_range"
            )
        ]

    def __str__(self):
        return self.code


class Settlement(models.Model):
    """The statement of one ticket. A draft is recomputed by each settle; a confirmed one is
    immutable. ``decision_version`` and ``dimensions`` reproduce its adjustments; the lines keep
    the unit prices used, so catalog changes later never change it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")

    class PaymentMethod(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Bank card")
        TRANSFER = "transfer", _("Bank transfer")
        WECHAT_PAY = "wechat_pay", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        MONTHLY_ACCOUNT = "monthly_account", _("Monthly account")
        WARRANTY_FREE = "warranty_free", _("Contract / warranty (free)")

    class Plan(models.TextChoices):
        SINGLE = "single", _("Single payment")
        INSTALMENTS = "instalments", _("Instalments")
        MILESTONES = "milestones", _("Milestones")

    ticket_id = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="CNY")
    region = models.CharField(max_length=40, blank=True)
    region_coefficient = models.DecimalField(**RATE, default=1)
    customer_tier = models.CharField(max_length=40, blank=True)
    tier_discount_rate = models.DecimalField(**RATE, default=0)
    decision_id = models.CharField(max_length=200)
    decision_version = models.CharField(max_length=40)
    dimensions = models.JSONField(default=dict)
    adjustments = models.JSONField(default=list)
    subtotal = models.DecimalField(**AMOUNT)
    tax = models.DecimalField(**AMOUNT)
    total = models.DecimalField(**AMOUNT)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    plan = models.CharField(max_length=12, choices=Plan.choices, default=Plan.SINGLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.ticket_id} {self.total} {self.currency}"


class SettlementLine(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        LABOUR = "labour", "Labour"
        PART = "part", "Part"
        ADJUSTMENT = "adjustment", "Adjustment"
        DISCOUNT = "discount", "Discount"

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=40)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(**AMOUNT)
    amount = models.DecimalField(**AMOUNT)
    tax_rate = models.DecimalField(**RATE)
    tax = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["settlement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "position"], name="line_position")
        ]

    def __str__(self):
        return f"{self.code} {self.amount}"

    @property
    def item_name(self) -> str:
        """What the line is for, in the reader's language. The stored description is the
        record (in English for the lines the arithmetic names itself); a service's or part's
        name and a pricing rule's component are written in both languages ("上门费（市区）
        Call-out (city)", "Urgent service (加急服务)") and read through local_name."""
        if self.kind == self.Kind.LABOUR:
            return gettext("Labour")
        if self.kind == self.Kind.DISCOUNT:
            rate = f"{(self.settlement.tier_discount_rate * 100).normalize():f}"
            return gettext("Customer tier discount (%(rate)s%%)") % {"rate": rate}
        return local_name(self.description)

    @property
    def item_names(self) -> str:
        """What the line is for in Chinese and then in English, for the printed statement,
        which is written in both ("上门费（市区） Call-out (city)", "人工 Labour")."""
        with translation.override("zh-hans"):
            chinese = self.item_name
        with translation.override("en"):
            english = self.item_name
        return chinese if chinese == english else f"{chinese} {english}"


class PaymentDue(models.Model):
    """One row of the payment plan; the amounts of a settlement sum exactly to its total."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="schedule")
    sequence = models.PositiveIntegerField()
    label = models.CharField(max_length=100)
    percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    due_date = models.DateField()
    amount = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["settlement", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "sequence"], name="payment_due_sequence")
        ]

    def __str__(self):
        return f"{self.label} {self.amount} due {self.due_date}"


class Payment(models.Model):
    """Money received against a confirmed settlement. ``key`` (the caller's idempotency key) is
    unique per settlement: the same payment recorded twice counts once."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="payments")
    key = models.CharField(max_length=100)
    amount = models.DecimalField(**AMOUNT)
    method = models.CharField(max_length=20, choices=Settlement.PaymentMethod.choices)
    reference = models.CharField(max_length=100, blank=True)  # receipt / transaction number
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["settlement", "id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "key"], name="payment_key_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount} ({self.method})"


class CreditNote(models.Model):
    """A correction of a confirmed statement, which itself never changes: negative amounts,
    its own number (``<ticket>-CN<n>``), linked to the statement it corrects."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="credit_notes"
    )
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=60, unique=True)
    reason = models.CharField(max_length=500)
    subtotal = models.DecimalField(**AMOUNT)
    tax = models.DecimalField(**AMOUNT)
    total = models.DecimalField(**AMOUNT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["settlement", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "sequence"], name="credit_note_sequence"),
            models.CheckConstraint(condition=Q(total__lt=0), name="credit_note_negative"),
        ]

    def __str__(self):
        return f"{self.number} {self.total}"


class CreditNoteLine(models.Model):
    """The part of one statement line a credit note takes back (negative for a charge)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(SettlementLine, on_delete=models.PROTECT, related_name="credits")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(**AMOUNT)
    tax = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["credit_note", "line__position"]

    def __str__(self):
        return f"{self.description} {self.amount}"


class Refund(models.Model):
    """Money given back against one payment; ``key`` (the caller's idempotency key) is unique
    per payment, and the refunds of a payment never exceed its amount."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    key = models.CharField(max_length=100)
    amount = models.DecimalField(**AMOUNT)
    reason = models.CharField(max_length=500)
    reference = models.CharField(max_length=100, blank=True)
    refunded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "key"], name="refund_key_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return f"refund {self.amount} of payment {self.payment_id}"
