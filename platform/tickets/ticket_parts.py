"""Parts of the ticket page fetched on their own, each checked like the page itself
(a ticket the reader may not see is absent: 404; no session: 403): later pages of the
timeline, the process diagram and its marks, and the pickers' searches."""

from functools import wraps

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tickets import diagram, pickers
from tickets.access import access_ticket
from tickets.models import HumanTask, Ticket
from tickets.queries import BadEventCursor
from tickets.taskstate import allowed_operations
from tickets.ticket_page import timeline, zone_of
from tickets.visibility import reader_for
from tickets.words import tier_name

QUERY_LENGTH = 100


def _signed_in(view):
    """Fetched by scripts: no login page redirect, a 403 they can tell apart."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "sign in first"}, status=403)
        return view(request, *args, **kwargs)

    return checked


def _ticket(request, ref: str) -> Ticket:
    try:
        return access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        raise Http404("ticket not found") from None


@require_GET
@_signed_in
def timeline_more(request, ref: str):
    """The timeline lines after `?after=<cursor>`, as list items (htmx appends them)."""
    ticket = _ticket(request, ref)
    try:
        with timezone.override(zone_of(request.user)):
            lines, next_cursor = timeline(
                ticket, reader_for(request).view(ticket), request.GET.get("after", "")
            )
            context = {"ticket": ticket, "timeline": lines, "timeline_next": next_cursor}
            return render(request, "tickets/_timeline_items.html", context)
    except BadEventCursor:
        return HttpResponse("invalid page", status=400, content_type="text/plain")


@require_GET
@_signed_in
def diagram_bpmn(request, ref: str):
    """The BPMN of the ticket's own process version (what it runs, not the latest)."""
    ticket = _ticket(request, ref)
    return HttpResponse(
        ticket.process_version.bpmn_xml, content_type="application/xml; charset=utf-8"
    )


@require_GET
@_signed_in
def diagram_marks(request, ref: str):
    ticket = _ticket(request, ref)
    return JsonResponse(diagram.marks(ticket, timezone.now()))


def _task(request, task_id: int) -> HumanTask:
    task = HumanTask.objects.select_related("ticket__process_version").filter(id=task_id).first()
    if task is None:
        raise Http404("task not found")
    _ticket(request, str(task.ticket_id))
    return task


def _query(request) -> str:
    return request.GET.get("q", "")[:QUERY_LENGTH]


@require_GET
@_signed_in
def task_people(request, task_id: int):
    """Whom a task may be transferred to, by name: only for who may transfer it."""
    task = _task(request, task_id)
    if "transfer" not in allowed_operations(request.user, task):
        return JsonResponse({"detail": "you may not transfer this step"}, status=403)
    found = (
        pickers.groups_for_task(task, _query(request))
        if request.GET.get("kind") == "group"
        else pickers.people_for_task(task, _query(request))
    )
    return JsonResponse({"results": found})


def _catalog_search(find):
    """A form's catalog field's search box (`find`: pickers.parts or pickers.warehouses,
    by code or name): staff only."""

    @require_GET
    @_signed_in
    def search(request):
        if not request.user.is_staff:
            return JsonResponse({"detail": "staff only"}, status=403)
        return JsonResponse({"results": find(_query(request))})

    return search


part_search = _catalog_search(pickers.parts)
warehouse_search = _catalog_search(pickers.warehouses)


@require_GET
@_signed_in
def people_search(request):
    """Staff for a form's user field, by name (within `?group=` when the field names one)."""
    if not request.user.is_staff:
        return JsonResponse({"detail": "staff only"}, status=403)
    group = request.GET.get("group", "")[:QUERY_LENGTH]
    return JsonResponse({"results": pickers.staff_people(_query(request), group)})


@require_GET
@_signed_in
def customer_search(request):
    if not request.user.is_staff:
        return JsonResponse({"detail": "staff only"}, status=403)
    found = pickers.customers(_query(request))
    return JsonResponse({"results": [{**c, "tier": str(tier_name(c["tier"]))} for c in found]})
