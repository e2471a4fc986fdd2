"""Two people complete the two parallel steps of one ticket at the same moment: the
second waits for the first's row lock and then continues from the state the first saved,
never from the state it read before it waited."""

import threading

import pytest
from django.db import connection, connections, transaction

from tests.conftest import FIXTURES, deploy_file
from tickets import actions
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_step_that_waited_for_the_lock_continues_from_the_saved_state(cast):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL (CI sets DATABASE_URL)")
    deploy_file(FIXTURES / "parallel_pair.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "parallel_pair", {})
    steps = dict(HumanTask.objects.filter(ticket=ticket).values_list("bpmn_id", "id"))
    first_saved, errors = threading.Event(), []

    def first():
        try:
            with transaction.atomic():  # holds the lock after the step is written
                actions.do_complete_task(cast["dave"], steps["left"], {})
                first_saved.set()
                threading.Event().wait(0.5)  # meanwhile the second reads, then waits
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            first_saved.set()
            connections.close_all()

    def second():
        try:
            first_saved.wait()
            actions.do_complete_task(cast["dave"], steps["right"], {})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    assert not HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES).exists()
    assert sorted(HumanTask.objects.filter(ticket=ticket).values_list("bpmn_id", "state")) == [
        ("left", "done"),
        ("right", "done"),
    ]
