"""The DMN engine: hit policies, no-match results, DRG requirements, SpiffArena's Python cells,
error messages, unsafe input, SpiffWorkflow glue and the `decide` command."""

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bpmn.dmn import DecisionTaskEngine, DmnError, capture_decisions, parse_dmn
from bpmn.dmn_bench import bench_feel_expression, bench_table

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
PIZZA = CORPUS / "spiff-examples/examples/1-basic-concepts/1-4-decisions/pizza_price.dmn"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(
    rules,
    inputs=(("Amount", "amount", ""),),
    outputs=(("priority", None, None),),
    hit_policy="UNIQUE",
    aggregation=None,
    namespace=DMN13,
    decision_id="d",
    name="Decision",
    extra="",
):
    """A one-decision DMN file. inputs: (label, expression, typeRef); outputs: (name,
    outputValues, defaultOutputEntry); rules: ([input cells], [output cells])."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    xml = [
        f'<definitions xmlns="{namespace}" id="defs" name="t" namespace="http://x">',
        f'<decision id="{decision_id}" name="{name}">',
        f'<decisionTable hitPolicy="{hit_policy}"{agg}>',
    ]
    for label, expression, type_ref in inputs:
        xml.append(
            f'<input label="{label}"><inputExpression typeRef="{type_ref}">'
            f"<text>{escape(expression)}</text></inputExpression></input>"
        )
    for out_name, values, default in outputs:
        body = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
        if default:
            body += f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>"
        xml.append(f'<output name="{out_name}">{body}</output>')
    for cells, results in rules:
        xml.append("<rule>")
        xml += [f"<inputEntry><text>{escape(c)}</text></inputEntry>" for c in cells]
        xml += [f"<outputEntry><text>{escape(r)}</text></outputEntry>" for r in results]
        xml.append("</rule>")
    xml.append(f"</decisionTable></decision>{extra}</definitions>")
    return "".join(xml)


def decide(xml, **context):
    return parse_dmn(xml, "t.dmn").get("d").evaluate(context)


OVERLAPPING = [([">= 100"], ['"high"']), ([">= 10"], ['"medium"']), (["-"], ['"low"'])]
PRIORITIES = (("priority", '"high","medium","low"', None),)

# ---------------------------------------------------------------- hit policies


def test_unique_returns_the_single_match():
    xml = table([(["< 10"], ['"low"']), (["[10..100)"], ['"medium"']), ([">= 100"], ['"high"'])])
    result = decide(xml, amount=50)
    assert result.value == "medium"
    assert result.task_data == {"priority": "medium"}
    assert result.matched_rules == [2]
    assert result.inputs == {"Amount": Decimal(50)}


def test_unique_with_two_matches_names_the_rows():
    with pytest.raises(DmnError, match=r"decision 'd': hit policy UNIQUE, but rules \[2, 3\]"):
        decide(table(OVERLAPPING), amount=50)
    with pytest.raises(DmnError, match=r"decision 'd': hit policy UNIQUE, but rules \[1, 2, 3\]"):
        decide(table(OVERLAPPING), amount=150)


def test_any_accepts_agreeing_rules_and_rejects_disagreeing_ones():
    rules = [([">= 10"], ['"yes"']), ([">= 5"], ['"yes"']), ([">= 100"], ['"no"'])]
    result = decide(table(rules, hit_policy="ANY"), amount=50)
    assert (result.value, result.matched_rules) == ("yes", [1, 2])
    with pytest.raises(DmnError, match="hit policy ANY, but rules 1 and 3 give different"):
        decide(table(rules, hit_policy="ANY"), amount=150)


def test_first_takes_the_first_match_in_rule_order():
    result = decide(table(OVERLAPPING, hit_policy="FIRST"), amount=50)
    assert (result.value, result.matched_rules) == ("medium", [2])


def test_priority_orders_by_output_values():
    rules = [(["-"], ['"low"']), ([">= 100"], ['"high"']), ([">= 10"], ['"medium"'])]
    result = decide(table(rules, outputs=PRIORITIES, hit_policy="PRIORITY"), amount=50)
    assert (result.value, result.matched_rules) == ("medium", [3])
    result = decide(table(rules, outputs=PRIORITIES, hit_policy="P"), amount=500)
    assert (result.value, result.matched_rules) == ("high", [2])


def test_priority_without_output_values_is_rejected():
    with pytest.raises(DmnError, match="hit policy PRIORITY needs outputValues"):
        parse_dmn(table(OVERLAPPING, hit_policy="PRIORITY"))


def test_rule_order_lists_every_match_in_rule_order():
    result = decide(table(OVERLAPPING, hit_policy="RULE ORDER"), amount=150)
    assert result.value == ["high", "medium", "low"]
    assert result.task_data == {"priority": ["high", "medium", "low"]}
    assert result.matched_rules == [1, 2, 3]


def test_output_order_sorts_matches_by_output_values():
    rules = [(["-"], ['"low"']), ([">= 100"], ['"high"']), ([">= 10"], ['"medium"'])]
    result = decide(table(rules, outputs=PRIORITIES, hit_policy="OUTPUT ORDER"), amount=150)
    assert result.value == ["high", "medium", "low"]
    assert result.matched_rules == [2, 3, 1]


def test_collect_lists_matches():
    result = decide(table(OVERLAPPING, hit_policy="C"), amount=50)
    assert result.value == ["medium", "low"]
    assert result.matched_rules == [2, 3]


@pytest.mark.parametrize(
    ("aggregation", "amount", "expected"),
    [
        ("SUM", 150, Decimal("111.5")),
        ("MIN", 150, Decimal("1.5")),
        ("MAX", 50, Decimal(10)),
        ("COUNT", 150, Decimal(3)),
        ("COUNT", -1, Decimal(0)),  # COUNT of no match is 0
        ("SUM", -1, None),  # the other aggregations of nothing are null
    ],
)
def test_collect_aggregations(aggregation, amount, expected):
    rules = [([">= 100"], ["100"]), ([">= 10"], ["10"]), ([">= 0"], ["1.5"])]
    xml = table(
        rules, outputs=(("fee", None, None),), hit_policy="COLLECT", aggregation=aggregation
    )
    result = decide(xml, amount=amount)
    assert result.value == expected
    assert result.task_data == {"fee": expected}


@pytest.mark.parametrize(("policy", "aggregation"), [("C+", "SUM"), ("C#", "COUNT")])
def test_collect_shorthand_carries_the_aggregation(policy, aggregation):
    decision = parse_dmn(table(OVERLAPPING, hit_policy=policy)).get("d")
    assert (decision.hit_policy, decision.aggregation) == ("COLLECT", aggregation)


def test_aggregation_with_a_single_hit_policy_is_rejected():
    with pytest.raises(DmnError, match="aggregation 'SUM' needs hit policy COLLECT"):
        parse_dmn(table(OVERLAPPING, hit_policy="FIRST", aggregation="SUM"))


def test_unknown_hit_policy_is_rejected():
    with pytest.raises(DmnError, match="unknown hit policy 'SOMETIMES'"):
        parse_dmn(table(OVERLAPPING, hit_policy="SOMETIMES"))


# ---------------------------------------------------------------- results


def test_no_match_single_hit_sets_every_output_to_none():
    outputs = (("team", None, None), ("sla.hours", None, None))
    xml = table([(["> 10"], ['"ops"', "4"])], outputs=outputs)
    result = decide(xml, amount=1)
    assert result.value is None
    assert result.task_data == {"team": None, "sla": {"hours": None}}
    assert result.matched_rules == []


def test_no_match_uses_default_output_entries():
    outputs = (("team", None, '"triage"'), ("hours", None, "24"))
    result = decide(table([(["> 10"], ['"ops"', "4"])], outputs=outputs), amount=1)
    assert result.value == {"team": "triage", "hours": Decimal(24)}
    assert result.task_data == {"team": "triage", "hours": Decimal(24)}


def test_no_match_multi_hit_gives_empty_lists():
    outputs = (("team", None, None), ("hours", None, None))
    result = decide(table([(["> 10"], ['"ops"', "4"])], outputs=outputs, hit_policy="R"), amount=1)
    assert result.value == []
    assert result.task_data == {"team": [], "hours": []}


def test_several_outputs_and_dotted_names():
    outputs = (("assign.group", None, None), ("assign.strategy", None, None), ("sla", None, None))
    xml = table([(["-"], ['"senior"', '"round-robin"', 'duration("PT4H")'])], outputs=outputs)
    result = decide(xml, amount=1)
    assert result.value == {
        "assign.group": "senior",
        "assign.strategy": "round-robin",
        "sla": dt.timedelta(hours=4),
    }
    assert result.task_data == {
        "assign": {"group": "senior", "strategy": "round-robin"},
        "sla": dt.timedelta(hours=4),
    }


def test_output_entries_are_expressions_over_the_context():
    outputs = (("total", None, None),)
    xml = table([(["-"], ["amount * rate + 1"])], outputs=outputs)
    assert decide(xml, amount=10, rate=0.15).value == Decimal("2.50")


def test_numbers_of_any_python_type_match_decimal_cells():
    xml = table([(["[0.1..0.3]"], ['"ok"'])])
    assert decide(xml, amount=0.1).value == "ok"
    assert decide(xml, amount=Decimal("0.30")).value == "ok"
    assert decide(xml, amount=True).value is None  # a boolean is not a number


def test_date_typed_inputs_read_iso_strings_from_process_data():
    xml = table([(['>= date("2026-01-01")'], ['"new"'])], inputs=(("Opened", "opened", "date"),))
    assert decide(xml, opened="2026-03-01").value == "new"
    assert decide(xml, opened=dt.date(2025, 3, 1)).value is None
    with pytest.raises(DmnError, match="input 'Opened': not a date"):
        decide(xml, opened="soon")


def test_input_values_constrain_the_input():
    xml = table([(['"gold"'], ['"vip"'])]).replace(
        "</inputExpression>",
        '</inputExpression><inputValues><text>"gold","silver"</text></inputValues>',
    )
    assert decide(xml, amount="gold").value == "vip"
    with pytest.raises(DmnError, match="input 'Amount' is \"bronze\", not one of its inputValues"):
        decide(xml, amount="bronze")


def test_output_values_are_checked_when_the_file_is_parsed():
    xml = table([(["-"], ['"urgent"'])], outputs=PRIORITIES)
    with pytest.raises(DmnError, match=r"decision 'd' rule 1: output 'priority' is \"urgent\""):
        parse_dmn(xml)


# ---------------------------------------------------------------- reading files


@pytest.mark.parametrize(
    "namespace",
    [
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    ],
)
def test_every_dmn_namespace_reads_the_same(namespace):
    xml = table([(["< 10"], ['"low"']), ([">= 10"], ['"high"'])], namespace=namespace)
    assert decide(xml, amount=12).value == "high"


def test_decisions_found_by_id_or_name_and_unknown_ones_named():
    definitions = parse_dmn(table(OVERLAPPING, decision_id="ticket_priority", name="Priority"))
    assert definitions.get("ticket_priority") is definitions.get("Priority")
    with pytest.raises(DmnError, match="no decision 'nope'.*'ticket_priority' \\(Priority\\)"):
        definitions.get("nope")


def test_doctype_and_entities_are_rejected():
    xml = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>' + table(OVERLAPPING)
    with pytest.raises(DmnError, match="DOCTYPE declarations are not allowed"):
        parse_dmn(xml, "evil.dmn")


def test_malformed_xml_and_foreign_roots_are_rejected():
    with pytest.raises(DmnError, match="malformed XML"):
        parse_dmn("<definitions><decision>", "broken.dmn")
    with pytest.raises(DmnError, match="not a DMN <definitions>"):
        parse_dmn("<process/>", "x.bpmn")


def test_rule_with_wrong_number_of_cells_names_the_row():
    with pytest.raises(DmnError, match="decision 'd' rule 2: 2 input and 1 output entries"):
        parse_dmn(table([(["1"], ['"a"']), (["1", "2"], ['"b"'])]))


def test_invalid_cell_names_decision_row_and_column():
    with pytest.raises(DmnError, match=r"t.dmn: decision 'd' rule 2 input 1: .*'\[1\.\.'"):
        parse_dmn(table([(["1"], ['"a"']), (["[1.."], ['"b"'])]), "t.dmn")


# ---------------------------------------------------------------- DRG requirements

DRG = """<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" namespace="x">
  <inputData name="Ticket Amount"/>
  <decision id="risk" name="Risk Level">
    <decisionTable hitPolicy="FIRST">
      <input><inputExpression><text>Ticket Amount</text></inputExpression></input>
      <output name="level"/>
      <rule><inputEntry><text>&gt; 50000</text></inputEntry>
            <outputEntry><text>"high"</text></outputEntry></rule>
      <rule><inputEntry><text>-</text></inputEntry>
            <outputEntry><text>"normal"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="approver" name="Approver">
    <informationRequirement><requiredDecision href="#risk"/></informationRequirement>
    <decisionTable>
      <input><inputExpression><text>Risk Level</text></inputExpression></input>
      <output name="approver"/>
      <rule><inputEntry><text>"high"</text></inputEntry>
            <outputEntry><text>"regional manager"</text></outputEntry></rule>
      <rule><inputEntry><text>"normal"</text></inputEntry>
            <outputEntry><text>"team lead"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="summary" name="Summary">
    <informationRequirement><requiredDecision href="#approver"/></informationRequirement>
    <literalExpression><text>"approved by " + Approver</text></literalExpression>
  </decision>
