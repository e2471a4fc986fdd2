"""deliver_pending: exactly-once toward our state, retries with backoff, dead letters, resend."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from notify.actions import InvalidState, do_notify, do_resend, do_subscribe_webhook
from notify.channels import get_channel
from notify.delivery import claim_due, deliver_pending
from notify.models import OutboxMessage

SECRET = "s3cret-for-tests"


def _webhook(receiver, events=("ticket.created",)):
    return do_subscribe_webhook(url=receiver.url + "/hook", event_types=list(events), secret=SECRET)


def _queue_committed(count=1, event="ticket.created"):
    """The ticket transaction: outbox rows written and committed, no delivery ran yet."""
    with transaction.atomic():
        for n in range(count):
            do_notify(event, ticket_id=100 + n, context={"n": n})


@pytest.mark.django_db(transaction=True)
def test_committed_rows_are_sent_once_by_a_later_run(receiver):
    receiver.secret = SECRET
    _webhook(receiver)
    _queue_committed()  # the process "crashed" here: nothing delivered
    (row,) = OutboxMessage.objects.all()
    assert row.state == "pending" and receiver.received == []

    assert deliver_pending() == 1
    assert deliver_pending() == 0
    assert len(receiver.received) == 1
    assert receiver.signature_results == [True]
    assert receiver.delivery_ids() == [row.idempotency_key]
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_row_left_sending_by_a_crashed_worker_is_sent_after_its_lease(receiver):
    _webhook(receiver)
    _queue_committed()
    now = timezone.now()
    _token, claimed = claim_due(10, now)  # the worker claimed, then died before sending
    assert [m.state for m in claimed] == ["sending"]

    assert deliver_pending(now=now + dt.timedelta(seconds=60)) == 0  # lease still held
    assert receiver.received == []
    later = now + dt.timedelta(seconds=301)
    assert deliver_pending(now=later) == 1
    assert deliver_pending(now=later) == 0
    assert len(receiver.received) == 1
    row = OutboxMessage.objects.get()
    assert row.state == "sent" and row.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_crash_after_sending_redelivers_with_the_same_delivery_key(receiver):
    """At-least-once to the provider, bounded by the key the receiver deduplicates on."""
    _webhook(receiver)
    _queue_committed()
    now = timezone.now()
    _token, (message,) = claim_due(10, now)
    get_channel(message.channel).send(message)  # provider got it; the worker died before marking

    assert deliver_pending(now=now + dt.timedelta(seconds=301)) == 1
    ids = receiver.delivery_ids()
    assert len(ids) == 2 and ids[0] == ids[1] == message.idempotency_key
    assert OutboxMessage.objects.get().state == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_lost_its_claim_cannot_overwrite_the_outcome(receiver):
    _webhook(receiver)
    _queue_committed()
    now = timezone.now()
    old_token, (stale,) = claim_due(10, now)
    assert deliver_pending(now=now + dt.timedelta(seconds=301)) == 1  # taken over and sent
    from notify.delivery import send_claimed

    send_claimed(stale, old_token, now)  # the old worker wakes up and "finishes"
    row = OutboxMessage.objects.get()
    assert row.state == "sent" and row.claim_token == ""


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks (SELECT … FOR UPDATE SKIP LOCKED) and two real connections; "
    "SQLite serialises writers and its in-memory test database is shared by threads",
)
@pytest.mark.django_db(transaction=True)
def test_workers_running_concurrently_send_each_row_once(receiver):
    _webhook(receiver)
    _queue_committed(count=80)
    workers = 4
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            while sent := deliver_pending(limit=2):  # many small claims: many chances to race
                results.append(sent)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    ids = receiver.delivery_ids()
    assert len(set(ids)) == 80
    assert len(ids) == 80, "a row was sent more than once"
    assert sum(results) == 80
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_retry_with_exponential_backoff_then_success(receiver):
    _webhook(receiver)
    receiver.answer((500, b"busy"))
    do_notify("ticket.created", context={})
    t0 = timezone.now()

    assert deliver_pending(now=t0) == 0
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=30)
    assert "HTTP 500" in row.last_error

    assert deliver_pending(now=t0 + dt.timedelta(seconds=29)) == 0  # not due yet
    assert len(receiver.received) == 1
    assert deliver_pending(now=t0 + dt.timedelta(seconds=30)) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert receiver.delivery_ids() == [row.idempotency_key] * 2


@pytest.mark.django_db
@override_settings(FLOWDESK_NOTIFY_MAX_ATTEMPTS=3)
def test_exhausted_retries_go_dead_and_resend_revives(receiver):
    _webhook(receiver)
    receiver.default = (503, b"down")
    do_notify("ticket.created", context={})
    now, delays = timezone.now(), []
    for _ in range(3):
        deliver_pending(now=now)
        row = OutboxMessage.objects.get()
        delays.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert (row.state, row.attempts) == ("dead", 3)
    assert delays == [30, 60, 0]
    assert deliver_pending(now=now + dt.timedelta(days=1)) == 0  # dead stays dead
    assert len(receiver.received) == 3

    receiver.default = (200, b"{}")
    resent = do_resend(row.pk)
    assert (resent.state, resent.attempts) == ("pending", 0)
    assert deliver_pending() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)
    with pytest.raises(InvalidState):
        do_resend(row.pk)  # a sent message is not resent


@pytest.mark.django_db
def test_client_errors_are_not_retried(receiver):
    _webhook(receiver)
    receiver.answer((410, b"gone"))
    do_notify("ticket.created", context={})
    deliver_pending()
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("dead", 1)
    assert "HTTP 410" in row.last_error


@pytest.mark.django_db
@override_settings(FLOWDESK_NOTIFY_HTTP_TIMEOUT_S=0.2)
def test_timeouts_are_retryable(receiver):
    _webhook(receiver)
    receiver.delay_s = 1.0
    do_notify("ticket.created", context={})
    assert deliver_pending() == 0
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("failed", 1)
    assert "cannot reach" in row.last_error


@pytest.mark.django_db
def test_urgent_rows_go_first_and_the_limit_is_respected(cast):
    do_notify("routine", users=[cast["alice"]], context={})
    do_notify("urgent", users=[cast["bob"]], context={}, urgent=True)
    assert deliver_pending(limit=1) == 1
    sent = OutboxMessage.objects.get(state="sent")
    assert sent.event_type == "urgent"
    assert OutboxMessage.objects.get(state="pending").event_type == "routine"


@pytest.mark.django_db
def test_an_exhausted_budget_hands_untried_rows_back(cast):
    for _ in range(3):
        do_notify("e", users=[cast["alice"]], context={})
    assert deliver_pending(budget_s=-1) == 0
    rows = OutboxMessage.objects.all()
    assert {(r.state, r.attempts, r.claim_token) for r in rows} == {("pending", 0, "")}
    assert deliver_pending() == 3
