"""Webhook subscription endpoints: integrators subscribe URLs to ticket events."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema

from integrations.auth import require_scope
from integrations.errors import ApiError
from notify.actions import do_subscribe_webhook, do_unsubscribe_webhook
from notify.models import WebhookSubscription
from notify.webhooks import BadWebhookUrl, check_webhook_url, may_manage_webhooks

router = Router(tags=["webhooks"])


class ErrorOut(Schema):
    detail: str


class WebhookOut(Schema):
    id: int
    url: str
    event_types: list[str]
    scope: str
    active: bool
    created_at: dt.datetime


class WebhookIn(Schema):
    url: str
    event_types: list[str] = ["*"]
    # customer: payloads as the customer may read them (public messages, masked fields
    # masked); staff: as you may read them on the workbench, internal notes included.
    scope: Literal["customer", "staff"] = "customer"


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
        sub = do_subscribe_webhook(
            url=url, event_types=body.event_types, created_by=request.user, scope=body.scope
        )
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
