"""Nothing a model author writes runs outside the sandbox: attacks in every entry point."""

import time
from pathlib import Path

import pytest

from bpmn import runtime, services
from bpmn.sandbox import ExpressionError, ScriptError, evaluate_expression, run_script
from bpmn.specs import compile_bundle

CANARY = Path("/tmp/flowdesk-sandbox-canary")

ATTACKS = [
    "__import__('os').system('touch /tmp/flowdesk-sandbox-canary')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/tmp/flowdesk-sandbox-canary', 'w')",
    "exec('x = 1')",
    "eval('1 + 1')",
    "getattr(1, '__class__')",
    "(lambda: 1).__globals__",
    "datetime.datetime.__subclasses__()",
    "json.loads.__self__",
    "10 ** 10 ** 10",
    "'x' * 10 ** 10",
    "[0] * 10 ** 10",
    "type(1)",
    "globals()",
    "vars()",
    "compile('1', 'f', 'eval')",
]


@pytest.fixture(autouse=True)
def no_canary():
    CANARY.unlink(missing_ok=True)
    yield
    assert not CANARY.exists(), "an attack ran on the server"


@pytest.mark.parametrize("attack", ATTACKS)
def test_expressions_refuse_attacks(attack):
    with pytest.raises(ExpressionError):
        evaluate_expression(attack, {})


@pytest.mark.parametrize(
    "attack",
    ATTACKS
    + [
        "import os\nos.system('touch /tmp/flowdesk-sandbox-canary')",
        "from os import system",
        "x = ().__class__",
        "def f():\n    return f()\nf()",
        "x = 2\nx **= 10 ** 10",
        "s = 'a'\ns *= 10 ** 10",
        "__builtins__['open']('/tmp/flowdesk-sandbox-canary', 'w')",
        "class A:\n    pass\nA.__subclasses__()",
    ],
)
def test_scripts_refuse_attacks_and_leave_data_alone(attack):
    data = {"kept": 1}
    with pytest.raises(ScriptError):
        run_script(attack, data, seconds=1)
    assert data == {"kept": 1}


@pytest.mark.parametrize(
    "loop",
    [
        "while True:\n    pass",
        "x = [i for i in range(10 ** 12)]",
        "for i in range(10 ** 12):\n    pass",
    ],
)
def test_endless_scripts_stop_at_the_time_limit(loop):
    started = time.monotonic()
    # The growing list reaches the memory cap of its sandbox process before the clock.
    with pytest.raises(ScriptError, match="time limit|memory limit"):
        run_script(loop, {}, seconds=0.5)
    assert time.monotonic() - started < 3


def test_scripts_still_compute_with_the_whitelisted_helpers():
    data = {"items": [{"qty": 2, "price": "1.25"}, {"qty": 1, "price": "3.10"}]}
    run_script(
        "total = sum(Decimal(i['price']) * i['qty'] for i in items)\n"
        "due = (datetime.date(2026, 1, 30) + timedelta(days=3)).isoformat()\n"
        "code = re.sub('[^0-9]', '', 'SV-2026-01')\n"
        "root = math.sqrt(16)\n"
        "blob = json.dumps({'a': 1})\n",
        data,
    )
    assert str(data["total"]) == "5.60" and data["due"] == "2026-02-02"
    assert data["code"] == "202601" and data["root"] == 4.0 and data["blob"] == '{"a": 1}'


MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="attack" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="Script">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" default="f4"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="service">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="service" />
    <bpmn:serviceTask id="service" name="Service">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>{prescript}</spiffworkflow:preScript>
        <spiffworkflow:serviceTaskOperator id="test.echo" resultVariable="echo">
          <spiffworkflow:parameters><spiffworkflow:parameter id="value" type="str" value="{param}" /></spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{timer}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script" />
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="gw" />
    <bpmn:sequenceFlow id="f5" sourceRef="service" targetRef="wait" />
    <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

SAFE = {
    "prescript": "a = 1",
    "script": "b = 2",
    "condition": "b == 2",
    "param": "b + a",
    "timer": "'PT1H'",
}


@pytest.fixture
def echo_operator():
    services.register("test.echo", params=("value",))(
        lambda params, call: {"value": params["value"]}
    )


def run_model(**parts):
    from xml.sax.saxutils import escape

    fields = {k: escape(v, {'"': "&quot;"}) for k, v in {**SAFE, **parts}.items()}
    compiled = compile_bundle("attack.bpmn", MODEL.format(**fields), {})
    workflow, result = runtime.start(compiled, {})
    return workflow, result


def test_the_safe_model_runs_to_its_timer(echo_operator):
    workflow, result = run_model()
    assert result.incident is None
    assert runtime.current_data(workflow)["echo"] == {"value": 3}
    assert runtime.next_timer_at(workflow) is not None


@pytest.mark.parametrize("entry", ["prescript", "script", "condition", "param", "timer"])
@pytest.mark.parametrize("attack", [ATTACKS[0], ATTACKS[1], ATTACKS[2], ATTACKS[9]])
def test_attacks_in_every_entry_point_become_incidents(echo_operator, entry, attack):
    workflow, result = run_model(**{entry: attack})
    assert result.incident is not None, f"{entry} accepted {attack!r}"
    assert result.incident.bpmn_id in {"script", "gw", "service", "wait"}
    assert result.incident.error
