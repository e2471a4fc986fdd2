// The read-only BPMN viewer of ticket, version and analytics pages:
//   <div data-bpmn-viewer data-xml-url="..." [data-marks-url="..."] data-error-text="..."></div>
// The marks URL answers {"marks": {elementId: "done" | "active" | "overdue"},
//                        "badges": {elementId: "text shown on the node"}}.
import Viewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "./diagram.css";

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
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

async function show(box) {
  const viewer = new Viewer({ container: box });
  const response = await fetch(box.dataset.xmlUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${box.dataset.xmlUrl}: ${response.status}`);
  await viewer.importXML(await response.text());
  viewer.get("canvas").zoom("fit-viewport");
  if (box.dataset.marksUrl) mark(viewer, await getJSON(box.dataset.marksUrl));
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
