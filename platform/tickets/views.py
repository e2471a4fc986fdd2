"""The agent workbench pages (thin: access check, one action or query, a template)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from customers.queries import pending_proposals
from definitions.models import ProcessVersion
from forms.permissions import field_access
from forms.render import parse_post, render_form
from pricing.queries import settlement_for
from tickets import actions, conversation, operations
from tickets.access import access_ticket, may_act_on_task
from tickets.fields import (
    field_titles,
    roles_of,
    start_form,
    task_access,
    task_form,
)
from tickets.models import HumanTask, MessageAttachment, Ticket, TicketRequester
from tickets.queries import EVENT_COLUMNS
from tickets.visibility import reader_for


def _task_for(user, task_id: int) -> HumanTask:
    task = (
        HumanTask.objects.select_related("ticket__process_version", "assignee")
        .filter(id=task_id)
        .first()
    )
    if task is None:
        raise Http404("task not found")
    try:
        access_ticket(user, task.ticket_id)
    except Ticket.DoesNotExist:
        raise Http404("task not found") from None
    return task


@login_required
def task_page(request, task_id: int):
    task = _task_for(request.user, task_id)
    form = task_form(task)
    data, errors, status = task.ticket.data, {}, 200
    if request.method == "POST":
        submitted = parse_post(form, request.POST, files=request.FILES) if form else {}
        try:
            ticket = actions.do_complete_task(request.user, task.id, submitted)
        except actions.InvalidSubmission as exc:
            data, errors, status = exc.redisplay, exc.errors, 422
        except actions.ActionError as exc:
            messages.error(request, reader_for(request).view(task.ticket).text(str(exc)))
            return redirect("tickets:task", task_id=task.id)
        else:
            messages.success(request, f"{task.name}: done.")
            return redirect("tickets:ticket", ref=ticket.number)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    can_act = may_act_on_task(request.user, task) and task.state in actions.OPEN_STATES
    html = None
    if form is not None:
        html = render_form(
            form,
            data,
            task_access(request.user, task, form),
            errors,
            csrf_token=get_token(request),
            submit_label="Complete" if can_act else "",
        )
    allowed = operations.allowed_operations(request.user, task)
    context = {
        "task": task,
        "ticket": task.ticket,
        "form_html": html,
        "can_act": can_act,
        "errors": errors,
        "operations": allowed,
        "send_back_targets": operations.send_back_targets(task) if "send_back" in allowed else [],
    }
    return render(request, "tickets/task.html", context, status=status)


@login_required
def ticket_page(request, ref: str):
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None
    view = reader_for(request).view(ticket)
    timeline = []
    for event in ticket.events.select_related("actor").only(*EVENT_COLUMNS, "actor__username"):
        detail = view.detail(event.kind, event.detail)
        timeline.append({"event": event, "detail": detail, "data": detail.get("data")})
    titles = field_titles(ticket.process_version)
    shown = view.data(ticket.data)
    context = {
        "ticket": ticket,
        "proposals": [
            {
                "id": p.id,
                "customer": p.customer,
                "matched_by": p.matched_by,
                **view.value({"name": p.name, "phone": p.phone, "email": p.email}),
            }
            for p in pending_proposals(ticket.id)
        ],
        "title": view.text(ticket.title),
        "incident": view.value(ticket.incident) if ticket.incident else None,
        "data": {titles.get(key, key): value for key, value in shown.items()},
        "open_tasks": ticket.tasks.filter(state__in=actions.OPEN_STATES).select_related("assignee"),
        "timeline": timeline,
        "settlement": settlement_for(ticket.number),
        "thread": [
            {"message": m, "body": view.text(m.body), "author_name": view.text(m.author_name)}
            for m in conversation.thread(ticket, public_only=False)
        ],
        "requester": requester_of(ticket, view),
    }
    return render(request, "tickets/ticket.html", context)


def requester_of(ticket: Ticket, view) -> dict:
    """Who asked, as they gave it on the form or in the mail (never the linked customer's
    record in their place), and whether it clashes with a known customer."""
    row = TicketRequester.objects.filter(ticket=ticket).select_related("matched_customer").first()
    data = ticket.data or {}
    if row is not None:
        shown = {"name": row.name, "phone": row.phone, "email": row.email}
    else:
        shown = {
            "name": data.get("customer_name") or "",
            "phone": data.get("customer_phone") or "",
            "email": data.get("customer_email") or "",
        }
    requester = {key: view.text(str(value)) for key, value in shown.items() if value}
    if row is not None and row.mismatch and row.matched_customer is not None:
        requester["mismatch"] = {
            "customer": row.matched_customer.name,
            "matched_by": row.matched_by,
        }
    return requester


@login_required
@require_POST
def post_message(request, ref: str):
    """A reply to the customer or an internal note, from the ticket page at any step."""
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None
    public = request.POST.get("visibility") == "public"
    try:
        uploads = conversation.uploads_from(request.FILES.getlist("attachments"))
        operations.do_post_message(
            request.user, ticket.id, request.POST.get("body", ""), public=public, uploads=uploads
        )
    except actions.ActionError as exc:
        messages.error(request, reader_for(request).view(ticket).text(str(exc)))
        response = redirect("tickets:ticket", ref=ticket.number)
        response.status_code = 303
        return response
    messages.success(request, "Reply sent to the customer." if public else "Note added.")
    return redirect(f"{reverse('tickets:ticket', args=[ticket.number])}#thread")


@login_required
def attachment(request, ref: str, attachment_id: int):
    """An attachment's file, for whoever may see its ticket (there is no media URL)."""
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None
    found = MessageAttachment.objects.filter(id=attachment_id, message__ticket=ticket).first()
    if found is None:
        raise Http404("no such attachment")
    return conversation.file_response(found)


