"""Timers fire and notifications fan out in the worker: Celery over Redis (CI) or the
embedded worker thread (make run). Requests only leave the work behind."""

import threading
import time

import pytest
from django.conf import settings

from customers.actions import do_link_customer
from notify import drain
from notify.default_rules import seed_rules
from notify.fanout import forget_cached_kinds
from notify.models import FanoutJob, InAppMessage, NotificationRule, OutboxMessage, RuleTemplate
from tests.conftest import FIXTURES, deploy_file, repair_start
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


@pytest.fixture
def rules(db):
    """The default notification rules (a transactional test's flush removes the seeded)."""
    seed_rules(NotificationRule, RuleTemplate)
    forget_cached_kinds()


def start_for_wang_fang(cast):
    customer, _ = do_link_customer({"name": "Wang Fang", "email": "wang.fang@example.cn"})
    return actions.do_start_ticket(
        cast["bob"], "repair", repair_start(), title="电视无法开机", customer=customer
    )


def confirmed_by_mail(ticket):
    return OutboxMessage.objects.filter(
        ticket_id=ticket.id, event_type="created", address="wang.fang@example.cn"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_the_embedded_worker_notifies_moments_after_the_commit(cast, repair, rules, settings):
    settings.FLOWDESK_NOTIFY_CELERY = False  # make run: no Redis
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(stop, 60.0))  # one periodic pass only
    worker.start()
    try:
        time.sleep(0.5)  # the first pass is (normally) over: then only a wake-up notifies
        ticket = start_for_wang_fang(cast)
        assert wait_for(lambda: confirmed_by_mail(ticket), seconds=10), "nobody was notified"
        alice = cast["alice"]  # a dispatcher: the new step is in her queue, delivered in-app
        assert wait_for(lambda: InAppMessage.objects.filter(user=alice, ticket_id=ticket.id))
    finally:
        stop.set()
        worker.join()
    assert not FanoutJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_celery_over_redis_fans_out_a_committed_action(cast, repair, rules, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (CI runs against the local Redis)")
    from celery.contrib.testing.worker import start_worker
    from celery.signals import before_task_publish

    from flowdesk.celery import app
    from notify.tasks import run_pending_fanout_task

    settings.FLOWDESK_NOTIFY_CELERY = True
    app.control.purge()  # see test_celery_over_redis_runs_the_timer_sweep
    drain.release()  # and the flag of a drain that was queued there
    published = []  # by this process: browser tests' live servers share CI's Redis queue

    def publishing(sender=None, **_kwargs):
        published.append(sender)

    before_task_publish.connect(publishing, weak=False)
    try:
        first, second = start_for_wang_fang(cast), start_for_wang_fang(cast)
    finally:
        before_task_publish.disconnect(publishing)
    assert FanoutJob.objects.count() == 2 and not confirmed_by_mail(first)
    assert published == [run_pending_fanout_task.name]  # one drain for both
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        assert wait_for(lambda: confirmed_by_mail(second), seconds=20), "the task never ran"
        alice = cast["alice"]
        assert wait_for(lambda: InAppMessage.objects.filter(user=alice, ticket_id=first.id))
    assert confirmed_by_mail(first) and not FanoutJob.objects.exists()
