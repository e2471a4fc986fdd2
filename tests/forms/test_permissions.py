"""Field permissions: one repair form, three roles, three nodes; the decision rules; masking;
and a write to a field the user may not edit is refused."""

import json

import pytest

from forms.permissions import field_access, mask_value, visible_data
from forms.render import render_form
from forms.schema import FormError, load_form
from forms.validation import validate_submission

# Which fields each node's own form carries, and who may act on it (candidate groups).
NODE_FIELDS = {
    "Task_Intake": {
        "customer_name", "phone", "email", "address", "street", "fault_category",
        "description", "photos", "urgent", "visit_date",
    },
    "Task_Repair": {"engineer", "visit_date", "parts", "internal_note"},
    "Task_Settle": {"amount", "payment_method", "rating"},
}  # fmt: skip
CANDIDATES = {
    "Task_Intake": {"agents", "customers"},
    "Task_Repair": {"agents"},
    "Task_Settle": {"finance", "customers"},
}
LEVEL = {"E": "editable", "R": "readonly", "M": "masked", "H": "hidden"}
MATRIX = """
node         role       customer_name phone email urgent parts internal_note amount rating
Task_Intake  agents     E             E     E     E      R     R             H      H
Task_Intake  finance    R             M     M     R      R     R             H      H
Task_Intake  customers  E             E     E     R      R     H             H      H
Task_Repair  agents     R             R     R     R      E     E             H      H
Task_Repair  finance    R             M     M     R      R     R             H      H
Task_Repair  customers  R             R     R     R      R     H             H      H
Task_Settle  agents     R             R     R     R      R     R             R      R
Task_Settle  finance    M             M     M     R      R     H             E      H
Task_Settle  customers  R             R     R     R      R     H             R      E
"""


def _matrix():
    header, *rows = [line.split() for line in MATRIX.strip().splitlines()]
    fields = header[2:]
    return [
        (node, role, {f: LEVEL[cell] for f, cell in zip(fields, cells, strict=True)})
        for node, role, *cells in rows
    ]


CELLS = _matrix()
CELL_IDS = [f"{node}-{role}" for node, role, _ in CELLS]


def _access(form, node, role):
    return field_access(
        form,
        node,
        [role],
        task_fields=NODE_FIELDS[node],
        may_act=role in CANDIDATES[node],
    )


def _visible(ticket_data, field, level):
    """What a field's value looks like at a level (in visible_data, and as readonly text)."""
    return (
        {
            "phone": "138****1234",
            "email": "w***@example.com",
            "customer_name": "王*",
        }.get(field)
        if level == "masked"
        else ticket_data[field]
    )


@pytest.mark.parametrize("node,role,expected", CELLS, ids=CELL_IDS)
def test_matrix_field_access(repair_form, node, role, expected):
    access = _access(repair_form, node, role)
    assert {f: access[f] for f in expected} == expected


@pytest.mark.parametrize("node,role,expected", CELLS, ids=CELL_IDS)
def test_matrix_visible_data(repair_form, ticket_data, node, role, expected):
    access = _access(repair_form, node, role)
    shown = visible_data(ticket_data, access)
    for field, level in expected.items():
        if level == "hidden":
            assert field not in shown
        else:
            assert shown[field] == _visible(ticket_data, field, level), field
    assert shown["customer_tier"] == "VIP"  # data outside the form passes through
    hidden = {f for f, level in access.items() if level == "hidden"}
    assert set(shown) == set(ticket_data) - hidden


@pytest.mark.parametrize("node,role,expected", CELLS, ids=CELL_IDS)
def test_matrix_rendered_html(repair_form, ticket_data, node, role, expected):
    access = _access(repair_form, node, role)
    html = render_form(repair_form, ticket_data, access)
    titles = {f.name: f.title for f in repair_form.fields}
    for field, level in expected.items():
        named = f'name="{field}"' in html
        if level == "editable":
            assert named, field
        elif level == "hidden":
            assert not named and field not in html and titles[field] not in html, field
        else:
            assert not named and titles[field] in html, field
        if level == "masked":
            assert str(ticket_data[field]) not in html
            assert _visible(ticket_data, field, level) in html
    if expected["internal_note"] == "hidden":
        assert ticket_data["internal_note"] not in html
    if expected["amount"] == "hidden":
        assert "1280" not in html and "1,280" not in html
    if expected["rating"] == "hidden":
        assert "★" not in html and "star" not in html


