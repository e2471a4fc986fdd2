// The read-only BPMN viewer used on ticket, version and analytics pages:
// <div data-bpmn-viewer data-xml-url="..." data-marks-url="..."></div>
import Viewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";

async function show(box) {
  const viewer = new Viewer({ container: box });
  const xml = await (await fetch(box.dataset.xmlUrl, { credentials: "same-origin" })).text();
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport");
  box.dispatchEvent(new CustomEvent("diagram:ready", { detail: { viewer }, bubbles: true }));
}

document.querySelectorAll("[data-bpmn-viewer]").forEach((box) => {
  show(box).catch((error) => {
    box.textContent = box.dataset.errorText || "The diagram could not be shown.";
    console.error(error);
  });
});
