"""Camunda Modeler files, adapted at deploy time so they run unmodified.

`adapt(root, filename, operator_exists)` rewrites the parsed XML tree (never the stored
file) into what SpiffWorkflow and the sandbox understand:
- `${…}`/`#{…}` in conditions, timers, multi-instance settings, assignee and due dates
  are translated from JUEL (bpmn.juel);
- Camunda service task implementations become `spiffworkflow:serviceTaskOperator`s of
  registered operators (bpmn.camunda_services);
- `camunda:inputOutput` becomes pre/post-scripts, `camunda:formData` a generated JSON
  Schema form file (bpmn.camunda_forms);
and it collects an error for what cannot run (each naming file, line, element id and
name) and a warning for each extension flowdesk does not apply (listeners and others).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from bpmn import camunda_forms, camunda_io, camunda_services, juel

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = camunda_services.SPIFF_NS
_C, _B, _S = f"{{{CAMUNDA_NS}}}", f"{{{BPMN_NS}}}", f"{{{SPIFF_NS}}}"
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess", "definitions"}
# Attributes read here or by the parser, and those that only tune Camunda's job executor
# or history (no effect on what a ticket does).
_HANDLED = {
    "assignee", "candidateGroups", "candidateUsers", "formKey", "dueDate", "priority",
    "decisionRef", "resultVariable", "mapDecisionResult", "type", "topic", "class",
    "delegateExpression", "expression", "collection", "elementVariable",
}  # fmt: skip
_NO_EFFECT = {
    "historyTimeToLive", "versionTag", "isStartableInTasklist", "asyncBefore", "asyncAfter",
    "exclusive", "jobPriority", "taskPriority", "calledElementBinding", "decisionRefBinding",
    "diagramRelationId",
}  # fmt: skip
_HANDLED_ELEMENTS = {"properties", "inputOutput", "formData", "connector", "field"}
_LISTENERS = {"executionListener": "execution listener", "taskListener": "task listener"}
_SCRIPT_FORMATS = {"", "python", "py"}
_CRON = re.compile(r"^\s*(?!.*\*\*)([0-9*?/,LW#A-Z-]+\s+){5,6}[0-9*?/,LW#A-Z-]+\s*$")  # Quartz


@dataclass
class Adaptation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # generated form files


def describe(node, filename: str) -> str:
    """`file line N: userTask 'Task_1' ("Approve invoice")` for the flow element of node."""
    owner = _owner(node)
    kind = etree.QName(owner).localname
    name = owner.get("name")
    label = f"{kind} {owner.get('id')!r}" + (f" ({name!r})" if name else "")
    return f"{filename} line {owner.sourceline}: {label}"


def _owner(node):
    while node.getparent() is not None:
        parent = node.getparent()
        if etree.QName(parent).localname in _CONTAINERS and node.get("id"):
            return node
        node = parent
    return node


def adapt(root, filename: str, operator_exists: Callable[[str], bool]) -> Adaptation:
    result = Adaptation()
    steps = (_conditions, _timers, _multi_instance, _task_attributes, _scripts)
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        for step in steps:
            try:
                step(node, result, filename)
            except (juel.JuelError, camunda_io.MappingError) as exc:
                result.errors.append(f"{describe(node, filename)}: {exc}")
        _extensions(node, result, filename)
    for node in list(root.iter(f"{_B}serviceTask", f"{_B}sendTask")):
        _service_task(node, result, filename, operator_exists)
    for node in list(root.iter(f"{_B}userTask", f"{_B}startEvent")):
        _form(node, result, filename)
    for node in list(root.iter()):
        if (
            isinstance(node.tag, str)
            and node.find(f"./{_B}extensionElements/{_C}inputOutput") is not None
        ):
            _io_scripts(node, result, filename)
    return result


def _translate_text(node) -> None:
    if juel.is_expression(node.text):
        node.text = juel.translate(node.text)


def _conditions(node, result: Adaptation, filename: str) -> None:
    if node.tag not in (f"{_B}conditionExpression", f"{_B}condition", f"{_B}completionCondition"):
        return
    language = (node.get("language") or "").lower()
    if (
        language
        and language not in ("juel", "python", "http://www.w3.org/1999/xpath")
        and (node.text or "").strip()
    ):
        raise juel.JuelError(
            f"a condition written in {node.get('language')} cannot run here; write it as a "
            "${…} expression"
        )
    _translate_text(node)


def _timers(node, result: Adaptation, filename: str) -> None:
    if node.tag in (f"{_B}timeDuration", f"{_B}timeDate", f"{_B}timeCycle"):
        if _CRON.match(node.text or ""):
            raise juel.JuelError(
                f"the timer {node.text.strip()!r} is a cron expression; write it in ISO 8601 "
                "(a cycle like R/PT5M, a duration like PT4H or a date)"
            )
        _translate_text(node)


def _multi_instance(node, result: Adaptation, filename: str) -> None:
    if node.tag != f"{_B}multiInstanceLoopCharacteristics":
        return
    cardinality = node.find(f"{_B}loopCardinality")
    if cardinality is not None:
        _translate_text(cardinality)
    collection = node.get(f"{_C}collection")
    if not collection:
        return
    source = juel.translate(collection) if juel.is_expression(collection) else collection
    if not source.isidentifier():
        raise juel.JuelError(
            f"camunda:collection {collection!r} must name a process variable holding a list"
        )
    etree.SubElement(node, f"{_B}loopDataInputRef").text = source
    item = node.get(f"{_C}elementVariable")
    if item:
        etree.SubElement(node, f"{_B}inputDataItem", id=item, name=item)


def _task_attributes(node, result: Adaptation, filename: str) -> None:
    for name in ("assignee", "dueDate", "priority"):
        value = node.get(f"{_C}{name}")
        if juel.is_expression(value):
            # the platform evaluates `${…}` task attributes against the process data
            node.set(f"{_C}{name}", "${" + juel.translate(value) + "}")
    for name in ("candidateGroups", "candidateUsers"):
        value = node.get(f"{_C}{name}")
        if juel.is_expression(value):  # each `${…}` entry gives names when the task opens
            items = [item.strip() for item in value.split(",") if item.strip()]
            translated = [
                "${" + juel.translate(item) + "}" if juel.is_expression(item) else item
                for item in items
            ]
            node.set(f"{_C}{name}", ",".join(translated))


def _scripts(node, result: Adaptation, filename: str) -> None:
    if node.tag != f"{_B}scriptTask":
        return
    language = (node.get("scriptFormat") or "").strip()
    if language.lower() not in _SCRIPT_FORMATS:
        raise juel.JuelError(
            f"the script is written in {language}; flowdesk runs Python scripts (rewrite it in "
            "Python or make it a service task with a registered operator)"
        )
    if node.get(f"{_C}resource"):
        raise juel.JuelError("an external script resource is not supported; put the script inline")


def _extensions(node, result: Adaptation, filename: str) -> None:
    for attribute in node.attrib:
        if attribute.startswith(_C):
            local = attribute[len(_C) :]
            if local not in _HANDLED and local not in _NO_EFFECT:
                result.warnings.append(
                    f"{describe(node, filename)}: camunda:{local} is not supported and is ignored"
                )
    if node.tag != f"{_B}extensionElements":
        return
    for child in node:
        if not isinstance(child.tag, str) or not child.tag.startswith(_C):
            continue
        local = etree.QName(child).localname
        if local in _LISTENERS:
            impl = _listener_implementation(child)
            result.warnings.append(
                f"{describe(node, filename)}: {_LISTENERS[local]} on event "
                f"{child.get('event') or 'default'!r} ({impl}) is not run by flowdesk"
            )
        elif local not in _HANDLED_ELEMENTS:
            result.warnings.append(
                f"{describe(node, filename)}: camunda:{local} is not supported and is ignored"
            )


def _listener_implementation(listener) -> str:
    for attribute in ("class", "expression", "delegateExpression"):
        if listener.get(attribute):
            return f"{attribute} {listener.get(attribute)!r}"
    script = listener.find(f"{_C}script")
    if script is not None:
        return f"a {script.get('scriptFormat') or 'script'} script"
    return "no implementation"


def _service_task(node, result: Adaptation, filename: str, operator_exists) -> None:
    where = describe(node, filename)
    if camunda_services.has_spiff_operator(node):
        return
    try:
        names, said = camunda_services.operator_candidates(node)
        if not names:
            if etree.QName(node).localname == "serviceTask":
                result.errors.append(
                    f"{where}: the service task has no implementation; set an external task "
                    "topic (or class, expression, connector) that names a registered operator"
                )
            return
        chosen = next((name for name in names if operator_exists(name)), None)
        if chosen is None:
            options = " or ".join(repr(n) for n in names)
            result.errors.append(
                f"{where}: {said} has no service operator; register one named {options} "
                "(bpmn.services.register)"
            )
            return
        outputs = camunda_services.install_operator(node, chosen)
    except (camunda_services.ServiceMappingError, camunda_io.MappingError) as exc:
        result.errors.append(f"{where}: {exc}")
        return
    if etree.QName(node).localname == "sendTask":
        node.tag = f"{_B}serviceTask"
    _append_script(node, "postScript", camunda_io.assignments(outputs))
    node.set(f"{{{SPIFF_NS}}}camundaMapped", "1")  # its inputOutput is applied already


def _io_scripts(node, result: Adaptation, filename: str) -> None:
    if node.get(f"{{{SPIFF_NS}}}camundaMapped"):
        return
    kind = etree.QName(node).localname
    if not kind.endswith("Task") and kind not in ("callActivity", "subProcess"):
        result.warnings.append(
            f"{describe(node, filename)}: input/output parameters on a {kind} are not applied"
        )
        return
    try:
        inputs = camunda_io.parameters(node, "inputParameter")
        outputs = camunda_io.parameters(node, "outputParameter")
    except camunda_io.MappingError as exc:
        result.errors.append(f"{describe(node, filename)}: {exc}")
        return
    _prepend_script(node, "preScript", camunda_io.assignments(inputs))
    _append_script(node, "postScript", camunda_io.assignments(outputs))


def _script_element(node, name: str):
    holder = camunda_services.extension_elements(node)
    found = holder.find(f"{_S}{name}")
    if found is None:
        found = etree.SubElement(holder, f"{_S}{name}")
        found.text = ""
    return found


def _prepend_script(node, name: str, script: str) -> None:
    if script:
        element = _script_element(node, name)
        element.text = script + ("\n" + element.text if (element.text or "").strip() else "")


def _append_script(node, name: str, script: str) -> None:
    if script:
        element = _script_element(node, name)
        element.text = ((element.text or "").rstrip() + "\n" + script).strip()


def _form(node, result: Adaptation, filename: str) -> None:
    form_data = node.find(f"./{_B}extensionElements/{_C}formData")
    form_key = node.get(f"{_C}formKey")
    where = describe(node, filename)
    if form_data is None:
        if form_key and not form_key.endswith(".json"):
            result.warnings.append(
                f"{where}: form {form_key!r} is not a JSON Schema form file; the task shows no "
                "form (use camunda:formData fields or a .schema.json file)"
            )
        return
    if form_key:
        result.warnings.append(
            f"{where}: has both camunda:formKey and form fields; the form fields are used"
        )
    schema, unsupported = camunda_forms.build_form(form_data, node.get("name") or node.get("id"))
    result.warnings += [f"{where}: {problem}" for problem in unsupported]
    name = camunda_forms.form_file_name(node.get("id"))
    result.files[name] = camunda_forms.render(schema)
    node.set(f"{_C}formKey", name)
