"""Outbound HTTP that cannot be pointed at the server's own network.

A model's connector task (or a webhook) makes the server send a request to a URL that a
process author chose, so by default a URL must not reach loopback, private, link-local
(cloud metadata at 169.254.169.254), multicast or reserved addresses, whether written as an
IP literal or reached through a host name. The host name is resolved once, every address is
vetted, and the connection goes to a vetted address itself (`request_pinned`) rather than
letting the HTTP client resolve the name again (DNS rebinding). The request still carries
the original Host header and, over HTTPS, the server name (SNI) and the certificate check
of the host name.

No settings are read here: callers pass the allow-list and the private-address allowance.
"""

import fnmatch
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadUrl(ValueError):
    """The URL may not be requested. `retryable` when it may work later (the name does not
    resolve right now), not when it points at an internal or unlisted host."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def is_internal(address: Address) -> bool:
    address = getattr(address, "ipv4_mapped", None) or address
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class Target:
    """Where a request goes: the URL's parts and the vetted addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[Address, ...]


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """`allowed` holds host names, `*.example.com` patterns, or `*` for any host."""
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, pattern.lower().strip()) for pattern in allowed)


def split_url(url: str) -> tuple:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise BadUrl("the URL must use http or https")
    if not parts.hostname:
        raise BadUrl("the URL has no host")
    if parts.username or parts.password:
        raise BadUrl("the URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BadUrl(f"the URL has a bad port: {exc}") from exc
    return parts, port


def addresses_of(host: str, port: int, resolver: Callable = resolve) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise BadUrl(f"host {host!r} does not resolve", retryable=True) from exc
    if not found:
        raise BadUrl(f"host {host!r} does not resolve", retryable=True)
    return list(dict.fromkeys(found))


def vet(
    url: str,
    *,
    allow_private: bool,
    allowed_hosts: Iterable[str] | None = None,
    resolver: Callable = resolve,
    allow_hint: str = "",
) -> Target:
    """Check the host against `allowed_hosts` (None: any host), resolve it and check every
    address; BadUrl saying why not."""
    parts, port = split_url(url)
    if allowed_hosts is not None and not host_allowed(parts.hostname, allowed_hosts):
        raise BadUrl(f"host {parts.hostname} is not in the list of allowed hosts{allow_hint}")
    addresses = addresses_of(parts.hostname, port, resolver)
    if not allow_private:
        for address in addresses:
            if is_internal(address):
                raise BadUrl(
                    f"host {parts.hostname} is or resolves to a private or loopback address "
                    f"({address}){allow_hint}"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, tuple(addresses))


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


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool  # the answer was longer than the limit


def request_pinned(
    method: str,
    target: Target,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
    context: ssl.SSLContext | None = None,
) -> Response:
    """Send one request to the vetted target; at most `max_bytes` of the answer are read.
    Connection and TLS errors propagate (OSError, http.client.HTTPException)."""
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(
            target, timeout, context or ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request(method, target.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(max_bytes + 1)
        return Response(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            data[:max_bytes],
            len(data) > max_bytes,
        )
    finally:
        connection.close()
