"""Delivery channels: one interface, `Channel.send(message)`, one adapter per channel.

`send` returns None when the provider accepted the message and raises
`DeliveryError(retryable=...)` otherwise: timeouts, connection errors, HTTP 5xx/408/429
are retryable; HTTP 4xx, redirects and a missing configuration are not. A channel whose
provider is not configured fails visibly ("not configured") and never pretends success.

Settings read here (all optional, see notify.conf for the full list):
    FLOWDESK_NOTIFY_HTTP_TIMEOUT_S  timeout of every HTTP POST (default 10 s)
    FLOWDESK_EMAIL_FROM             sender (default DEFAULT_FROM_EMAIL); EMAIL_BACKEND as usual
    FLOWDESK_SMS_URL                SMS gateway; POST {"to", "content", "message_id"}
    FLOWDESK_SMS_TOKEN              sent as "Authorization: Bearer <token>" when set
    FLOWDESK_WECOM_URL              WeCom `cgi-bin/message/send` or a relay in front of it
    FLOWDESK_WECOM_TOKEN            appended as ?access_token= when set
    FLOWDESK_WECOM_AGENT_ID         the application's agentid

Webhook deliveries are signed: `X-Flowdesk-Signature: sha256=<hex>` is the HMAC-SHA256, keyed
with the subscription secret, of "<X-Flowdesk-Timestamp>.<raw body>". Receivers check it with
`verify_signature` and deduplicate on `X-Flowdesk-Delivery` (the outbox idempotency key,
identical on every retry of the same delivery).
"""

import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage

from notify import conf, webhooks
from notify.mailing import do_record_mail, last_received, outgoing_message_id, reply_address
from notify.models import ChannelName, InAppMessage, OutboxMessage

USER_AGENT = "flowdesk-notify/1"
_MAX_RESPONSE_BYTES = 64 * 1024


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class Channel(ABC):
    name: str

    @abstractmethod
    def send(self, message: OutboxMessage) -> None:
        """Hand `message` to the provider; raise DeliveryError when it was not accepted."""


# ---------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would silently become a GET without a body: treat it as an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """POST `body` as JSON; return the response body (first 64 KiB) of a 2xx answer."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DeliveryError(f"refusing to POST to {url!r}: not an http(s) URL", retryable=False)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})},
    )
    try:
        with _OPENER.open(request, timeout=conf.http_timeout()) as response:
            return response.read(_MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        retryable = exc.code >= 500 or exc.code in (408, 429)
        raise DeliveryError(
            f"HTTP {exc.code} from {parts.hostname}: {detail}".strip(), retryable=retryable
        ) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"cannot reach {parts.hostname}: {reason}", retryable=True) from exc


def _json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# ---------------------------------------------------------------- adapters


class InAppChannel(Channel):
    name = ChannelName.INAPP

    def send(self, message: OutboxMessage) -> None:
        if message.recipient_id is None:
            raise DeliveryError("in-app message without a recipient user", retryable=False)
        # Keyed by the outbox row: a row redelivered after a crash finds its inbox entry.
        InAppMessage.objects.get_or_create(
            outbox_message_id=message.pk,
            defaults={
                "user_id": message.recipient_id,
                "event_type": message.event_type,
                "title": message.subject or message.event_type,
                "body": message.body,
                "link": (message.payload or {}).get("link", ""),
                "ticket_id": message.ticket_id,
            },
        )


