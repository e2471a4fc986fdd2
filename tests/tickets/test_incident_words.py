"""An incident reads in the reader's language: the engine returns a message code and its
values (bpmn.messages), the ticket page and the timeline word them in Chinese for a Chinese
reader, with nothing of the engine's English around the values."""

import re
from dataclasses import asdict

import pytest
from django.test import Client
from django.utils import translation

from bpmn import messages, runtime, services
from bpmn.specs import compile_bundle
from definitions.deploy import deploy_bundle
from tickets import actions
from tickets.incident_text import incident_text
from tickets.models import Ticket

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="d" targetNamespace="http://flowdesk.example/tests">
  <bpmn:process id="words" name="Words" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="quote" name="Compute the quote">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>total = amount + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="route" default="f4">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:serviceTask id="lookup" name="Look up the customer">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="test.words_lookup" resultVariable="customer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="phone" type="str" value="phone" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="handle" name="Handle" camunda:candidateGroups="agents">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="quote" />
    <bpmn:sequenceFlow id="f2" sourceRef="quote" targetRef="route" />
    <bpmn:sequenceFlow id="f3" sourceRef="route" targetRef="lookup">
      <bpmn:conditionExpression>needs_lookup and region_code == 3</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="route" targetRef="handle" />
    <bpmn:sequenceFlow id="f5" sourceRef="lookup" targetRef="handle" />
    <bpmn:sequenceFlow id="f6" sourceRef="handle" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(autouse=True)
def crm_down():
    def lookup(params, call):
        raise ValueError("CRM is down")

    services.register("test.words_lookup", params=("phone",))(lookup)


def incident_of(data: dict) -> dict:
    _, result = runtime.start(compile_bundle("words.bpmn", PROCESS, {}), data)
    assert result.incident is not None
    return asdict(result.incident)


def in_chinese(incident: dict) -> str:
    with translation.override("zh-hans"):
        return incident_text(incident)


def assert_no_english_frame(text: str, *values: str):
    """Only the values the engine quotes may be in Latin letters."""
    for value in values:
        text = text.replace(value, "")
    assert not re.search(r"[A-Za-z]{3,}", text), text


@pytest.mark.parametrize(
    "data, code, params, chinese",
    [
        (
            {"amount": "five"},
            "script_failed",
            {"reason": 'TypeError on line 1: can only concatenate str (not "int") to str'},
            "脚本运行失败：",
        ),
        (
            {"amount": 1, "needs_lookup": True},
            "expression_unknown_name",
            {"expression": "needs_lookup and region_code == 3", "name": "region_code"},
            "表达式 “needs_lookup and region_code == 3” 用到了 “region_code”，但工单中没有这个值。",
        ),
        (
            {"amount": 1, "needs_lookup": True, "region_code": 3, "phone": "13812345678"},
            "service_failed",
            {"operator": "test.words_lookup", "reason": "ValueError: CRM is down"},
            "服务 “test.words_lookup” 调用失败：ValueError: CRM is down。",
        ),
    ],
)
def test_the_engine_returns_a_code_and_values_and_chinese_words_them(data, code, params, chinese):
    incident = incident_of(data)
    assert (incident["code"], incident["params"]) == (code, params)
    text = in_chinese(incident)
    assert chinese in text
    assert_no_english_frame(text, *params.values())
    with translation.override("en"):
        assert incident_text(incident) != text


def test_every_message_code_has_its_chinese_sentence():
    for code, names in messages.CODES.items():
        params = {name: "X1" for name in names}
        incident = {"code": code, "params": params, "error": "english fallback"}
        text = in_chinese(incident)
        assert text != "english fallback", code
        assert_no_english_frame(text.replace("ISO", "").replace("SLA", ""), "X1")


def test_an_incident_without_a_code_keeps_the_engines_text():
    old = {"error": "something the engine said", "task_name": "x"}  # stored before codes
    assert in_chinese(old) == "something the engine said"
    assert in_chinese({**old, "code": "timer_value", "params": {"timer": "t"}}) == old["error"]


def test_coding_a_message_with_other_values_than_its_code_takes_is_refused():
    with pytest.raises(ValueError, match="takes"):
        messages.coded(ValueError("x"), "script_failed", seconds=3)


@pytest.mark.django_db
def test_the_ticket_page_and_timeline_say_the_incident_in_chinese(cast):
    deploy_bundle("words.bpmn", PROCESS, {}, cast["dave"])
    ticket = actions.do_start_ticket(cast["alice"], "words", {"amount": 1, "needs_lookup": True})
    assert Ticket.objects.get(id=ticket.id).incident["code"] == "expression_unknown_name"
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(cast["bob"])
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    said = "表达式 “needs_lookup and region_code == 3” 用到了 “region_code”，但工单中没有这个值。"
    assert page.count(said) == 2  # the incident box and the timeline
    assert "Error evaluating" not in page and "is not defined" not in page
