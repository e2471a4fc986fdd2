"""Celery tasks: the hourly rollup sweep (id-free, idempotent)."""

from celery import shared_task


@shared_task(name="analytics.rollup_pending", acks_late=True, time_limit=1800)
def rollup_pending() -> int:
    from analytics.actions import do_rollup_pending

    return len(do_rollup_pending())


@shared_task(name="analytics.rollup_today", acks_late=True, time_limit=600)
def rollup_today() -> int:
    from analytics.actions import do_rollup_today

    return do_rollup_today()
