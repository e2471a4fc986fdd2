"""Camunda service task implementations mapped onto registered service operators.

The mapping rule (also in the README):
- `camunda:type="external" camunda:topic="pricing.quote"`  -> operator `pricing.quote`
- `camunda:class="com.acme.billing.ArchiveInvoice"`       -> operator
  `com.acme.billing.ArchiveInvoice`, or `ArchiveInvoice` (the simple class name)
- `camunda:delegateExpression="${archiveService}"`       -> operator `archiveService`
- `camunda:expression="${pricing.quote(order)}"`          -> operator `pricing.quote`
- `<camunda:connector><camunda:connectorId>http-connector` -> operator `http-connector`
The first name that is registered wins. Input parameters (of the task or of its
connector) and `camunda:field` injections become the operator's parameters; the
operator's return value is stored under `camunda:resultVariable`, or else under
`<element id>_result`. Output parameters run after the operator.
"""

import re

from lxml import etree

from bpmn import camunda_io

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_C = f"{{{CAMUNDA_NS}}}"
_S = f"{{{SPIFF_NS}}}"
_EXPRESSION_TARGET = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][\w.]*)\s*(\(.*\))?\s*\}\s*$", re.S)


class ServiceMappingError(ValueError):
    pass


def operator_candidates(node) -> tuple[list[str], str]:
    """(operator names to try, what the model says) for a Camunda service task; no names
    when the task declares no Camunda implementation."""
    if node.get(f"{_C}type") == "external":
        topic = (node.get(f"{_C}topic") or "").strip()
        if not topic or "${" in topic:
            raise ServiceMappingError("an external task needs a fixed camunda:topic")
        return [topic], f"external task topic {topic!r}"
    if node.get(f"{_C}class"):
        name = node.get(f"{_C}class").strip()
        return [name, name.rsplit(".", 1)[-1]], f"Java class {name!r}"
    for attribute, label in (
        ("delegateExpression", "delegate expression"),
        ("expression", "expression"),
    ):
        value = node.get(f"{_C}{attribute}")
        if value:
            match = _EXPRESSION_TARGET.match(value)
            if not match:
                raise ServiceMappingError(
                    f"the {label} {value!r} must name a bean or method, like ${{pricing.quote(order)}}"
                )
            return [match.group(1)], f"{label} {value.strip()!r}"
    connector = node.find(f"./*/{_C}connector/{_C}connectorId")
    if connector is not None and (connector.text or "").strip():
        name = connector.text.strip()
        return [name], f"connector {name!r}"
    return [], ""


def has_spiff_operator(node) -> bool:
    return node.find(f"./*/{_S}serviceTaskOperator") is not None


def install_operator(node, operator: str) -> list[tuple[str, str]]:
    """Write the spiffworkflow:serviceTaskOperator SpiffWorkflow's parser reads; returns
    the output parameters that the caller turns into a post-script."""
    params = camunda_io.field_injections(node) + camunda_io.parameters(node, "inputParameter")
    connector = node.find(f"./*/{_C}connector")
    outputs = camunda_io.parameters(node, "outputParameter")
    if connector is not None:
        params += camunda_io.parameters(connector, "inputParameter", "./")
        outputs += camunda_io.parameters(connector, "outputParameter", "./")
    result = node.get(f"{_C}resultVariable") or f"{node.get('id')}_result"
    element = etree.SubElement(
        extension_elements(node),
        f"{_S}serviceTaskOperator",
        id=operator,
        resultVariable=result,
    )
    holder = etree.SubElement(element, f"{_S}parameters")
    for name, expression in params:
        etree.SubElement(holder, f"{_S}parameter", id=name, type="any", value=expression)
    return outputs


def extension_elements(node):
    tag = f"{{{etree.QName(node).namespace}}}extensionElements"
    found = node.find(tag)
    if found is None:
        found = etree.Element(tag)
        index = 1 if len(node) and _local(node[0]) == "documentation" else 0
        node.insert(index, found)
    return found


def _local(node) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""