@pytest.mark.parametrize("node,role,expected", CELLS, ids=CELL_IDS)
def test_matrix_forbidden_writes_are_errors(repair_form, ticket_data, node, role, expected):
    access = _access(repair_form, node, role)
    changes = {"customer_name": "李雷", "phone": "13900000000", "email": "x@example.com",
               "urgent": False, "parts": ["P-100"], "internal_note": "改过了",
               "amount": "1.00", "rating": 1}  # fmt: skip
    result = validate_submission(repair_form, changes, access, current=ticket_data)
    forbidden = {f for f, level in expected.items() if level != "editable"}
    assert set(result.errors) == forbidden
    for field in forbidden:
        assert result.errors[field] == f"field {field} is not editable on this step"
    assert set(result.cleaned) == set(expected) - forbidden


def test_echoing_unchanged_values_back_is_not_a_write(repair_form, ticket_data):
    """An API client may PUT back what it read: read-only values as they are, masked values
    as the masked text. Hidden fields are refused whatever their value, so a guess cannot be
    confirmed by the absence of an error."""
    access = _access(repair_form, "Task_Settle", "finance")
    echoed = visible_data(ticket_data, access)
    echoed.pop("customer_tier")
    assert validate_submission(repair_form, echoed, access, current=ticket_data).errors == {}
    guess = {"internal_note": ticket_data["internal_note"], "phone": ticket_data["phone"]}
    assert validate_submission(repair_form, guess, access, current=ticket_data).errors == {
        "internal_note": "field internal_note is not editable on this step",
        "phone": "field phone is not editable on this step",
    }
    same_typed_differently = {"urgent": "on", "visit_date": "2026-03-02"}
    result = validate_submission(repair_form, same_typed_differently, access, current=ticket_data)
    assert result.errors == {} and result.cleaned == {}


# ---------------------------------------------------------------- the decision rules


def _form(rules=None, **props):
    files = {
        "f.schema.json": json.dumps({"type": "object", "properties": props}),
        "f.fields.json": json.dumps(rules or {}),
    }
    return load_form(files, "f.schema.json", rules_name="f.fields.json")


TEXT = {"type": "string"}


def test_role_specific_entries_beat_everyone_and_restrictive_wins_among_equals():
    form = _form(
        {"nodes": {"T": {"x": {"readonly": ["*"], "editable": ["agents"], "hidden": ["temps"]}}}},
        x=TEXT,
    )
    assert field_access(form, "T", ["agents"])["x"] == "editable"  # named beats "*"
    assert field_access(form, "T", ["finance"])["x"] == "readonly"  # only "*" applies
    assert field_access(form, "T", ["agents", "temps"])["x"] == "hidden"  # both named: hidden
    assert field_access(form, "Other", ["finance"])["x"] == "editable"  # no rule: default


def test_node_star_and_bpmn_property_rules_are_combined():
    form = _form({"nodes": {"*": {"x": {"hidden": ["customers"]}}}}, x=TEXT, y=TEXT)
    props = {"fieldRules": json.dumps({"x": {"editable": ["agents"]}, "y": {"masked": ["*"]}})}
    agent = field_access(form, "T", ["agents"], node_properties=props)
    customer = field_access(form, "T", ["customers", "agents"], node_properties=props)
    assert (agent["x"], agent["y"]) == ("editable", "masked")
    assert customer["x"] == "hidden"  # the global restriction is not dropped by the node


def test_bpmn_property_errors_name_the_node():
    with pytest.raises(FormError, match="fieldRules property of node 'T'.*invalid JSON"):
        field_access(_form(x=TEXT), "T", [], node_properties={"fieldRules": "{"})


@pytest.mark.parametrize(
    "policy,own,other",
    [
        ("readonly_after_own_node", "editable", "readonly"),
        ("hidden_after_own_node", "editable", "hidden"),
        ("readonly_unless_granted", "readonly", "readonly"),
    ],
)
def test_default_policies(policy, own, other):
    form = _form({"default": policy}, mine=TEXT, earlier=TEXT)
    access = field_access(form, "T", ["agents"], task_fields={"mine"})
    assert (access["mine"], access["earlier"]) == (own, other)


