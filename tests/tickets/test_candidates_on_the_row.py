"""A task's candidates on its own row (PostgreSQL, migration 0019): the step that creates
a task writes them with it, the through tables' triggers keep them whatever writes the
candidates, and the queues read them."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from tests.conftest import repair_start, row_versions_written
from tickets import actions, operations, worklists
from tickets.access import worklist
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the array column is PostgreSQL's")


def group_ids(task, column="candidate_group_ids") -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM tickets_humantask WHERE id = %s", [task.id])
        return cursor.fetchone()[0]


def user_ids(task) -> list[int]:
    return group_ids(task, "candidate_user_ids")


def test_a_new_task_is_written_once_with_its_groups(cast, repair):
    made = []
    assert (
        row_versions_written(
            "tickets_humantask",
            lambda: made.append(actions.do_start_ticket(cast["alice"], "repair", repair_start())),
        )
        == 0
    )
    accept = HumanTask.objects.get(ticket=made[0], state__in=actions.OPEN_STATES)
    expected = sorted(accept.candidate_groups.values_list("id", flat=True))
    assert expected and group_ids(accept) == expected


def test_every_writer_of_the_candidates_keeps_the_row_in_step(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task = HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)
    finance, technicians = Group.objects.get(name="finance"), Group.objects.get(name="technicians")

    operations.do_transfer(cast["bob"], task.id, to_group="finance", reason="billing question")
    assert group_ids(task) == [finance.id]
    task.candidate_groups.add(technicians)
    assert group_ids(task) == sorted([finance.id, technicians.id])
    task.candidate_groups.remove(finance)
    assert group_ids(task) == [technicians.id]
    with connection.cursor() as cursor:  # a hand-made change of the through table
        cursor.execute(
            "UPDATE tickets_humantask_candidate_groups SET group_id = %s WHERE humantask_id = %s",
            [finance.id, task.id],
        )
    assert group_ids(task) == [finance.id]
    task.candidate_groups.clear()
    assert group_ids(task) == []

    operations.do_transfer(cast["bob"], task.id, to_user="tom", reason="on site")
    assert user_ids(task) == [cast["tom"].id]
    task.candidate_users.add(cast["alice"])
    assert user_ids(task) == sorted([cast["tom"].id, cast["alice"].id])
    task.candidate_users.remove(cast["tom"])
    assert user_ids(task) == [cast["alice"].id]


def test_the_queues_follow_a_transfer(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task = HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)
    alice, carol = cast["alice"], cast["carol"]  # agents and dispatchers; finance

    def queued(user) -> bool:
        in_api = task.id in {t.id for t in worklist(user, "group")}
        in_page = task.id in {
            t.id for t in worklists.worklist_page(user, "groups", worklists.WorklistFilters()).items
        }
        assert in_api == in_page
        return in_api

    operations.do_transfer(cast["bob"], task.id, to_group="agents", reason="to the queue")
    assert queued(alice) and not queued(carol)
    assert worklists.tab_counts(carol)["groups"] == 0
    operations.do_transfer(cast["bob"], task.id, to_group="finance", reason="billing question")
    assert queued(carol) and not queued(alice)
    assert worklists.tab_counts(carol)["groups"] == 1
    task.candidate_users.add(alice)  # named by hand: in her queue too
    assert queued(alice) and worklists.tab_counts(alice)["groups"] == 1


def test_connections_keep_parallel_workers_for_statements_larger_than_a_page():
    """A worklist page planned in parallel waited ~20 ms for its workers to start
    (settings.PG_OPTIONS)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW parallel_setup_cost")
        assert float(cursor.fetchone()[0]) == 10_000
