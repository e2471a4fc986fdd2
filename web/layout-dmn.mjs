// Gives a DMN 1.3 file without a diagram (DMNDI) one, in place, so dmn-js draws its DRD:
//   node web/layout-dmn.mjs dmn/*.dmn            (files that have DMNDI are left alone)
//   node web/layout-dmn.mjs --check dmn/*.dmn    (lists the files without one; exit 1)
// Tables written by hand or exported from a table editor carry none, and dmn-js then shows an
// empty DRD. Each decision, input data, business knowledge model and knowledge source gets a
// shape, each requirement an edge; elements sit in rows by how far they are from the inputs
// (inputs at the bottom, the decisions that use them above). The DMNDI block is inserted
// before </definitions>: the rest of the file stays as written.
import fs from "node:fs";
import { DmnModdle } from "dmn-moddle";

const DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/";
const NAMESPACES = {
  dmndi: "https://www.omg.org/spec/DMN/20191111/DMNDI/",
  dc: "http://www.omg.org/spec/DMN/20180521/DC/",
  di: "http://www.omg.org/spec/DMN/20180521/DI/",
};
const SIZES = {
  "dmn:Decision": [180, 80],
  "dmn:InputData": [125, 45],
  "dmn:BusinessKnowledgeModel": [135, 46],
  "dmn:KnowledgeSource": [100, 63],
};
const COLUMN = 220; // horizontal distance between two shapes of a row
const ROW = 150; // vertical distance between two rows
const LEFT = 100; // right of the DRD palette
const TOP = 130; // below the name of the definitions dmn-js shows at the top left
const REQUIREMENTS = ["informationRequirement", "knowledgeRequirement", "authorityRequirement"];

const escape = (text) => String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function requirementsOf(element) {
  // [requirement, id of the element it requires]
  const found = [];
  for (const kind of REQUIREMENTS) {
    for (const requirement of element[kind] ?? []) {
      const ref =
        requirement.requiredDecision ?? requirement.requiredInput ??
        requirement.requiredKnowledge ?? requirement.requiredAuthority;
      const source = ref?.href?.replace(/^#/, "");
      if (!source) continue;
      if (!requirement.id) {
        throw new Error(`${kind} of '${element.id}' to '${source}' has no id: give it one`);
      }
      found.push([requirement, source]);
    }
  }
  return found;
}

function layout(definitions) {
  const elements = (definitions.drgElement ?? []).filter((e) => SIZES[e.$type]);
  const byId = new Map(elements.map((e) => [e.id, e]));
  const needs = new Map(elements.map((e) => [e.id, requirementsOf(e).filter(([, s]) => byId.has(s))]));
  const level = new Map();
  const levelOf = (id, path = new Set()) => {
    if (level.has(id)) return level.get(id);
    if (path.has(id)) throw new Error(`requirements form a cycle through '${id}'`);
    path.add(id);
    const below = needs.get(id).map(([, source]) => levelOf(source, path));
    path.delete(id);
    level.set(id, below.length ? 1 + Math.max(...below) : 0);
    return level.get(id);
  };
  elements.forEach((e) => levelOf(e.id));
  const top = Math.max(0, ...level.values());
  const rows = new Map();
  for (const element of elements) {
    const row = rows.get(level.get(element.id)) ?? [];
    row.push(element);
    rows.set(level.get(element.id), row);
  }
  const bounds = new Map();
  const widest = Math.max(...[...rows.values()].map((r) => r.length));
  for (const [index, row] of rows) {
    const indent = ((widest - row.length) * COLUMN) / 2;
    row.forEach((element, column) => {
      const [width, height] = SIZES[element.$type];
      const x = LEFT + indent + column * COLUMN + (COLUMN - 40 - width) / 2;
      const y = TOP + (top - index) * ROW + (80 - height) / 2;
      bounds.set(element.id, { x: Math.round(x), y: Math.round(y), width, height });
    });
  }
  const edges = [];
  for (const element of elements) {
    for (const [requirement, source] of needs.get(element.id)) {
      const from = bounds.get(source);
      const to = bounds.get(element.id);
      edges.push({
        id: requirement.id,
        points: [
          [from.x + from.width / 2, from.y],
          [to.x + to.width / 2, to.y + to.height],
        ],
      });
    }
  }
  return { elements, bounds, edges };
}

function dmndi(definitions) {
  const { elements, bounds, edges } = layout(definitions);
  const lines = ["  <dmndi:DMNDI>", `    <dmndi:DMNDiagram id="${escape(definitions.id)}_drd">`];
  for (const element of elements) {
    const b = bounds.get(element.id);
    lines.push(
      `      <dmndi:DMNShape id="${escape(element.id)}_shape" dmnElementRef="${escape(element.id)}">`,
      `        <dc:Bounds height="${b.height}" width="${b.width}" x="${b.x}" y="${b.y}" />`,
      "      </dmndi:DMNShape>",
    );
  }
  for (const edge of edges) {
    lines.push(`      <dmndi:DMNEdge id="${escape(edge.id)}_edge" dmnElementRef="${escape(edge.id)}">`);
    for (const [x, y] of edge.points) lines.push(`        <di:waypoint x="${x}" y="${y}" />`);
    lines.push("      </dmndi:DMNEdge>");
  }
  lines.push("    </dmndi:DMNDiagram>", "  </dmndi:DMNDI>");
  return lines.join("\n");
}

function withNamespaces(xml) {
  return xml.replace(/<definitions\b[^>]*>/, (tag) => {
    const missing = Object.entries(NAMESPACES)
      .filter(([prefix]) => !new RegExp(`xmlns:${prefix}=`).test(tag))
      .map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`)
      .join("");
    return tag.replace(/\s*(\/?)>$/, `${missing}$1>`);
  });
}

async function laidOut(path) {
  const xml = fs.readFileSync(path, "utf8");
  if (/<(\w+:)?DMNDI\b/.test(xml)) return null;
  if (!xml.includes(DMN13)) throw new Error(`not a DMN 1.3 file (namespace ${DMN13})`);
  if (!/<definitions\b/.test(xml) || !xml.includes("</definitions>")) {
    throw new Error("the DMN namespace must be the default one (<definitions>, no prefix)");
  }
  const { rootElement, warnings } = await new DmnModdle().fromXML(xml, "dmn:Definitions");
  if (warnings.length) throw new Error(warnings[0].message);
  const block = dmndi(rootElement);
  return withNamespaces(xml).replace(/\n?<\/definitions>\s*$/, `\n${block}\n</definitions>\n`);
}

const args = process.argv.slice(2);
const check = args[0] === "--check";
let failed = false;
for (const path of check ? args.slice(1) : args) {
  try {
    const xml = await laidOut(path);
    if (xml === null) continue;
    if (check) {
      console.log(`${path}: no DMNDI (run node web/layout-dmn.mjs ${path})`);
      failed = true;
    } else {
      fs.writeFileSync(path, xml);
      console.log(`${path}: DMNDI added`);
    }
  } catch (error) {
    console.error(`${path}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
