"""Analytics at scale: the dashboard over BENCH_ANALYTICS_TICKETS (1,000,000) tickets.

Rows are generated in SQL (INSERT … SELECT generate_series, PostgreSQL only): tickets
spread over BENCH_ANALYTICS_DAYS (60) days before now, 85 % resolved within 72 h, eight
channels, three customer tiers and no customer, one worklist row per ticket on one of
three steps (done by one of 20 agents when the ticket is resolved, a tenth breached its
SLA), and the events the metrics read: created, task_completed, a rating on a third of
the resolved tickets, sla_breached. The closed days are then rolled up by the real
`do_rollup` (`rollup_day_ms`: the mean per day) and today by the sweep's partial
rollup, and the dashboard's whole query set (every table of the last 30 days, the
minutes of today since the partial rollup computed live, the backlog over all open
tickets) is timed: `dashboard_ms` is the median of BENCH_ANALYTICS_REPEATS runs.
Engine state rows are not generated: no metric reads them.

Run by bench/engine.py (section "analytics"; loaded from its path, as the name `analytics`
is the Django app's).
"""

import datetime as dt
import os
import statistics
import time

from bulk import _select_list
from django.contrib.auth.models import User
from django.db import connection

from customers.models import Customer
from tickets.models import HumanTask, Ticket, TicketEvent

TICKETS = int(os.environ.get("BENCH_ANALYTICS_TICKETS", "1000000"))
DAYS = int(os.environ.get("BENCH_ANALYTICS_DAYS", "60"))
REPEATS = int(os.environ.get("BENCH_ANALYTICS_REPEATS", "5"))
AGENTS = 20
CHANNELS = ("pc", "mobile", "h5", "webform", "miniprogram", "email", "phone", "api")
STEPS = ("triage", "fix", "confirm")


def _h(salt: str, column: str = "s.id") -> str:
    return f"abs(hashtext('{salt}' || {column}))"


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def generate(template: Ticket, template_task: HumanTask) -> dict:
    t0 = time.perf_counter()
    agents = User.objects.bulk_create(
        [User(username=f"analyst_agent_{i}", password="!", is_staff=True) for i in range(AGENTS)]
    )
    customers = [
        Customer.objects.create(name=f"Bench {tier}", tier=tier) for tier in Customer.Tier.values
    ]
    agent_ids, customer_ids = [a.id for a in agents], [c.id for c in customers]
    table = Ticket._meta.db_table
    created = f"(now() - make_interval(secs => {_h('created')} % {DAYS * 86400}))"
    resolved = f"({_h('resolved')} % 100 < 85)"
    closed = f"LEAST(now(), {created} + make_interval(secs => {_h('closed')} % (72 * 3600)))"
    number = "'AN-' || lpad(s.id::text, 7, '0')"
    overrides = {
        "id": "s.id",
        "number": number,
        "correlation_key": number,
        "title": "'Bench ticket ' || s.id",
        "tracking_token": "md5(random()::text || s.id::text)",
        "channel": f"({_sql_array(CHANNELS)})[1 + {_h('channel')} % {len(CHANNELS)}]",
        "priority": f"{_h('priority')} % 5",
        "customer_id": (
            f"CASE WHEN {_h('customer')} % 4 = 3 THEN NULL "
            f"ELSE ({_sql_array(customer_ids)})[1 + {_h('customer')} % 4] END"
        ),
        "status": f"CASE WHEN {resolved} THEN 'completed' ELSE 'active' END",
        "created_at": created,
        "updated_at": created,
        "closed_at": f"CASE WHEN {resolved} THEN {closed} END",
        "next_timer_at": "NULL",
        "incident": "NULL",
    }
    cols, exprs = _select_list(Ticket, "tpl", overrides, set())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH made AS (
                INSERT INTO {table} ({cols})
                SELECT {exprs}
                FROM (SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id, g
                      FROM generate_series(1, %s) AS g) AS s
                CROSS JOIN {table} AS tpl WHERE tpl.id = %s
                RETURNING id
            ) SELECT min(id), max(id) FROM made""",
            [TICKETS, template.id],
        )
        low, high = cursor.fetchone()
    tickets_s = time.perf_counter() - t0

    # One worklist row per ticket, its times from the ticket's.
    task_table = HumanTask._meta.db_table
    step = f"({_sql_array(STEPS)})[1 + {_h('step', 't.id')} % {len(STEPS)}]"
    agent = f"({_sql_array(agent_ids)})[1 + {_h('agent', 't.id')} % {AGENTS}]"
    done = "t.status = 'completed'"
    task_overrides = {
        "ticket_id": "t.id",
        "bpmn_id": step,
        "name": f"initcap({step})",
        "state": f"CASE WHEN {done} THEN 'done' ELSE 'open' END",
        "assignee_id": agent,
        "completed_by_id": f"CASE WHEN {done} THEN {agent} END",
        "created_at": "t.created_at",
        "completed_at": "t.closed_at",
        "sla_started_at": "t.created_at",
        "sla_level": f"CASE WHEN {_h('sla', 't.id')} % 10 = 0 THEN 4 ELSE 0 END",
        "sla_marks": "'[]'::jsonb",
        "next_sla_at": "NULL",
        "due_at": "t.created_at + interval '24 hours'",
    }
    cols, exprs = _select_list(HumanTask, "tpl", task_overrides, {"id"})
    event_table = TicketEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {task_table} ({cols})
                SELECT {exprs} FROM {task_table} AS tpl
                JOIN {table} AS t ON t.id BETWEEN %s AND %s WHERE tpl.id = %s""",
            [low, high, template_task.id],
        )
        events = (
            ("'created'", "NULL", "NULL", "''", "'{}'::jsonb", "t.created_at", "TRUE"),
            (
                "'task_completed'", "h.completed_by_id", "h.id", "h.bpmn_id", "'{}'::jsonb",
                "h.completed_at", "h.completed_at IS NOT NULL",
            ),
            (
                "'rated'", "NULL", "NULL", "''",
                f"jsonb_build_object('score', 1 + {_h('score', 't.id')} % 5, 'comment', 'bench')",
                "t.closed_at + interval '1 hour'",
                f"t.status = 'completed' AND {_h('rated', 't.id')} % 3 = 0",
            ),
            (
                "'sla_breached'", "NULL", "h.id", "h.bpmn_id", "jsonb_build_object('level', 4)",
                "h.created_at + interval '24 hours'", "h.sla_level = 4",
            ),
        )  # fmt: skip
        for kind, actor, task, bpmn_id, detail, at, where in events:
            # Parameters follow: a literal % (modulo) is written %%.
            detail, where = detail.replace("%", "%%"), where.replace("%", "%%")
            cursor.execute(
                f"""INSERT INTO {event_table} (ticket_id, kind, actor_id, task_id, bpmn_id, detail, at)
                    SELECT t.id, {kind}, {actor}, {task}, {bpmn_id}, {detail}, {at}
                    FROM {table} AS t JOIN {task_table} AS h ON h.ticket_id = t.id
                    WHERE t.id BETWEEN %s AND %s AND {where} AND ({at}) <= now()""",
                [low, high],
            )
        for name in (table, task_table, event_table):
            cursor.execute(f"ANALYZE {name}")
        cursor.execute(f"SELECT count(*) FROM {event_table}")
        (event_count,) = cursor.fetchone()
    return {
        "tickets": TICKETS,
        "events": event_count,
        "days": DAYS,
        "generate_s": round(time.perf_counter() - t0, 1),
        "generate_tickets_s": round(tickets_s, 1),
    }


