"""Run the DMN TCK (../shared/corpus/tck, levels 2 and 3) through the engine `decide` uses.

Each model is loaded once with `bpmn.dmn.load_dmn` (imports resolved from its folder); every
<resultNode> of every <testCase> is one test. A decision result is compared with the
expected value: numbers as decimals, lists and contexts nested, dates, times, date-times and
durations by their FEEL value. `errorResult="true"` expects an error or null.

    .venv/bin/python tests/bpmn/tck.py            # pass counts per level
    .venv/bin/python tests/bpmn/tck.py -v         # and every failure with its reason

Test material: the DMN TCK (https://github.com/dmn-tck/tck), CC BY-SA.
"""

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "platform") not in sys.path:
    sys.path.insert(0, str(ROOT / "platform"))

from bpmn.dmn import DmnError, load_dmn  # noqa: E402
from bpmn.feel_values import FeelError, feel_string, kind, parse_temporal  # noqa: E402
from bpmn.xmlsafe import parse_xml  # noqa: E402

TCK = ROOT.parent / "shared" / "corpus" / "tck"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_NUMBERS = ("decimal", "double", "int", "integer", "long", "float", "short")
_TEMPORAL = ("date", "time", "dateTime", "duration")
JAVA_ONLY = "0076-feel-external-java"


@dataclass
class Outcome:
    test_id: str
    level: str
    passed: bool
    detail: str = ""


def _local(el) -> str:
    return etree.QName(el).localname


def _children(el, name: str) -> list:
    return [child for child in el if isinstance(child.tag, str) and _local(child) == name]


def tck_value(el):
    """A TCK <value>, <list>, <item> or <component> holder -> a FEEL value."""
    if el.get(XSI_NIL) == "true":
        return None
    if _local(el) == "list":
        return [tck_value(item) for item in _children(el, "item")]
    if _children(el, "list"):
        return tck_value(_children(el, "list")[0])
    if _children(el, "component"):
        return {c.get("name"): tck_value(c) for c in _children(el, "component")}
    if _children(el, "value"):
        return tck_value(_children(el, "value")[0])
    if _local(el) != "value":
        return None  # an <inputNode> or <expected> with nothing in it
    text = el.text or ""
    xsd_type = (el.get(XSI_TYPE) or "").split(":")[-1]
    if xsd_type in _NUMBERS:
        return Decimal(text.strip())
    if xsd_type == "boolean":
        return text.strip() == "true"
    if xsd_type in _TEMPORAL:
        try:
            return parse_temporal(text.strip())
        except FeelError:
            return Unsupported(text.strip())  # e.g. a year before 1 or after 9999
    return text


@dataclass(frozen=True)
class Unsupported:
    """A TCK value Python's date types cannot hold; never equal to a result."""

    text: str


