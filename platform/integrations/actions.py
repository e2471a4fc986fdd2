"""The only writers of integration state: API tokens and idempotency keys."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.models import SCOPES, ApiToken, IdempotencyKey, hash_token

TOKEN_PREFIX = "fd"
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class TokenError(ValueError):
    pass


def check_scopes(scopes) -> list[str]:
    chosen = list(dict.fromkeys(str(s).strip() for s in scopes if str(s).strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise TokenError(f"unknown scopes {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    if not chosen:
        raise TokenError("a token needs at least one scope")
    return chosen


def do_create_token(
    user, name: str, scopes, *, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token acting as `user`; returns (row, clear token). The clear token is not
    stored anywhere: this is the only time anyone sees it."""
    chosen = check_scopes(scopes)
    if not name.strip():
        raise TokenError("a token needs a name")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("expires_at must be in the future")
    key_id = secrets.token_hex(6)
    clear = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip()[:100],
            user=user,
            key_id=key_id,
            token_hash=hash_token(clear),
            scopes=chosen,
            expires_at=expires_at,
        )
    return token, clear


def do_revoke_token(user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (a superuser may revoke anyone's)."""
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update()
        if not user.is_superuser:
            tokens = tokens.filter(user=user)
        token = tokens.filter(id=token_id).first()
        if token is None:
            raise ApiToken.DoesNotExist(f"token {token_id} not found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def mark_token_used(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Record use at most once a minute: a conditional UPDATE, so a busy token does not
    write its row on every request (nor run a statement while the time it was just read
    with is recent). Returns whether the row was written."""
    now = now or timezone.now()
    if token.last_used_at is not None and token.last_used_at >= now - LAST_USED_RESOLUTION:
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    written = ApiToken.objects.filter(stale, id=token.id).update(last_used_at=now)
    if written:
        token.last_used_at = now
    return bool(written)


def do_purge_idempotency_keys(now: dt.datetime | None = None) -> int:
    """Delete keys older than 24 h (after that a repeated key starts a new request)."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    with transaction.atomic():
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
