"""Who may manage webhook subscriptions, which URLs they may point at, and how a delivery
connects there.

A subscription makes the server POST to a URL of the subscriber's choosing, so by default a
URL must not reach the server's own network: loopback, private, link-local (cloud metadata
at 169.254.169.254), multicast and reserved addresses are refused, for IP literals and for
every address a host name resolves to. FLOWDESK_WEBHOOK_ALLOW_PRIVATE=True lifts that (a
deployment whose receivers live on the internal network; tests delivering to 127.0.0.1).

The check runs when a subscription is made and again at every delivery: a name that
resolved to a public address then may resolve to 127.0.0.1 now (DNS rebinding). So a
delivery resolves the host once, vets every address, and connects to a vetted address
itself (`post_pinned`) instead of letting the HTTP client resolve the name a second time;
the request still carries the original Host header and, over HTTPS, the server name (SNI)
and certificate check of the host name. The checks and the pinned connection are
bpmn/net.py's, shared with the SpiffArena `http/*` connector operators; this module keeps
the webhook's own wording and settings.
"""

import ipaddress
import ssl

from django.conf import settings

from bpmn import net

Address = net.Address
Target = net.Target  # where a delivery goes: the URL's parts and the vetted addresses
_ALLOW_HINT = "; set FLOWDESK_WEBHOOK_ALLOW_PRIVATE to allow internal receivers"


class BadWebhookUrl(ValueError):
    """The URL may not receive deliveries. `retryable` when it may work later (the name
    does not resolve right now), not when it points at an internal address."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def may_manage_webhooks(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("notify.add_webhooksubscription")
    )


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in the resolver's order. The one place webhook
    host names are looked up (tests point it at their own names)."""
    return net.resolve(host, port)


def _resolve_now(host: str, port: int) -> list[Address]:
    return resolve(host, port)  # looked up at call time, so a test's replacement applies


def _parts(url: str):
    try:
        return net.split_url(url)
    except net.BadUrl as exc:
        message = str(exc).replace("the URL", "webhook URL", 1)
        if "credentials" in message:
            message += "; use the signing secret"
        raise BadWebhookUrl(message) from exc


def vet(url: str) -> Target:
    """Resolve the URL's host and check every address; BadWebhookUrl saying why not."""
    _parts(url)  # a malformed URL in the webhook's own words
    allow = getattr(settings, "FLOWDESK_WEBHOOK_ALLOW_PRIVATE", False)
    try:
        return net.vet(url, allow_private=allow, resolver=_resolve_now, allow_hint=_ALLOW_HINT)
    except net.BadUrl as exc:
        raise BadWebhookUrl(f"webhook {exc}", retryable=exc.retryable) from exc


def check_webhook_url(url: str, *, resolve_host: bool = True) -> str:
    """The URL if deliveries may go there; BadWebhookUrl saying why not otherwise.
    Without `resolve_host` only what the URL itself says is checked (an IP literal must be
    public); the delivery checks the name's addresses anyway."""
    if getattr(settings, "FLOWDESK_WEBHOOK_ALLOW_PRIVATE", False):
        _parts(url)  # the name need not resolve yet when internal receivers are allowed
        return url.strip()
    if resolve_host:
        vet(url)
        return url.strip()
    parts, port = _parts(url)
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url.strip()
    if net.is_internal(literal):
        raise BadWebhookUrl(
            f"webhook URL points at a private or loopback address ({literal}); "
            "set FLOWDESK_WEBHOOK_ALLOW_PRIVATE to allow internal receivers"
        )
    return url.strip()


def post_pinned(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    context: ssl.SSLContext | None = None,
) -> tuple[int, bytes]:
    """POST `body` to the vetted target; the status and the first `max_bytes` of the answer.
    Connection and TLS errors propagate (OSError, http.client.HTTPException)."""
    answer = net.request_pinned("POST", target, body, headers, timeout, max_bytes, context)
    return answer.status, answer.body
