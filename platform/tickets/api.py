"""Ticket, worklist and message endpoints (thin: parse, check access, call one action)."""

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from customers.actions import UnknownIdentity, do_link_customer
from integrations.auth import require_scope
from integrations.idempotency import idempotent
from integrations.openapi import MAX_ID
from integrations.responses import built, listed
from tickets import actions, conversation, operations
from tickets.access import access_ticket, may_see_ticket, worklist_page
from tickets.models import MessageAttachment, Ticket
from tickets.queries import BadEventCursor, timeline_page
from tickets.search import BadCursor, TicketFilters, search_tickets, shown_matches
from tickets.visibility import reader_for, redact_for

router = Router(tags=["tickets"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] | None = None


class DetailOut(Schema):
    detail: str


class TaskOut(Schema):
    id: int
    ticket: str
    bpmn_id: str
    name: str
    kind: str
    state: str
    assignee: str | None
    candidate_groups: list[str]
    priority: int
    due_at: str | None
    form_schema: str

    @staticmethod
    def resolve_ticket(obj):
        return obj.ticket.number

    @staticmethod
    def resolve_assignee(obj):
        return obj.assignee.username if obj.assignee_id else None

    @staticmethod
    def resolve_candidate_groups(obj):
        names = getattr(obj, "candidate_group_names", None)  # set by the action that made it
        return names if names is not None else sorted(g.name for g in obj.candidate_groups.all())

    @staticmethod
    def resolve_due_at(obj):
        return obj.due_at.isoformat() if obj.due_at else None


# What TaskOut shows, and nothing else of the task, its ticket or its assignee.


class EventOut(Schema):
    id: int
    kind: str
    at: str
    actor: str | None
    bpmn_id: str
    detail: dict

    @staticmethod
    def resolve_at(obj):
        return obj.at.isoformat()

    @staticmethod
    def resolve_detail(obj, context):
        return reader_for(context["request"]).view_of_event(obj).detail(obj.kind, obj.detail)

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username if obj.actor_id else None


class CustomerRefOut(Schema):
    id: int
    name: str
    tier: str


class TicketOut(Schema):
    id: int
    number: str
    title: str
    process: str
    process_version: int
    status: str
    priority: int
    channel: str
    correlation_key: str
    data: dict
    incident: dict | None
    next_timer_at: str | None
    waiting_messages: list[str]
    open_tasks: list[TaskOut]
    customer: CustomerRefOut | None = None

    @staticmethod
    def resolve_data(obj, context):
        return reader_for(context["request"]).view(obj).data(obj.data)

    @staticmethod
    def resolve_title(obj, context):
        return reader_for(context["request"]).view(obj).text(obj.title)

    @staticmethod
    def resolve_incident(obj, context):
        return redact_for(reader_for(context["request"]), obj, obj.incident)

    @staticmethod
    def resolve_customer(obj, context):
        return customer_ref(obj, context)

    @staticmethod
    def resolve_process(obj):
        return obj.process_version.key

    @staticmethod
    def resolve_process_version(obj):
        return obj.process_version.version

    @staticmethod
    def resolve_next_timer_at(obj):
        return obj.next_timer_at.isoformat() if obj.next_timer_at else None

    @staticmethod
    def resolve_open_tasks(obj):
        known = getattr(obj, "open_task_rows", None)  # what the action just wrote
        if known is not None:
            earlier = [t for t in known if not hasattr(t, "candidate_group_names")]
            if earlier:  # rows the action found open: their groups in one query
                prefetch_related_objects(earlier, "candidate_groups")
            return known
        return list(
            obj.tasks.filter(state__in=actions.OPEN_STATES)
            .select_related("assignee")
            .prefetch_related("candidate_groups")
        )


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str

    @staticmethod
    def resolve_name(obj, context):
        # A file name is free text: a hidden or masked value in it goes the way of the body's.
        return reader_for(context["request"]).view(obj.message.ticket).text(obj.name)

    @staticmethod
    def resolve_url(obj):
        ticket = obj.message.ticket
        return f"/api/v1/tickets/{ticket.number or ticket.id}/attachments/{obj.id}"


class MessageOut(Schema):
    id: int
    visibility: str
    author_kind: str
    author: str | None
    author_name: str
    body: str
    source: str
    mentions: list[str]
    attachments: list[AttachmentOut]
    created_at: str

    @staticmethod
    def resolve_author(obj):
        return obj.author.username if obj.author_id else None

    @staticmethod
    def resolve_author_name(obj, context):
        return reader_for(context["request"]).view(obj.ticket).text(obj.author_name)

    @staticmethod
    def resolve_body(obj, context):
        return reader_for(context["request"]).view(obj.ticket).text(obj.body)

    @staticmethod
    def resolve_mentions(obj):
        return [u.username for u in obj.mentions.all()]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())

    @staticmethod
    def resolve_created_at(obj):
        return obj.created_at.isoformat()


class MessagePageOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class AttachmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    content_base64: str


class MessagePostIn(Schema):
    body: str = Field("", max_length=conversation.BODY_MAX)
    attachments: list[AttachmentIn] = Field([], max_length=conversation.MAX_FILES)


class EventPageOut(Schema):
    items: list[EventOut]
    next_cursor: str | None


def customer_ref(ticket: Ticket, context) -> dict | None:
    """The linked customer; their name as the reader may see the ticket's customer_name."""
    customer = ticket.customer
    if customer is None:
        return None
    name = reader_for(context["request"]).view(ticket).text(customer.name)
    return {"id": customer.id, "name": name, "tier": customer.tier}


class CustomerIn(Schema):
    """Who the ticket is for: linked to (or creates) a customer by external id, phone,
    e-mail or WeCom id; the customer's name and tier go into the process data."""

    name: str = ""
    phone: str = ""
    email: str = ""
    wecom_id: str = ""
    external_id: str = ""


class StartIn(Schema):
    process: str
    data: dict[str, Any] = {}
    title: str = ""
    channel: Ticket.Channel = Ticket.Channel.API
    priority: int = Field(Ticket.Priority.NORMAL, ge=0, le=4)  # 4 = VIP
    correlation_key: str = ""
    customer: CustomerIn | None = None


class CompleteIn(Schema):
    data: dict[str, Any] = {}


class MessageIn(Schema):
    name: str
    payload: dict[str, Any] = {}
    correlation_key: str = ""
    ticket: str = ""


class CancelIn(Schema):
    reason: str = ""


def fail(exc: actions.ActionError):
    if isinstance(exc, actions.InvalidSubmission):
        return exc.status, {"detail": str(exc), "errors": exc.errors}
    return exc.status, {"detail": str(exc)}


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/tickets", response={201: TicketOut, **ERRORS})
@require_scope("tickets:write")
@idempotent
def start_ticket(request: HttpRequest, body: StartIn):
    """Start a ticket of the latest version of a deployed process."""
    try:
        customer = do_link_customer(body.customer.dict())[0] if body.customer else None
    except UnknownIdentity as exc:
        return 400, {"detail": f"customer: {exc}"}
    try:
        ticket = actions.do_start_ticket(
            request.user,
            body.process,
            body.data,
            title=body.title,
            channel=body.channel,
            priority=body.priority,
            correlation_key=body.correlation_key,
            customer=customer,
        )
    except actions.ActionError as exc:
        return fail(exc)
    return 201, ticket


@router.get("/tickets/{ref}", response={200: TicketOut, 404: ErrorOut})
@require_scope("tickets:read")
def get_ticket(request: HttpRequest, ref: str):
    """A ticket by number (SV-2026-000001) or id: status, data, open tasks (the timeline
    is `GET /tickets/{ref}/events`)."""
    try:
        return access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}


