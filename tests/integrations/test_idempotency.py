"""Idempotency-Key on creating calls: replay, conflicts, concurrency, expiry."""

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone

from integrations.actions import do_purge_idempotency_keys
from integrations.models import IdempotencyKey
from tests.conftest import repair_start
from tests.integrations.support import post, session_client, token_client, token_for
from tests.tickets.test_api import repair_bundle
from tickets.models import Ticket

BODY = {"process": "repair", "data": repair_start()}


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_response(cast, repair):
    client = token_client(token_for(cast["alice"], "tickets:write"))
    first = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "order-1"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # the same JSON with other key order and spacing is the same request
    again = client.post(
        "/api/v1/tickets",
        json.dumps({"data": repair_start(), "process": "repair"}, indent=2),
        content_type="application/json",
        headers={"Idempotency-Key": "order-1"},
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1

    other = post(
        client, "/api/v1/tickets", {**BODY, "title": "other"}, **{"Idempotency-Key": "order-1"}
    )
    assert other.status_code == 409
    assert other.json() == {
        "detail": "Idempotency-Key 'order-1' was already used for a different request"
    }
    fresh = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "order-2"})
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]
    assert post(client, "/api/v1/tickets", BODY).status_code == 201  # no key, no dedup
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_keys_belong_to_their_owner(cast, repair):
    one = token_client(token_for(cast["alice"], "tickets:write"))
    two = token_client(token_for(cast["alice"], "tickets:write"))
    session = session_client(cast["alice"])
    for client in (one, two, session):
        response = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "k"})
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 3
    assert post(session, "/api/v1/tickets", BODY, **{"Idempotency-Key": "k"})["Idempotent-Replayed"]


@pytest.mark.django_db
def test_errors_are_replayed_too_and_messages_and_deploys_take_keys(cast):
    dave = session_client(cast["dave"])
    deployed = post(dave, "/api/v1/processes", repair_bundle(), **{"Idempotency-Key": "d1"})
    assert deployed.status_code == 201
    replay = post(dave, "/api/v1/processes", repair_bundle(), **{"Idempotency-Key": "d1"})
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    missing = {"name": "payment_received", "correlation_key": "none"}
    first = post(dave, "/api/v1/messages", missing, **{"Idempotency-Key": "m1"})
    assert first.status_code == 404
    again = post(dave, "/api/v1/messages", missing, **{"Idempotency-Key": "m1"})
    assert again.status_code == 404 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.django_db
def test_a_key_in_progress_is_a_409_once_the_wait_is_over(cast, repair, settings):
    settings.FLOWDESK_IDEMPOTENCY_WAIT_S = 0.2
    client = session_client(cast["alice"])
    probe = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "probe"})
    assert probe.status_code == 201
    done = IdempotencyKey.objects.get(key="probe")
    # another worker is still running the same request under "busy"
    IdempotencyKey.objects.create(owner=done.owner, key="busy", request_hash=done.request_hash)
    busy = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "busy"})
    assert busy.status_code == 409
    assert busy.json() == {
        "detail": "a request with this Idempotency-Key is in progress; retry later"
    }
    # …until its lease runs out (a crashed worker): then the key is taken over
    IdempotencyKey.objects.filter(key="busy").update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    taken = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "busy"})
    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken
    assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_keys_expire_after_a_day(cast, repair):
    client = session_client(cast["alice"])
    post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "old"})
    post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert do_purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    again = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "old"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_a_failing_request_releases_its_key(cast, repair, monkeypatch):
    from tickets import actions

    client = session_client(cast["alice"])
    client.raise_request_exception = False

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(actions, "do_start_ticket", boom)
    failed = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "retry-me"})
    assert failed.status_code == 500
    assert not IdempotencyKey.objects.filter(key="retry-me").exists()
    monkeypatch.undo()
    ok = post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "retry-me"})
    assert ok.status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises the whole database)",
)
def test_concurrent_duplicates_create_exactly_one_ticket(cast, repair):
    token = token_for(cast["alice"], "tickets:write")
    barrier = threading.Barrier(4)
    responses = []

    def call():
        client = token_client(token)
        barrier.wait()
        try:
            responses.append(post(client, "/api/v1/tickets", BODY, **{"Idempotency-Key": "dup"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Ticket.objects.count() == 1
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(1 for r in responses if r.get("Idempotent-Replayed") == "true") == 3
