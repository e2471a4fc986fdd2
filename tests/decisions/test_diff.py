"""The diff between two versions of a table reads as rules added, removed and changed, cell by
cell, with the column names people know."""

from bpmn.dmn_xml import read_definitions
from definitions.decision_diff import diff_tables
from tests.conftest import ROOT

TRIAGE = (ROOT / "dmn" / "triage.dmn").read_text()
ASSIGNMENT = (ROOT / "dmn" / "assignment.dmn").read_text()


def spec(xml, decision_id="triage"):
    return next(d for d in read_definitions(xml, "t.dmn").decisions if d.id == decision_id)


def test_a_changed_cell_names_its_rule_column_and_both_values():
    edited = TRIAGE.replace(
        '<inputEntry id="triage_r3_i1"><text>"gold"</text></inputEntry>',
        '<inputEntry id="triage_r3_i1"><text>"gold","silver"</text></inputEntry>',
    ).replace(
        '<outputEntry id="triage_r3_o2"><text>4</text></outputEntry>',
        '<outputEntry id="triage_r3_o2"><text>6</text></outputEntry>',
    )
    diff = diff_tables(spec(TRIAGE), spec(edited))
    [change] = diff.rules
    assert (change.kind, change.row_before, change.row_after, change.moved) == (
        "changed",
        3,
        3,
        False,
    )
    assert [(c.column, c.before, c.after) for c in change.cells] == [
        ("Customer tier", '"gold"', '"gold","silver"'),
        ("sla_hours", "4", "6"),
    ]
    assert diff.unchanged == 3


def test_added_and_removed_rules_list_every_cell_and_moves_are_noticed():
    without_safety = TRIAGE.replace(
        TRIAGE[TRIAGE.index('<rule id="triage_r2">') : TRIAGE.index('<rule id="triage_r3">')], ""
    )
    new_rule = (
        '<rule id="triage_r9"><description>Washing machines first</description>'
        '<inputEntry id="a"><text>-</text></inputEntry><inputEntry id="b"><text>"washer"</text></inputEntry>'
        '<outputEntry id="c"><text>2</text></outputEntry><outputEntry id="d"><text>6</text></outputEntry></rule>'
    )
    reordered = without_safety.replace('<rule id="triage_r1">', new_rule + '<rule id="triage_r1">')
    diff = diff_tables(spec(TRIAGE), spec(reordered))
    kinds = [(c.kind, c.row_before, c.row_after) for c in diff.rules]
    assert ("removed", 2, None) in kinds and ("added", None, 1) in kinds
    added = next(c for c in diff.rules if c.kind == "added")
    assert added.description == "Washing machines first"
    assert added.entries == [
        ("Customer tier", "-"),
        ("Category", '"washer"'),
        ("priority", "2"),
        ("sla_hours", "6"),
    ]
    removed = next(c for c in diff.rules if c.kind == "removed")
    assert ("Category", '"gas leak","electrical"') in removed.entries
    assert not any(c.kind == "changed" for c in diff.rules)  # shifted rows kept their order


def test_swapping_two_rules_of_a_first_hit_table_is_a_move():
    first = TRIAGE[TRIAGE.index('<rule id="triage_r1">') : TRIAGE.index('<rule id="triage_r2">')]
    second = TRIAGE[TRIAGE.index('<rule id="triage_r2">') : TRIAGE.index('<rule id="triage_r3">')]
    swapped = TRIAGE.replace(first + second, second + first)
    moved = [c for c in diff_tables(spec(TRIAGE), spec(swapped)).rules if c.moved]
    assert {(c.row_before, c.row_after) for c in moved} == {(1, 2), (2, 1)}


def test_same_table_has_an_empty_diff_and_policy_changes_are_said():
    assert diff_tables(spec(ASSIGNMENT, "assignment"), spec(ASSIGNMENT, "assignment")).empty
    collect = TRIAGE.replace('hitPolicy="FIRST"', 'hitPolicy="RULE ORDER"')
    assert diff_tables(spec(TRIAGE), spec(collect)).hit_policy == ("FIRST", "RULE ORDER")
