"""Ticket events -> notify.fanout: plain facts out, and the audience resolver notify asks.

`events_written` is called by engine.record_event/flush_events inside the action's
transaction; `audience` is registered with notify when the app is ready (apps.py).
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse

from customers.models import CustomerLinkProposal
from notify import fanout
from notify.models import DEFAULT_LANGUAGE, Recipient
from org import queries as org_queries
from tickets.models import HumanTask, Ticket, TicketMessage, TicketRequester

_OPEN = (HumanTask.State.OPEN, HumanTask.State.CLAIMED)
_STATUS_WORDS = {
    "zh-hans": {"active": "处理中", "completed": "已解决", "cancelled": "已取消"},
    "en": {"active": "in progress", "completed": "resolved", "cancelled": "cancelled"},
}


def events_written(events) -> None:
    """Hand freshly written events to the notification rules (a job row in the same
    transaction, fanned out after the commit)."""
    fanout.fan_out_later(
        fanout.EventFacts(
            id=e.pk,
            kind=e.kind,
            ticket_id=e.ticket_id,
            bpmn_id=e.bpmn_id or "",
            detail=e.detail or {},
            actor_id=e.actor_id,
            task_id=e.task_id,
        )
        for e in events
        if e.pk is not None
    )


class EventsJob:
    """The notification job of a step's events, written in the step's one statement
    (tickets.prepared.write_step) instead of one of its own."""

    def __init__(self, events: list):
        self.events = events

    def sql(self, source: str):
        return fanout.job_from_rows({e.kind for e in self.events}, source)

    def written(self, job_id: int | None) -> None:
        fanout.job_written(job_id)

    def elsewhere(self) -> None:
        events_written(self.events)


def tracking_url(ticket: Ticket) -> str:
    try:
        path = reverse("intake:track", args=[ticket.tracking_token])
    except NoReverseMatch:
        path = f"/t/{ticket.tracking_token}/"
    return settings.FLOWDESK_FRONTEND_URL.rstrip("/") + path


def _task(event: fanout.EventFacts) -> HumanTask | None:
    query = HumanTask.objects.filter(ticket_id=event.ticket_id)
    if event.task_id:
        return query.filter(id=event.task_id).first()
    if event.bpmn_id:
        return query.filter(bpmn_id=event.bpmn_id).order_by("-id").first()
    return None


def _open_tasks(ticket_id: int) -> list[HumanTask]:
    return list(
        HumanTask.objects.filter(ticket_id=ticket_id, state__in=_OPEN).prefetch_related(
            "candidate_groups"
        )
    )


def _group_members(groups) -> list[User]:
    return list(User.objects.filter(groups__in=list(groups), is_active=True).distinct())


def _roles(event, roles, ticket: Ticket, task: HumanTask | None) -> dict[str, list]:
    found: dict[str, list] = {}
    tasks = [task] if task is not None else _open_tasks(ticket.id)
    if Recipient.ASSIGNEE in roles:
        name = event.detail.get("assignee") if event.kind == "assigned" else None
        if name:
            found[Recipient.ASSIGNEE] = list(User.objects.filter(username=name, is_active=True))
        else:
            found[Recipient.ASSIGNEE] = [t.assignee for t in tasks if t.assignee_id]
    if Recipient.GROUP in roles:
        names = event.detail.get("candidate_groups")
        if names and not event.detail.get("assignee"):
            found[Recipient.GROUP] = list(
                User.objects.filter(groups__name__in=names, is_active=True).distinct()
            )
        elif not names:
            unassigned = [t for t in tasks if not t.assignee_id]
            groups = {g for t in unassigned for g in t.candidate_groups.all()}
            found[Recipient.GROUP] = _group_members(groups) if groups else []
    if Recipient.MENTIONED in roles:
        names = [str(n) for n in event.detail.get("mentions") or []]
        found[Recipient.MENTIONED] = list(User.objects.filter(username__in=names, is_active=True))
    if Recipient.SUPERVISORS in roles:
        sups = {org_queries.supervisor_for(t.assignee, None) for t in tasks if t.assignee_id}
        found[Recipient.SUPERVISORS] = [s for s in sups if s is not None]
    return found


def _contact(ticket: Ticket) -> fanout.Contact | None:
    """The requester as the ticket knows them: its own data first, then the customer
    record, then the sender's details kept on a proposed link (an unconfirmed visitor)."""
    data = ticket.data or {}
    if data.get("parent_ticket"):
        # A follow-up (回访) is our own work on another ticket: the customer hears about
        # that one, not about a second ticket they never asked for.
        return None
    sources = [data, ticket.customer]
    proposal = CustomerLinkProposal.objects.filter(ticket_id=ticket.id).order_by("id").first()
    sources.append(proposal)
    emails = [_field(s, "customer_email", "email") for s in sources if s]
    phones = [_field(s, "customer_phone", "phone") for s in sources if s]
    email, phone = next(filter(None, emails), ""), next(filter(None, phones), "")
    if not email and not phone:
        return None
    return fanout.Contact(email=email, phone=phone, language=_language(ticket))


