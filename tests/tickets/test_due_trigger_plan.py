"""The due-time triggers read a ticket's tasks through the ticket, never through an index
of every open task: in a table never analysed (a fresh database, a bulk load) such a plan
made each inserted task walk all the others (60,000 tasks: 47 s instead of 6)."""

import pytest
from django.db import connection

from tests.conftest import FIXTURES, deploy_file, row_versions_written
from tickets import actions
from tickets.models import HumanTask
from tickets.triggers import _EARLIEST_DUE_PG

pytestmark = pytest.mark.django_db


def test_the_earliest_due_time_is_found_through_the_ticket_alone(cast):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    deploy_file(FIXTURES / "smallest.bpmn")
    ticket = actions.do_start_ticket(cast["dave"], "smallest", {})
    task = HumanTask.objects.get(ticket=ticket)
    columns = [f.column for f in HumanTask._meta.concrete_fields if f.column != "id"]
    copied = ", ".join("'e' || g" if c == "engine_task_id" else c for c in columns)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers: fast
        cursor.execute(  # a bulk load: 20,000 open tasks, no statistics yet
            f"INSERT INTO tickets_humantask ({', '.join(columns)}) SELECT {copied} "
            "FROM tickets_humantask, generate_series(1, 20000) AS g WHERE id = %s",
            [task.id],
        )
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'tickets_humantask'")
        assert cursor.fetchone()[0] < 0  # never analysed: the case that went wrong
        cursor.execute(f"EXPLAIN SELECT {_EARLIEST_DUE_PG.format(ticket=ticket.id + 1)}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for index in ("open_tasks_assignee_idx", "humantask_open_", "worklist_idx"):
        assert index not in plan, plan
    assert f"ticket_id = {ticket.id + 1}" in plan


def test_a_step_writes_its_ticket_row_once_with_the_due_time_of_its_new_task(cast, repair):
    """The step's UPDATE of the ticket runs after its task writes in the one statement
    (tickets.prepared.write_step), so the ticket's trigger computes the due time from the
    tasks as they now are and the tasks' triggers find nothing to correct: one new version
    of the wide, much-indexed ticket row per step, not two."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statistics")
    from tests.conftest import repair_start

    ticket = actions.do_start_ticket(cast["dave"], "repair", repair_start())
    for bpmn_id, data in [
        ("accept", {"accepted": True}),
        ("schedule_visit", {"technician": "tom", "visit_date": "2026-11-24"}),
    ]:
        task = HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id)
        assert (
            row_versions_written(
                "tickets_ticket",
                lambda t=task, d=data: actions.do_complete_task(cast["dave"], t.id, d),
            )
            == 1
        )
        ticket.refresh_from_db()
        open_task = HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)
        assert open_task.due_at is not None and ticket.due_at == open_task.due_at
