"""What a customer may see of their ticket through its private link: no process data,
no names of staff, no internal events or notes, and nothing of the title a masked or
hidden field holds (tickets.visibility, the reader being the customer). Steps are told in
plain words, never as event codes."""

from django.utils.translation import gettext_lazy as _

from intake.models import PublicForm
from tickets.conversation import thread
from tickets.models import HumanTask, Ticket, TicketRating
from tickets.visibility import Reader

# Completed steps the customer is told about, by BPMN id of the step.
STEP_DONE = {
    "accept": _("Your request was accepted."),
    "schedule_visit": _("A technician visit was scheduled."),
    "diagnose": _("The technician examined the problem."),
    "approve_quote": _("The quote was approved."),
    "repair_work": _("The repair was carried out."),
    "respond": _("We answered your question."),
}
EVENTS = {
    "created": _("We received your request."),
    "info_requested": _("We are waiting for information from you."),
    "info_received": _("You sent the information we asked for."),
    "completed": _("Your request was resolved."),
    "cancelled": _("Your request was cancelled."),
    "rated": _("You rated our service."),
    "reopened": _("You reopened the request; a colleague follows it up."),
}


def ticket_by_tracking_token(token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return Ticket.objects.filter(tracking_token=token).first()


def public_timeline(ticket: Ticket) -> list[dict]:
    """The steps the customer may see, as sentences, in order."""
    kinds = set(EVENTS) | {"task_completed"}
    events = ticket.events.filter(kind__in=kinds).order_by("at", "id").only("kind", "at", "bpmn_id")
    steps = []
    for event in events:
        label = (
            STEP_DONE.get(event.bpmn_id) if event.kind == "task_completed" else EVENTS[event.kind]
        )
        if label:
            steps.append({"label": label, "at": event.at})
    return steps


def waiting_for_customer(ticket: Ticket) -> bool:
    return ticket.tasks.filter(
        sla_paused_at__isnull=False, state__in=[HumanTask.State.OPEN, HumanTask.State.CLAIMED]
    ).exists()


def status_words(ticket: Ticket, waiting: bool | None = None) -> str:
    """The status in words; `waiting` (the customer owes an answer) when already known."""
    if ticket.status == Ticket.Status.COMPLETED:
        return str(_("Resolved"))
    if ticket.status == Ticket.Status.CANCELLED:
        return str(_("Cancelled"))
    if waiting if waiting is not None else waiting_for_customer(ticket):
        return str(_("Waiting for your answer"))
    return str(_("In progress"))


def portal_rows(tickets) -> list[dict]:
    """The customer's list of their tickets (title as they may see it, status in words),
    in a fixed number of queries however long the list."""
    tickets = list(tickets)
    waiting = set(
        HumanTask.objects.filter(
            ticket__in=tickets,
            sla_paused_at__isnull=False,
            state__in=[HumanTask.State.OPEN, HumanTask.State.CLAIMED],
        ).values_list("ticket_id", flat=True)
    )
    reader = Reader.customer()
    return [
        {
            "ticket": t,
            "title": reader.view(t).text(t.title),
            "status": status_words(t, waiting=t.id in waiting),
        }
        for t in tickets
    ]


def public_thread(ticket: Ticket) -> list[dict]:
    """The public messages (never an internal note), without staff names: the customer
    sees "Customer service" and their own messages as "You"."""
    view = Reader.customer(ticket.customer_id).view(ticket)
    return [
        {
            "message": m,
            "mine": m.author_kind == "customer",
            "body": view.text(m.body),
            "attachments": [
                {"id": a.id, "name": view.text(a.name), "size": a.size} for a in m.attachments.all()
            ],
        }
        for m in thread(ticket, public_only=True)
    ]


def rating_of(ticket: Ticket) -> TicketRating | None:
    return TicketRating.objects.filter(ticket=ticket).first()


def public_title(ticket: Ticket) -> str:
    return Reader.customer(ticket.customer_id).view(ticket).text(ticket.title)


def published_form(process_key: str) -> PublicForm | None:
    """The publication of `process_key`'s public form, None when it is not open."""
    return PublicForm.objects.filter(process_key=process_key, enabled=True).first()
