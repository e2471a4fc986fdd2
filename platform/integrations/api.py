"""API token endpoints (session only): integrators create and revoke their own tokens."""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from integrations import actions
from integrations.auth import session_only
from integrations.models import ApiToken

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
