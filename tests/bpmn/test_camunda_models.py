"""Files from Camunda Modeler deploy and run unmodified: JUEL conditions, external tasks and
Java delegates on registered operators, generated forms, input/output mappings, decision
result variables; what cannot run is refused naming the element, what is not applied is
a deploy warning; folders deploy in any file order; no model crashes a start."""

import io
import shutil
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from bpmn import juel, services
from bpmn.parser import BundleError
from bpmn.sandbox import evaluate_expression
from definitions.deploy import deploy_bundle_report, read_bundle_folder
from tests.conftest import FIXTURES, deploy_file
from tickets import actions
from tickets.errors import InvalidSubmission
from tickets.models import HumanTask

CAMUNDA = FIXTURES / "camunda"


def open_task(ticket, bpmn_id):
    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=actions.OPEN_STATES)


def deploy_report(path):
    name, text, files = read_bundle_folder(path)
    return deploy_bundle_report(name, text, files)


# ------------------------------------------------------------------ JUEL translation


@pytest.mark.parametrize(
    "juel_text, data, expected",
    [
        ("${amount > 1000 && approved}", {"amount": 1500, "approved": True}, True),
        ("${amount > 1000 && approved}", {"amount": 1500, "approved": False}, False),
        ("#{amount le 1000 or not approved}", {"amount": 900, "approved": True}, True),
        ("${customer.tier eq 'vip' ? 2 : 1}", {"customer": {"tier": "vip"}}, 2),
        ("${empty items}", {"items": []}, True),
        ("${!empty items && items[0].qty ge 3}", {"items": [{"qty": 3}]}, True),
        ("${total div 4 + 10 mod 3}", {"total": 10}, 3.5),
        ("${a < b == true}", {"a": 1, "b": 2}, True),
        ("${x != null}", {"x": None}, False),
        (
            "Ticket ${number} for ${name}",
            {"number": 7, "name": "Wang Fang"},
            "Ticket 7 for Wang Fang",
        ),
    ],
)
def test_juel_is_translated_into_the_sandbox_syntax(juel_text, data, expected):
    assert evaluate_expression(juel.translate(juel_text), data) == expected


@pytest.mark.parametrize(
    "juel_text, says",
    [
        ("${bean.check()}", "method and function calls such as bean.check"),
        ("${execution.getVariable('x')}", "execution.getVariable"),
        ("${amount >}", "incomplete"),
        ("${amount", "not closed"),
    ],
)
def test_juel_outside_the_subset_is_refused_with_a_reason(juel_text, says):
    with pytest.raises(juel.JuelError, match=says.replace("(", r"\(")):
        juel.translate(juel_text)


# ------------------------------------------------------------------ a whole order model


def test_order_model_deploys_with_warnings_for_its_listeners(db):
    result = deploy_report(CAMUNDA / "order_approval.bpmn")
    assert result.created and result.version.key == "order_approval"
    warnings = "\n".join(result.warnings)
    assert len(result.warnings) == 2
    assert "process 'order_approval' ('Order approval')" in warnings
    assert "execution listener on event 'start'" in warnings
    assert "userTask 'Task_Review' ('Review large order')" in warnings
    assert "com.acme.notify.ReviewerMailListener" in warnings
    # the generated forms are stored with the version, under their own names
    assert "camunda-forms/Task_Review.schema.json" in result.version.files


def test_large_approved_order_goes_to_review_with_its_generated_form(cast):
    deploy_file(CAMUNDA / "order_approval.bpmn")
    bob = cast["bob"]
    with pytest.raises(InvalidSubmission) as refused:  # required field, then a maximum
        actions.do_start_ticket(cast["alice"], "order_approval", {"amount": 5000})
    assert "customer" in refused.value.errors
    ticket = actions.do_start_ticket(
        cast["alice"],
        "order_approval",
        {"customer": "Wang Fang", "amount": "5000", "approved": True, "region": "south"},
    )
    assert ticket.data["amount"] == 5000  # the `long` field was cleaned to a number
    review = open_task(ticket, "Task_Review")
    assert [g.name for g in review.candidate_groups.all()] == ["supervisors"]
    assert review.form_schema == "camunda-forms/Task_Review.schema.json"
    with pytest.raises(InvalidSubmission) as refused:
        actions.do_complete_task(bob, review.id, {"decision": "maybe", "discount": 40})
    assert set(refused.value.errors) >= {"decision", "discount"}
    ticket = actions.do_complete_task(
        bob, review.id, {"decision": "accept", "discount": 5, "comment": "fine"}
    )
    assert ticket.status != "active"
    assert ticket.data["reviewOutcome"] == "approved"  # the output parameter ran


