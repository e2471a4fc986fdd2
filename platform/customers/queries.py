"""Read paths over customers: what the ticket page shows next to a ticket."""

from dataclasses import dataclass

from customers.models import Customer, CustomerLinkProposal, Opportunity


@dataclass
class CustomerHistory:
    customer: Customer
    tickets: list  # the customer's tickets, newest first
    open_opportunities: list[Opportunity]


def customer_history(customer: Customer, *, exclude_ticket_id=None, limit: int = 20):
    """Past tickets (newest first, the current one left out) and open opportunities."""
    tickets = customer.tickets.select_related("process_version").order_by("-created_at", "-id")
    if exclude_ticket_id is not None:
        tickets = tickets.exclude(id=exclude_ticket_id)
    return CustomerHistory(
        customer=customer,
        tickets=list(tickets[:limit]),
        open_opportunities=list(customer.opportunities.filter(stage=Opportunity.Stage.OPEN)),
    )


def pending_proposals(ticket_id: int) -> list[CustomerLinkProposal]:
    """Known customers an unverified submission of this ticket named, awaiting an agent."""
    return list(
        CustomerLinkProposal.objects.filter(
            ticket_id=ticket_id, state=CustomerLinkProposal.State.PENDING
        ).select_related("customer")
    )