@router.get("/tickets/{ref}/events", response={200: EventPageOut, 400: ErrorOut, 404: ErrorOut})
@require_scope("tickets:read")
def ticket_events(request: HttpRequest, ref: str, cursor: str = "", limit: int = 50):
    """The ticket's timeline in the order it was written, a page at a time: pass
    `next_cursor` back as `cursor` for the next page (`limit` at most 200)."""
    if not 1 <= limit <= 200:
        return 400, {"detail": "limit must be between 1 and 200"}
    try:
        ticket = access_ticket(request.user, ref)
        reader_for(request).view(ticket)  # event details are redacted against this ticket
        return timeline_page(ticket, cursor, limit)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except BadEventCursor as exc:
        return 400, {"detail": str(exc)}


@router.post("/tickets/{ref}/retry", response={200: TicketOut, **ERRORS})
@require_scope("tickets:write")
def retry_ticket(request: HttpRequest, ref: str):
    """Run the failed step of a ticket with an incident again."""
    try:
        ticket = access_ticket(request.user, ref)
        return actions.do_retry_incident(request.user, ticket.id)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except actions.ActionError as exc:
        return fail(exc)


@router.post("/tickets/{ref}/cancel", response={200: TicketOut, **ERRORS})
@require_scope("tickets:write")
def cancel_ticket(request: HttpRequest, ref: str, body: CancelIn):
    try:
        ticket = access_ticket(request.user, ref)
        return actions.do_cancel_ticket(request.user, ticket.id, body.reason)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except actions.ActionError as exc:
        return fail(exc)


@router.get("/tasks", response={200: list[TaskOut], 400: ErrorOut})
@require_scope("tickets:read")
def list_tasks(
    request: HttpRequest,
    response: HttpResponse,
    scope: str = "mine",
    process: str = "",
    customer: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None,
    limit: int = 100,
    cursor: str | None = None,
):
    """My worklist, VIP first then by due time: `mine`, `group` (unclaimed, for my groups),
    `all`, `overdue`, `due_soon`; optionally one template (`process`) or `customer`.
    Keyset pages of `limit` (at most 200) tasks: when more follow, the `X-Next-Cursor`
    header (and `Link: rel="next"`) carries the `cursor` of the next page."""
    try:
        page = worklist_page(
            request.user, scope, process=process, customer=customer, limit=limit, cursor=cursor
        )
    except ValueError as exc:  # an unknown scope or a bad cursor
        return 400, {"detail": str(exc)}
    prefetch_related_objects(page.items, "candidate_groups")
    reader_for(request).prime([task.ticket for task in page.items])
    if page.next_cursor:
        following = request.GET.copy()
        following["cursor"] = page.next_cursor
        response["X-Next-Cursor"] = page.next_cursor
        response["Link"] = f'<{request.path}?{following.urlencode()}>; rel="next"'
    return listed(request, response, TaskOut, page.items)


@router.post("/tasks/{task_id}/claim", response={200: TaskOut, **ERRORS})
@require_scope("tasks:write")
def claim_task(request: HttpRequest, task_id: int):
    try:
        return actions.do_claim_task(request.user, task_id)
    except actions.ActionError as exc:
        return fail(exc)


@router.post("/tasks/{task_id}/complete", response={200: TicketOut, **ERRORS})
@require_scope("tasks:write")
def complete_task(request: HttpRequest, task_id: int, body: CompleteIn):
    """Complete a READY task with form data; a repeated or stale completion is a 409."""
    try:
        return actions.do_complete_task(request.user, task_id, body.data)
    except actions.ActionError as exc:
        return fail(exc)


class DeliveredOut(Schema):
    detail: str


