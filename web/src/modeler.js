// The process modeler of a draft (templates/definitions/process_modeler.html): bpmn-js
// with a properties panel for what flowdesk reads. Save sends the XML to the server,
// which checks it with the deploy's parser; each problem comes back with the ids of the
// elements it names and is pinned on them (a marker and a note on the diagram).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import spiffModdle from "./_spiffworkflow.json";
import { flowdeskPropertiesModule } from "./_flowdesk_properties.js";
import { chineseTranslate } from "./_zh_bpmn.js";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "./modeler.css";

const PIN = "fd-problem";

function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

class DraftModeler {
  constructor(root) {
    this.root = root;
    this.texts = readJSON("fd-modeler-texts") || {};
    this.csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    this.status = root.querySelector("[data-status]");
    this.modeler = new Modeler({
      container: root.querySelector("[data-canvas]"),
      propertiesPanel: { parent: root.querySelector("[data-properties]") },
      additionalModules: [
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        flowdeskPropertiesModule(this.texts, readJSON("fd-modeler-options") || {}),
        ...((this.texts.language || "").startsWith("zh") ? [{ translate: ["value", chineseTranslate] }] : []),
      ],
      moddleExtensions: { camunda: camundaModdle, spiffworkflow: spiffModdle },
    });
    root.querySelectorAll("[data-action]").forEach((button) => {
      button.addEventListener("click", () => this.run(button.dataset.action, button));
    });
  }

  async open() {
    const response = await fetch(this.root.dataset.xmlUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status}`);
    await this.modeler.importXML(await response.text());
    this.fitBesidePalette();
    this.showProblems(readJSON("fd-modeler-problems") || []);
    this.root.classList.add("fd-modeler-ready");
  }

  // The whole diagram in view, to the right of the palette that floats over the canvas's
  // left edge (zoom("fit-viewport") centres it under the palette).
  fitBesidePalette() {
    const canvas = this.modeler.get("canvas");
    const { inner, outer } = canvas.viewbox();
    const palette = this.root.querySelector(".djs-palette");
    const left = (palette ? palette.offsetLeft + palette.offsetWidth : 0) + 16;
    const gap = 16;
    if (!inner.width || !inner.height || outer.width <= left + gap) {
      canvas.zoom("fit-viewport");
      return;
    }
    const scale = Math.min((outer.width - left - gap) / inner.width, (outer.height - 2 * gap) / inner.height, 1.5);
    canvas.viewbox({
      x: inner.x - left / scale,
      y: inner.y - gap / scale,
      width: outer.width / scale,
      height: outer.height / scale,
    });
  }

  say(text, kind = "") {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = { detail: this.texts.failed };
    }
    return { ok: response.ok, status: response.status, data };
  }

  async run(action, button) {
    const commands = this.modeler.get("commandStack");
    if (action === "undo") return commands.undo();
    if (action === "redo") return commands.redo();
    button.disabled = true;
    try {
      const saved = await this.save();
      if (!saved) return;
      if (action === "scenarios") await this.runScenarios();
      if (action === "publish") await this.publish();
    } catch (error) {
      this.say(this.texts.failed, "error");
      console.error(error);
    } finally {
      button.disabled = false;
    }
  }

  async save() {
    this.say(this.texts.saving);
    const { xml } = await this.modeler.saveXML({ format: true });
    const { ok, data } = await this.post(this.root.dataset.saveUrl, { xml });
    if (!ok) {
      this.say(data.detail || this.texts.failed, "error");
      return false;
    }
    this.showProblems(data.problems);
    if (data.problems.length) {
      this.say(this.texts.savedWithProblems.replace("%(count)s", data.problems.length), "error");
      return false;
    }
    this.say(this.texts.saved, "ok");
    return true;
  }

  showProblems(problems) {
    const canvas = this.modeler.get("canvas");
    const registry = this.modeler.get("elementRegistry");
    const overlays = this.modeler.get("overlays");
    overlays.remove({ type: PIN });
    registry.forEach((element) => canvas.removeMarker(element, PIN));
    const list = this.root.querySelector("[data-problems]");
    list.replaceChildren();
    this.root.querySelector("[data-problems-box]").hidden = problems.length === 0;
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = problem.line ? `${problem.text} (${this.texts.line} ${problem.line})` : problem.text;
      const shown = problem.element_ids.filter((id) => registry.get(id));
      for (const id of shown) {
        canvas.addMarker(id, PIN);
        const note = document.createElement("div");
        note.className = "fd-problem-note";
        note.setAttribute("role", "note");
        note.textContent = problem.text;
        overlays.add(id, PIN, { position: { bottom: 6, left: 0 }, html: note });
      }
      if (shown.length) {
        const show = document.createElement("button");
        show.type = "button";
        show.textContent = this.texts.showOnDiagram;
        show.addEventListener("click", () => {
          const element = registry.get(shown[0]);
          canvas.scrollToElement(element);
          this.modeler.get("selection").select(element);
        });
        item.append(" ", show);
      }
      list.append(item);
    }
  }

  async runScenarios() {
    this.say(this.texts.running);
    const { ok, data } = await this.post(this.root.dataset.scenariosUrl);
    const list = this.root.querySelector("[data-results]");
    list.replaceChildren();
    if (!ok) return this.say(data.detail || this.texts.failed, "error");
    for (const result of data.results) {
      const item = document.createElement("li");
      item.className = result.passed ? "fd-pass" : "fd-fail";
      const name = document.createElement("strong");
      name.textContent = result.case;
      item.append(name, `: ${result.text}`);
      list.append(item);
    }
    const failed = data.results.filter((r) => !r.passed).length;
    if (!data.results.length) this.say(this.texts.noScenarios);
    else if (failed) this.say(this.texts.scenariosFailed.replace("%(count)s", failed), "error");
    else this.say(this.texts.scenariosPassed, "ok");
  }

  async publish() {
    this.say(this.texts.publishing);
    const { ok, data } = await this.post(this.root.dataset.publishUrl);
    if (!ok) {
      if (data.problems && data.problems.length) this.showProblems(data.problems);
      return this.say(data.detail || this.texts.failed, "error");
    }
    this.say(this.texts.published.replace("%(version)s", data.version), "ok");
    const link = document.createElement("a");
    link.href = data.url;
    link.textContent = this.texts.openVersion.replace("%(version)s", data.version);
    this.status.append(" ", link);
  }
}

const root = document.getElementById("fd-modeler");
if (root) {
  const draft = new DraftModeler(root);
  draft.open().catch((error) => {
    draft.say(draft.texts.cannotOpen, "error");
    console.error(error);
  });
}
