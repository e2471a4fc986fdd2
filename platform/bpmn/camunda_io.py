"""Camunda input/output parameters (`camunda:inputOutput`) as sandbox expressions.

A parameter's value is text (a literal string, or `${…}` translated from JUEL), a
`camunda:list` or a `camunda:map` (nested freely). Each becomes one Python expression;
the caller turns input parameters into a pre-script (or a service operator's parameters)
and output parameters into a post-script of the task. Difference from Camunda, stated in
the README: input parameters are written to the process data rather than to a scope of
their own, so they stay visible after the task.
"""

from bpmn import juel

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_C = f"{{{CAMUNDA_NS}}}"


class MappingError(ValueError):
    pass


def value_expression(node) -> str:
    """The Python expression for the value of a parameter, list entry or map entry."""
    children = [child for child in node if isinstance(child.tag, str)]
    if not children:
        text = node.text or ""
        return juel.translate(text) if juel.is_expression(text) else repr(text.strip())
    child = children[0]
    local = child.tag.rsplit("}", 1)[-1]
    if local == "list":
        items = [value_expression(v) for v in child if isinstance(v.tag, str)]
        return "[" + ", ".join(items) + "]"
    if local == "map":
        entries = [
            f"{entry.get('key', '')!r}: {value_expression(entry)}"
            for entry in child.findall(f"{_C}entry")
        ]
        return "{" + ", ".join(entries) + "}"
    if local == "script":
        language = child.get("scriptFormat") or "an unnamed language"
        raise MappingError(f"a script value in {language} is not supported")
    raise MappingError(f"a {local!r} value is not supported")


def parameters(node, kind: str, path: str = "./*/") -> list[tuple[str, str]]:
    """(name, expression) of the `inputParameter` or `outputParameter` elements of the
    node's extension elements (or, with path "./", of a camunda:connector)."""
    found = []
    io = node.find(f"{path}{_C}inputOutput")
    if io is None:
        return found
    for param in io.findall(f"{_C}{kind}"):
        name = param.get("name") or ""
        if not name.isidentifier():
            raise MappingError(f"{kind} name {name!r} is not a valid variable name")
        try:
            found.append((name, value_expression(param)))
        except juel.JuelError as exc:
            raise MappingError(f"{kind} {name!r}: {exc}") from None
    return found


def field_injections(node) -> list[tuple[str, str]]:
    """`camunda:field` of a Java delegate (stringValue / string / expression) as
    (name, expression) pairs, passed to the operator as parameters."""
    found = []
    for field in node.findall(f"./*/{_C}field"):
        name = field.get("name") or ""
        literal = field.get("stringValue")
        expression = field.get("expression")
        for child in field:
            local = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if local == "string":
                literal = child.text or ""
            elif local == "expression":
                expression = child.text or ""
        try:
            value = juel.translate(expression) if expression else repr(literal or "")
        except juel.JuelError as exc:
            raise MappingError(f"field {name!r}: {exc}") from None
        found.append((name, value))
    return found


def assignments(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{name} = {expression}" for name, expression in pairs)