def test_small_order_is_quoted_by_the_external_task_operator(cast):
    deploy_file(CAMUNDA / "order_approval.bpmn")
    ticket = actions.do_start_ticket(
        cast["alice"],
        "order_approval",
        {
            "customer": "Wang Fang",
            "amount": 800,
            "approved": True,
            "hours": 3,
            "region": "north",
            "salesRep": "alice",
        },
    )
    # topic pricing.quote ran the registered pricing.quote operator: 3 h x (800 / 10) + 0
    assert ticket.data["Task_Quote_result"]["total"] == "240.00"
    assert ticket.data["quotedTotal"] == "240.00"
    confirm = open_task(ticket, "Task_Confirm")
    assert confirm.assignee.username == "alice"  # camunda:assignee="${salesRep}"
    ticket = actions.do_complete_task(cast["alice"], confirm.id, {})
    # input parameters (text with expressions, a list, a map) ran before the task and the
    # output parameter after it
    assert ticket.data["greeting"] == "Dear Wang Fang, your quote is 240.00"
    assert ticket.data["channels"] == ["email", "north"]
    assert ticket.data["summary"] == {"customer": "Wang Fang", "doubled": 1600}
    assert ticket.data["confirmed"] is True and ticket.status != "active"


# ------------------------------------------------------------------ Java delegates, connectors


@pytest.fixture
def crm_operators():
    calls = []

    def score(params, call):
        calls.append(("score", params))
        return {"score": int(Decimal(str(params["weight"])) * 10)}

    def segment(params, call):
        calls.append(("segment", dict(call.data)))
        return "gold" if call.data["Task_Score_result"]["score"] >= 50 else "silver"

    def mail(params, call):
        calls.append(("mail", params))
        return {"sent": True}

    services.register("CustomerScoreDelegate")(score)
    services.register("crm.segment")(segment)
    services.register("mail-send")(mail)
    yield calls
    for name in ("CustomerScoreDelegate", "crm.segment", "mail-send"):
        services._REGISTRY.pop(name, None)


