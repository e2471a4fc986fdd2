"""Celery tasks: id-free sweeps, idempotent (the row locks decide who does what)."""

from celery import shared_task


@shared_task(name="tickets.tasks.fire_due_timers", acks_late=True, time_limit=120)
def fire_due_timers() -> int:
    from tickets.actions import do_fire_due_timers

    return do_fire_due_timers()


@shared_task(name="tickets.tasks.sweep_sla", acks_late=True, time_limit=120)
def sweep_sla() -> int:
    from tickets.escalation import do_sweep_sla

    return do_sweep_sla()
