"""The notify.send service operator, as a BPMN service task calls it."""

import pytest
from django.contrib.auth.models import Group

from bpmn import services
from notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _send(params, data, ticket_id=42):
    with services.running_for(ticket_id):
        return services.call("notify.send", params, data)


def test_operator_is_registered_with_its_parameters():
    operator = services.get("notify.send")
    assert {"event", "to", "message", "subject", "urgent"} <= set(operator.params)


def test_sends_to_users_groups_and_the_assignee_with_process_data_as_context(cast):
    Group.objects.create(name="finance").user_set.add(cast["carol"])
    result = _send(
        {
            "event": "ticket.assigned",
            "to": ["assignee", "agents", "group:finance"],
            "subject": "{{ number }}",
            "message": "{{ customer }} needs help ({{ priority }})",
        },
        {"assignee": "dave", "number": "SV-2026-000042", "customer": "王芳", "priority": "VIP"},
    )
    rows = OutboxMessage.objects.order_by("recipient__username")
    assert result == {"queued": 4}
    assert [r.recipient.username for r in rows] == ["alice", "bob", "carol", "dave"]
    assert {(r.ticket_id, r.channel, r.subject, r.body) for r in rows} == {
        (42, "inapp", "SV-2026-000042", "王芳 needs help (VIP)")
    }


def test_a_single_username_addresses_and_urgent(cast):
    result = _send(
        {"event": "sla.breach", "to": "bob", "urgent": True, "channels": "inapp"}, {}, ticket_id=7
    )
    assert result == {"queued": 1}
    row = OutboxMessage.objects.get()
    assert (row.recipient, row.urgent, row.ticket_id) == (cast["bob"], True, 7)

    _send({"event": "ticket.created", "to": ["sms:13800138000", "wang@example.cn"]}, {})
    assert sorted(OutboxMessage.objects.exclude(address="").values_list("channel", "address")) == [
        ("email", "wang@example.cn"),
        ("sms", "13800138000"),
    ]


def test_without_recipients_only_webhooks_fire(cast):
    from notify.actions import do_subscribe_webhook

    do_subscribe_webhook(url="https://crm.example.test/hook", event_types=["ticket.closed"])
    assert _send({"event": "ticket.closed"}, {"rating": 5}) == {"queued": 1}
    assert OutboxMessage.objects.get().payload["data"] == {"rating": 5}


@pytest.mark.parametrize(
    ("params", "data"),
    [
        ({"event": "e", "to": "nobody-by-that-name"}, {}),
        ({"event": "e", "to": "user:ghost"}, {}),
        ({"event": "e", "to": "group:ghosts"}, {}),
        ({"event": "e", "to": "assignee"}, {}),
        ({"to": "alice"}, {}),
    ],
)
def test_bad_parameters_raise_so_the_task_becomes_an_incident(cast, params, data):
    with pytest.raises(ValueError):
        _send(params, data)
    assert OutboxMessage.objects.count() == 0