class EmailChannel(Channel):
    name = ChannelName.EMAIL

    def send(self, message: OutboxMessage) -> None:
        sender = conf.get("FLOWDESK_EMAIL_FROM") or settings.DEFAULT_FROM_EMAIL
        number = (message.payload or {}).get("ticket_number") or None
        message_id = outgoing_message_id(message.idempotency_key, number)
        headers = {
            "Message-ID": message_id,
            "X-Flowdesk-Event": message.event_type,
            "X-Flowdesk-Delivery": message.idempotency_key,
        }
        if message.ticket_id is not None:
            answered = last_received(message.ticket_id)
            if answered:  # the customer's mail client shows ours under their last one
                headers["In-Reply-To"] = headers["References"] = answered
        email = EmailMessage(
            subject=message.subject or message.event_type,
            body=message.body,
            from_email=sender,
            to=[message.address],
            reply_to=[reply_address(number)] if number else None,
            headers=headers,
        )
        # Known before it leaves: a reply can arrive before this call returns.
        do_record_mail(message_id, ticket_id=message.ticket_id, direction="out")
        try:
            email.send(fail_silently=False)
        except (smtplib.SMTPRecipientsRefused, BadHeaderError, ValueError) as exc:
            raise DeliveryError(f"email rejected: {exc}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {exc}", retryable=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP unavailable: {exc}", retryable=True) from exc


def _required_setting(name: str, channel: str) -> str:
    value = conf.get(name, "")
    if not value:
        raise DeliveryError(f"{channel} channel not configured ({name} is empty)", retryable=False)
    return str(value)


class SmsChannel(Channel):
    name = ChannelName.SMS

    def send(self, message: OutboxMessage) -> None:
        url = _required_setting("FLOWDESK_SMS_URL", "SMS")
        headers = {"Idempotency-Key": message.idempotency_key}
        token = conf.get("FLOWDESK_SMS_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = {
            "to": message.address,
            "content": message.body or message.subject,
            "message_id": message.idempotency_key,
        }
        post_json(url, _json_bytes(body), headers)


# WeCom answers HTTP 200 with an errcode; these are worth another try (busy, token, rate).
_WECOM_RETRYABLE = {-1, 40014, 42001, 45009, 45033}


class WeComChannel(Channel):
    name = ChannelName.WECOM

    def send(self, message: OutboxMessage) -> None:
        url = _required_setting("FLOWDESK_WECOM_URL", "WeCom")
        token = conf.get("FLOWDESK_WECOM_TOKEN", "")
        if token:
            url += ("&" if "?" in url else "?") + urlencode({"access_token": token})
        agent = conf.get("FLOWDESK_WECOM_AGENT_ID", "")
        content = "\n".join(part for part in (message.subject, message.body) if part)
        body = {
            "touser": message.address,
            "msgtype": "text",
            "agentid": int(agent) if str(agent).isdigit() else agent,
            "text": {"content": content},
            "safe": 0,
            # Bounds duplicates when a row is redelivered after a worker crash.
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 600,
        }
        _check_wecom_answer(post_json(url, _json_bytes(body)))


def _check_wecom_answer(raw: bytes) -> None:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        return
    errcode = answer.get("errcode", 0)
    if errcode:
        errmsg = answer.get("errmsg", "")
        raise DeliveryError(
            f"WeCom errcode {errcode}: {errmsg}", retryable=errcode in _WECOM_RETRYABLE
        )
    if answer.get("invaliduser"):
        raise DeliveryError(f"WeCom invalid user {answer['invaliduser']}", retryable=False)


class WebhookChannel(Channel):
    """Signed POSTs to a subscriber's URL. The URL is checked again at every delivery and
    the connection goes to the address that was checked (notify.webhooks): a refused
    target fails the row for good, with the reason, instead of being retried."""

    name = ChannelName.WEBHOOK

    def send(self, message: OutboxMessage) -> None:
        subscription = message.subscription
        if subscription is None or not subscription.active:
            raise DeliveryError("webhook subscription removed or inactive", retryable=False)
        if not subscription.secret:
            raise DeliveryError(
                "webhook subscription has no signing secret; subscribe it again",
                retryable=False,
            )
        try:
            target = webhooks.vet(subscription.url)
        except webhooks.BadWebhookUrl as exc:
            raise DeliveryError(f"delivery refused: {exc}", retryable=exc.retryable) from exc
        body = _json_bytes(message.payload)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Flowdesk-Event": message.event_type,
            "X-Flowdesk-Delivery": message.idempotency_key,
            "X-Flowdesk-Timestamp": timestamp,
            "X-Flowdesk-Signature": sign(subscription.secret, timestamp, body),
        }
        try:
            status, answer = webhooks.post_pinned(
                target, body, headers, conf.http_timeout(), _MAX_RESPONSE_BYTES
            )
        except (http.client.HTTPException, OSError) as exc:
            reason = _network_reason(exc)
            raise DeliveryError(f"cannot reach {target.host}: {reason}", retryable=True) from exc
        _check_http_status(status, answer, target.host)


def _network_reason(exc: Exception) -> str:
    """What went wrong on the wire, in words ("Connection refused", "timed out")."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate was not accepted ({exc.verify_message})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _check_http_status(status: int, answer: bytes, host: str) -> None:
    """A 2xx answer is accepted; redirects are not followed (a redirected POST would turn
    into a GET without its body) and fail like any other 3xx/4xx."""
    if 200 <= status < 300:
        return
    detail = answer[:300].decode("utf-8", "replace")
    retryable = status >= 500 or status in (408, 429)
    raise DeliveryError(f"HTTP {status} from {host}: {detail}".strip(), retryable=retryable)


# ---------------------------------------------------------------- signatures


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    header: str | None,
    tolerance_s: int = 300,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` at `timestamp` with `secret`, within the tolerance."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s or not header:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, str(sent_at), raw), header)


CHANNELS: dict[str, Channel] = {
    adapter.name: adapter
    for adapter in (InAppChannel(), EmailChannel(), SmsChannel(), WeComChannel(), WebhookChannel())
}


def get_channel(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise DeliveryError(f"unknown channel {name!r}", retryable=False) from None