</definitions>"""


def test_required_decisions_are_evaluated_first_and_named_in_the_context():
    definitions = parse_dmn(DRG)
    assert definitions.get("approver").evaluate({"Ticket Amount": 80000}).value == (
        "regional manager"
    )
    summary = definitions.get("Summary").evaluate({"Ticket Amount": 100})
    assert summary.value == "approved by team lead"
    assert summary.task_data == {"Summary": "approved by team lead"}


def test_unknown_and_cyclic_requirements_are_rejected():
    with pytest.raises(DmnError, match="requires unknown decision 'nowhere'"):
        parse_dmn(DRG.replace('href="#risk"', 'href="#nowhere"'))
    cyclic = DRG.replace(
        '<decision id="risk" name="Risk Level">',
        '<decision id="risk" name="Risk Level"><informationRequirement>'
        '<requiredDecision href="#approver"/></informationRequirement>',
    )
    with pytest.raises(DmnError, match="requires itself"):
        parse_dmn(cyclic)


# ---------------------------------------------------------------- SpiffArena Python cells


def test_spiffarena_pizza_table():
    decision = parse_dmn(PIZZA.read_bytes(), PIZZA.name).get("Pizza Prices")
    result = decision.evaluate({"size": "Medium", "toppings": ["Spam"]})
    assert result.task_data == {"base_price": Decimal("14.00"), "cost_per_topping": Decimal("1.50")}
    assert result.matched_rules == [2]
    assert decision.evaluate({"size": "Huge"}).task_data == {
        "base_price": None,
        "cost_per_topping": None,
    }


def test_python_cells_follow_spiffworkflows_convention():
    inputs = (("Toppings", "len(toppings)", "integer"), ("Size", "size", "string"))
    rules = [
        (["> 3", "in ['Large', 'Medium']"], ["'party'"]),  # operator first: applied to the input
        (["2", "== 'Large'"], ["'pair'"]),
        (["len(extras)", "size.startswith('P')"], ["'match extras'"]),  # equality; condition
        (["? >= 1", "-"], ["'some'"]),
    ]
    xml = table(rules, inputs=inputs, outputs=(("kind", None, None),), hit_policy="FIRST")
    assert decide(xml, toppings=[1, 2, 3, 4], size="Medium", extras=[]).value == "party"
    assert decide(xml, toppings=[1, 2], size="Large", extras=[]).value == "pair"
    assert decide(xml, toppings=[1], size="Personal", extras=[9]).value == "match extras"
    assert decide(xml, toppings=[1], size="Large", extras=[]).value == "some"


def test_python_cell_failing_at_runtime_names_the_row():
    xml = table([(["1"], ["'a'"]), (["len(nowhere) > 1"], ["'b'"])])
    with pytest.raises(DmnError, match=r"decision 'd' rule 2: .*'nowhere' is not defined"):
        decide(xml, amount=5)


@pytest.mark.parametrize(
    "cell",
    [
        "__import__('os').system('x')",
        "().__class__.__bases__",
        "amount.__class__",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ],
)
def test_unsafe_cells_are_refused_when_parsing(cell):
    with pytest.raises(DmnError, match="rule 1 input 1: .* is not allowed"):
        parse_dmn(table([([cell], ["'a'"])]))
    with pytest.raises(DmnError, match="rule 1 output 1: .* is not allowed"):
        parse_dmn(table([(["-"], [cell])]))


# ---------------------------------------------------------------- example rows


def test_run_tests_reports_each_failing_case():
    decision = parse_dmn(table(OVERLAPPING, hit_policy="FIRST")).get("d")
    cases = [
        {"input": {"amount": 500}, "expected": "high"},
        {"name": "medium band", "input": {"amount": 50}, "expected": "low"},
        {"input": {"amount": 1}, "expected": "low"},
    ]
    assert decision.run_tests(cases) == ['case 2 (medium band): expected "low", got "medium"']


def test_run_tests_compares_numbers_as_decimals_and_reports_errors():
    rules = [([">= 100"], ["100"]), ([">= 10"], ["10.50"])]
    decision = parse_dmn(table(rules, hit_policy="COLLECT", aggregation="SUM")).get("d")
    assert decision.run_tests([{"input": {"amount": 150}, "expected": 110.5}]) == []
    unique = parse_dmn(table(OVERLAPPING)).get("d")
    (failure,) = unique.run_tests([{"input": {"amount": 500}, "expected": "high"}])
    assert failure.startswith("case 1: ") and "hit policy UNIQUE" in failure


# ---------------------------------------------------------------- SpiffWorkflow glue


def test_task_engine_returns_task_data_and_records_decisions():
    decision = parse_dmn(table(OVERLAPPING, hit_policy="FIRST")).get("d")
    engine = DecisionTaskEngine("d", lambda decision_id: (decision, "v3"))
    task = SimpleNamespace(data={"amount": 50})
    assert engine.result(task) == {"priority": "medium"}  # no capture open: nothing recorded
    with capture_decisions() as outer:
        with capture_decisions() as inner:
            assert engine.result(task) == {"priority": "medium"}
        engine.result(SimpleNamespace(data={"amount": 500}))
    expected = {
        "decision_id": "d",
        "version": "v3",
        "inputs": {"Amount": Decimal(50)},
        "outputs": {"priority": "medium"},
        "matched_rules": [2],
    }
    assert inner == [expected]
    assert outer == [
        expected,
        {
            **expected,
            "inputs": {"Amount": Decimal(500)},
            "outputs": {"priority": "high"},
            "matched_rules": [1],
        },
    ]


# ---------------------------------------------------------------- the decide command


def run_decide(*args):
    out = StringIO()
    call_command("decide", *args, stdout=out)
    return out.getvalue()


def test_decide_prints_exact_json(tmp_path):
    path = tmp_path / "fees.dmn"
    rules = [([">= 100"], ["64.32"]), (["-"], ["14.00"])]
    path.write_text(table(rules, hit_policy="R"))
    assert run_decide(str(path), "d", "--input", '{"amount": 150}') == '{"result": [64.32, 14]}\n'
    input_file = tmp_path / "in.json"
    input_file.write_text('{"amount": 99.99}')
    assert run_decide(str(path), "Decision", "--input-file", str(input_file)) == (
        '{"result": [14]}\n'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["d", "--input", "{bad"], "input is not valid JSON"),
        (["d", "--input", "[1]"], "input must be a JSON object"),
        (["nope", "--input", "{}"], "no decision 'nope'"),
        (["d", "--input", '{"amount": 500}'], "hit policy UNIQUE"),
    ],
)
def test_decide_failures_exit_with_status_2(tmp_path, args, message):
    path = tmp_path / "t.dmn"
    path.write_text(table(OVERLAPPING))
    with pytest.raises(CommandError, match=message) as info:
        run_decide(str(path), *args)
    assert info.value.returncode == 2


def test_decide_refuses_unsafe_xml_from_the_shell(tmp_path):
    path = tmp_path / "evil.dmn"
    path.write_text('<!DOCTYPE d [<!ENTITY x "boom">]>' + table(OVERLAPPING))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "decide", str(path), "d", "--input", "{}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert "DOCTYPE declarations are not allowed" in proc.stderr
    assert proc.stdout == ""


# ---------------------------------------------------------------- speed


def test_twenty_rule_table_evaluates_well_under_a_tenth_of_a_millisecond():
    assert bench_table(rules=20, runs=1000) < 0.1


def test_no_match_in_a_collect_table_gives_the_default_output():
    outputs = (("team", None, '"triage"'),)
    result = decide(table([(["> 10"], ['"ops"'])], outputs=outputs, hit_policy="COLLECT"), amount=1)
    assert result.value == ["triage"]
    assert result.task_data == {"team": ["triage"]}
    summed = table([(["> 10"], ["5"])], outputs=(("fee", None, "1"),), hit_policy="C+")
    assert decide(summed, amount=1).value == Decimal(1)
    assert decide(summed, amount=11).value == Decimal(5)


def test_declared_input_types_are_applied():
    inputs = (("Due", "due", "date"),)
    xml = table(
        [(['< date("2026-01-01")'], ['"late"']), (["-"], ['"ok"'])], inputs=inputs, hit_policy="F"
    )
    assert decide(xml, due="2025-12-31").value == "late"
    assert decide(xml, due="2026-03-01").value == "ok"


def test_a_mixed_feel_expression_is_fast():
    # µs; ~20 on an idle core. The bound catches order-of-magnitude regressions, not noise.
    assert bench_feel_expression(runs=500) < 300
