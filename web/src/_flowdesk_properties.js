// The properties panel group of what flowdesk reads from a BPMN element (bpmn/parser.py,
// bpmn/runtime.py describe_spec, tickets/operations.py, forms/rules.py):
//   user/manual tasks and start events: spiffworkflow:property form files, candidate
//     groups/users, assignee, due date, operations, send-back targets, field rules;
//     spiffworkflow:instructionsForEndUser and its Chinese (the instructions.zh-hans
//     property); start events also titleExpression;
//   business rule tasks: spiffworkflow:calledDecisionId;
//   service tasks: spiffworkflow:serviceTaskOperator (operator, result, parameters);
//   sequence flows out of gateways: the condition expression.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const PROPS = "spiffworkflow:Properties";

function extension(bo, type) {
  const ext = bo.get("extensionElements");
  return ext ? ext.get("values").find((v) => is(v, type)) : undefined;
}

function ensureExtension(element, type, bpmnFactory, modeling) {
  const bo = getBusinessObject(element);
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateProperties(element, { extensionElements: ext });
  }
  let found = ext.get("values").find((v) => is(v, type));
  if (!found) {
    found = bpmnFactory.create(type);
    found.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), found] });
  }
  return found;
}

function removeExtension(element, type, modeling) {
  const ext = getBusinessObject(element).get("extensionElements");
  const found = ext && ext.get("values").find((v) => is(v, type));
  if (found) modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== found) });
}