def _field(source, data_key: str, attribute: str) -> str:
    value = source.get(data_key) if isinstance(source, dict) else getattr(source, attribute, "")
    return str(value or "").strip()


def _language(ticket: Ticket) -> str:
    """The customer's language: the one they wrote their request in, else the ticket's."""
    try:
        chosen = ticket.requester.language
    except TicketRequester.DoesNotExist:
        chosen = ""
    chosen = chosen or (ticket.data or {}).get("language") or ""
    chosen = str(chosen).lower()
    return "en" if chosen.startswith("en") else DEFAULT_LANGUAGE


def _cached(cache: dict, key, load):
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _text_of(event: fanout.EventFacts, cache: dict) -> str:
    """What was said: a conversation message's body (not kept in its event), else the
    event's own text."""
    detail = event.detail
    if event.kind == "message_posted" and detail.get("message_id"):
        return _cached(
            cache,
            ("message", detail["message_id"]),
            lambda: (
                TicketMessage.objects.filter(id=detail["message_id"])
                .values_list("body", flat=True)
                .first()
                or ""
            ),
        )
    return str(detail.get("text") or detail.get("body") or "")


def audience(event: fanout.EventFacts, roles: frozenset[str], cache: dict) -> fanout.Audience:
    ticket = _cached(
        cache,
        ("ticket", event.ticket_id),
        lambda: Ticket.objects.select_related("customer", "requester").get(id=event.ticket_id),
    )
    key = ("task", event.task_id) if event.task_id else ("step", event.bpmn_id)
    task = _cached(cache, key, lambda: _task(event))
    detail = event.detail
    actor = None
    if event.actor_id:
        actor = _cached(
            cache, ("user", event.actor_id), lambda: User.objects.filter(id=event.actor_id).first()
        )
    language = _language(ticket)
    context = {
        "ticket": ticket.number or "",
        "title": ticket.title,
        "status": ticket.status,
        "status_text": _STATUS_WORDS.get(language, _STATUS_WORDS["en"]).get(ticket.status, ""),
        "task": task.name if task else str(detail.get("name") or ""),
        "actor": (actor.get_full_name() or actor.get_username()) if actor else "",
        "tracking_url": tracking_url(ticket),
        "question": str(detail.get("question") or ""),
        "text": _text_of(event, cache),
        "customer_name": str((ticket.data or {}).get("customer_name") or ""),
    }
    found = _roles(event, roles, ticket, task) if roles - {Recipient.CUSTOMER} else {}
    contact = None
    if Recipient.CUSTOMER in roles:
        contact = _cached(cache, ("contact", ticket.id), lambda: _contact(ticket))
    return fanout.Audience(
        by_role=found,
        contacts=[contact] if contact else [],
        context=context,
        actor_id=event.actor_id,
    )
