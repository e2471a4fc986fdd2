"""`make bench`: the engine against raw SpiffWorkflow, then (PostgreSQL only) the API
under load, reads at 100,000 open tickets and the timer sweep, all in one run on a
throw-away database (`flowdesk_bench_<pid>`, or BENCH_DB; created and dropped here, so
that benches run side by side do not collide).

engine: the repair ticket in raw SpiffWorkflow vs through the platform runtime, side by
side in one process (machines here are noisy, so only the ratio means much). Raw =
SpiffWorkflow 3.2's own parser, DMN engine and eval-based script engine, in memory.
Platform = do_start_ticket + six do_complete_task calls on the database, including row
locks, worklist sync, timeline, serialization and the sandbox; `queries_per_ticket`
counts the SQL statements of one such ticket. On PostgreSQL `floor_ms` is what seven
durable steps cost with no engine and no host logic (bench/durable_floor.py) and
`floor_ratio` the ratio that alone leaves. `cpu` splits a ticket's time: this process's
CPU (`raw_ms`, `platform_ms`: engine, host and driver) and, with the server on this
machine, the database server's (`platform_db_ms`, `floor_db_ms`), means per ticket.
api (bench/api_load.py), worklist + search (bench/read_load.py), timers
(bench/timer_sweep.py), pricing (bench/pricing_figures.py), appointments
(bench/appointments.py: concurrent booking, `appointments.book_p95_ms`): see those modules.
BENCH_SECTIONS (default "api,reads,timers,analytics,pricing,appointments") picks the sections besides the
engine ("none": the engine only, for quick iterations; "reads" is "worklist,search", each of
which runs alone on the same 100,000 tickets); the engine section runs unless the list names
only sections that stand alone ("pricing": its figures only); sizes are BENCH_* variables.

`machine.python_loop_5m_ms` says how fast the machine ran plain Python at the start.
Prints a JSON report and writes bench/report.json.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdesk.settings")

import django  # noqa: E402

django.setup()

TICKETS = int(os.environ.get("BENCH_TICKETS", "30"))
SECTIONS = os.environ.get(
    "BENCH_SECTIONS", "api,reads,timers,analytics,pricing,appointments"
).split(",")
STANDALONE = {"pricing"}  # sections that need nothing of the engine section
FIXTURES = ROOT / "bench" / "fixtures"
START = {
    "customer_name": "Wang Fang",
    "customer_phone": "13812341234",
    "customer_tier": "gold",
    "category": "air conditioner",
    "region": "tier1",
}
STEPS = [
    ("accept", {"accepted": True}),
    ("schedule_visit", {"visit_date": "2026-11-24", "technician": "tom"}),
    ("diagnose", {"needs_parts": True, "labor_hours": 2, "parts_cost": "150"}),
    ("approve_quote", {"approved": True}),
    ("repair_work", {"work_done": "replaced the fan"}),
    ("confirm", {"rating": 5}),
]


def _bundle():
    from definitions.deploy import read_bundle_folder

    return read_bundle_folder(ROOT / "processes" / "repair.bpmn")


def raw_spiff_runner():
    """A ticket in plain SpiffWorkflow: its parser, DMN engine and default script engine."""
    from decimal import Decimal

    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.task import TaskState

    from bpmn.services import ServiceCall, get

    class Engine(PythonScriptEngine):
        def call_service(self, task, operation_name=None, operation_params=None, **kw):
            params = {k: v["value"] for k, v in operation_params.items()}
            return json.dumps(get(operation_name).fn(params, ServiceCall(data=task.data)))

    name, text, files = _bundle()
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(text.encode(), name)
    for fname, body in files.items():
        if fname.endswith(".dmn"):
            parser.add_dmn_str(body.encode(), fname)
    spec, subs = parser.get_spec("repair"), parser.get_subprocess_specs("repair")
    engine = Engine()
    engine.environment.globals.update({"Decimal": Decimal})

    def run_one():
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.get_next_task(state=TaskState.READY).data.update(START)
        wf.do_engine_steps()
        for bpmn_id, data in STEPS:
            task = next(
                t
                for t in wf.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.bpmn_id == bpmn_id
            )
            task.data.update(data)
            task.run()
            wf.do_engine_steps()
        assert wf.is_completed(), "raw run did not complete"
        return wf

    return run_one


def platform_runner():
    from django.contrib.auth.models import Group, User

    from definitions.deploy import deploy_bundle
    from tickets import actions

    user = User.objects.create_user("bench", is_staff=True, is_superuser=True)
    User.objects.create_user("tom", is_staff=True)  # the technician the visit is scheduled for
    user.groups.set([Group.objects.get_or_create(name="supervisors")[0]])
    deploy_bundle(*_bundle())

    def run_one():
        ticket = actions.do_start_ticket(user, "repair", dict(START))
        for bpmn_id, data in STEPS:
            # The open tasks come back with each action (as the API's response carries
            # them): no statement of the bench's own is counted as the platform's.
            task = next(t for t in ticket.open_task_rows if t.bpmn_id == bpmn_id)
            ticket = actions.do_complete_task(user, task.id, data)
        assert ticket.status == "completed", (
            f"platform run ended {ticket.status}: {ticket.incident}"
        )
        return ticket

    return run_one


def _time(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def state_sizes(raw_workflow):
    """Saved state of a finished ticket: ours (spec by reference) vs SpiffWorkflow's default
    serializer on the raw run of the same process (spec embedded)."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    from tickets.models import Ticket

    embedded = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    return {
        "by_reference_bytes": len(Ticket.objects.order_by("-id").first().state),
        "spiff_embedded_bytes": len(embedded.serialize_json(raw_workflow)),
    }


