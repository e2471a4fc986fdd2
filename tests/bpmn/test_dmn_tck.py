"""Every decision-table case of the DMN TCK corpus, run through `manage.py decide`.

The corpus (compliance level 2, DMN 1.5, FEEL unary tests, names with spaces) lives in
../shared/corpus/dmn-tck; test cases are read from there. Test material: the DMN TCK
(https://github.com/dmn-tck/tck), CC BY-SA.
"""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from bpmn.xmlsafe import parse_xml

TCK = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dmn-tck"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _local(el) -> str:
    return etree.QName(el).localname


def _children(el, name: str) -> list:
    return [child for child in el if isinstance(child.tag, str) and _local(child) == name]


def _value(el):
    """A TCK <value>, <list> or <component>s holder -> Python (Decimal for numbers)."""
    if el.get(XSI_NIL) == "true":
        return None
    if _children(el, "list"):
        return _value(_children(el, "list")[0])
    if _local(el) == "list":
        return [_value(item) for item in _children(el, "item")]
    if _children(el, "component"):
        return {c.get("name"): _value(c) for c in _children(el, "component")}
    if _children(el, "value"):
        return _value(_children(el, "value")[0])
    text = el.text or ""
    xsd_type = (el.get(XSI_TYPE) or "").split(":")[-1]
    if xsd_type in ("decimal", "double", "int", "integer", "long", "float"):
        return Decimal(text.strip())
    if xsd_type == "boolean":
        return text.strip() == "true"
    return text


def _cases():
    for folder in sorted(p for p in TCK.iterdir() if p.is_dir()):
        model = next(folder.glob("*.dmn"))
        for test_file in sorted(folder.glob("*-test-*.xml")):
            root = parse_xml(test_file.read_bytes(), test_file.name)
            for case in _children(root, "testCase"):
                inputs = {node.get("name"): _value(node) for node in _children(case, "inputNode")}
                for result in _children(case, "resultNode"):
                    expected = _value(_children(result, "expected")[0])
                    case_id = f"{folder.name}-{case.get('id')}-{result.get('name')}"
                    yield pytest.param(model, result.get("name"), inputs, expected, id=case_id)


def _json(value) -> str:
    """Inputs as JSON with decimals written exactly."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(value)


def _same(expected, actual) -> bool:
    """Numbers as decimals (never booleans), lists item by item, contexts by component."""
    if isinstance(expected, Decimal):
        return (
            isinstance(actual, int | Decimal)
            and not isinstance(actual, bool)
            and Decimal(actual) == expected
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(_same(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(actual) is type(expected) and actual == expected


CASES = list(_cases())


def test_the_corpus_is_all_there():
    folders = {case.values[0].parent.name for case in CASES}
    assert len(folders) == 8
    assert len(CASES) == 24


@pytest.mark.parametrize(("model", "decision", "inputs", "expected"), CASES)
def test_tck_case(model, decision, inputs, expected):
    out = StringIO()
    call_command("decide", str(model), decision, input=_json(inputs), stdout=out)
    actual = json.loads(out.getvalue(), parse_float=Decimal)["result"]
    assert _same(expected, actual), f"expected {expected!r}, got {actual!r}"