@router.post("/messages", response={200: TicketOut, 202: DeliveredOut, **ERRORS})
@require_scope("messages:write")
@idempotent
def correlate_message(request: HttpRequest, body: MessageIn):
    """Deliver a message to the ticket waiting for it (by correlation key or ticket number).
    The answer is the ticket when the caller may read it, else 202 with a receipt only."""
    try:
        ticket = actions.do_correlate_message(
            request.user, body.name, body.payload, body.correlation_key, body.ticket
        )
    except actions.ActionError as exc:
        return fail(exc)
    if not may_see_ticket(request.user, ticket.id):
        return 202, {"detail": f"message {body.name} delivered"}
    return ticket


# ------------------------------------------------------------------- proposed customer links


class CustomerLinkOut(Schema):
    """A known customer an unverified submission (the public form) named by phone or
    e-mail: the ticket is linked to them only once an agent confirms."""

    id: int
    customer: CustomerRefOut
    matched_by: str
    name: str
    phone: str
    email: str
    state: str


def _links_out(request, ticket) -> list[dict]:
    from customers.queries import pending_proposals

    view = reader_for(request).view(ticket)
    return [
        {
            "id": p.id,
            "customer": {"id": p.customer.id, "name": p.customer.name, "tier": p.customer.tier},
            "matched_by": p.matched_by,
            **view.value({"name": p.name, "phone": p.phone, "email": p.email}),
            "state": p.state,
        }
        for p in pending_proposals(ticket.id)
    ]


@router.get("/tickets/{ref}/customer-links", response={200: list[CustomerLinkOut], 404: ErrorOut})
@require_scope("tickets:read")
def list_customer_links(request: HttpRequest, ref: str):
    """The pending proposed links of a ticket."""
    try:
        return _links_out(request, access_ticket(request.user, ref))
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}


@router.post(
    "/tickets/{ref}/customer-links/{proposal_id}/{decision}", response={200: TicketOut, **ERRORS}
)
@require_scope("tickets:write")
def decide_customer_link(request: HttpRequest, ref: str, proposal_id: int, decision: str):
    """`confirm` links the ticket to the customer (its priority rises to their tier's);
    `reject` drops the proposal. Either is a 409 once the proposal is decided."""
    if decision not in ("confirm", "reject"):
        return 404, {"detail": f"unknown decision {decision!r} (confirm or reject)"}
    try:
        ticket = access_ticket(request.user, ref)
        return actions.do_confirm_customer_link(
            request.user, proposal_id, confirm=decision == "confirm", ticket_id=ticket.id
        )
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except actions.ActionError as exc:
        return fail(exc)


# ------------------------------------------------------------------------------- search


class SearchQuery(Schema):
    status: Ticket.Status | None = None
    process: str | None = None
    channel: Ticket.Channel | None = None
    min_priority: int | None = Field(None, ge=0, le=4)
    customer: int | None = Field(None, ge=1, le=MAX_ID)
    customer_phone: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    assignee: str | None = None
    q: str | None = None
    sort: Literal["created", "updated", "due", "priority"] = "created"
    limit: int = 50
    cursor: str | None = None

    @field_validator("created_after", "created_before")
    @classmethod
    def in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        """Any offset the client sends (PostgreSQL takes at most ±15:59) as UTC."""
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("date out of range") from None


class CustomerRef(Schema):
    id: int
    name: str
    tier: str


class TicketSummaryOut(Schema):
    id: int
    number: str
    title: str
    process: str
    status: str
    priority: int
    channel: str
    customer: CustomerRef | None
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None  # the earliest due time of its open tasks
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_process(obj):
        return obj.process_version.key

    @staticmethod
    def resolve_title(obj, context):
        return reader_for(context["request"]).view(obj).text(obj.title)

    @staticmethod
    def resolve_customer(obj, context):
        return customer_ref(obj, context)


class TicketPageOut(Schema):
    items: list[TicketSummaryOut]
    next_cursor: str | None


