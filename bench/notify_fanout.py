"""notify.fanout_ms: ticket events to outbox rows for BENCH_FANOUT_TASKS (1,000) completed
tasks.

Each completed task writes the events a completion writes (task_completed, then the next
step's task_created and assigned) through tickets.engine's queue_event/flush_events, in one
transaction per task like an action, once with every rule off (`events_only_ms`) and once
with the default rules on (`with_jobs_ms`: the fan-out job row in the transaction and its
hand-over to the worker after the commit, all a request pays). `fanout_ms` is the worker's
side, the jobs drained as the worker's sweep does: rules matched, recipients resolved,
texts rendered per language and recipient, outbox rows inserted (the group queue to three
dispatchers, "assigned to you" in-app and by e-mail, "technician scheduled" to the
customer by e-mail). Delivery is not part of it. `fanout_queries_per_task`: its SQL
statements per task.

The completions go round BENCH_FANOUT_TICKETS (20) tickets, so a batch of jobs holds several
events of one ticket (what the audience resolver and the redactor share within a batch); 1
job per ticket is the case where they share nothing (BENCH_FANOUT_TICKETS=BENCH_FANOUT_TASKS).
`single_job_ms_per_task` is a second set of as many completions drained one job per
transaction (`run_fanout_job`, as FLOWDESK_FANOUT_INLINE does), after the batched drain in
the same run: what batching itself saves.
"""

import os
import time

TASKS = int(os.environ.get("BENCH_FANOUT_TASKS", "1000"))
TICKETS = int(os.environ.get("BENCH_FANOUT_TICKETS", "20"))


def _setup():
    from django.contrib.auth.models import Group, User

    from customers.actions import do_link_customer
    from tickets import actions

    dispatchers = Group.objects.get_or_create(name="dispatchers")[0]
    people = []
    for name in ("fan_alice", "fan_dan", "fan_tom"):
        user = User.objects.create_user(name, email=f"{name}@flowdesk.test", is_staff=True)
        user.groups.add(dispatchers)
        people.append(user)
    tickets = []
    for index in range(TICKETS):
        identity = {"name": f"Customer {index}", "email": f"c{index}@example.cn"}
        customer, _ = do_link_customer(identity)
        start = {
            "customer_name": identity["name"],
            "customer_phone": f"1380000{index:04d}",
            "customer_tier": "standard",
            "category": "tv",
            "region": "tier2",
        }
        tickets.append(
            actions.do_start_ticket(people[0], "repair", start, title="TV", customer=customer)
        )
    return people, tickets


def _complete(people, tickets, tasks, count: int) -> float:
    """`count` task completions' events, one transaction each; wall time in ms."""
    from django.db import transaction

    from tickets.engine import flush_events, queue_event

    started = time.perf_counter()
    for index in range(count):
        ticket = tickets[index % TICKETS]
        task = tasks[ticket.id]
        with transaction.atomic():
            queue_event(ticket, "task_completed", actor=people[0], task=task,
                        bpmn_id="schedule_visit", data={})  # fmt: skip
            queue_event(ticket, "task_created", task=task, bpmn_id="diagnose",
                        name="Diagnose on site", candidate_groups=["dispatchers"], assignee=None)  # fmt: skip
            queue_event(ticket, "assigned", task=task, bpmn_id="diagnose",
                        assignee=people[2].username)  # fmt: skip
            flush_events(ticket)
    return (time.perf_counter() - started) * 1000


def fanout_figures() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notify.fanout import forget_cached_kinds, run_fanout_job, run_pending_fanout
    from notify.models import FanoutJob, NotificationRule, OutboxMessage
    from tickets.models import HumanTask

    people, tickets = _setup()
    run_pending_fanout(limit=10_000)  # the tickets' own start events: not measured
    tasks = {t.id: HumanTask.objects.filter(ticket=t).first() for t in tickets}
    enabled = list(NotificationRule.objects.filter(enabled=True).values_list("id", flat=True))
    NotificationRule.objects.filter(id__in=enabled).update(enabled=False)
    forget_cached_kinds()
    without_ms = _complete(people, tickets, tasks, TASKS)  # the events alone
    NotificationRule.objects.filter(id__in=enabled).update(enabled=True)
    forget_cached_kinds()
    before = OutboxMessage.objects.count()
    with_ms = _complete(people, tickets, tasks, TASKS)
    assert FanoutJob.objects.count() == TASKS  # the requests left the fan-out to the worker
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run_pending_fanout(limit=10_000)
        fanout_ms = (time.perf_counter() - started) * 1000
    assert not FanoutJob.objects.exists()
    outbox_rows = OutboxMessage.objects.count() - before

    _complete(people, tickets, tasks, TASKS)
    started = time.perf_counter()
    for job_id in FanoutJob.objects.values_list("id", flat=True):
        run_fanout_job(job_id)
    single_ms = (time.perf_counter() - started) * 1000
    assert not FanoutJob.objects.exists()
    assert OutboxMessage.objects.count() - before == 2 * outbox_rows  # the same work
    return {
        "tasks": TASKS,
        "tickets": TICKETS,
        "outbox_rows": outbox_rows,
        "events_only_ms": round(without_ms, 1),
        "with_jobs_ms": round(with_ms, 1),
        "job_ms_per_task": round((with_ms - without_ms) / max(TASKS, 1), 3),
        "fanout_ms": round(fanout_ms, 1),
        "fanout_ms_per_task": round(fanout_ms / max(TASKS, 1), 3),
        "fanout_queries_per_task": round(len(queries) / max(TASKS, 1), 2),
        "single_job_ms_per_task": round(single_ms / max(TASKS, 1), 3),
    }
