"""The ticket page's appointment section: book or move, cancel, check in and out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import appointments
from tickets.access import access_ticket
from tickets.errors import ActionError
from tickets.models import Ticket


def _ticket(request, ref: str) -> Ticket:
    try:
        return access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None


def _back(ticket: Ticket):
    return redirect(reverse("tickets:ticket", args=[ticket.number]) + "#appointment")


def _run(request, ticket: Ticket, write, done: str):
    try:
        write()
    except ActionError as exc:
        messages.error(request, str(exc))
        return _back(ticket)
    messages.success(request, done)
    return _back(ticket)


@login_required
@require_POST
def book(request, ref: str):
    ticket = _ticket(request, ref)
    slot = request.POST.get("slot", "")
    return _run(
        request,
        ticket,
        lambda: appointments.do_book_appointment(ticket.id, slot, request.user),
        _("The appointment is booked."),
    )


@login_required
@require_POST
def cancel(request, ref: str, booking_id: int):
    ticket = _ticket(request, ref)
    return _run(
        request,
        ticket,
        lambda: appointments.do_cancel_appointment(ticket.id, booking_id, request.user),
        _("The appointment is cancelled."),
    )


@login_required
@require_POST
def site_visit(request, ref: str, booking_id: int, step: str):
    if step not in ("in", "out"):
        raise Http404("no such step")
    ticket = _ticket(request, ref)
    done = _("Checked in.") if step == "in" else _("Checked out.")
    return _run(
        request,
        ticket,
        lambda: appointments.do_site_visit(ticket.id, booking_id, request.user, step),
        done,
    )