export function getProperty(element, name) {
  const props = extension(getBusinessObject(element), PROPS);
  const found = props && props.get("properties").find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function setProperty(element, name, value, bpmnFactory, modeling) {
  const current = extension(getBusinessObject(element), PROPS);
  const existing = current && current.get("properties").find((p) => p.name === name);
  if (!value) {
    if (existing) modeling.updateModdleProperties(element, current, { properties: current.get("properties").filter((p) => p !== existing) });
    return;
  }
  if (existing) {
    modeling.updateModdleProperties(element, existing, { value });
    return;
  }
  const props = ensureExtension(element, PROPS, bpmnFactory, modeling);
  const property = bpmnFactory.create("spiffworkflow:Property", { name, value });
  property.$parent = props;
  modeling.updateModdleProperties(element, props, { properties: [...props.get("properties"), property] });
}

function getBody(element, type) {
  const found = extension(getBusinessObject(element), type);
  return found ? found.value || "" : "";
}

function setBody(element, type, value, bpmnFactory, modeling) {
  if (!value) return removeExtension(element, type, modeling);
  const found = ensureExtension(element, type, bpmnFactory, modeling);
  modeling.updateModdleProperties(element, found, { value });
}

function jsonProblem(texts) {
  return (value) => {
    if (!value) return null;
    try {
      JSON.parse(value);
      return null;
    } catch {
      return texts.invalidJson;
    }
  };
}

// One entry component per kind; `spec` says what it edits.
function PropertyEntry({ element, id, spec }) {
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const common = {
    element,
    id,
    label: spec.label,
    description: spec.description,
    debounce,
    getValue: () => spec.get(element),
    setValue: (value) => spec.set(element, value, bpmnFactory, modeling),
    validate: spec.validate,
  };
  if (spec.options) return h(SelectEntry, { ...common, getOptions: () => spec.options(element) });
  if (spec.area) return h(TextAreaEntry, { ...common, rows: spec.rows || 3, monospace: spec.monospace });
  return h(TextFieldEntry, common);
}

function entry(id, spec) {
  const isEdited = spec.options ? isSelectEntryEdited : spec.area ? isTextAreaEntryEdited : isTextFieldEntryEdited;
  return { id, spec, component: PropertyEntry, isEdited };
}

function property(name, label, extra = {}) {
  return entry(`fd-${name}`, {
    label,
    get: (element) => getProperty(element, name),
    set: (element, value, bpmnFactory, modeling) => setProperty(element, name, value, bpmnFactory, modeling),
    ...extra,
  });
}

function choices(current, values, none) {
  const list = [{ value: "", label: none }, ...values.map((v) => ({ value: v, label: v }))];
  if (current && !values.includes(current)) list.push({ value: current, label: current });
  return list;
}

function operatorOf(element) {
  return extension(getBusinessObject(element), "spiffworkflow:ServiceTaskOperator");
}

function parametersText(element) {
  const operator = operatorOf(element);
  const params = operator && operator.get("parameters");
  return params ? params.get("parameters").map((p) => `${p.id} = ${p.value || ""}`).join("\n") : "";
}

function setParameters(element, text, bpmnFactory, modeling) {
  const operator = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", bpmnFactory, modeling);
  const old = operator.get("parameters");
  const types = Object.fromEntries((old ? old.get("parameters") : []).map((p) => [p.id, p.type]));
  const parameters = text
    .split("\n")
    .map((line) => line.match(/^\s*([A-Za-z_][\w.]*)\s*=\s*(.*?)\s*$/))
    .filter(Boolean)
    .map(([, id, value]) => bpmnFactory.create("spiffworkflow:Parameter", { id, type: types[id] || "any", value }));
  const list = bpmnFactory.create("spiffworkflow:Parameters", { parameters });
  list.$parent = operator;
  modeling.updateModdleProperties(element, operator, { parameters: parameters.length ? list : undefined });
}

function operatorAttribute(name, label, extra = {}) {
  return entry(`fd-operator-${name}`, {
    label,
    get: (element) => (operatorOf(element) && operatorOf(element).get(name)) || "",
    set: (element, value, bpmnFactory, modeling) => {
      const operator = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", bpmnFactory, modeling);
      modeling.updateModdleProperties(element, operator, { [name]: value || undefined });
    },
    ...extra,
  });
}

function condition(texts) {
  return entry("fd-condition", {
    label: texts.condition,
    description: texts.conditionHelp,
    area: true,
    monospace: true,
    rows: 2,
    get: (element) => {
      const expression = getBusinessObject(element).get("conditionExpression");
      return expression ? expression.get("body") || "" : "";
    },
    set: (element, value, bpmnFactory, modeling) => {
      const expression = value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    },
  });
}

function groupsFor(element, texts, options) {
  const groups = [];
  const human = is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask");
  if (human || is(element, "bpmn:StartEvent")) {
    const form = [
      property("formJsonSchemaFilename", texts.formSchema, { description: texts.formSchemaHelp }),
      property("formUiSchemaFilename", texts.formUi),
    ];
    if (is(element, "bpmn:StartEvent")) form.push(property("titleExpression", texts.titleExpression));
    form.push(
      entry("fd-instructions", {
        label: texts.instructions,
        area: true,
        get: (el) => getBody(el, "spiffworkflow:InstructionsForEndUser"),
        set: (el, value, f, m) => setBody(el, "spiffworkflow:InstructionsForEndUser", value, f, m),
      }),
      // Shown instead of the above to a reader of Chinese (definitions/element_names.py).
      entry("fd-instructions-zh-hans", {
        label: texts.instructionsZh,
        description: texts.instructionsZhHelp,
        area: true,
        get: (el) => getProperty(el, "instructions.zh-hans"),
        set: (el, value, f, m) => setProperty(el, "instructions.zh-hans", value, f, m),
      }),
    );
    groups.push({ id: "fd-form", label: texts.groupForm, entries: form });
  }
  if (human) {
    groups.push({
      id: "fd-people",
      label: texts.groupPeople,
      entries: [
        property("candidateGroups", texts.candidateGroups, { description: texts.listHelp }),
        property("candidateUsers", texts.candidateUsers, { description: texts.listHelp }),
        property("assignee", texts.assignee),
        property("dueDate", texts.dueDate),
      ],
    });
    groups.push({
      id: "fd-operations",
      label: texts.groupOperations,
      entries: [
        property("operations", texts.operations, { area: true, monospace: true, description: texts.operationsHelp, validate: jsonProblem(texts) }),
        property("sendBackTargets", texts.sendBackTargets, { description: texts.listHelp }),
        property("approvalVariable", texts.approvalVariable),
        property("fieldRules", texts.fieldRules, { area: true, monospace: true, description: texts.fieldRulesHelp, validate: jsonProblem(texts) }),
      ],
    });
  }
  if (is(element, "bpmn:BusinessRuleTask")) {
    groups.push({
      id: "fd-decision",
      label: texts.groupDecision,
      entries: [
        entry("fd-decision-id", {
          label: texts.decision,
          options: (el) => choices(getBody(el, "spiffworkflow:CalledDecisionId"), options.decisions, texts.none),
          get: (el) => getBody(el, "spiffworkflow:CalledDecisionId"),
          set: (el, value, f, m) => setBody(el, "spiffworkflow:CalledDecisionId", value, f, m),
        }),
      ],
    });
  }
  if (is(element, "bpmn:ServiceTask")) {
    groups.push({
      id: "fd-service",
      label: texts.groupService,
      entries: [
        operatorAttribute("id", texts.operator, {
          options: (el) => choices((operatorOf(el) && operatorOf(el).get("id")) || "", options.operators, texts.none),
        }),
        operatorAttribute("resultVariable", texts.resultVariable),
        entry("fd-operator-parameters", {
          label: texts.parameters,
          description: texts.parametersHelp,
          area: true,
          monospace: true,
          get: parametersText,
          set: setParameters,
        }),
      ],
    });
  }
  if (is(element, "bpmn:SequenceFlow") && is(getBusinessObject(element).sourceRef, "bpmn:Gateway")) {
    groups.push({ id: "fd-flow", label: texts.groupFlow, entries: [condition(texts)] });
  }
  return groups;
}

export function flowdeskPropertiesModule(texts, options) {
  function FlowdeskPropertiesProvider(propertiesPanel) {
    this.getGroups = (element) => (groups) => {
      const ours = groupsFor(element, texts, options);
      const general = groups.findIndex((g) => g.id === "general");
      groups.splice(general + 1, 0, ...ours);
      return groups;
    };
    propertiesPanel.registerProvider(400, this);
  }
  FlowdeskPropertiesProvider.$inject = ["propertiesPanel"];
  return {
    __init__: ["flowdeskPropertiesProvider"],
    flowdeskPropertiesProvider: ["type", FlowdeskPropertiesProvider],
  };
}
