"""A completion locks its ticket and reads the ticket's open tasks in one statement
(tickets.locked_rows): the tasks are still read after the lock, so a step that held the
lock and committed while the completion waited is seen, as two statements saw it."""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from tests.conftest import FIXTURES, deploy_file
from tickets import actions
from tickets.engine import locked_ticket, locked_ticket_of_task_with_open_rows
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_open_rows_read_with_the_lock_include_those_committed_while_it_waited(cast):
    if connection.vendor != "postgresql":
        pytest.skip("one statement for both is PostgreSQL's; row locks under threads too")
    deploy_file(FIXTURES / "parallel_pair.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "parallel_pair", {})
    left = HumanTask.objects.get(ticket=ticket, bpmn_id="left")
    holding, errors, added = threading.Event(), [], []

    def step_holding_the_lock():
        try:
            with transaction.atomic():
                locked = locked_ticket(ticket.id)
                extra = HumanTask.objects.get(id=left.id)
                extra.pk, extra.engine_task_id, extra.bpmn_id = None, str(uuid.uuid4()), "extra"
                extra.save()
                Ticket.objects.filter(id=locked.id).update(lock_version=locked.lock_version + 1)
                added.append(extra.id)
                holding.set()
                threading.Event().wait(0.5)  # the completion's statement waits meanwhile
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            holding.set()
            connections.close_all()

    holder = threading.Thread(target=step_holding_the_lock)
    holder.start()
    holding.wait()
    with transaction.atomic():
        locked, rows = locked_ticket_of_task_with_open_rows(left.id)
    holder.join()
    assert errors == []
    assert locked.lock_version == ticket.lock_version + 1
    assert sorted(row.bpmn_id for row in rows) == ["extra", "left", "right"]
    assert added[0] in {row.id for row in rows}
    assert all(row.ticket is locked for row in rows)


def test_a_task_without_its_ticket_row_is_not_found(cast):
    from tickets.errors import NotFound

    with pytest.raises(NotFound), transaction.atomic():
        locked_ticket_of_task_with_open_rows(10**12)