def measure(template: Ticket, template_task: HumanTask, reader) -> dict:
    from analytics.actions import do_rollup
    from analytics.queries import local_today

    report = generate(template, template_task)
    today = local_today()
    days = [today - dt.timedelta(days=n) for n in range(DAYS + 2, 0, -1)]
    t0 = time.perf_counter()
    for day in days:
        do_rollup(day)
    rollup_s = time.perf_counter() - t0
    report.update(
        {"rollup_days": len(days), "rollup_day_ms": round(rollup_s * 1000 / len(days), 1)}
    )
    report.update(time_dashboard(reader))
    return report


def time_dashboard(reader) -> dict:
    """The dashboard's query set, after the sweep's partial rollup of today (so only the
    minutes since it are computed live), as served every few minutes."""
    from analytics import tables
    from analytics.actions import do_rollup_today
    from analytics.models import DailyMetric
    from analytics.queries import compute_day, local_today

    today = local_today()
    t0 = time.perf_counter()
    compute_day(today)
    live_today_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    do_rollup_today()
    rollup_today_ms = (time.perf_counter() - t0) * 1000
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DailyMetric._meta.db_table}")
    first = today - dt.timedelta(days=29)
    timings = []
    for _ in range(max(REPEATS, 1)):
        t0 = time.perf_counter()
        built = tables.build(first, today, "day", reader)
        tables.chart_data(built)
        timings.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    tables.build(today - dt.timedelta(days=364), today, "month", reader)
    year_ms = (time.perf_counter() - t0) * 1000
    parts = {}
    for name in tables.TABLE_NAMES:
        t0 = time.perf_counter()
        tables.build(first, today, "day", reader, only=name)
        parts[name] = round((time.perf_counter() - t0) * 1000, 1)
    return {
        "rollup_rows": DailyMetric.objects.count(),
        "dashboard_ms": round(statistics.median(timings), 1),
        "dashboard_ms_runs": [round(t, 1) for t in timings],
        "dashboard_year_by_month_ms": round(year_ms, 1),
        "parts_ms": parts,  # each table on its own
        # Today in full from the event log (what the dashboard would do with no sweep),
        # and the sweep's partial rollup of today (every 5 minutes in beat).
        "live_today_ms": round(live_today_ms, 1),
        "rollup_today_ms": round(rollup_today_ms, 1),
    }
