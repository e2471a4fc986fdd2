"""Integration endpoints: API tokens (session only), webhook subscriptions, ticket search."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth

from integrations import actions
from integrations.auth import require_scope, session_only
from integrations.errors import ApiError
from integrations.models import ApiToken
from integrations.search import BadCursor, TicketFilters, search_tickets
from integrations.webhooks import BadWebhookUrl, check_webhook_url, may_manage_webhooks
from notify.actions import do_subscribe_webhook, do_unsubscribe_webhook
from notify.models import WebhookSubscription
from tickets.models import Ticket

router = Router(tags=["integrations"])


class ErrorOut(Schema):
    detail: str


# ------------------------------------------------------------------------------- tokens


class TokenOut(Schema):
    id: int
    name: str
    key_id: str
    scopes: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str
    scopes: list[str]
    expires_at: dt.datetime | None = None


class NewTokenOut(Schema):
    token: str  # shown this once; only its hash is kept
    info: TokenOut


@router.get("/tokens", response=list[TokenOut], auth=django_auth)
def list_tokens(request: HttpRequest):
    """The caller's own API tokens (never their secrets)."""
    session_only(request)
    return list(ApiToken.objects.filter(user=request.user))


@router.post("/tokens", response={201: NewTokenOut, 400: ErrorOut}, auth=django_auth)
def create_token(request: HttpRequest, body: TokenIn):
    """A token acting as the caller; the clear token is in this response only."""
    session_only(request)
    try:
        token, clear = actions.do_create_token(
            request.user, body.name, body.scopes, expires_at=body.expires_at
        )
    except actions.TokenError as exc:
        return 400, {"detail": str(exc)}
    return 201, {"token": clear, "info": token}


@router.delete("/tokens/{token_id}", response={200: TokenOut, 404: ErrorOut}, auth=django_auth)
def revoke_token(request: HttpRequest, token_id: int):
    session_only(request)
    try:
        return actions.do_revoke_token(request.user, token_id)
    except ApiToken.DoesNotExist:
        return 404, {"detail": f"token {token_id} not found"}


# ----------------------------------------------------------------------------- webhooks


class WebhookOut(Schema):
    id: int
    url: str
    event_types: list[str]
    active: bool
    created_at: dt.datetime


class WebhookIn(Schema):
    url: str
    event_types: list[str] = ["*"]


class NewWebhookOut(Schema):
    secret: str  # HMAC-SHA256 signing secret, shown this once
    subscription: WebhookOut


def _webhook_access(request) -> None:
    if not may_manage_webhooks(request.user):
        raise ApiError(403, "you may not manage webhook subscriptions")


@router.get("/webhooks", response={200: list[WebhookOut], 403: ErrorOut})
@require_scope("webhooks:manage")
def list_webhooks(request: HttpRequest):
    """Active webhook subscriptions."""
    _webhook_access(request)
    return list(WebhookSubscription.objects.filter(active=True))


@router.post("/webhooks", response={201: NewWebhookOut, 400: ErrorOut, 403: ErrorOut})
@require_scope("webhooks:manage")
def create_webhook(request: HttpRequest, body: WebhookIn):
    """Subscribe a URL to event types ("*" = all). Deliveries are signed with the secret
    returned here (X-Flowdesk-Signature: HMAC-SHA256 over timestamp and body)."""
    _webhook_access(request)
    try:
        url = check_webhook_url(body.url)
        sub = do_subscribe_webhook(url=url, event_types=body.event_types, created_by=request.user)
    except BadWebhookUrl as exc:
        return 400, {"detail": str(exc)}
    except ValidationError as exc:
        return 400, {"detail": "; ".join(exc.messages)}
    return 201, {"secret": sub.secret, "subscription": sub}


@router.delete(
    "/webhooks/{subscription_id}", response={200: WebhookOut, 403: ErrorOut, 404: ErrorOut}
)
@require_scope("webhooks:manage")
def delete_webhook(request: HttpRequest, subscription_id: int):
    """Stop deliveries to a subscription (queued ones are dropped)."""
    _webhook_access(request)
    try:
        return do_unsubscribe_webhook(subscription_id, by=request.user)
    except WebhookSubscription.DoesNotExist:
        return 404, {"detail": f"webhook subscription {subscription_id} not found"}


# ------------------------------------------------------------------------------- search


class SearchQuery(Schema):
    status: Ticket.Status | None = None
    process: str | None = None
    channel: Ticket.Channel | None = None
    min_priority: int | None = None
    customer: int | None = None
    customer_phone: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    assignee: str | None = None
    q: str | None = None
    limit: int = 50
    cursor: str | None = None


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
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_process(obj):
        return obj.process_version.key


class TicketPageOut(Schema):
    items: list[TicketSummaryOut]
    next_cursor: str | None


@require_scope("tickets:read")
def search(request: HttpRequest, query: Query[SearchQuery]):
    """Tickets the caller may see, newest first; pass `next_cursor` back as `cursor` for
    the next page (`limit` at most 100)."""
    if not 1 <= query.limit <= 100:
        return 400, {"detail": "limit must be between 1 and 100"}
    filters = TicketFilters(**query.dict(exclude={"limit", "cursor"}))
    try:
        return search_tickets(request.user, filters, limit=query.limit, cursor=query.cursor)
    except BadCursor as exc:
        return 400, {"detail": str(exc)}


def register_search(tickets_router: Router) -> None:
    """GET /tickets shares its URL with POST /tickets, and ninja routes one URL to one
    router: so the search operation is added to the tickets router."""
    tickets_router.get("/tickets", response={200: TicketPageOut, 400: ErrorOut}, tags=["tickets"])(
        search
    )
