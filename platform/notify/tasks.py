"""Celery tasks of the outbox. They take no arguments that name rows, claim work themselves
and are safe to run twice or concurrently (see notify.delivery, notify.fanout)."""

from celery import shared_task

from notify import conf, drain
from notify.delivery import deliver_digests, deliver_pending
from notify.fanout import run_pending_fanout, run_stale_fanout

# The hard limit stays below the claim lease (FLOWDESK_NOTIFY_LEASE_S, 300 s), and sending
# stops at the budget, handing untried rows back, well before the soft limit.
TIME_LIMIT_S = 120
SOFT_TIME_LIMIT_S = 110
SEND_BUDGET_S = 90
DRAIN_BATCH = 1000  # jobs per drain; more are left to the next commit's drain or beat


@shared_task(
    name="notify.deliver_pending",
    acks_late=True,
    time_limit=TIME_LIMIT_S,
    soft_time_limit=SOFT_TIME_LIMIT_S,
    ignore_result=True,
)
def deliver_pending_task() -> int:
    return deliver_pending(conf.batch_size(), budget_s=SEND_BUDGET_S)


@shared_task(
    name="notify.deliver_digests",
    acks_late=True,
    time_limit=TIME_LIMIT_S,
    soft_time_limit=SOFT_TIME_LIMIT_S,
    ignore_result=True,
)
def deliver_digests_task() -> int:
    return deliver_digests()


@shared_task(
    name="notify.run_stale_fanout",
    acks_late=True,
    time_limit=TIME_LIMIT_S,
    soft_time_limit=SOFT_TIME_LIMIT_S,
    ignore_result=True,
)
def run_stale_fanout_task() -> int:
    return run_stale_fanout()


@shared_task(
    name="notify.run_pending_fanout",
    acks_late=True,
    time_limit=TIME_LIMIT_S,
    soft_time_limit=SOFT_TIME_LIMIT_S,
    ignore_result=True,
)
def run_pending_fanout_task() -> int:
    drain.release()
    return run_pending_fanout(limit=DRAIN_BATCH)