@login_required
@require_POST
def decide_customer_link(request, ref: str, proposal_id: int, decision: str):
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None
    if decision not in ("confirm", "reject"):
        raise Http404("no such decision")
    try:
        actions.do_confirm_customer_link(
            request.user, proposal_id, confirm=decision == "confirm", ticket_id=ticket.id
        )
        messages.success(request, "Customer linked." if decision == "confirm" else "Dismissed.")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    return redirect("tickets:ticket", ref=ticket.number)


@login_required
def new_ticket(request, process_key: str):
    version = ProcessVersion.objects.filter(key=process_key).order_by("-version").first()
    if version is None:
        raise Http404("no such process")
    form = start_form(version)
    data, errors, status = {}, {}, 200
    if request.method == "POST":
        submitted = parse_post(form, request.POST) if form else {}
        try:
            ticket = actions.do_start_ticket(request.user, process_key, submitted, channel="pc")
        except actions.InvalidSubmission as exc:
            data, errors, status = exc.redisplay, exc.errors, 422
        except actions.ActionError as exc:
            messages.error(request, str(exc))
            return redirect("tickets:list")
        else:
            messages.success(request, f"Ticket {ticket.number} raised.")
            return redirect("tickets:ticket", ref=ticket.number)
    html = None
    if form is not None:
        access = field_access(form, "start", roles_of(request.user), may_act=True)
        html = render_form(form, data, access, errors, csrf_token=get_token(request))
    context = {"version": version, "form_html": html}
    return render(request, "tickets/new.html", context, status=status)


_OPERATIONS = {
    "release": lambda user, task, post: operations.do_release(user, task.id),
    "transfer": lambda user, task, post: operations.do_transfer(
        user,
        task.id,
        to_user=post.get("to_user", ""),
        to_group=post.get("to_group", ""),
        reason=post.get("reason", ""),
    ),
    "send_back": lambda user, task, post: operations.do_send_back(
        user, task.id, post.get("to", ""), post.get("reason", "")
    ),
    "approve": lambda user, task, post: operations.do_decide(
        user, task.id, True, post.get("comment", "")
    ),
    "reject": lambda user, task, post: operations.do_decide(
        user, task.id, False, post.get("comment", "")
    ),
    "request_info": lambda user, task, post: operations.do_request_info(
        user, task.id, post.get("question", "")
    ),
    "comment": lambda user, task, post: operations.do_comment(
        user, task.ticket_id, post.get("body", "")
    ),
}


@login_required
@require_POST
def task_operation(request, task_id: int, operation: str):
    task = _task_for(request.user, task_id)
    if operation not in _OPERATIONS:
        raise Http404("no such operation")
    try:
        _OPERATIONS[operation](request.user, task, request.POST)
        messages.success(request, f"{operation.replace('_', ' ').capitalize()}: done.")
    except actions.ActionError as exc:
        messages.error(request, reader_for(request).view(task.ticket).text(str(exc)))
        return redirect("tickets:task", task_id=task.id)
    return redirect("tickets:ticket", ref=task.ticket.number)
