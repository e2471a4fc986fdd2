"""The only writers of customers. Each do_* is one transaction."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.identity import KEYS, normalize_identity
from customers.models import Contact, Customer, Opportunity

_ATTEMPTS = 3  # a concurrent insert of the same key makes us look again, not fail


class UnknownIdentity(ValueError):
    """The identity carries none of the keys a customer can be recognised by."""


def do_link_customer(identity: dict) -> tuple[Customer, bool]:
    """The customer this identity belongs to, matched by external id, then phone, then
    e-mail, then WeCom id (all normalised; phone/e-mail/WeCom id of contacts count too),
    created from the identity when none matches. Keys the matched customer lacks are
    filled in when no other customer owns them. Returns (customer, created).

    Safe under concurrent calls: every non-empty key is unique, so of two racing inserts one
    fails, rolls back to its savepoint and finds the row the other one committed."""
    keys = normalize_identity(identity)
    if not keys:
        raise UnknownIdentity(f"an identity needs one of {', '.join(KEYS)}")
    name = str(identity.get("name") or "").strip()[:200]
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                customer = _match(keys)
                if customer is not None:
                    _fill_in(customer, keys, name)
                    return customer, False
                customer = Customer.objects.create(name=name or _fallback_name(keys), **keys)
                return customer, True
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _match(keys: dict[str, str]) -> Customer | None:
    for key in KEYS:
        value = keys.get(key)
        if not value:
            continue
        customer = Customer.objects.filter(**{key: value}).first()
        if customer is None and key != "external_id":
            contact = Contact.objects.filter(**{key: value}).select_related("customer").first()
            customer = contact.customer if contact else None
        if customer is not None:
            return customer
    return None


def _fill_in(customer: Customer, keys: dict[str, str], name: str) -> None:
    changed = []
    for key, value in keys.items():
        taken = Customer.objects.exclude(pk=customer.pk).filter(**{key: value}).exists()
        if not getattr(customer, key) and not taken:
            setattr(customer, key, value)
            changed.append(key)
    if name and not customer.name:
        customer.name = name
        changed.append("name")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])


def _fallback_name(keys: dict[str, str]) -> str:
    if "email" in keys:
        return keys["email"].split("@", 1)[0]
    return keys.get("phone") or keys.get("wecom_id") or keys.get("external_id") or "customer"


def do_set_tier(customer_id: int, tier: str) -> Customer:
    if tier not in Customer.Tier.values:
        raise ValueError(f"unknown tier {tier!r} ({', '.join(Customer.Tier.values)})")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        customer.tier = tier
        customer.save(update_fields=["tier", "updated_at"])
    return customer


def do_add_contact(customer_id: int, name: str, *, role: str = "", **identity) -> Contact:
    keys = normalize_identity(identity)
    keys.pop("external_id", None)
    with transaction.atomic():
        return Contact.objects.create(customer_id=customer_id, name=name, role=role, **keys)


def do_open_opportunity(customer_id: int, title: str, amount, *, owner=None) -> Opportunity:
    amount = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    with transaction.atomic():
        return Opportunity.objects.create(
            customer_id=customer_id, title=title, amount=amount, owner=owner
        )


def do_close_opportunity(opportunity_id: int, stage: str) -> Opportunity:
    if stage not in (Opportunity.Stage.WON, Opportunity.Stage.LOST):
        raise ValueError("an opportunity closes as won or lost")
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity_id)
        opportunity.stage = stage
        opportunity.closed_at = timezone.now()
        opportunity.save(update_fields=["stage", "closed_at"])
    return opportunity