def dmn_figures():
    from bpmn.dmn_bench import bench_feel_expression, bench_table

    return {
        "table_20_rules_ms": round(bench_table(rules=20, runs=2000), 4),
        "feel_expr_us": round(bench_feel_expression(runs=2000), 1),
    }


def queries_of(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _database_cpu():
    """A clock of the CPU time (ms) the PostgreSQL server has spent on this connection,
    read from its backend's /proc entry when the server runs on this machine; else None.
    Its ticks are 10 ms: only a mean over many tickets means anything."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * tick_ms  # utime + stime

    try:
        used()
    except (OSError, ValueError, IndexError):  # another machine's server
        return None
    return used


def engine_figures() -> dict:
    from django.db import connection

    raw = raw_spiff_runner()
    platform = platform_runner()
    raw()  # warm caches (spec parse, compiled expressions)
    ticket = platform()
    runners = {"raw": raw, "platform": platform}
    if connection.vendor == "postgresql":
        import durable_floor

        runners["floor"] = durable_floor.runner(ticket)
        runners["floor"]()
    database_cpu = _database_cpu()
    # Interleave them so that machine noise hits all alike.
    samples = {name: [] for name in runners}
    cpu = {name: [] for name in runners}  # this process's CPU ms (engine, host, driver)
    db_cpu = {name: [] for name in runners}  # the database server's, on this connection
    for _ in range(TICKETS):
        for name, run in runners.items():
            python, server = time.process_time(), database_cpu() if database_cpu else 0
            samples[name].append(_time(run, 1))
            cpu[name].append((time.process_time() - python) * 1000)
            if database_cpu:
                db_cpu[name].append(database_cpu() - server)
    ms = {name: statistics.median(values) for name, values in samples.items()}
    floor = {}
    if "floor" in ms:  # bench/durable_floor.py: the database's share, no engine
        floor = {
            "floor_ms": round(ms["floor"], 3),
            "floor_ratio": round((ms["raw"] + ms["floor"]) / ms["raw"], 2),
        }
    # Where a ticket's time goes: CPU of this process (raw: the engine alone; platform:
    # the engine, the host's Python and the driver) and of the database server.
    split = {f"{name}_ms": round(statistics.mean(values), 3) for name, values in cpu.items()}
    if database_cpu:
        split |= {
            f"{name}_db_ms": round(statistics.mean(values), 3)
            for name, values in db_cpu.items()
            if name != "raw"
        }
    return {
        "tickets": TICKETS,
        "raw_ms": round(ms["raw"], 3),
        "platform_ms": round(ms["platform"], 3),
        "ratio": round(ms["platform"] / ms["raw"], 2),
        **floor,
        "cpu": split,
        "queries_per_ticket": queries_of(platform),
        "database": connection.vendor,
        "state": state_sizes(raw()),
    }


def _deploy_fixture(name: str):
    from definitions.deploy import deploy_bundle, read_bundle_folder

    return deploy_bundle(*read_bundle_folder(FIXTURES / name))[0]


def _bench_agent():
    """A plain agent (no supervisor), the only member of the quick process's group."""
    from django.contrib.auth.models import Group, User

    agent = User.objects.create_user("bench_agent", is_staff=True)
    agent.groups.set([Group.objects.get_or_create(name="bench_agents")[0]])
    return agent


def _load_token(user) -> str:
    from integrations.actions import do_create_token
    from integrations.models import ApiToken

    token, clear = do_create_token(
        user, "bench load", ["tickets:read", "tickets:write", "tasks:write"]
    )
    ApiToken.objects.filter(id=token.id).update(rate_per_min=10_000_000)
    return clear


def scale_figures() -> dict:
    """The PostgreSQL-only sections: API load, reads at 100k, timer sweep."""
    import api_load
    import read_load
    import timer_sweep
    from django.contrib.auth.models import User
    from django.db import connection

    from tickets import actions

    report = {}
    quick = _deploy_fixture("quick.bpmn")
    agent = _bench_agent()
    if "api" in SECTIONS:
        db_url = api_load.database_url(connection.settings_dict)
        report["api"] = api_load.measure(db_url, _load_token(agent))
    reads = {"worklist", "search"} if "reads" in SECTIONS else {"worklist", "search"} & {*SECTIONS}
    if reads:
        template = actions.do_start_ticket(agent, quick.key, {})
        task = template.tasks.get()
        dataset = read_load.build(template, task)
        report.update(read_load.measure(dataset, reads))
    if "timers" in SECTIONS:
        bench_user = User.objects.get(username="bench")
        report["timers"] = timer_sweep.measure(bench_user, _deploy_fixture("due_timer.bpmn"))
    if "analytics" in SECTIONS:
        report["analytics"] = _analytics_figures(agent, quick)
    if "appointments" in SECTIONS:
        import appointments

        report["appointments"] = appointments.measure()
    return report


def _analytics_figures(agent, quick) -> dict:
    """bench/analytics.py, loaded by path (`analytics` is also the Django app's name)."""
    import importlib.util

    from tickets import actions
    from tickets.visibility import Reader

    spec = importlib.util.spec_from_file_location(
        "bench_analytics", ROOT / "bench" / "analytics.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    template = actions.do_start_ticket(agent, quick.key, {})
    return module.measure(template, template.tasks.get(), Reader.staff(agent))


def _engine_sections() -> dict:
    from django.db import connection

    from bench.notify_fanout import fanout_figures

    report = {"engine": engine_figures(), "dmn": dmn_figures(), "notify": fanout_figures()}
    if connection.vendor == "postgresql":
        report.update(scale_figures())
    else:
        report["skipped"] = (
            "api, worklist, search, timers and the pricing simulation run on PostgreSQL only "
            "(bulk SQL, one gunicorn worker against the bench database): set "
            "DATABASE_URL=postgres://…"
        )
        print(f"bench: {report['skipped']}", file=sys.stderr)
    return report


def machine_speed() -> dict:
    """How fast this machine runs plain Python right now (the best of three runs of five
    million additions): the absolute figures of two reports compare only beside it; the
    ratios measured side by side hold on any machine."""

    def loop() -> float:
        started, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        return (time.perf_counter() - started) * 1000

    return {"python_loop_5m_ms": round(min(loop() for _ in range(3)), 1)}


def main():
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False  # as served: no per-query log in memory
    # Its own throw-away database, so that a bench never touches the test suite's.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        None
        if connection.vendor == "sqlite"
        else os.environ.get("BENCH_DB", f"flowdesk_bench_{os.getpid()}")
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    report = {"machine": machine_speed()}
    try:
        if not set(SECTIONS) <= STANDALONE:
            report.update(_engine_sections())
        if "pricing" in SECTIONS:
            from bench.pricing_figures import measure

            report["pricing"] = measure()
    finally:
        connection.close()
        if not os.environ.get("BENCH_KEEP_DB"):  # kept: to EXPLAIN queries by hand
            connection.creation.destroy_test_db(old_name, verbosity=0)
    text = json.dumps(report, indent=2)
    print(text)
    Path(os.environ.get("BENCH_REPORT", ROOT / "bench" / "report.json")).write_text(text + "\n")


if __name__ == "__main__":
    main()
