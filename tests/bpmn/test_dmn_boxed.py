"""DMN beyond one table: DRGs, boxed expressions, BKMs, decision services, item definitions,
imports, and a construct this engine cannot run failing only its own decision."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bpmn.dmn import DmnError, load_dmn, parse_dmn

DMN15 = "https://www.omg.org/spec/DMN/20230324/MODEL/"
CAMUNDA = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def model(body: str, namespace: str = DMN15, extra: str = "") -> str:
    return (
        f'<definitions xmlns="{namespace}" id="m" name="m" namespace="http://flowdesk/m"{extra}>'
        f"{body}</definitions>"
    )


def rule(*cells: str) -> str:
    *inputs, output = cells
    entries = "".join(f"<inputEntry><text>{c}</text></inputEntry>" for c in inputs)
    return f"<rule>{entries}<outputEntry><text>{output}</text></outputEntry></rule>"


# Camunda's invoice example: the second table reads the first one's result under the name of
# its output column (`invoiceClassification`), not under the decision's name.
INVOICE = model(
    '<decision id="classify" name="Invoice Classification"><decisionTable>'
    '<input label="Invoice Amount"><inputExpression typeRef="double"><text>amount</text>'
    "</inputExpression></input>"
    '<input label="Invoice Category"><inputExpression typeRef="string">'
    "<text>invoiceCategory</text></inputExpression></input>"
    '<output label="Classification" name="invoiceClassification" typeRef="string"/>'
    + rule("&lt; 250", '"Misc"', '"day-to-day expense"')
    + rule("[250..1000]", '"Misc"', '"budget"')
    + rule("&gt; 1000", '"Misc"', '"exceptional"')
    + rule("-", '"Travel Expenses"', '"day-to-day expense"')
    + rule("-", '"Software License Costs"', '"budget"')
    + "</decisionTable></decision>"
    '<decision id="invoice-assign-approver" name="Assign Approver Group">'
    '<informationRequirement><requiredDecision href="#classify"/></informationRequirement>'
    '<decisionTable hitPolicy="COLLECT">'
    '<input label="Invoice Classification"><inputExpression typeRef="string">'
    "<text>invoiceClassification</text></inputExpression></input>"
    '<output label="Approver Group" name="result" typeRef="string"/>'
    + rule('"day-to-day expense"', '"accounting"')
    + rule('"day-to-day expense"', '"sales"')
    + rule('"budget", "exceptional"', '"management"')
    + "</decisionTable></decision>",
    namespace=CAMUNDA,
)


def test_camunda_drg_reads_the_required_result_by_its_output_name():
    approver = parse_dmn(INVOICE, "invoice.dmn").get("invoice-assign-approver")
    assert approver.evaluate({"amount": 30, "invoiceCategory": "Misc"}).value == [
        "accounting",
        "sales",
    ]
    assert approver.evaluate({"amount": 600, "invoiceCategory": "Misc"}).value == ["management"]


def test_a_camunda_decision_is_also_found_by_its_output_name():
    definitions = parse_dmn(INVOICE, "invoice.dmn")
    assert definitions.get("invoiceClassification").id == "classify"


BOXED = model(
    '<itemDefinition name="tCustomer"><itemComponent name="name"><typeRef>string</typeRef>'
    '</itemComponent><itemComponent name="tier"><typeRef>string</typeRef></itemComponent>'
    "</itemDefinition>"
    '<inputData id="i1" name="Customer"><variable name="Customer" typeRef="tCustomer"/>'
    "</inputData>"
    '<inputData id="i2" name="Opened"><variable name="Opened" typeRef="date"/></inputData>'
    '<businessKnowledgeModel id="b1" name="Discount"><encapsulatedLogic>'
    '<formalParameter name="tier" typeRef="string"/>'
    '<literalExpression><text>if tier = "gold" then 0.2 else 0</text></literalExpression>'
    "</encapsulatedLogic></businessKnowledgeModel>"
    '<decision id="d1" name="Offer"><variable name="Offer"/>'
    '<knowledgeRequirement><requiredKnowledge href="#b1"/></knowledgeRequirement>'
    "<context>"
    '<contextEntry><variable name="rate"/><invocation>'
    "<literalExpression><text>Discount</text></literalExpression>"
    '<binding><parameter name="tier"/><literalExpression><text>Customer.tier</text>'
    "</literalExpression></binding></invocation></contextEntry>"
    '<contextEntry><variable name="prices"/><relation>'
    '<column name="item"/><column name="price"/>'
    '<row><literalExpression><text>"visit"</text></literalExpression>'
    "<literalExpression><text>100</text></literalExpression></row>"
    '<row><literalExpression><text>"part"</text></literalExpression>'
    "<literalExpression><text>40</text></literalExpression></row></relation></contextEntry>"
    "<contextEntry><literalExpression>"
    "<text>for p in prices return p.price * (1 - rate)</text></literalExpression></contextEntry>"
    "</context></decision>"
    '<decision id="d2" name="Age in days"><variable name="Age in days"/>'
    '<literalExpression><text>(@"2026-03-01" - Opened).days</text></literalExpression></decision>'
    '<decision id="d3" name="Java"><variable name="Java"/>'
    '<functionDefinition kind="Java"><literalExpression><text>x</text></literalExpression>'
    "</functionDefinition></decision>"
    '<decisionService id="s1" name="Offer Service"><outputDecision href="#d1"/>'
    '<inputData href="#i1"/></decisionService>'
)


def test_contexts_invocations_relations_and_bkms():
    definitions = parse_dmn(BOXED, "boxed.dmn", strict=False)
    offer = definitions.evaluate("Offer", {"Customer": {"name": "Wang Fang", "tier": "gold"}})
    assert offer == [Decimal(80), Decimal(32)]


def test_declared_input_types_are_applied_to_input_data():
    definitions = parse_dmn(BOXED, "boxed.dmn", strict=False)
    assert definitions.evaluate("Age in days", {"Opened": "2026-02-01"}) == Decimal(28)
    # a value that is not of the declared type is null, not a crash
    assert definitions.evaluate("Offer", {"Customer": "Wang Fang"}) == [Decimal(100), Decimal(40)]


def test_decision_services_run_as_functions_of_their_inputs():
    definitions = parse_dmn(BOXED, "boxed.dmn", strict=False)
    result = definitions.invoke_service("Offer Service", {"Customer": {"name": "A", "tier": "x"}})
    assert result == [Decimal(100), Decimal(40)]


def test_an_unsupported_construct_fails_only_its_own_decision():
    definitions = parse_dmn(BOXED, "boxed.dmn", strict=False)
    with pytest.raises(DmnError, match="decision 'Java'.*JAVA functions are not supported"):
        definitions.evaluate("Java", {})
    assert definitions.evaluate("Age in days", {"Opened": "2026-02-28"}) == Decimal(1)
    with pytest.raises(DmnError, match="JAVA functions are not supported"):
        parse_dmn(BOXED, "boxed.dmn")  # deploying (strict) refuses the file, naming it


def test_decide_runs_services_and_imported_models(tmp_path):
    (tmp_path / "boxed.dmn").write_text(BOXED)
    out = StringIO()
    customer = json.dumps({"Customer": {"name": "Wang Fang", "tier": "gold"}})
    args = (str(tmp_path / "boxed.dmn"), "Offer Service", "--service", "--input", customer)
    call_command("decide", *args, stdout=out)
    assert out.getvalue() == '{"result": [80, 32]}\n'
    main = model(
        '<import namespace="http://flowdesk/m" name="lib" importType="' + DMN15 + '"/>'
        '<decision id="x" name="Gold rate"><variable name="Gold rate"/>'
        '<literalExpression><text>lib.Discount("gold")</text></literalExpression></decision>'
    ).replace('namespace="http://flowdesk/m">', 'namespace="http://flowdesk/main">')
    (tmp_path / "main.dmn").write_text(main)
    assert load_dmn(tmp_path / "main.dmn").evaluate("Gold rate", {}) == Decimal("0.2")
    with pytest.raises(CommandError, match="JAVA functions are not supported"):
        call_command("decide", str(tmp_path / "boxed.dmn"), "Java", stdout=StringIO())


def test_feel_only_files_never_fall_back_to_python():
    python_cell = model(
        '<decision id="d" name="d"><variable name="d"/>'
        "<literalExpression><text>len(items)</text></literalExpression></decision>"
    )
    with pytest.raises(DmnError, match="decision 'd'.*unknown function 'len'"):
        parse_dmn(python_cell, "feel.dmn").evaluate("d", {"items": [1, 2]})
    # SpiffArena's modeler writes DMN 1.3 files with Python cells: those still run, sandboxed
    spiff = python_cell.replace(DMN15, CAMUNDA)
    assert parse_dmn(spiff, "spiff.dmn").evaluate("d", {"items": [1, 2]}) == Decimal(2)


def test_endless_recursion_is_an_error_naming_the_decision():
    endless = model(
        '<decision id="d" name="Loop"><variable name="Loop"/>'
        "<literalExpression><text>{f: function(n) f(n + 1), r: f(1)}.r</text>"
        "</literalExpression></decision>"
    )
    with pytest.raises(DmnError, match="decision 'Loop': functions call each other too deeply"):
        parse_dmn(endless, "loop.dmn").evaluate("Loop", {})


def test_camunda_and_unknown_type_names_never_drop_a_value():
    typed = model(
        '<inputData id="i" name="Amount"><variable name="Amount" typeRef="integer"/></inputData>'
        '<decision id="d" name="Twice"><variable name="Twice" typeRef="double"/>'
        "<literalExpression><text>Amount * 2</text></literalExpression></decision>"
        '<decision id="e" name="Odd"><variable name="Odd" typeRef="tNotDeclared"/>'
        '<literalExpression><text>"kept"</text></literalExpression></decision>'
    )
    definitions = parse_dmn(typed, "typed.dmn")
    assert definitions.evaluate("Twice", {"Amount": 21}) == Decimal(42)
    assert definitions.evaluate("Twice", {"Amount": "21"}) is None  # not a number: null
    assert definitions.evaluate("Odd", {}) == "kept"


def test_a_loop_too_large_to_build_is_refused_naming_the_decision():
    huge = model(
        '<decision id="d" name="Huge"><variable name="Huge"/>'
        "<literalExpression><text>count(for i in 1..1000000000 return i)</text>"
        "</literalExpression></decision>"
    )
    with pytest.raises(DmnError, match="decision 'Huge': a loop over more than 1000000 items"):
        parse_dmn(huge, "huge.dmn").evaluate("Huge", {})
