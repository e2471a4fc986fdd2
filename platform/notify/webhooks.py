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
and certificate check of the host name.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise BadWebhookUrl(f"webhook host {host!r} does not resolve", retryable=True) from exc
    if not found:
        raise BadWebhookUrl(f"webhook host {host!r} does not resolve", retryable=True)
    return list(dict.fromkeys(found))


def _internal(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the URL's parts and the vetted addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[Address, ...]


def _parts(url: str):
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise BadWebhookUrl("webhook URL must use http or https")
    if not parts.hostname:
        raise BadWebhookUrl("webhook URL has no host")
    if parts.username or parts.password:
        raise BadWebhookUrl("webhook URL must not carry credentials; use the signing secret")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BadWebhookUrl(f"webhook URL has a bad port: {exc}") from exc
    return parts, port


def vet(url: str) -> Target:
    """Resolve the URL's host and check every address; BadWebhookUrl saying why not."""
    parts, port = _parts(url)
    addresses = _addresses(parts.hostname, port)
    if not getattr(settings, "FLOWDESK_WEBHOOK_ALLOW_PRIVATE", False):
        for address in addresses:
            if _internal(address):
                raise BadWebhookUrl(
                    f"webhook host {parts.hostname} is or resolves to a private or loopback address "
                    f"({address}); set FLOWDESK_WEBHOOK_ALLOW_PRIVATE to allow internal "
                    "receivers"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, tuple(addresses))


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
    if _internal(literal):
        raise BadWebhookUrl(
            f"webhook URL points at a private or loopback address ({literal}); "
            "set FLOWDESK_WEBHOOK_ALLOW_PRIVATE to allow internal receivers"
        )
    return url.strip()


# ---------------------------------------------------------------- pinned connections


def _connect(addresses: tuple[Address, ...], port: int, timeout) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted addresses; Host stays the URL's host name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self):
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the vetted addresses; SNI and the certificate check use the host name."""

    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self.addresses = target.addresses
        self.tls_context = context

    def connect(self):
        sock = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


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
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target, timeout, context or ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(max_bytes)
    finally:
        connection.close()
