"""do_notify writes outbox rows in the caller's transaction: templates, channels, webhooks."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from notify import delivery
from notify.actions import (
    do_notify,
    do_set_template,
    do_subscribe_webhook,
    do_unsubscribe_webhook,
)
from notify.drafts import parse_address
from notify.models import NotificationTemplate, OutboxMessage

pytestmark = pytest.mark.django_db


def test_templates_render_per_channel_without_autoescape(cast):
    do_set_template(
        "ticket.assigned", "inapp", subject="Ticket {{ number }} is yours", body="{{ title }}"
    )
    do_set_template(
        "ticket.assigned",
        "email",
        subject="[{{ number }}] assigned to {{ recipient }}",
        body="Customer: {{ customer }}\nOpen {{ link }}",
    )
    rows = do_notify(
        "ticket.assigned",
        ticket_id=7,
        users=[cast["alice"]],
        context={"number": "SV-2026-000007", "title": "Printer <jammed>", "customer": "王芳 & Co"},
    )
    by_channel = {row.channel: row for row in rows}
    assert set(by_channel) == {"inapp", "email"}
    assert by_channel["inapp"].subject == "Ticket SV-2026-000007 is yours"
    assert by_channel["inapp"].body == "Printer <jammed>"  # no &lt;
    assert by_channel["email"].subject == "[SV-2026-000007] assigned to Alice"
    assert by_channel["email"].body == "Customer: 王芳 & Co\nOpen /tickets/7/"
    assert by_channel["email"].address == "alice@flowdesk.test"
    assert all(row.state == "pending" and row.ticket_id == 7 for row in rows)
    assert len({row.idempotency_key for row in rows}) == 2


def test_without_templates_the_default_channel_gets_the_event_name(cast):
    rows = do_notify("ticket.commented", users=[cast["bob"]], context={})
    assert [(r.channel, r.subject, r.recipient_id) for r in rows] == [
        ("inapp", "ticket.commented", cast["bob"].pk)
    ]


def test_inline_subject_and_body_override_templates(cast):
    do_set_template("sla.warning", "inapp", subject="stored", body="stored body")
    (row,) = do_notify(
        "sla.warning",
        users=[cast["alice"]],
        context={"pct": 80},
        subject="SLA {{ pct }}%",
        body="Hurry: {{ pct }}% used",
    )
    assert (row.subject, row.body) == ("SLA 80%", "Hurry: 80% used")


def test_inactive_template_is_ignored(cast):
    NotificationTemplate.objects.create(
        event_type="x.y", channel="email", subject="s", body="b", active=False
    )
    rows = do_notify("x.y", users=[cast["alice"]], context={})
    assert [r.channel for r in rows] == ["inapp"]


def test_a_broken_stored_template_gives_a_visible_dead_row_not_an_exception(cast):
    NotificationTemplate.objects.create(
        event_type="broken", channel="inapp", subject="ok", body="{% if %}"
    )
    (row,) = do_notify("broken", users=[cast["alice"]], context={})
    assert row.state == "dead"
    assert "template" in row.last_error


def test_do_set_template_rejects_bad_syntax():
    with pytest.raises(ValidationError):
        do_set_template("e", "email", subject="{% for %}", body="x")
    with pytest.raises(ValidationError):
        do_set_template("e", "webhook", body="x")


def test_rollback_of_the_surrounding_transaction_leaves_no_outbox_rows(cast):
    do_subscribe_webhook(url="https://hooks.example.test/in", event_types=["*"])
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            rows = do_notify("ticket.created", users=[cast["alice"]], context={"n": 1})
            assert len(rows) == 2  # in-app + webhook, written inside the transaction
            raise RuntimeError("the ticket transition failed")
    assert OutboxMessage.objects.count() == 0


def test_same_idempotency_key_queues_nothing_twice(cast):
    first = do_notify("ticket.created", users=[cast["alice"]], context={}, idempotency_key="k1")
    again = do_notify("ticket.created", users=[cast["alice"]], context={}, idempotency_key="k1")
    assert len(first) == 1 and again == []
    assert OutboxMessage.objects.count() == 1


def test_users_are_deduplicated_and_inactive_users_skipped(cast):
    cast["carol"].is_active = False
    cast["carol"].save(update_fields=["is_active"])
    rows = do_notify("e", users=[cast["alice"], cast["alice"], cast["carol"]], context={})
    assert [r.recipient_id for r in rows] == [cast["alice"].pk]


def test_users_without_an_address_for_a_channel_are_skipped(cast):
    cast["dave"].email = ""
    cast["dave"].save(update_fields=["email"])
    rows = do_notify("e", users=[cast["dave"], cast["bob"]], context={}, channels=["email", "sms"])
    # nobody has a phone; only bob has an e-mail address
    assert [(r.channel, r.recipient_id) for r in rows] == [("email", cast["bob"].pk)]


def test_raw_addresses():
    rows = do_notify(
        "ticket.created",
        addresses=["wang.fang@example.cn", "sms:13800138000", ("wecom", "WangFang")],
        context={},
        subject="hi",
    )
    assert sorted((r.channel, r.address) for r in rows) == [
        ("email", "wang.fang@example.cn"),
        ("sms", "13800138000"),
        ("wecom", "WangFang"),
    ]
    assert all(r.recipient_id is None for r in rows)
    assert parse_address("email:a@b.cn") == ("email", "a@b.cn")
    with pytest.raises(ValueError):
        parse_address("13800138000")
    with pytest.raises(ValueError):
        do_notify("e", channels=["fax"], users=[], context={})


def test_webhooks_fan_out_to_matching_active_subscriptions(cast):
    everything = do_subscribe_webhook(url="https://a.example.test/hook", event_types=["*"])
    created = do_subscribe_webhook(
        url="https://b.example.test/hook", event_types=["ticket.created"]
    )
    do_subscribe_webhook(url="https://c.example.test/hook", event_types=["ticket.closed"])
    gone = do_subscribe_webhook(url="https://d.example.test/hook", event_types=["*"])
    do_unsubscribe_webhook(gone.pk)

    rows = do_notify("ticket.created", ticket_id=9, context={"amount": "12.50", "tier": "VIP"})
    hooks = sorted((r for r in rows if r.channel == "webhook"), key=lambda r: r.subscription_id)
    assert [r.subscription_id for r in hooks] == [everything.pk, created.pk]
    envelope = hooks[0].payload
    assert envelope["event"] == "ticket.created"
    assert envelope["ticket_id"] == 9
    assert envelope["data"] == {"amount": "12.50", "tier": "VIP"}
    assert envelope["id"] == hooks[0].idempotency_key


def test_subscribe_validates_url_and_events():
    with pytest.raises(ValidationError):
        do_subscribe_webhook(url="file:///etc/passwd", event_types=["*"])
    with pytest.raises(ValidationError):
        do_subscribe_webhook(url="https://ok.example.test/", event_types=[])
    sub = do_subscribe_webhook(url="https://ok.example.test/", event_types=["a", "a", "b"])
    assert sub.event_types == ["a", "b"] and len(sub.secret) >= 32


@pytest.mark.django_db(transaction=True)
@override_settings(FLOWDESK_NOTIFY_CELERY=True)
def test_celery_enqueue_happens_only_after_commit(cast, monkeypatch):
    enqueued = []
    monkeypatch.setattr(delivery, "_enqueue_delivery", lambda: enqueued.append(1))
    with pytest.raises(RuntimeError), transaction.atomic():
        do_notify("e", users=[cast["alice"]], context={})
        raise RuntimeError
    assert enqueued == [] and OutboxMessage.objects.count() == 0

    with transaction.atomic():
        do_notify("e", users=[cast["alice"]], context={})
        assert enqueued == []  # not before commit
    assert enqueued == [1]


@override_settings(FLOWDESK_NOTIFY_CELERY=False, REDIS_URL="redis://127.0.0.1:6379/0")
def test_no_enqueue_without_celery(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        do_notify("e", users=[cast["alice"]], context={})
    assert callbacks == []
