"""Defaults: literal ones from the schema, expressions from process data through the
platform's sandboxed evaluator (never eval)."""

import datetime as dt
import json
import logging
from decimal import Decimal

from bpmn.sandbox import evaluate_expression
from forms.permissions import field_access
from forms.render import render_form
from forms.schema import load_form
from forms.validation import apply_defaults

from .browser import BrowserForm


def test_repair_defaults_come_from_process_data(repair_form):
    filled = apply_defaults(repair_form, {"customer_tier": "VIP"}, evaluate_expression)
    assert filled["urgent"] is True
    assert filled["visit_date"] == dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    normal = apply_defaults(repair_form, {"customer_tier": "normal"}, evaluate_expression)
    assert normal["urgent"] is False


def test_existing_values_are_never_overwritten(repair_form):
    data = {"customer_tier": "VIP", "urgent": False, "visit_date": "2026-05-01"}
    assert apply_defaults(repair_form, data, evaluate_expression) == data
    assert data == {"customer_tier": "VIP", "urgent": False, "visit_date": "2026-05-01"}


def _form(**props):
    files = {"f.schema.json": json.dumps({"type": "object", "properties": props})}
    return load_form(files, "f.schema.json")


def test_literal_defaults_are_typed_and_groups_filled():
    form = _form(
        fee={"x-field": "money", "default": "50"},
        qty={"type": "integer", "default": 1},
        kind={"type": "string", "enum": ["a", "b"], "default": "b"},
        tags={"type": "array", "items": {"enum": ["x", "y"]}, "default": ["x"]},
        contact={"type": "object", "properties": {"city": {"type": "string", "default": "深圳"}}},
        note={"type": "string"},
    )
    assert apply_defaults(form, {}, evaluate_expression) == {
        "fee": Decimal("50.00"),
        "qty": 1,
        "kind": "b",
        "tags": ["x"],
        "contact": {"city": "深圳"},
    }


def test_expressions_see_earlier_defaults_and_fall_back_when_they_fail(caplog):
    form = _form(
        base={"type": "integer", "default": 100},
        total={"type": "integer", "x-default-expression": "base * 2"},
        broken={"type": "string", "default": "n/a", "x-default-expression": "missing + 1"},
        sneaky={"type": "string", "x-default-expression": "__import__('os').getcwd()"},
    )
    with caplog.at_level(logging.WARNING, logger="forms.validation"):
        filled = apply_defaults(form, {}, evaluate_expression)
    assert filled == {"base": 100, "total": 200, "broken": "n/a"}
    assert "default expression of broken failed" in caplog.text
    assert "default expression of sneaky failed" in caplog.text


def test_the_evaluator_is_injected():
    form = _form(flag={"type": "boolean", "x-default-expression": "tier == 'VIP'"})
    seen = []

    def evaluate(source, context):
        seen.append((source, dict(context)))
        return True

    assert apply_defaults(form, {"tier": "VIP"}, evaluate) == {"tier": "VIP", "flag": True}
    assert seen == [("tier == 'VIP'", {"tier": "VIP"})]


def test_a_new_task_form_shows_its_defaults(repair_form):
    filled = apply_defaults(repair_form, {"customer_tier": "VIP"}, evaluate_expression)
    html = render_form(repair_form, filled, field_access(repair_form, "Task_Intake", ["agents"]))
    browser = BrowserForm(html)
    assert browser.named("urgent")[0].checked
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    assert browser.named("visit_date")[0].value == tomorrow.isoformat()


def test_multi_select_and_cascade_defaults_render_selected():
    tree = [{"value": "A", "children": [{"value": "A1"}, {"value": "A2"}]}]
    form = _form(
        tags={"type": "array", "items": {"enum": ["x", "y", "z"]}, "default": ["x", "z"]},
        cat={"x-field": "cascade", "x-options": tree, "x-default-expression": "['A', pick]"},
    )
    filled = apply_defaults(form, {"pick": "A2"}, evaluate_expression)
    assert filled["cat"] == ["A", "A2"] and filled["tags"] == ["x", "z"]
    browser = BrowserForm(render_form(form, filled, field_access(form, "T", ["agents"])))
    assert [o[0] for o in browser.named("tags")[0].options if o[1]] == ["x", "z"]
    assert [o[0] for c in browser.named("cat") for o in c.options if o[1]] == ["A", "A2"]


# ------------------------------------------- a submission that leaves defaulted fields out


def _submit(form, submitted, current=None):
    from forms.validation import validate_submission

    return validate_submission(
        form, submitted, field_access(form, "T", ["agents"]), current=current
    )


def _clinic_like():
    files = {
        "f.schema.json": json.dumps(
            {
                "type": "object",
                "required": ["attended", "diagnosis"],
                "properties": {
                    "attended": {"type": "boolean", "default": True},
                    "diagnosis": {"type": "string"},
                    "follow_up_needed": {"type": "boolean", "default": False},
                    "fee": {"x-field": "money", "default": "50"},
                    "note": {"type": "string", "default": "none"},
                    "visit": {
                        "type": "object",
                        "properties": {
                            "room": {"type": "string", "default": "A1"},
                            "floor": {"type": "integer"},
                        },
                    },
                },
            }
        )
    }
    return load_form(files, "f.schema.json")


def test_fields_left_out_get_the_default_the_web_form_shows():
    form = _clinic_like()
    checked = _submit(form, {"diagnosis": "a cold"})
    assert checked.ok, checked.errors
    assert checked.cleaned == {
        "attended": True,  # a required box whose default is ticked counts as ticked
        "diagnosis": "a cold",
        "follow_up_needed": False,
        "fee": Decimal("50.00"),
        "note": "none",
        "visit": {"room": "A1"},
    }
    # the same values the web form puts in front of the person
    browser = BrowserForm(render_form(form, {}, field_access(form, "T", ["agents"])))
    assert browser.named("attended")[-1].checked
    assert browser.named("note")[0].value == "none"
    assert browser.named("visit.room")[0].value == "A1"


def test_sent_values_and_values_on_record_win_over_defaults():
    form = _clinic_like()
    sent = {"diagnosis": "flu", "attended": True, "follow_up_needed": True, "note": ""}
    checked = _submit(form, sent)
    assert checked.cleaned["follow_up_needed"] is True
    assert checked.cleaned["note"] == ""  # sent blank on purpose: blank, not the default
    on_record = {"note": "seen before", "visit": {"room": "B2", "floor": 3}, "fee": "80"}
    checked = _submit(form, {"diagnosis": "flu"}, current=on_record)
    assert "note" not in checked.cleaned and "fee" not in checked.cleaned
    assert "visit" not in checked.cleaned
    partly = _submit(form, {"diagnosis": "flu"}, current={"visit": {"floor": 3}})
    assert partly.cleaned["visit"] == {"floor": 3, "room": "A1"}  # the floor stays


def test_a_required_field_without_a_default_is_still_required():
    checked = _submit(_clinic_like(), {})
    assert checked.errors == {"diagnosis": "This field is required."}
