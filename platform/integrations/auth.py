"""Who is calling: a bearer API token (integrators) or the session (the web UI).

``ApiTokenAuth`` puts the token's user in ``request.user`` and the token in
``request.auth``; a session request has the user in both. Scopes bind tokens only: a session
is the web UI, whose user the actions check as they would for any page.
"""

import functools
import hmac

from django.db import connections
from django.db.models.query import get_related_populators
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from integrations import ratelimit
from integrations.actions import TOKEN_PREFIX, mark_token_used
from integrations.errors import ApiError
from integrations.models import ApiToken, hash_token

_SENTINEL = "\x01key id\x01"  # never a key id: it stands for the value in the template
_compiled: dict[str, tuple] = {}


def _token_with_user(key_id: str, using: str = "default") -> ApiToken | None:
    """`ApiToken.objects.select_related("user").filter(key_id=…).first()`, compiled to SQL
    once per process: every API request runs it, and compiling it cost more CPU than
    running it. Objects are built as Django's ModelIterable builds them."""
    compiled = _compiled.get(using)
    if compiled is None:
        query = ApiToken.objects.select_related("user").filter(key_id=_SENTINEL).order_by("pk")
        compiler = query[:1].query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        compiled = _compiled[using] = (compiler, sql, list(params).index(_SENTINEL), params)
    compiler, sql, slot, template = compiled
    params = (*template[:slot], key_id, *template[slot + 1 :])
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    klass_info, select = compiler.klass_info, compiler.select
    first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = [column[0].target.attname for column in select[first:last]]
    populators = get_related_populators(klass_info, select, using)
    for row in compiler.results_iter([results]):
        token = ApiToken.from_db(using, names, row[first:last])
        for populator in populators:
            populator.populate(row, token)
        return token
    return None


def authenticate_token(clear: str) -> ApiToken:
    """The usable token for a clear token string; AuthenticationError (401) otherwise."""
    parts = clear.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise AuthenticationError(message="malformed API token")
    token = _token_with_user(parts[1])
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(clear.strip())):
        raise AuthenticationError(message="invalid API token")
    if token.revoked_at is not None:
        raise AuthenticationError(message="API token has been revoked")
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise AuthenticationError(message="API token has expired")
    if not token.user.is_active:
        raise AuthenticationError(message="API token's user is inactive")
    return token


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer fd_<key id>_<secret>``; counts against the token's rate.

    With a `scope` (set per operation from its ``require_scope``), a token lacking it is
    refused with 403 before the request body is even parsed."""

    def __init__(self, scope: str | None = None):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token: str) -> ApiToken:
        api_token = authenticate_token(token)
        ratelimit.enforce(
            f"token:{api_token.key_id}",
            ratelimit.api_rate_per_min(api_token),
            f"token {api_token.name}",
        )
        mark_token_used(api_token)
        request.user = api_token.user
        if self.scope is not None and not api_token.has_scope(self.scope):
            raise ApiError(403, f"token lacks scope {self.scope}")
        return api_token


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def check_scope(request, scope: str) -> None:
    """Raise 403 when a token request lacks `scope`; session requests pass."""
    token = token_of(request)
    if token is not None and not token.has_scope(scope):
        raise ApiError(403, f"token lacks scope {scope}")


def require_scope(scope: str):
    """Endpoint decorator (below the router's): token requests need `scope`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            check_scope(request, scope)
            return view(request, *args, **kwargs)

        wrapper.required_scope = scope
        return wrapper

    return decorator


def session_only(request) -> None:
    """For token management: a token may not mint or revoke tokens."""
    if token_of(request) is not None:
        raise ApiError(403, "API tokens are managed from a logged-in session, not with a token")
