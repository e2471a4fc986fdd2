// The read-only BPMN viewer of ticket, version and analytics pages:
//   <div data-bpmn-viewer data-xml-url="..." [data-marks-url="..."] [data-labels-id="..."]
//        data-error-text="..."></div>
// The marks URL answers {"marks": {elementId: "done" | "active" | "overdue"},
//                        "badges": {elementId: "text shown on the node"},
//                        "labels": {elementId: "name in the reader's language"}};
// data-labels-id names a <script type="application/json"> holding such a labels map.
// Labels replace the element names of the copy drawn here; the stored BPMN is unchanged.
// A diagram without layout is laid out along its flow (bpmn-auto-layout) before drawing.
import Viewer from "bpmn-js/lib/NavigatedViewer";
import { layoutProcess } from "bpmn-auto-layout";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "./diagram.css";

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function getText(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

// The diagram's XML with each labelled element's `name` in the reader's language.
function relabelled(xml, labels) {
  const ids = Object.keys(labels || {});
  if (!ids.length) return xml;
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  if (doc.querySelector("parsererror")) return xml;
  for (const element of doc.querySelectorAll("[id]")) {
    const label = labels[element.getAttribute("id")];
    if (typeof label === "string" && label && element.hasAttribute("name")) {
      element.setAttribute("name", label);
    }
  }
  return new XMLSerializer().serializeToString(doc);
}

// A process uploaded without diagram layout (BPMNDI) is laid out here, along its flow,
// rather than not drawn at all; the stored file stays as it was.
const BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI";

function hasLayout(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  return doc.getElementsByTagNameNS(BPMNDI, "BPMNShape").length > 0;
}

async function drawable(xml) {
  return hasLayout(xml) ? xml : layoutProcess(xml);
}

function mark(viewer, { marks = {}, badges = {} }) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  for (const [id, state] of Object.entries(marks)) {
    if (registry.get(id)) canvas.addMarker(id, `fd-mark-${state}`);
  }
  for (const [id, text] of Object.entries(badges)) {
    if (!registry.get(id)) continue;
    const badge = document.createElement("span");
    badge.className = "fd-diagram-badge";
    badge.textContent = text;
    overlays.add(id, { position: { top: -20, left: 0 }, html: badge });
  }
}

function embeddedLabels(box) {
  const script = box.dataset.labelsId && document.getElementById(box.dataset.labelsId);
  return script ? JSON.parse(script.textContent) : {};
}

async function show(box) {
  const viewer = new Viewer({ container: box });
  const [xml, state] = await Promise.all([
    getText(box.dataset.xmlUrl),
    box.dataset.marksUrl ? getJSON(box.dataset.marksUrl) : Promise.resolve(null),
  ]);
  const labels = { ...embeddedLabels(box), ...(state?.labels || {}) };
  await viewer.importXML(relabelled(await drawable(xml), labels));
  viewer.get("canvas").zoom("fit-viewport");
  if (state) mark(viewer, state);
  box.classList.add("fd-diagram-ready");
  box.dispatchEvent(new CustomEvent("diagram:ready", { detail: { viewer }, bubbles: true }));
}

document.querySelectorAll("[data-bpmn-viewer]").forEach((box) => {
  show(box).catch((error) => {
    box.textContent = box.dataset.errorText || "The diagram could not be shown.";
    box.classList.add("fd-diagram-failed");
    console.error(error);
  });
});
