"""Timers fire from the sweep, run by Celery over Redis (CI) or by the embedded worker."""

import threading
import time

import pytest
from django.conf import settings

from tests.conftest import FIXTURES, deploy_file
from tickets import actions
from tickets.models import Ticket
from tickets.worker import run_forever


def wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def followed_up(ticket_id):
    return Ticket.objects.get(id=ticket_id).tasks.filter(bpmn_id="follow_up").exists()


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_fires_a_bare_camunda_style_timer(cast):
    deploy_file(FIXTURES / "reminder.bpmn")  # <timeDuration>PT1S</timeDuration>, unquoted
    ticket = actions.do_start_ticket(cast["alice"], "reminder")
    assert ticket.next_timer_at is not None and not followed_up(ticket.id)
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(stop, 0.2))
    worker.start()
    try:
        assert wait_for(lambda: followed_up(ticket.id)), "the timer never fired"
    finally:
        stop.set()
        worker.join()
    assert (
        Ticket.objects.get(id=ticket.id).events.filter(kind="timer_fired", bpmn_id="wait").count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_celery_over_redis_runs_the_timer_sweep(cast):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (CI runs against the local Redis)")
    from celery.contrib.testing.worker import start_worker

    from flowdesk.celery import app
    from tickets.tasks import fire_due_timers

    deploy_file(FIXTURES / "reminder.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "reminder")
    time.sleep(1.1)
    # CI's broker is the machine's Redis: tasks left there by an earlier run (a bench's
    # notification enqueues) would be worked through first and outlast the timeout.
    app.control.purge()
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        fired = fire_due_timers.delay().get(timeout=20)
    assert fired == 1 and followed_up(ticket.id)
