"""What a customer may see of their ticket through its private link: no process data,
no names of staff, no internal events, and nothing of the title a masked or hidden field
holds (tickets.visibility, the reader being the customer)."""

from intake.models import PublicForm
from tickets.models import Ticket
from tickets.visibility import Reader

PUBLIC_EVENTS = {"created": "Ticket received", "completed": "Ticket completed"}


def ticket_by_tracking_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return Ticket.objects.filter(tracking_token=token).first()


def public_timeline(ticket: Ticket) -> list[dict]:
    events = ticket.events.filter(kind__in=PUBLIC_EVENTS).order_by("at", "id")
    return [{"label": PUBLIC_EVENTS[e.kind], "at": e.at} for e in events.only("kind", "at")]


def public_title(ticket: Ticket) -> str:
    return Reader.customer(ticket.customer_id).view(ticket).text(ticket.title)


def published_form(process_key: str) -> PublicForm | None:
    """The publication of `process_key`'s public form, None when it is not open."""
    return PublicForm.objects.filter(process_key=process_key, enabled=True).first()
