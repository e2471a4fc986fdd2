// The decision draft editor: dmn-js opens the draft's table, the test rows are a plain table
// of inputs, and the buttons save (server checks the table with the real DMN engine), run the
// rows against the table as it is in the editor, or save then publish.
//   <div data-dmn-editor data-decision-id data-xml-url data-save-url data-run-url ...></div>
import DmnModeler from "dmn-js/lib/Modeler";
import { StyleModule } from "style-mod";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";
import "./dmn-editor.css";

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

function renumber(body) {
  body.querySelectorAll("tr[data-row]").forEach((row, index) => {
    row.querySelector("[data-number]").textContent = String(index + 1);
  });
}

function collectRows(body) {
  return [...body.querySelectorAll("tr[data-row]")].map((row) => {
    const entry = { name: "", inputs: {}, expected: {} };
    for (const field of row.querySelectorAll("input[data-part]")) {
      if (field.dataset.part === "name") entry.name = field.value;
      else entry[field.dataset.part][field.dataset.key] = field.value;
    }
    return entry;
  });
}

function openTable(modeler, decisionId) {
  const views = modeler.getViews();
  const wanted =
    views.find((v) => v.type === "decisionTable" && v.element.id === decisionId) ||
    views.find((v) => v.element.id === decisionId) ||
    views[0];
  if (wanted) return modeler.open(wanted);
  return undefined;
}

function showList(target, items) {
  target.replaceChildren();
  const list = document.createElement("ul");
  for (const text of items) {
    const item = document.createElement("li");
    item.textContent = text;
    list.append(item);
  }
  target.append(list);
}

async function start(box) {
  const status = document.getElementById("fd-dmn-status");
  const body = document.querySelector("#fd-test-rows tbody");
  const template = document.getElementById("fd-row-template");
  const results = document.querySelector("[data-results]");
  const say = (text, kind = "") => {
    status.textContent = text;
    status.className = `fd-dmn-status ${kind}`;
  };

  // The cell editor (CodeMirror) keeps its styles in one <style> element per document; made
  // here first, it carries the nonce the page's Content-Security-Policy allows.
  StyleModule.mount(document, [], { nonce: box.dataset.styleNonce });
  const modeler = new DmnModeler({ container: box });
  try {
    const response = await fetch(box.dataset.xmlUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    await modeler.importXML(await response.text());
    await openTable(modeler, box.dataset.decisionId);
    box.classList.add("fd-dmn-ready");
  } catch (error) {
    say(box.dataset.loadError, "fd-error");
    return;
  }

  // Unsaved edits of the table or the rows: the browser asks before leaving the page.
  let dirty = false;
  const watch = () => modeler.getActiveViewer()?.on("elements.changed", () => { dirty = true; });
  modeler.on("views.changed", watch);
  watch();
  body.addEventListener("input", () => { dirty = true; });
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  const payload = async () => {
    const { xml } = await modeler.saveXML({ format: true });
    return JSON.stringify({ xml, rows: collectRows(body) });
  };
  const post = async (url) =>
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: await payload(),
    });

  const save = async () => {
    say(box.dataset.saving);
    let response;
    try {
      response = await post(box.dataset.saveUrl);
    } catch (error) {
      say(box.dataset.networkError, "fd-error");
      return false;
    }
    const answer = await response.json();
    if (response.ok) {
      dirty = false;
      say(answer.message, "fd-ok");
      return true;
    }
    say("", "fd-error");
    showList(status, answer.errors || []);
    return false;
  };

  document.querySelector("[data-add-row]").addEventListener("click", () => {
    body.append(template.content.cloneNode(true));
    renumber(body);
    dirty = true;
    body.querySelector("tr[data-row]:last-child input")?.focus();
  });
  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-row]");
    if (!button) return;
    button.closest("tr").remove();
    renumber(body);
    dirty = true;
  });
  document.querySelector("[data-save]").addEventListener("click", save);
  document.querySelector("[data-run]").addEventListener("click", async () => {
    say(box.dataset.running);
    try {
      const response = await post(box.dataset.runUrl);
      results.innerHTML = await response.text();
      say("");
    } catch (error) {
      say(box.dataset.networkError, "fd-error");
    }
  });
  const publish = document.querySelector("form[data-publish]");
  publish.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await save()) publish.submit();
  });
}

for (const box of document.querySelectorAll("[data-dmn-editor]")) start(box);
