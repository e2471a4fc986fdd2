"""The only writers of customers. Each do_* is one transaction."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.identity import KEYS, normalize_identity
from customers.models import Contact, Customer, CustomerLinkProposal, Opportunity

_ATTEMPTS = 3  # a concurrent insert of the same key makes us look again, not fail


class UnknownIdentity(ValueError):
    """The identity carries none of the keys a customer can be recognised by."""


def do_link_customer(identity: dict, *, fill_in: bool = True) -> tuple[Customer, bool]:
    """The customer this identity belongs to, matched by external id, then phone, then
    e-mail, then WeCom id (all normalised; phone/e-mail/WeCom id of contacts count too),
    created from the identity when none matches. Keys the matched customer lacks are
    filled in when no other customer owns them (unless `fill_in` is False: an unverified
    identity never changes a customer). Returns (customer, created).

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
                    if fill_in:
                        _fill_in(customer, keys, name)
                    return customer, False
                customer = Customer.objects.create(name=name or _fallback_name(keys), **keys)
                return customer, True
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def match_customer(identity: dict) -> tuple[Customer | None, str]:
    """The known customer an identity points at, and the key that matched ("" if none)."""
    keys = normalize_identity(identity)
    for key in KEYS:
        if keys.get(key) and (customer := _match({key: keys[key]})) is not None:
            return customer, key
    return None, ""


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


# ---------------------------------------------------------------- proposed links


class ProposalClosed(ValueError):
    """The proposal was confirmed or rejected already."""


def do_propose_link(
    ticket_id: int, customer: Customer, identity: dict, matched_by: str
) -> CustomerLinkProposal:
    """Record that an unverified submission names `customer`; the customer is not touched."""
    with transaction.atomic():
        proposal, _ = CustomerLinkProposal.objects.get_or_create(
            ticket_id=ticket_id,
            customer=customer,
            defaults={
                "matched_by": matched_by,
                "name": str(identity.get("name") or "")[:200],
                "phone": str(identity.get("phone") or "")[:32],
                "email": str(identity.get("email") or "")[:254],
            },
        )
    return proposal


def do_decide_link(proposal_id: int, user, *, confirm: bool) -> CustomerLinkProposal:
    """Close a pending proposal (the caller links the ticket: see tickets.actions)."""
    with transaction.atomic():
        proposal = (
            CustomerLinkProposal.objects.select_for_update()
            .select_related("customer")
            .get(pk=proposal_id)
        )
        if proposal.state != CustomerLinkProposal.State.PENDING:
            raise ProposalClosed(f"the proposed link was {proposal.state} already")
        proposal.state = (
            CustomerLinkProposal.State.CONFIRMED if confirm else CustomerLinkProposal.State.REJECTED
        )
        proposal.decided_at = timezone.now()
        proposal.decided_by = user
        proposal.save(update_fields=["state", "decided_at", "decided_by"])
        if confirm:  # the other people the same ticket was said to belong to are not it
            CustomerLinkProposal.objects.filter(
                ticket_id=proposal.ticket_id, state=CustomerLinkProposal.State.PENDING
            ).update(
                state=CustomerLinkProposal.State.REJECTED,
                decided_at=proposal.decided_at,
                decided_by=user,
            )
    return proposal
