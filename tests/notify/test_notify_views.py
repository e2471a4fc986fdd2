"""The in-app inbox over HTTP: JSON list, mark-read and the server-sent-events stream."""

import json

import pytest
from django.test import override_settings

from notify.actions import do_notify
from notify.delivery import deliver_pending
from notify.models import InAppMessage

pytestmark = [pytest.mark.django_db, pytest.mark.urls("notify.urls")]


@pytest.fixture
def inbox(cast):
    for number in (1, 2, 3):
        do_notify("ticket.assigned", ticket_id=number, users=[cast["alice"]], context={})
    do_notify("ticket.assigned", users=[cast["bob"]], context={})
    deliver_pending()
    return list(InAppMessage.objects.filter(user=cast["alice"]).order_by("id"))


def test_inbox_lists_only_my_messages_newest_first(client, cast, inbox):
    client.force_login(cast["alice"])
    body = client.get("/inbox/").json()
    assert body["unread"] == 3
    assert [m["id"] for m in body["messages"]] == [m.id for m in reversed(inbox)]
    assert body["messages"][0]["link"] == "/tickets/3/"


def test_mark_read(client, cast, inbox):
    client.force_login(cast["alice"])
    response = client.post(
        "/inbox/read/", json.dumps({"ids": [inbox[0].id]}), content_type="application/json"
    )
    assert response.json() == {"marked": 1, "unread": 2}
    # someone else's message ids are not mine to mark
    bobs = InAppMessage.objects.get(user=cast["bob"])
    response = client.post(
        "/inbox/read/", json.dumps({"ids": [bobs.id]}), content_type="application/json"
    )
    assert response.json()["marked"] == 0
    assert client.post("/inbox/read/").json() == {"marked": 2, "unread": 0}
    assert client.get("/inbox/?unread=1").json()["messages"] == []
    bad = client.post("/inbox/read/", "[1]", content_type="application/json")
    assert bad.status_code == 400


@override_settings(FLOWDESK_SSE_MAX_S=0, FLOWDESK_SSE_POLL_S=0)
def test_stream_sends_new_messages_as_events(client, cast, inbox):
    client.force_login(cast["alice"])
    response = client.get("/inbox/stream/", HTTP_LAST_EVENT_ID=str(inbox[0].id))
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join(response.streaming_content).decode()
    assert f"id: {inbox[1].id}\nevent: message\n" in text
    assert f"id: {inbox[2].id}\n" in text
    assert f"id: {inbox[0].id}\n" not in text
    events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert [json.loads(e)["ticket_id"] for e in events] == [2, 3]


def test_anonymous_users_get_401(client):
    assert client.get("/inbox/").status_code == 401
    assert client.get("/inbox/stream/").status_code == 401
