"""Each channel against a real provider: a local HTTP server, Django's locmem mail backend."""

import hmac
import json
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import override_settings

from notify.actions import do_notify, do_set_preferences, do_subscribe_webhook
from notify.channels import get_channel, sign, verify_signature
from notify.delivery import deliver_pending
from notify.models import InAppMessage, OutboxMessage

pytestmark = pytest.mark.django_db


def _only_row() -> OutboxMessage:
    return OutboxMessage.objects.get()


# ---------------------------------------------------------------- webhook


def test_webhook_delivery_is_signed_and_verifiable_by_the_receiver(receiver):
    sub = do_subscribe_webhook(url=receiver.url + "/flowdesk", event_types=["ticket.closed"])
    receiver.secret = sub.secret
    do_notify("ticket.closed", ticket_id=5, context={"rating": 5, "note": "谢谢"})
    assert deliver_pending() == 1

    (request,) = receiver.received
    assert receiver.signature_results == [True]
    assert request.path == "/flowdesk"
    assert request.headers["X-Flowdesk-Event"] == "ticket.closed"
    assert request.headers["X-Flowdesk-Delivery"] == _only_row().idempotency_key
    assert request.headers["Content-Type"] == "application/json"
    # the documented scheme, computed independently of notify.channels
    timestamp = request.headers["X-Flowdesk-Timestamp"]
    expected = hmac.new(sub.secret.encode(), f"{timestamp}.".encode() + request.body, "sha256")
    assert request.headers["X-Flowdesk-Signature"] == "sha256=" + expected.hexdigest()
    assert abs(int(timestamp) - time.time()) < 60
    body = request.json()
    assert body["event"] == "ticket.closed" and body["ticket_id"] == 5
    assert body["data"] == {"rating": 5, "note": "谢谢"}


def test_a_receiver_rejects_a_delivery_signed_with_another_secret(receiver):
    do_subscribe_webhook(url=receiver.url, event_types=["*"], secret="the-real-secret")
    receiver.secret = "what-the-receiver-expects"
    do_notify("ticket.created", context={})
    assert deliver_pending() == 0
    row = _only_row()
    assert receiver.signature_results == [False]
    assert (row.state, row.attempts) == ("dead", 1) and "HTTP 401" in row.last_error


def test_verify_signature():
    body = b'{"event":"ticket.created"}'
    ts = str(int(time.time()))
    header = sign("k", ts, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature("k", ts, body, header)
    assert verify_signature("k", int(ts), body.decode(), header)
    assert not verify_signature("k", ts, body + b" ", header)
    assert not verify_signature("other", ts, body, header)
    assert not verify_signature("k", ts, body, None)
    assert not verify_signature("k", "yesterday", body, header)
    old = str(int(time.time()) - 301)
    assert not verify_signature("k", old, body, sign("k", old, body))
    assert verify_signature("k", old, body, sign("k", old, body), tolerance_s=600)


def test_deliveries_of_an_unsubscribed_webhook_go_dead(receiver):
    from notify.actions import do_unsubscribe_webhook

    sub = do_subscribe_webhook(url=receiver.url, event_types=["*"])
    do_notify("ticket.created", context={})
    do_unsubscribe_webhook(sub.pk)
    assert deliver_pending() == 0
    assert receiver.received == []
    assert _only_row().state == "dead"


def test_an_unreachable_endpoint_is_retryable(settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True  # a local port, to be sure nobody answers
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    do_subscribe_webhook(url=f"http://127.0.0.1:{port}/hook", event_types=["*"])
    do_notify("ticket.created", context={})
    assert deliver_pending() == 0
    row = _only_row()
    assert row.state == "failed" and "cannot reach" in row.last_error


def test_redirects_are_not_followed(receiver):
    do_subscribe_webhook(url=receiver.url, event_types=["*"])
    receiver.answer((302, b""))
    do_notify("ticket.created", context={})
    deliver_pending()
    assert _only_row().state == "dead" and len(receiver.received) == 1


# ---------------------------------------------------------------- SMS


def test_sms_posts_json_to_the_gateway(receiver, cast):
    do_set_preferences(cast["alice"], phone="13800138000")
    with override_settings(FLOWDESK_SMS_URL=receiver.url + "/sms/send", FLOWDESK_SMS_TOKEN="tkn"):
        do_notify(
            "sla.warning",
            users=[cast["alice"]],
            channels=["sms"],
            context={"number": "SV-1"},
            body="工单 {{ number }} 即将超时",
            urgent=True,
        )
        assert deliver_pending() == 1
    (request,) = receiver.received
    row = _only_row()
    assert request.path == "/sms/send"
    assert request.headers["Authorization"] == "Bearer tkn"
    assert request.headers["Idempotency-Key"] == row.idempotency_key
    assert request.json() == {
        "to": "13800138000",
        "content": "工单 SV-1 即将超时",
        "message_id": row.idempotency_key,
    }
    assert row.state == "sent"


@override_settings(FLOWDESK_SMS_URL="", FLOWDESK_WECOM_URL="")
def test_unconfigured_providers_fail_visibly(cast):
    do_set_preferences(cast["alice"], phone="13800138000", wecom_user_id="alice")
    do_notify("e", users=[cast["alice"]], channels=["sms", "wecom"], context={}, urgent=True)
    assert deliver_pending() == 0
    errors = dict(OutboxMessage.objects.values_list("channel", "last_error"))
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"dead"}
    assert "not configured" in errors["sms"] and "FLOWDESK_SMS_URL" in errors["sms"]
    assert "not configured" in errors["wecom"] and "FLOWDESK_WECOM_URL" in errors["wecom"]


# ---------------------------------------------------------------- WeCom


def _wecom_settings(receiver):
    return override_settings(
        FLOWDESK_WECOM_URL=receiver.url + "/cgi-bin/message/send",
        FLOWDESK_WECOM_TOKEN="ACCESS",
        FLOWDESK_WECOM_AGENT_ID="1000002",
    )


def test_wecom_sends_an_app_text_message(receiver, cast):
    do_set_preferences(cast["bob"], wecom_user_id="BobZhang")
    receiver.answer((200, b'{"errcode": 0, "errmsg": "ok", "msgid": "m1"}'))
    with _wecom_settings(receiver):
        do_notify(
            "ticket.escalated",
            users=[cast["bob"]],
            channels=["wecom"],
            context={"number": "SV-9"},
            subject="升级: {{ number }}",
            body="请处理",
            urgent=True,
        )
        assert deliver_pending() == 1
    (request,) = receiver.received
    url = urlsplit(request.path)
    assert url.path == "/cgi-bin/message/send"
    assert parse_qs(url.query) == {"access_token": ["ACCESS"]}
    sent = request.json()
    assert sent["touser"] == "BobZhang" and sent["agentid"] == 1000002
    assert sent["msgtype"] == "text" and sent["text"] == {"content": "升级: SV-9\n请处理"}


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (b'{"errcode": 81013, "errmsg": "user & party & tag all invalid"}', "dead"),
        (b'{"errcode": -1, "errmsg": "system busy"}', "failed"),
        (b'{"errcode": 0, "errmsg": "ok", "invaliduser": "BobZhang"}', "dead"),
    ],
)
def test_wecom_error_codes(receiver, cast, answer, state):
    do_set_preferences(cast["bob"], wecom_user_id="BobZhang")
    receiver.answer((200, answer))
    with _wecom_settings(receiver):
        do_notify("e", users=[cast["bob"]], channels=["wecom"], context={}, urgent=True)
        assert deliver_pending() == 0
    row = _only_row()
    assert row.state == state and "WeCom" in row.last_error


