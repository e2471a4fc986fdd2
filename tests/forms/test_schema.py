"""Loading forms: every field type is recognised, and a broken definition says where."""

import json
from decimal import Decimal

import pytest

from forms.schema import FormError, load_form


def test_repair_form_fields_are_normalised(repair_form):
    types = {f.name: f.type for f in repair_form.fields}
    assert types == {
        "customer_name": "text",
        "phone": "text",
        "email": "text",
        "address": "cascade",
        "street": "text",
        "fault_category": "select",
        "description": "textarea",
        "photos": "file",
        "urgent": "checkbox",
        "visit_date": "date",
        "engineer": "user",
        "parts": "multi-select",
        "internal_note": "textarea",
        "amount": "money",
        "payment_method": "radio",
        "rating": "rating",
    }
    photos = repair_form.get("photos")
    assert photos.multiple and photos.max_bytes == 5 * 1024 * 1024
    assert photos.accept == ("image/jpeg", "image/png")
    address = repair_form.get("address")
    assert address.levels == ("Province", "City", "District")
    assert [o.value for o in address.options] == ["广东", "北京", "吉林"]
    assert repair_form.get("parts").enum == ("P-100", "P-200", "P-300", "P-400")
    assert repair_form.get("amount").maximum == Decimal(50000)
    assert repair_form.get("urgent").default_expr == "customer_tier == 'VIP'"
    assert repair_form.get("visit_date").default_expr == "today() + timedelta(days=1)"


def test_ui_order_with_star_keeps_listed_fields_first(repair_form):
    names = [f.name for f in repair_form.fields]
    assert names[:8] == [
        "customer_name", "phone", "email", "address", "street",
        "fault_category", "description", "photos",
    ]  # fmt: skip
    assert names[8:] == [
        "urgent", "visit_date", "engineer", "parts", "internal_note",
        "amount", "payment_method", "rating",
    ]  # fmt: skip


def test_uischema_sibling_is_found_without_being_named(repair_files):
    form = load_form(repair_files, "forms/repair.schema.json")
    assert form.ui["ui:submitButtonOptions"] == {"submitText": "Save"}
    assert form.rules.nodes == {}  # no rules file named: defaults only


def _bundle(schema, ui=None, **extra):
    files = {"f.schema.json": json.dumps(schema)}
    if ui is not None:
        files["f.uischema.json"] = json.dumps(ui)
    files.update({name: text for name, text in extra.items()})
    return files


def _schema(**props):
    return {"type": "object", "properties": props}


@pytest.mark.parametrize(
    "prop,ui,expected",
    [
        ({"type": "string"}, {}, "text"),
        ({"type": "string"}, {"ui:widget": "textarea"}, "textarea"),
        ({"type": "number"}, {"ui:widget": "updown"}, "number"),
        ({"type": "integer"}, {}, "integer"),
        ({"type": ["integer", "null"]}, {}, "integer"),
        ({"type": "string", "format": "date"}, {}, "date"),
        ({"type": "string", "format": "date-time"}, {}, "datetime"),
        ({"type": "string", "enum": ["a", "b"]}, {}, "select"),
        ({"type": "string", "enum": ["a", "b"]}, {"ui:widget": "radio"}, "radio"),
        ({"type": "boolean"}, {}, "checkbox"),
        ({"type": "boolean"}, {"ui:widget": "radio"}, "radio"),
        ({"type": "array", "items": {"enum": ["a"]}}, {}, "multi-select"),
        ({"type": "array", "items": {"type": "object", "properties": {}}}, {}, "list"),
        ({"type": "object", "properties": {}}, {}, "group"),
        ({"type": "string", "x-field": "customer"}, {}, "customer"),
        ({"type": "array", "items": {"type": "string", "x-field": "part"}}, {}, "part"),
        ({"type": "integer", "x-field": "rating"}, {}, "rating"),
    ],
)
def test_type_detection(prop, ui, expected):
    form = load_form(_bundle(_schema(x=prop), {"x": ui}), "f.schema.json")
    assert form.fields[0].type == expected


def test_local_refs_are_followed():
    schema = {
        "type": "object",
        "definitions": {"tier": {"type": "string", "enum": ["VIP", "normal"]}},
        "properties": {"tier": {"$ref": "#/definitions/tier", "title": "Tier"}},
    }
    field = load_form(_bundle(schema), "f.schema.json").fields[0]
    assert (field.type, field.title, field.enum) == ("select", "Tier", ("VIP", "normal"))


@pytest.mark.parametrize(
    "files,message",
    [
        ({}, "f.schema.json: file not found"),
        ({"f.schema.json": '{"type": "object",'}, "f.schema.json: invalid JSON"),
        ({"f.schema.json": "[]"}, "f.schema.json: a form schema must be a JSON object"),
        ({"f.schema.json": '{"type": "object"}', "f.uischema.json": "{"}, "f.uischema.json"),
        (_bundle(_schema(kind={"x-field": "colour"})), "field 'kind': unknown field type 'colour'"),
        (_bundle(_schema(n={"type": "string", "pattern": "("})), "field 'n': invalid pattern"),
        (_bundle(_schema(n={"type": "number", "minimum": "x"})), "field 'n': minimum must be"),
        (_bundle(_schema(c={"x-field": "select"})), "field 'c': a choice field needs"),
        (
            _bundle(_schema(r={"x-field": "cascade", "x-option-source": "regions.json"})),
            "field 'r': x-option-source 'regions.json' not found",
        ),
        (
            _bundle(_schema(f={"x-field": "file", "x-accept": ["jpeg"]})),
            "field 'f': x-accept must be a list of MIME types",
        ),
        (_bundle(_schema(a={"type": "array"})), "field 'a': an array needs an 'items' schema"),
        (_bundle(_schema(m={"type": "string", "x-mask": "stars"})), "unknown mask kind 'stars'"),
        (_bundle(_schema(**{"a.b": {"type": "string"}})), "field 'a.b': a field name must be"),
        (
            _bundle(_schema(g={"type": "object", "properties": {"p": {"x-field": "phone?"}}})),
            "field 'g.p': unknown field type",
        ),
    ],
)
def test_broken_definitions_name_file_and_field(files, message):
    with pytest.raises(FormError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_form(files, "f.schema.json")


@pytest.mark.parametrize(
    "rules,message",
    [
        ("[]", "must be a JSON object"),
        ('{"nodez": {}}', "unknown key"),
        ('{"default": "open"}', "default must be one of"),
        ('{"nodes": {"T": {"x": {"writable": ["a"]}}}}', "node 'T': field 'x': unknown level"),
        ('{"nodes": {"T": {"x": {"hidden": "customers"}}}}', "hidden must be a list of role"),
        ('{"mask": {"x": "blur"}}', "field 'x': unknown mask kind 'blur'"),
    ],
)
def test_broken_rules_files_name_the_file(rules, message):
    files = {**_bundle(_schema(x={"type": "string"})), "f.fields.json": rules}
    with pytest.raises(FormError, match=f"f.fields.json: .*{message}"):
        load_form(files, "f.schema.json", rules_name="f.fields.json")


def test_option_source_is_read_next_to_the_schema(repair_files):
    del repair_files["forms/regions.json"]
    with pytest.raises(FormError, match="regions.json' not found"):
        load_form(repair_files, "forms/repair.schema.json")
