"""The worklist and ticket-list pages (thin: parse the filters, one query, a template),
the rows fragment the live refresh swaps in, bulk actions and the people picker."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from definitions.models import ProcessVersion
from tickets import actions, bulk, worklists
from tickets.pages import BadCursor
from tickets.search import search_tickets, shown_matches
from tickets.visibility import reader_for
from tickets.worklist_forms import (
    CHANNELS,
    PRIORITIES,
    SORT_LABELS,
    TICKET_STATUSES,
    BulkForm,
    TicketFilterForm,
    WorklistFilterForm,
    assignable_people,
    display_name,
    offered_to,
    transfer_groups,
)
from tickets.worklist_rows import RowText, row_html

PAGE_ROWS = 50
TAB_LABELS = {
    "mine": gettext_lazy("Mine"),
    "groups": gettext_lazy("My groups"),
    "all": gettext_lazy("All"),
    "overdue": gettext_lazy("Overdue"),
    "due_soon": gettext_lazy("Due soon"),
}


@login_required
def home(request):
    return redirect("tickets:worklist")


def _next_link(request, param: str, cursor: str | None) -> str | None:
    """The URL of the page after this one: the current query with `param` = cursor."""
    if not cursor:
        return None
    query = request.GET.copy()
    query[param] = cursor
    return f"?{query.urlencode()}"


def _query_without(request, *names: str, **values) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


def _active_filters(request, form) -> int:
    """How many filters the query sets (the search words and the sort are no filters):
    the count the collapsed filter panel shows on a phone."""
    return sum(1 for name in form.fields if name not in ("q", "sort") and request.GET.get(name))


def _tab(request) -> str:
    tab = request.GET.get("tab") or "mine"
    return tab if tab in worklists.tabs_for(request.user) else "mine"


def _rows(request, people) -> dict:
    """The page of rows the filters ask for, as people read them."""
    form = WorklistFilterForm(request.GET or None, people=people)
    form.is_valid()
    filters = form.filters()
    now = timezone.now()
    try:
        page = worklists.worklist_page(
            request.user,
            _tab(request),
            filters,
            limit=PAGE_ROWS,
            cursor=request.GET.get("after") or None,
            now=now,
        )
    except BadCursor:
        raise Http404("invalid page") from None
    reader = reader_for(request)
    tickets = [task.ticket for task in page.items]
    if filters.q:
        shown = {t.id for t in shown_matches(reader, tickets, filters.q)}
        page.items = [task for task in page.items if task.ticket_id in shown]
    else:
        reader.prime(tickets)
    text = RowText()
    return {
        "rows": [row_html(task, reader, now, text) for task in page.items],
        "form": form,
        "filters": filters,
        "filtered": any(request.GET.get(name) for name in form.fields if name != "sort"),
        "active_filters": _active_filters(request, form),
        "next_page": _next_link(request, "after", page.next_cursor),
        "paged": bool(request.GET.get("after")),
        "first_page": f"?{_query_without(request, 'after')}",
        "rows_url": f"{reverse('tickets:worklist_rows')}?{request.GET.urlencode()}",
    }


def _tabs(request, counted: bool) -> dict:
    """The tabs, each with the current query (less the page) and, `counted`, its count."""
    tab = _tab(request)
    counts = worklists.tab_counts(request.user) if counted else {}
    return {
        "tabs": [
            {
                "label": TAB_LABELS[name],
                "count": counts.get(name),
                "more": counts.get(name, 0) > worklists.COUNT_CAP,
                "url": f"{reverse('tickets:worklist')}?{_query_without(request, 'after', tab=name)}",
                "current": name == tab,
            }
            for name in worklists.tabs_for(request.user)
        ],
        "counted": counted,
        "cap": worklists.COUNT_CAP,
        "tabs_url": f"{reverse('tickets:worklist_tabs')}?{request.GET.urlencode()}",
    }


@login_required
@require_GET
def worklist_page(request):
    """Tabs (mine, my groups, all for supervisors, overdue, due soon), their counts coming
    with the first refresh (`worklist_tabs`); the filters, sort, search and page (`after`)
    in the query string."""
    people, groups = offered_to(request.user)
    context = _rows(request, people)
    tab = _tab(request)
    context["tab"] = tab
    context["tab_label"] = TAB_LABELS[tab]
    context.update(_tabs(request, counted=False))
    context["bulk"] = BulkForm(people=people, groups=groups)
    context["here"] = request.get_full_path()
    return render(request, "tickets/worklist.html", context)


@login_required
@require_GET
def worklist_rows(request):
    """Only the rows of the worklist (htmx swaps them in when something changed): no
    context processors (the fragment shows no navigation), and the people an assignee
    filter chooses among only when the query has one."""
    people = offered_to(request.user)[0] if request.GET.get("assignee") else ()
    context = _rows(request, people)
    return HttpResponse(render_to_string("tickets/_worklist_rows.html", context))


@login_required
@require_GET
def worklist_tabs(request):
    """The tabs with their counts: htmx loads them once the page is there and refreshes
    them with the rows, so the counts follow what the list shows."""
    return HttpResponse(render_to_string("tickets/_worklist_tabs.html", _tabs(request, True)))


def _outcome_text(outcome: bulk.Outcome, request: bulk.BulkRequest) -> str:
    ref = outcome.ticket or _("Task %(id)s") % {"id": outcome.task_id}
    if outcome.ok:
        done = {
            "claim": _("claimed by you"),
            "assign": _("assigned to %(name)s")
            % {"name": display_name(request.to_user) if request.to_user else ""},
            "transfer": _("moved to the queue of %(group)s")
            % {"group": request.to_group.name if request.to_group else ""},
            "priority": _("priority set to %(priority)s")
            % {"priority": PRIORITIES.get(request.priority, "")},
            "close": _("closed"),
        }[request.action]
        return f"{ref}: {done}"
    why = {
        "forbidden": _("not allowed: you may not do this on this step"),
        "conflict": _("not done: the step was claimed, completed or closed meanwhile"),
        "not_found": _("not found"),
    }.get(outcome.reason, _("not done: the request was not valid for this step"))
    return f"{ref}: {why}"


@login_required
@require_POST
def bulk_action(request):
    """Run one action on the selected rows; one message per ticket, back to the list."""
    people = assignable_people(request.user)
    form = BulkForm(request.POST, people=people, groups=transfer_groups(request.user))
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("tickets:worklist")
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected tasks."))
        return redirect(back)
    wanted = form.bulk_request()
    try:
        outcomes = bulk.do_bulk(request.user, wanted)
    except actions.ActionError:
        messages.error(request, _bulk_refusal(wanted))
        return redirect(back)
    for outcome in outcomes:
        tell = messages.success if outcome.ok else messages.error
        tell(request, _outcome_text(outcome, wanted))
    return redirect(back)


def _bulk_refusal(wanted: bulk.BulkRequest) -> str:
    if not wanted.task_ids:
        return _("Select at least one task first.")
    if len(wanted.task_ids) > bulk.MAX_TASKS:
        return _("Select at most %(n)s tasks at a time.") % {"n": bulk.MAX_TASKS}
    return {
        "assign": _("Choose the person to assign the tasks to."),
        "transfer": _("Choose the queue to move the tasks to."),
        "priority": _("Choose the new priority."),
    }.get(wanted.action, _("Choose what to do with the selected tasks."))


@login_required
@require_GET
def people(request):
    """The people tasks may be assigned to, by name: {"people": [{id, username, name}]}."""
    text = (request.GET.get("q") or "").strip()[:100]
    found = assignable_people(request.user, text, limit=20)
    return JsonResponse(
        {"people": [{"id": p.id, "username": p.username, "name": display_name(p)} for p in found]}
    )


@login_required
@require_POST
def claim(request, task_id: int):
    outcome = bulk.do_bulk(request.user, bulk.BulkRequest("claim", [task_id]))[0]
    if outcome.ok:
        messages.success(request, _("Task claimed."))
    else:
        messages.error(request, _outcome_text(outcome, bulk.BulkRequest("claim", [task_id])))
    return redirect("tickets:task", task_id=task_id)


@login_required
@require_GET
def ticket_list(request):
    """The tickets I may see, newest first or by `?sort=` (updated, due, priority),
    searched and filtered (`?q=…&status=…`), in keyset pages (`?after=<cursor>`)."""
    form = TicketFilterForm(request.GET or None)
    form.is_valid()
    filters = form.filters()
    try:
        page = search_tickets(
            request.user, filters, limit=PAGE_ROWS, cursor=request.GET.get("after") or None
        )
    except BadCursor:
        raise Http404("invalid page") from None
    reader = reader_for(request)
    if filters.q:
        page.items = shown_matches(reader, page.items, filters.q)
    else:
        reader.prime(page.items)
    processes = {}
    for pv in ProcessVersion.objects.only("key", "name", "version").order_by("key", "-version"):
        processes.setdefault(pv.key, pv)
    context = {
        "form": form,
        "rows": [
            {
                "ticket": t,
                "title": reader.view(t).text(t.title),
                "priority_label": PRIORITIES.get(t.priority, t.priority),
                "status_label": TICKET_STATUSES.get(t.status, t.status),
                "channel_label": CHANNELS.get(t.channel, t.channel),
            }
            for t in page.items
        ],
        "filtered": any(request.GET.get(name) for name in form.fields if name != "sort"),
        "active_filters": _active_filters(request, form),
        "sort_label": SORT_LABELS[filters.sort],
        "next_page": _next_link(request, "after", page.next_cursor),
        "paged": bool(request.GET.get("after")),
        "first_page": f"?{_query_without(request, 'after')}",
        "processes": processes.values(),
    }
    return render(request, "tickets/list.html", context)
