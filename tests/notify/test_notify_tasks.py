"""Celery tasks: named, late-acked, bounded below the claim lease, safe to run twice."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from notify import conf, tasks
from notify.actions import do_notify, do_set_preferences
from notify.delivery import claim_due, deliver_pending, release_expired_claims
from notify.models import InAppMessage, OutboxMessage


def test_tasks_are_named_late_acked_and_bounded():
    for task, name in [
        (tasks.deliver_pending_task, "notify.deliver_pending"),
        (tasks.deliver_digests_task, "notify.deliver_digests"),
    ]:
        assert task.name == name
        assert task.acks_late is True
        assert task.time_limit < conf.lease_seconds()
    assert tasks.SEND_BUDGET_S < tasks.SOFT_TIME_LIMIT_S < tasks.TIME_LIMIT_S


@pytest.mark.django_db
def test_running_the_tasks_twice_delivers_once(cast):
    do_set_preferences(cast["bob"], digest_interval_minutes=1)
    do_notify("e", users=[cast["alice"]], context={})
    do_notify("e", users=[cast["bob"]], channels=["email"], context={})
    assert tasks.deliver_pending_task() == 1
    assert tasks.deliver_pending_task() == 0
    assert InAppMessage.objects.count() == 1
    OutboxMessage.objects.filter(digest_key__gt="").update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert tasks.deliver_digests_task() == 1
    assert tasks.deliver_digests_task() == 0


@pytest.mark.django_db
@override_settings(FLOWDESK_NOTIFY_MAX_ATTEMPTS=1)
def test_a_message_that_keeps_crashing_workers_ends_dead(cast):
    do_notify("e", users=[cast["alice"]], context={})
    now = timezone.now()
    claim_due(10, now)  # attempt 1 claimed, the worker dies mid-send
    assert release_expired_claims(now + dt.timedelta(seconds=301)) == 1
    row = OutboxMessage.objects.get()
    assert row.state == "dead" and "lease expired" in row.last_error
    assert deliver_pending(now=now + dt.timedelta(days=1)) == 0
