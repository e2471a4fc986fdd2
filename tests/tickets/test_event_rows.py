"""Events of an action are built from their column values (tickets.engine._event) rather
than through Model.__init__'s keyword path: the same row, the same related objects."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.conftest import repair_start
from tickets import actions
from tickets.engine import _event
from tickets.models import HumanTask, TicketEvent

pytestmark = pytest.mark.django_db

COLUMNS = [f.attname for f in TicketEvent._meta.concrete_fields]


def _as_orm_builds_it(ticket, kind, actor=None, task=None, bpmn_id="", **detail):
    return TicketEvent(
        ticket=ticket, kind=kind, actor=actor, task=task, bpmn_id=bpmn_id, detail=detail
    )


@pytest.mark.parametrize("with_actor", [True, False])
@pytest.mark.parametrize("task_kind", ["saved", "new", None])
def test_an_event_is_the_row_the_orm_would_build(cast, repair, with_actor, task_kind):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    actor = cast["bob"] if with_actor else None
    task = {
        "saved": HumanTask.objects.filter(ticket=ticket).first(),
        "new": HumanTask(ticket=ticket, engine_task_id="e", bpmn_id="accept"),
        None: None,
    }[task_kind]
    ours = _event(ticket, "assigned", actor=actor, task=task, bpmn_id="accept", to="bob")
    orm = _as_orm_builds_it(ticket, "assigned", actor, task, "accept", to="bob")
    assert [getattr(ours, c) for c in COLUMNS] == [getattr(orm, c) for c in COLUMNS]
    assert ours._state.db == orm._state.db and ours._state.adding
    for name in ("ticket", "actor", "task"):
        field = TicketEvent._meta.get_field(name)
        assert field.is_cached(ours) == field.is_cached(orm)
        assert field.get_cached_value(ours, None) is field.get_cached_value(orm, None)


def test_what_the_orm_refuses_is_still_refused(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    with pytest.raises(ValueError, match='must be a "User" instance'):
        _event(ticket, "claimed", actor=AnonymousUser())


def test_a_new_tasks_events_point_at_its_row_once_written(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    created = TicketEvent.objects.get(ticket=ticket, kind="task_created")
    assert created.task_id == task.id and created.bpmn_id == "accept"
