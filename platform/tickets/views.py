"""The agent workbench pages (thin: access check, one action or query, a template)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.queries import pending_proposals
from definitions.element_names import local_instructions, local_name
from definitions.models import ProcessVersion
from forms.decisions import decision_for
from forms.permissions import field_access
from forms.render import parse_post, render_form
from pricing.queries import settlement_for
from tickets import actions, appointments, conversation, operations, taskstate
from tickets.access import access_ticket, may_act_on_task
from tickets.fields import roles_of, start_form, task_access, task_form
from tickets.incident_text import with_text
from tickets.models import HumanTask, MessageAttachment, Ticket, TicketRequester
from tickets.ticket_page import Steps, operation_choices, page_context, zone_of
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
    allowed = operations.allowed_operations(request.user, task)
    decision = form and decision_for(form, allowed, taskstate.step_properties(task))
    data, errors, status = task.ticket.data, {}, 200
    if request.method == "POST":
        submitted = parse_post(form, request.POST, files=request.FILES) if form else {}
        try:
            chosen = decision and decision.operation_for(request.POST.get(decision.field))
            if chosen:
                rest = {k: v for k, v in submitted.items() if k != decision.field}
                comment = str(submitted.get("comment") or "")
                ticket = operations.do_decide(
                    request.user, task.id, chosen == "approve", comment, form_data=rest
                )
            else:
                ticket = actions.do_complete_task(request.user, task.id, submitted)
        except actions.InvalidSubmission as exc:
            data, errors, status = exc.redisplay, exc.errors, 422
        except actions.ActionError as exc:
            messages.error(request, reader_for(request).view(task.ticket).text(str(exc)))
            return redirect("tickets:task", task_id=task.id)
        else:
            messages.success(request, _("%(step)s: done.") % {"step": local_name(task.name)})
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
            submit_label=_("Complete") if can_act else "",
            decision=decision if can_act else None,
        )
    if decision and can_act:  # the form's buttons decide: no second Approve/Reject
        allowed = [op for op in allowed if op not in ("approve", "reject")]
    targets, groups = operation_choices(task, allowed, Steps(task.ticket))
    context = {
        "task": task,
        "ticket": task.ticket,
        "instructions": local_instructions(task.instructions, taskstate.step_properties(task)),
        "form_html": html,
        "can_act": can_act,
        "errors": errors,
        "operations": allowed,
        "send_back_targets": targets,
        "transfer_groups": groups,
    }
    return render(request, "tickets/task.html", context, status=status)


@login_required
def ticket_page(request, ref: str):
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None
    reader = reader_for(request)
    view = reader.view(ticket)
    with timezone.override(zone_of(request.user)):
        context = {
            **page_context(request.user, ticket, reader),
            "proposals": [
                {
                    "id": p.id,
                    "customer": p.customer,
                    "matched_by": p.matched_by,
                    **view.value({"name": p.name, "phone": p.phone, "email": p.email}),
                }
                for p in pending_proposals(ticket.id)
            ],
            "incident": with_text(view.value(ticket.incident)) if ticket.incident else None,
            "settlement": settlement_for(ticket.number),
            "appointment": appointments.offer_for(ticket),
            "thread": [
                {
                    "message": m,
                    "body": view.text(m.body),
                    "author_name": view.text(m.author_name),
                    "attachments": [
                        {"id": a.id, "name": view.text(a.name), "size": a.size}
                        for a in m.attachments.all()
                    ],
                }
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
    messages.success(request, _("Reply sent to the customer.") if public else _("Note added."))
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
            messages.success(request, _("Ticket %(number)s raised.") % {"number": ticket.number})
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


DONE_MESSAGES = {
    "release": gettext_lazy("The step is back in the queue."),
    "transfer": gettext_lazy("Transferred."),
    "send_back": gettext_lazy("Sent back."),
    "approve": gettext_lazy("Approved."),
    "reject": gettext_lazy("Rejected."),
    "request_info": gettext_lazy("Your question was sent to the customer."),
    "comment": gettext_lazy("Comment added."),
}


@login_required
@require_POST
def task_operation(request, task_id: int, operation: str):
    task = _task_for(request.user, task_id)
    if operation not in _OPERATIONS:
        raise Http404("no such operation")
    try:
        _OPERATIONS[operation](request.user, task, request.POST)
        messages.success(request, str(DONE_MESSAGES[operation]))
    except actions.ActionError as exc:
        messages.error(request, reader_for(request).view(task.ticket).text(str(exc)))
    return redirect("tickets:ticket", ref=task.ticket.number)
