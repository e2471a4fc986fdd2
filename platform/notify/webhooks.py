"""Who may manage webhook subscriptions, and which URLs they may point at.

A subscription makes the server POST to a URL of the subscriber's choosing, so by default a
URL must not reach the server's own network: loopback, private, link-local (cloud metadata
at 169.254.169.254), multicast and reserved addresses are refused, for IP literals and for
every address a host name resolves to. FLOWDESK_WEBHOOK_ALLOW_PRIVATE=True lifts that (a
deployment whose receivers live on the internal network; tests delivering to 127.0.0.1).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class BadWebhookUrl(ValueError):
    pass


def may_manage_webhooks(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("notify.add_webhooksubscription")
    )


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadWebhookUrl(f"webhook host {host!r} does not resolve") from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _internal(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return not address.is_global or address.is_multicast


def check_webhook_url(url: str) -> str:
    """The URL if deliveries may go there; BadWebhookUrl saying why not otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise BadWebhookUrl("webhook URL must use http or https")
    if not parts.hostname:
        raise BadWebhookUrl("webhook URL has no host")
    if parts.username or parts.password:
        raise BadWebhookUrl("webhook URL must not carry credentials; use the signing secret")
    if getattr(settings, "FLOWDESK_WEBHOOK_ALLOW_PRIVATE", False):
        return url.strip()
    for address in _addresses(parts.hostname):
        if _internal(address):
            raise BadWebhookUrl(
                f"webhook URL points at a private or loopback address ({address}); "
                "set FLOWDESK_WEBHOOK_ALLOW_PRIVATE to allow internal receivers"
            )
    return url.strip()
