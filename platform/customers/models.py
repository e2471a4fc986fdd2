"""Customers, their contact people and their opportunities (商机).

A customer is recognised by its normalised keys (customers.identity): each non-empty key is
unique, so two concurrent intakes of one person cannot create two customers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Customer(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard"
        GOLD = "gold"
        VIP = "VIP"

    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=32, blank=True)
    email = models.CharField(max_length=254, blank=True)
    wecom_id = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[key], condition=~Q(**{key: ""}), name=f"customer_{key}_unique"
            )
            for key in ("phone", "email", "wecom_id", "external_id")
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person who speaks for a customer (a company's purchaser, a family member)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    wecom_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"


class Opportunity(models.Model):
    """A sales opportunity (商机) with one customer."""

    class Stage(models.TextChoices):
        OPEN = "open"
        WON = "won"
        LOST = "lost"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "stage"], name="opportunity_stage_idx")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class CustomerLinkProposal(models.Model):
    """An unverified claim that a ticket belongs to a known customer: an anonymous form
    gave a phone or e-mail of theirs. Nothing changes on the customer, and the ticket gets
    no tier from them, until an agent confirms (tickets.actions.do_confirm_customer_link).

    The ticket is referred to by id (customers sits below tickets and does not import it)."""

    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    ticket_id = models.BigIntegerField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="proposals")
    matched_by = models.CharField(max_length=20)  # the identity key that matched: phone, email…
    # What the visitor typed, kept as typed.
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.CharField(max_length=254, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_id", "customer"], name="customer_proposal_unique"
            )
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} → {self.customer} ({self.state})"
