"""A task's field access is worked out once per version node, roles and right to act
(tickets.fields.task_access) and must stay what field_access decides for each user: the
kept map is never handed out to be changed."""

import pytest

from bpmn import runtime
from definitions.deploy import compiled_for
from forms.permissions import field_access
from tests.conftest import repair_start
from tickets import actions
from tickets.access import may_act_on_task
from tickets.fields import roles_of, task_access, task_form
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db


def _uncached(user, task, form):
    info = runtime.node(compiled_for(task.ticket.process_version), task.bpmn_id)
    return field_access(
        form,
        task.bpmn_id,
        roles_of(user),
        node_properties=info.properties,
        may_act=may_act_on_task(user, task) and task.state in ("open", "claimed"),
    )


def test_each_user_gets_the_access_field_access_decides(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    form = task_form(task)
    seen = {}
    for name in ("alice", "carol", "tom", "alice", "carol"):  # twice: from the kept maps
        access = task_access(cast[name], task, form)
        expected = _uncached(cast[name], task, form)
        assert dict(access) == dict(expected)
        assert access.mask_kinds == expected.mask_kinds
        assert access.default == expected.default
        seen[name] = dict(access)
    # Finance may not act on the step and sees the phone masked: not the agent's map.
    assert "editable" in seen["alice"].values()
    assert "editable" not in seen["carol"].values()
    assert seen["carol"]["customer_phone"] == "masked"


def test_changing_a_returned_map_changes_no_later_answer(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    task = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    form = task_form(task)
    first = task_access(cast["alice"], task, form)
    before = (dict(first), dict(first.mask_kinds))
    for path in first:
        first[path] = "hidden"
    first.mask_kinds.clear()
    again = task_access(cast["alice"], task, form)
    assert (dict(again), dict(again.mask_kinds)) == before