def test_hidden_policy_also_hides_data_from_other_forms():
    form = _form(
        {"default": "hidden_after_own_node", "nodes": {"*": {"seen": {"readonly": ["*"]}}}}, x=TEXT
    )
    access = field_access(form, "T", ["agents"])
    data = {"x": "mine", "seen": "shown", "from_another_node": "secret"}
    assert visible_data(data, access) == {"x": "mine", "seen": "shown"}


def test_nothing_is_editable_for_a_viewer_or_outside_the_nodes_form():
    form = _form(
        {"nodes": {"T": {"x": {"editable": ["*"]}, "legacy": {"editable": ["*"]}}}}, x=TEXT
    )
    viewer = field_access(form, "T", ["supervisors"], may_act=False)
    assert viewer["x"] == "readonly"
    assert field_access(form, "T", ["agents"])["legacy"] == "readonly"  # not on the form


def test_schema_read_only_fields_are_never_editable():
    form = _form(ticket_no={"type": "string", "readOnly": True})
    assert field_access(form, "T", ["agents"])["ticket_no"] == "readonly"


def test_nested_fields_are_never_less_restrictive_than_their_group():
    group = {"type": "object", "properties": {"phone": TEXT, "name": TEXT}}
    form = _form(
        {"nodes": {"T": {"customer": {"masked": ["finance"]}, "customer.name": {"hidden": ["*"]}}}},
        customer=group,
    )
    access = field_access(form, "T", ["finance"])
    assert access == {"customer": "masked", "customer.phone": "masked", "customer.name": "hidden"}
    data = {"customer": {"phone": "13812341234", "name": "王芳"}, "other": 1}
    assert visible_data(data, access) == {"customer": {"phone": "138****1234"}, "other": 1}


def test_visible_data_default_hides_unknown_keys():
    access = {"a": "editable", "b": "masked"}
    data = {"a": 1, "b": "abcdef", "c": 3}
    assert visible_data(data, access) == {"a": 1, "b": "a****f", "c": 3}
    assert visible_data(data, access, default="hidden") == {"a": 1, "b": "a****f"}


def test_visible_data_follows_list_items_without_indexes():
    access = {"items": "editable", "items.cost": "hidden", "items.contact": "masked"}
    data = {"items": [{"sku": "A", "cost": 5, "contact": "13812341234"}, {"sku": "B"}]}
    assert visible_data(data, access) == {
        "items": [{"sku": "A", "contact": "138****1234"}, {"sku": "B"}]
    }


def test_masked_values_of_any_shape_are_masked():
    access = {"tags": "masked", "amount": "masked", "meta": "masked"}
    data = {"tags": ["广东", "深圳"], "amount": 1280, "meta": {"email": "li@example.com"}}
    assert visible_data(data, access) == {
        "tags": ["广*", "深*"],
        "amount": "****",
        "meta": {"email": "l***@example.com"},
    }


@pytest.mark.parametrize(
    "value,kind,expected",
    [
        ("13812341234", "phone", "138****1234"),
        ("+86 138-1234-1234", "phone", "861******1234"),
        ("110101199003071234", "id_number", "1101**********1234"),
        ("wang@example.com", "email", "w***@example.com"),
        ("6222020200112233445", "bank_card", "***************3445"),
        ("王芳", "name", "王*"),
        ("欧阳娜娜", "name", "欧**娜"),
        ("a", "generic", "*"),
        ("a very long free text value", "generic", "a******e"),
        ("1280.00", "full", "****"),
        ("13812341234", None, "138****1234"),
        ("11010119900307123X", None, "1101**********123X"),
        ("wang@example.com", None, "w***@example.com"),
        ("Wang Fang", None, "W******g"),
        (1280, None, "****"),
        ("", None, ""),
        (None, "phone", ""),
    ],
)
def test_mask_value(value, kind, expected):
    assert mask_value(value, kind) == expected


def test_mask_value_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="unknown mask kind"):
        mask_value("x", "blur")