def test_class_expression_and_connector_tasks_call_registered_operators(cast, crm_operators):
    deploy_file(CAMUNDA / "delegates.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "customer_scoring", {"revenue": 8000})
    assert ticket.status != "active", ticket.data
    score, segment, mail = crm_operators
    assert score == ("score", {"model": "gold-2024", "weight": 8.0})  # camunda:field injection
    assert segment[0] == "segment" and ticket.data["segment"] == "gold"  # resultVariable
    assert mail == ("mail", {"to": "accounts@example.com", "subject": "Lead scored 80"})
    assert ticket.data["mailed"] is True  # the connector's output parameter


def test_an_unregistered_delegate_names_the_element_and_the_operator_to_register(db):
    with pytest.raises(BundleError) as refused:
        deploy_file(CAMUNDA / "delegates.bpmn")
    message = str(refused.value)
    assert "delegates.bpmn line 7: serviceTask 'Task_Score' ('Score customer')" in message
    assert (
        "register one named 'com.acme.crm.CustomerScoreDelegate' or 'CustomerScoreDelegate'"
        in message
    )
    assert "sendTask 'Task_Mail' ('Mail the account manager'): connector 'mail-send'" in message
    assert "A Service Task must have an operator" not in message


# ------------------------------------------------------------------ decisions


def test_result_variables_of_business_rule_tasks(cast):
    deploy_file(CAMUNDA / "discount_approval.bpmn")
    ticket = actions.do_start_ticket(
        cast["alice"], "discount_approval", {"customerTier": "vip", "amount": 2500}
    )
    assert ticket.data["discountRate"] == 15  # singleEntry
    assert ticket.data["approverGroups"] == ["sales", "finance"]  # collectEntries
    assert ticket.data["approverRows"] == [{"group": "sales"}, {"group": "finance"}]  # resultList
    assert "rate" not in ticket.data and "group" not in ticket.data  # only the variables
    assert open_task(ticket, "Task_Approve")  # ${discountRate gt 10}
    small = actions.do_start_ticket(
        cast["alice"], "discount_approval", {"customerTier": "standard", "amount": 300}
    )
    assert small.data["discountRate"] == 0 and small.status != "active"


# ------------------------------------------------------------------ refusals and folders


def test_unsupported_constructs_are_refused_naming_each_element(db):
    with pytest.raises(BundleError) as refused:
        deploy_file(CAMUNDA / "refused" / "unsupported.bpmn")
    message = str(refused.value)
    assert "sequenceFlow 'Flow_Valid' ('valid')" in message
    assert "invoiceService.isValid" in message
    assert "scriptTask 'Task_Log' ('Log rejection'): the script is written in groovy" in message
    assert "serviceTask 'Task_Archive' ('Archive invoice')" in message
    assert "'ArchiveInvoiceService'" in message
    assert " at 0x" not in message and "Traceback" not in message


def test_a_non_executable_process_is_told_to_be_marked_executable(db):
    with pytest.raises(BundleError, match='isExecutable="true"') as refused:
        deploy_file(CAMUNDA / "refused" / "not_executable.bpmn")
    assert "'draft_survey' is not executable" in str(refused.value)


@pytest.mark.parametrize(
    "filename, says",
    [
        ("endless_loop.bpmn", "'Event_FollowUp' ('Follow-up noted')"),
        ("self_call.bpmn", "call activity 'Call_Again' ('Escalate once more') calls process"),
    ],
)
def test_models_that_would_never_end_are_refused_at_deploy(db, filename, says):
    with pytest.raises(BundleError) as refused:
        deploy_file(CAMUNDA / "refused" / filename)
    assert says in str(refused.value)


def test_a_folder_deploys_whatever_the_order_of_its_files(cast, tmp_path):
    # a_dispatch.bpmn calls the process of b_onsite_visit.bpmn: alphabetical order is wrong
    folder = tmp_path / "processes"
    shutil.copytree(CAMUNDA / "callers", folder)
    out, err = io.StringIO(), io.StringIO()
    call_command("deploy", str(folder), stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("deployed onsite_visit v1")
    assert lines[1].startswith("deployed dispatch v1")
    assert "warning: a_dispatch.bpmn line" in out.getvalue()  # camunda:in / camunda:out
    assert "callActivity 'Call_Visit' ('On-site visit'): camunda:in" in out.getvalue()
    ticket = actions.do_start_ticket(cast["alice"], "dispatch", {"customer": "Wang Fang"})
    visit = open_task(ticket, "Task_Visit")
    ticket = actions.do_complete_task(cast["tom"], visit.id, {"fixed": True})
    assert ticket.status != "active" and ticket.data["fixed"] is True


def test_the_deploy_command_fails_a_refused_file_and_prints_why(db, tmp_path):
    folder = tmp_path / "drafts"
    folder.mkdir()
    shutil.copy(CAMUNDA / "refused" / "not_executable.bpmn", folder)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("deploy", str(folder), stdout=io.StringIO(), stderr=err)
    assert "mark it executable" in err.getvalue()


def test_the_deploy_api_returns_the_warnings(cast):
    from tests.integrations.support import post, token_client, token_for

    deployer = token_client(token_for(cast["dave"], "processes:deploy"))
    name, text, files = read_bundle_folder(CAMUNDA / "order_approval.bpmn")
    response = post(
        deployer, "/api/v1/processes", {"bpmn_filename": name, "bpmn": text, "files": files}
    )
    assert response.status_code == 201
    body = response.json()
    assert len(body["warnings"]) == 2 and "ReviewerMailListener" in body["warnings"][1]
    assert "camunda-forms/StartEvent_Order.schema.json" in body["version"]["files"]


ODD_FLOWS = {
    "a flow to nowhere": (
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Task_Gone"/>',
        "sequenceFlow 'f1': targetRef refers to 'Task_Gone'",
    ),
    "an unknown message": (
        '<bpmn:intermediateCatchEvent id="wait" name="Wait for payment">'
        '<bpmn:messageEventDefinition messageRef="Message_Gone"/></bpmn:intermediateCatchEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>',
        "intermediateCatchEvent 'wait' ('Wait for payment'): messageRef refers to 'Message_Gone'",
    ),
    "a cron timer": (
        '<bpmn:intermediateCatchEvent id="every" name="Every 5 s"><bpmn:timerEventDefinition>'
        "<bpmn:timeCycle>0/5 * * * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>"
        '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="every"/>',
        "intermediateCatchEvent 'every' ('Every 5 s'): the timer '0/5 * * * * ?' is a cron",
    ),
    "a loop with no exit": (
        '<bpmn:task id="again" name="Again"/><bpmn:sequenceFlow id="f1" sourceRef="s" '
        'targetRef="again"/><bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="again"/>',
        "'again' ('Again') loops with no way to an end event",
    ),
}


@pytest.mark.parametrize("case", list(ODD_FLOWS))
def test_odd_files_are_refused_in_words_not_reprs(db, case):
    flows, says = ODD_FLOWS[case]
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">'
        '<bpmn:process id="odd" isExecutable="true"><bpmn:startEvent id="s"/>'
        f"{flows}</bpmn:process></bpmn:definitions>"
    )
    with pytest.raises(BundleError) as refused:
        deploy_bundle_report("odd.bpmn", text, {})
    message = str(refused.value)
    assert message.startswith("odd.bpmn") and says in message
    assert "0x" not in message and "<Element" not in message and "Traceback" not in message


def test_python_reprs_are_removed_from_parser_messages():
    from bpmn.parser import plain_message

    leaked = "Invalid <Element {http://www.omg.org/spec/BPMN/20100524/MODEL}task at 0x7f3a2c>"
    assert plain_message(leaked) == "Invalid the task element"
    assert plain_message(KeyError("id")) == "missing 'id'"


def test_a_multi_instance_task_over_a_collection_assigns_each_element(cast):
    deploy_file(CAMUNDA / "parallel_approval.bpmn")
    ticket = actions.do_start_ticket(
        cast["alice"],
        "parallel_approval",
        {"approvers": ["bob", "carol"], "reviewWindow": "P2D", "reviewGroup": "finance"},
    )
    tasks = HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES)
    assert sorted(t.assignee.username for t in tasks) == ["bob", "carol"]
    for task in tasks:  # camunda:candidateGroups="${reviewGroup}, supervisors"
        assert sorted(g.name for g in task.candidate_groups.all()) == ["finance", "supervisors"]
    assert all(t.due_at is not None for t in tasks)  # camunda:dueDate="${reviewWindow}"
    for task in tasks:
        ticket = actions.do_complete_task(task.assignee, task.id, {"ok": True})
    assert ticket.status != "active"