# ---------------------------------------------------------------- email


@override_settings(
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    FLOWDESK_EMAIL_FROM="flowdesk@example.cn",
)
def test_email_uses_the_configured_backend(cast):
    do_notify(
        "ticket.assigned",
        users=[cast["carol"]],
        channels=["email"],
        context={"number": "SV-3"},
        subject="Assigned {{ number }}",
        body="Hello {{ recipient }}",
        urgent=True,
    )
    assert deliver_pending() == 1
    (message,) = mail.outbox
    row = _only_row()
    assert message.to == ["carol@flowdesk.test"]
    assert message.from_email == "flowdesk@example.cn"
    assert (message.subject, message.body) == ("Assigned SV-3", "Hello Carol")
    assert message.extra_headers["X-Flowdesk-Delivery"] == row.idempotency_key
    assert row.state == "sent"


def test_an_unreachable_smtp_server_is_retryable(cast):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=2,
    )
    with smtp:
        do_notify("e", users=[cast["carol"]], channels=["email"], context={}, urgent=True)
        assert deliver_pending() == 0
    row = _only_row()
    assert row.state == "failed" and "SMTP unavailable" in row.last_error


# ---------------------------------------------------------------- in-app


def test_inapp_creates_one_inbox_entry_even_when_redelivered(cast):
    (row,) = do_notify(
        "ticket.assigned",
        ticket_id=12,
        users=[cast["alice"]],
        context={"title": "Broken AC"},
        subject="New ticket",
        body="{{ title }}",
    )
    assert deliver_pending() == 1
    get_channel("inapp").send(row)  # a redelivery after a crash
    (entry,) = InAppMessage.objects.all()
    assert entry.user == cast["alice"]
    assert (entry.title, entry.body, entry.link, entry.ticket_id) == (
        "New ticket",
        "Broken AC",
        "/tickets/12/",
        12,
    )
    assert entry.read_at is None and entry.outbox_message_id == row.pk


def test_webhook_payload_is_json_even_for_non_json_context(receiver):
    import datetime as dt
    from decimal import Decimal

    do_subscribe_webhook(url=receiver.url, event_types=["*"])
    do_notify(
        "pricing.settled",
        context={"total": Decimal("1234.50"), "at": dt.date(2026, 1, 2), "obj": object()},
    )
    deliver_pending()
    data = json.loads(receiver.received[0].body)["data"]
    assert data["total"] == "1234.50" and data["at"] == "2026-01-02"
    assert data["obj"].startswith("<object object")
