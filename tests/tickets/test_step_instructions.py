"""A step's instructions in the reader's language: the task page shows the step's
`instructions.<language>` extension property (SpiffArena's spiffworkflow:property or a
Camunda camunda:property) for the active language, else its instructionsForEndUser."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from tests.conftest import FIXTURES, deploy_file, repair_start
from tickets import actions
from tickets.models import HumanTask

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff]")


def _instructions_shown(user, task, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(f"/tasks/{task.id}/")
    assert response.status_code == 200
    found = re.findall(
        r'<div class="fd-card fd-instructions">(.*?)</div>', response.content.decode(), re.S
    )
    return found[0] if found else ""


def _open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def test_a_shipped_step_reads_its_instructions_in_the_readers_language(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = _open_task(ticket, "accept")
    english = "Check the customer's request and accept it."
    assert accept.instructions == english  # the row keeps the model's default text

    assert _instructions_shown(cast["alice"], accept, "zh-hans") == "<p>核对客户的请求并受理。</p>"
    assert _instructions_shown(cast["alice"], accept, "zh-CN") == "<p>核对客户的请求并受理。</p>"
    assert _instructions_shown(cast["alice"], accept, "en") == f"<p>{escape(english)}</p>"


def test_a_camunda_step_reads_its_instructions_from_camunda_properties(cast):
    """Its properties name the languages `instructions.en` and `instructions.zh`: the
    base language serves a reader of zh-hans."""
    deploy_file(FIXTURES / "camunda" / "desk_instructions.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "desk_instructions", {})
    call_back = _open_task(ticket, "Task_CallBack")
    assert call_back.instructions == ""  # a Camunda file has no instructionsForEndUser

    chinese = _instructions_shown(cast["alice"], call_back, "zh-hans")
    english = _instructions_shown(cast["alice"], call_back, "en")
    assert chinese == "<p>一小时内回电给客户，并记下客户的诉求。</p>"
    assert english == (
        "<p>Call the customer back within the hour and note what they asked for.</p>"
    )
