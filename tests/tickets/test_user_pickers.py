"""A user picker (the repair visit's technician) checks the named person is an active
user. The answer is reference data, kept until users change: a deactivated technician
is refused from the next action on, a new one accepted."""

import pytest
from django.contrib.auth.models import User

from tests.conftest import repair_start
from tickets import actions
from tickets.errors import InvalidSubmission
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db


def _visit_task(cast):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    actions.do_complete_task(cast["bob"], accept.id, {"accepted": True})
    return HumanTask.objects.get(ticket=ticket, bpmn_id="schedule_visit")


def _schedule(cast, task, technician):
    data = {"visit_date": "2026-11-24", "technician": technician}
    return actions.do_complete_task(cast["bob"], task.id, data)


def test_a_deactivated_technician_is_refused_from_the_next_action_on(cast, repair):
    first, second = _visit_task(cast), _visit_task(cast)
    _schedule(cast, first, "tom")  # known active: kept
    tom = cast["tom"]
    tom.is_active = False
    tom.save(update_fields=["is_active"])
    with pytest.raises(InvalidSubmission) as refused:
        _schedule(cast, second, "tom")
    assert "technician" in refused.value.errors


def test_a_technician_added_later_is_accepted(cast, repair):
    first, second = _visit_task(cast), _visit_task(cast)
    with pytest.raises(InvalidSubmission):
        _schedule(cast, first, "tina")  # not a user (yet): that answer is kept too
    User.objects.create_user("tina", is_staff=True)
    assert _schedule(cast, second, "tina").status == "active"