@router.get("/tickets", response={200: TicketPageOut, 400: DetailOut})
@require_scope("tickets:read")
def search(request: HttpRequest, query: Query[SearchQuery]):
    """Tickets the caller may see, newest first or by `sort`: `updated` (recently updated
    first), `due` (the earliest due time of their open tasks; none last), `priority`
    (highest first, then due); pass `next_cursor` back as `cursor` for the next page of
    the same sort (`limit` at most 100)."""
    if not 1 <= query.limit <= 100:
        return 400, {"detail": "limit must be between 1 and 100"}
    filters = TicketFilters(**query.dict(exclude={"limit", "cursor"}))
    try:
        page = search_tickets(request.user, filters, limit=query.limit, cursor=query.cursor)
    except BadCursor as exc:
        return 400, {"detail": str(exc)}
    reader = reader_for(request)
    if query.q:  # a ticket found only by a value the reader may not see is no match
        page.items = shown_matches(reader, page.items, query.q)
    else:
        reader.prime(page.items)
    return built(TicketPageOut, page, {"request": request})


# ---------------------------------------------------------------- conversation


@router.get("/tickets/{ref}/messages", response={200: MessagePageOut, 400: ErrorOut, 404: ErrorOut})
@require_scope("tickets:read")
def list_messages(request: HttpRequest, ref: str, cursor: str = "", limit: int = 50):
    """The ticket's conversation in the order written (public replies and internal notes),
    a page at a time: pass `next_cursor` back as `cursor` (`limit` at most 200)."""
    if not 1 <= limit <= 200:
        return 400, {"detail": "limit must be between 1 and 200"}
    try:
        ticket = access_ticket(request.user, ref)
        items, next_cursor = conversation.thread_page(ticket, cursor, limit, public_only=False)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except conversation.BadMessageCursor as exc:
        return 400, {"detail": str(exc)}
    for message in items:
        message.ticket = ticket
    return {"items": items, "next_cursor": next_cursor}


def _uploads(body: MessagePostIn) -> list[conversation.Upload]:
    uploads = []
    for item in body.attachments:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise actions.ActionError(f"{item.name}: content_base64 is not base64") from None
        uploads.append(conversation.Upload(item.name, content))
    return uploads


def _post(request, ref: str, body: MessagePostIn, *, public: bool):
    try:
        ticket = access_ticket(request.user, ref)
        message = operations.do_post_message(
            request.user, ticket.id, body.body, public=public, source="api", uploads=_uploads(body)
        )
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    except actions.ActionError as exc:
        return fail(exc)
    message = conversation.thread(ticket, public_only=False, after_id=message.id - 1, limit=1)[0]
    message.ticket = ticket
    return 201, message


MESSAGE_ERRORS = {**ERRORS, 413: ErrorOut}


@router.post("/tickets/{ref}/messages/replies", response={201: MessageOut, **MESSAGE_ERRORS})
@require_scope("messages:write")
def post_reply(request: HttpRequest, ref: str, body: MessagePostIn):
    """A public reply: the customer sees it on their tracking page. `@username` mentions
    colleagues; attachments as base64 (size and type limits apply)."""
    return _post(request, ref, body, public=True)


@router.post("/tickets/{ref}/messages/notes", response={201: MessageOut, **MESSAGE_ERRORS})
@require_scope("messages:write")
def post_note(request: HttpRequest, ref: str, body: MessagePostIn):
    """An internal note: staff only, never shown to the customer."""
    return _post(request, ref, body, public=False)


@router.get("/tickets/{ref}/attachments/{attachment_id}", response={404: ErrorOut})
@require_scope("tickets:read")
def download_attachment(request: HttpRequest, ref: str, attachment_id: int):
    """The file of a message attachment, for whoever may see the ticket."""
    try:
        ticket = access_ticket(request.user, ref)
    except Ticket.DoesNotExist:
        return 404, {"detail": f"ticket {ref} not found"}
    attachment = MessageAttachment.objects.filter(id=attachment_id, message__ticket=ticket).first()
    if attachment is None:
        return 404, {"detail": "no such attachment"}
    return conversation.file_response(attachment)