def same(expected, actual) -> bool:
    """Numbers as decimals (never booleans), lists item by item, contexts by component,
    temporal values by kind and FEEL text."""
    if expected is None:
        return actual is None
    if isinstance(expected, Decimal):
        return kind(actual) == "number" and same_number(expected, actual)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(same(expected[k], actual[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, Unsupported):
        return False
    if isinstance(expected, str | bool):
        return type(actual) is type(expected) and actual == expected
    return kind(actual) == kind(expected) and feel_string(actual) == feel_string(expected)


def same_number(expected: Decimal, actual: Decimal) -> bool:
    """Exactly equal, or equal to the digits the expected value gives: many TCK results were
    computed in binary floating point (2778.69354943277 for 2778.6935494327667680...), so
    a result within 1e-12 of an expected value of at most 17 significant digits passes."""
    if actual == expected:
        return True
    digits = len(expected.normalize().as_tuple().digits)
    if digits > 17 or not actual.is_finite():
        return False
    scale = max(abs(expected), Decimal(1))
    if abs(actual - expected) <= scale * Decimal("1e-12"):
        return True
    # exp(4) = 54.59815003 in the TCK: a result given to 8 or more significant digits
    return digits >= 8 and actual.quantize(expected) == expected


def _show(value) -> str:
    if isinstance(value, Unsupported):
        return f"{value.text} (not representable)"
    text = feel_string(value) if value is not None else "null"
    return text if len(text) < 200 else text[:200] + "..."


def _folders():
    for level in ("compliance-level-2", "compliance-level-3"):
        for folder in sorted(p for p in (TCK / level).iterdir() if p.is_dir()):
            yield level, folder


def _model_of(folder: Path, test_root) -> Path:
    names = _children(test_root, "modelName")
    if names and names[0].text and (folder / names[0].text.strip()).exists():
        return folder / names[0].text.strip()
    return next(p for p in sorted(folder.glob("*.dmn")) if p.stem == folder.name)


def run_folder(level: str, folder: Path) -> list[Outcome]:
    outcomes: list[Outcome] = []
    models: dict[Path, object] = {}
    for test_file in sorted(folder.glob("*-test-*.xml")):
        root = parse_xml(test_file.read_bytes(), test_file.name)
        model_path = _model_of(folder, root)
        if model_path not in models:
            try:
                models[model_path] = load_dmn(model_path)
            except DmnError as exc:
                models[model_path] = exc
        for case in _children(root, "testCase"):
            outcomes.extend(_run_case(level, folder.name, models[model_path], case))
    return outcomes


def _run_case(level: str, folder: str, model, case) -> list[Outcome]:
    inputs = {node.get("name"): tck_value(node) for node in _children(case, "inputNode")}
    service = case.get("invocableName") if case.get("type") == "decisionService" else None
    outcomes = []
    service_result: object = None
    if service and not isinstance(model, Exception):
        try:
            service_result = model.invoke_service(service, inputs)
        except (DmnError, FeelError) as exc:
            service_result = exc
    for result in _children(case, "resultNode"):
        test_id = f"{folder}/{case.get('id')}/{result.get('name')}"
        expects_error = result.get("errorResult") == "true"
        expected_el = _children(result, "expected")
        expected = tck_value(expected_el[0]) if expected_el else None
        if isinstance(model, Exception):
            actual: object = model
        elif service:
            actual = service_result
            if isinstance(actual, dict) and result.get("name") in actual:
                actual = actual[result.get("name")]
        else:
            try:
                actual = model.evaluate(result.get("name"), inputs)
            except (DmnError, FeelError) as exc:
                actual = exc
        if isinstance(actual, Exception):
            passed = expects_error
            detail = f"error: {actual}"
        else:
            passed = (actual is None) if expects_error else same(expected, actual)
            detail = f"expected {_show(expected)}, got {_show(actual)}"
        outcomes.append(Outcome(test_id, level, passed, "" if passed else detail))
    return outcomes


def run_all() -> list[Outcome]:
    outcomes = []
    for level, folder in _folders():
        outcomes.extend(run_folder(level, folder))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    lines = []
    for level in ("compliance-level-2", "compliance-level-3"):
        mine = [o for o in outcomes if o.level == level]
        passed = sum(o.passed for o in mine)
        share = 100 * passed / len(mine) if mine else 0
        lines.append(f"{level}: {passed} of {len(mine)} tests pass ({share:.1f}%)")
    total = sum(o.passed for o in outcomes)
    lines.append(f"total: {total} of {len(outcomes)} ({100 * total / len(outcomes):.1f}%)")
    runnable = [o for o in outcomes if not o.test_id.startswith(JAVA_ONLY)]
    done = sum(o.passed for o in runnable)
    lines.append(
        f"without {JAVA_ONLY} (needs Java): {done} of {len(runnable)} "
        f"({100 * done / len(runnable):.2f}%)"
    )
    return "\n".join(lines)


def known_failures(path: Path) -> dict[str, str]:
    """test id -> reason, from lines `<test id>  # reason` (blank lines and # comments skipped)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        test_id, _, reason = line.partition(" # ")
        found[test_id.strip()] = reason.strip()
    return found


if __name__ == "__main__":
    results = run_all()
    if "-v" in sys.argv:
        for outcome in results:
            if not outcome.passed:
                print(f"{outcome.test_id} # {outcome.detail}")
    print(report(results))
