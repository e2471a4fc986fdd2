"""The timer sweep: BENCH_TIMERS (10,000) tickets waiting on a due timer, swept until all fired.

One ticket of bench/fixtures/due_timer.bpmn (start → one-second timer → end) is started
through the platform; its rows (engine state included) are copied into the others, so
every ticket holds a real waiting workflow. Once the timer is due, the real sweep
(`tickets.actions.do_fire_due_timers`, as the Celery beat task runs it) is called in a
loop until every ticket has fired and completed.
"""

import os
import time

import bulk

TIMERS = int(os.environ.get("BENCH_TIMERS", "10000"))


def measure(user, process_version) -> dict:
    from django.utils import timezone

    from tickets import actions
    from tickets.models import Ticket

    template = actions.do_start_ticket(user, process_version.key, {})
    template.refresh_from_db()
    due_at = Ticket.objects.filter(id=template.id).values_list("next_timer_at", flat=True)[0]
    assert due_at is not None, "the timer ticket is not waiting on a timer"
    t0 = time.perf_counter()
    bulk.clone_tickets(template, TIMERS - 1, {"created_at": "now()"})
    bulk.vacuum_analyze()
    made_s = time.perf_counter() - t0
    time.sleep(max(0.0, (due_at - timezone.now()).total_seconds()) + 0.05)

    mine = Ticket.objects.filter(process_version=process_version)
    t0 = time.perf_counter()
    sweeps = fired = 0
    while True:
        count = actions.do_fire_due_timers()
        sweeps += 1
        fired += count
        if count == 0:
            break
    swept_s = time.perf_counter() - t0
    completed = mine.filter(status=Ticket.Status.COMPLETED).count()
    if completed != TIMERS:
        raise RuntimeError(f"timer sweep: {completed} of {TIMERS} tickets completed")
    figures = {"sweep_10k_s": round(swept_s, 2)} if TIMERS == 10000 else {}
    return {
        **figures,
        "sweep_s": round(swept_s, 2),
        "tickets": TIMERS,
        "fired": fired,
        "per_ticket_ms": round(swept_s * 1000 / TIMERS, 2),
        "sweeps": sweeps,
        "created_s": round(made_s, 2),
    }
