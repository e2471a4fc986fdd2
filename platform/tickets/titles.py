"""A ticket's title when whoever raised it gave none: the form's subject, else the
template's `titleExpression` (a property of its start event, evaluated by the sandbox over
the start data), else the first words of the description, else the template's name and
the customer's. Two tickets raised from the same form rarely read the same. A template
named in both languages ("Home appliance repair (上门维修)") gives its name in the language
of whoever raises the ticket: a stored title is read by everyone as it was written."""

import logging

from bpmn import runtime, sandbox
from definitions.deploy import compiled_for
from definitions.element_names import local_name
from definitions.models import ProcessVersion

log = logging.getLogger(__name__)
SUBJECT_FIELDS = ("subject", "title")
LONGEST = 300
FIRST_WORDS = 80


def title_for(version: ProcessVersion, data: dict, given: str = "") -> str:
    if given and given.strip():
        return _one_line(given, LONGEST)
    for key in SUBJECT_FIELDS:
        if isinstance(data.get(key), str) and data[key].strip():
            return _one_line(data[key], LONGEST)
    compiled = compiled_for(version)
    start = runtime.start_node(compiled)
    expression = (start.properties or {}).get("titleExpression") if start else None
    if expression:
        try:
            value = sandbox.evaluate_expression(expression, data)
        except Exception as exc:  # a model's mistake must not lose the ticket
            log.warning("titleExpression of %s failed: %s", version.key, exc)
            value = None
        if isinstance(value, str | int | float) and str(value).strip():
            return _one_line(str(value), LONGEST)
    description = str(data.get("description") or "")
    if description.strip():
        return _one_line(description, FIRST_WORDS)
    name = local_name(compiled.name) or version.key
    who = str(data.get("customer_name") or "").strip()
    return _one_line(f"{name} · {who}" if who else name, LONGEST)


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]
