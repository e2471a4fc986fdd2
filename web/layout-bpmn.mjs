// Gives a BPMN file a diagram layout (BPMNDI), in place, replacing any it had; running it
// again on its own output gives the same file:
//   node web/layout-bpmn.mjs processes/repair.bpmn [...]
// bpmn-auto-layout places the nodes in columns along the flow; a process with lanes is
// then drawn in a pool with one band per lane (the lane where the flow starts on top),
// each node in its lane's band and the flows routed at right angles; a named flow's label
// sits beside the last stretch of its line.
import fs from "node:fs";
import { layoutProcess } from "bpmn-auto-layout";
import { BpmnModdle } from "bpmn-moddle";

const ROW = 130; // height of one row of nodes inside a lane
const LABELS = 60; // pool label + lane label columns on the left
const GAP = 25; // vertical clearance of flows that go back against the flow

const moddle = new BpmnModdle();
const bounds = (b) => moddle.create("dc:Bounds", b);
const point = ([x, y]) => moddle.create("dc:Point", { x, y });
const centre = (b) => [b.x + b.width / 2, b.y + b.height / 2];

function shapesOf(plane) {
  const shapes = new Map();
  for (const el of plane.planeElement) {
    if (el.$type === "bpmndi:BPMNShape") shapes.set(el.bpmnElement.id, el);
  }
  return shapes;
}

function laneBands(process, shapes) {
  const lanes = process.laneSets?.[0]?.lanes ?? [];
  const firstX = (lane) => Math.min(...(lane.flowNodeRef ?? []).map((n) => shapes.get(n.id)?.bounds.x ?? Infinity));
  const ordered = [...lanes].sort((a, b) => firstX(a) - firstX(b));
  let top = 0;
  return ordered.map((lane) => {
    const nodes = (lane.flowNodeRef ?? []).filter((n) => shapes.has(n.id) && n.$type !== "bpmn:BoundaryEvent");
    const rows = [...new Set(nodes.map((n) => Math.round(centre(shapes.get(n.id).bounds)[1])))].sort((a, b) => a - b);
    const band = { lane, nodes, rows, top, height: Math.max(1, rows.length) * ROW + 20 };
    top += band.height;
    return band;
  });
}

function placeInLanes(bands, shapes) {
  for (const band of bands) {
    for (const node of band.nodes) {
      const b = shapes.get(node.id).bounds;
      const row = band.rows.indexOf(Math.round(centre(b)[1]));
      b.x += LABELS;
      b.y = band.top + 10 + ROW / 2 + row * ROW - b.height / 2;
    }
  }
}

function attachBoundaries(process, shapes, moved) {
  for (const el of process.flowElements) {
    if (el.$type !== "bpmn:BoundaryEvent") continue;
    const b = shapes.get(el.id).bounds;
    const host = shapes.get(el.attachedToRef.id).bounds;
    const offset = moved.has(el.attachedToRef.id) ? b.x - (host.x - LABELS) : b.x - host.x;
    b.x = host.x + offset;
    b.y = host.y + host.height - b.height / 2;
  }
}

// Does a vertical stretch at x from y1 to y2 run through a shape other than its ends?
function crosses(x, y1, y2, others) {
  const [top, bottom] = y1 < y2 ? [y1, y2] : [y2, y1];
  return others.some((b) => b.x < x && x < b.x + b.width && b.y < bottom && top < b.y + b.height);
}

function route(source, target, boundary, below, others) {
  const [sx, sy] = centre(source);
  const [tx, ty] = centre(target);
  if (boundary) return [[sx, source.y + source.height], [sx, ty], [target.x, ty]];
  if (tx < sx) {
    // back against the flow: under both nodes, then up into the target's right-hand
    // half (its middle may carry a boundary event)
    const y = below + GAP;
    const x = target.x + target.width * 0.75;
    return [[sx, source.y + source.height], [sx, y], [x, y], [x, target.y + target.height]];
  }
  const start = [source.x + source.width, sy];
  if (Math.abs(sy - ty) < 1) return [start, [target.x, ty]];
  const end = sy < ty ? target.y : target.y + target.height;
  if (crosses(tx, sy, end, others) && !crosses(sx, sy, ty, others)) {
    // the target's column holds another node on the way: turn down (or up) at the source
    return [[sx, sy < ty ? source.y + source.height : source.y], [sx, ty], [target.x, ty]];
  }
  return [start, [tx, sy], [tx, end]];
}

function routeFlows(process, shapes, plane) {
  const edges = plane.planeElement.filter((el) => el.$type === "bpmndi:BPMNEdge");
  for (const edge of edges) {
    const flow = edge.bpmnElement;
    const source = shapes.get(flow.sourceRef.id).bounds;
    const target = shapes.get(flow.targetRef.id).bounds;
    const below = Math.max(source.y + source.height, target.y + target.height);
    const boundary = flow.sourceRef.$type === "bpmn:BoundaryEvent";
    const others = [...shapes.values()]
      .map((shape) => shape.bounds)
      .filter((b) => b !== source && b !== target);
    edge.waypoint = route(source, target, boundary, below, others).map(point);
  }
}

// A named flow's label beside the last stretch of its line, which is the flow's own (the
// one before it when the last is a short hook into its target): two flows out of one
// gateway share their first stretches, where bpmn-js would put both labels (at the middle
// waypoint), one over the other. A label that would cover one placed before it moves
// along its stretch (a long stretch going back passes under other flows' labels).
const overlaps = (p, q) => p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;

function clear(box, a, b, placed) {
  if (Math.abs(a.x - b.x) < 1) return box; // a vertical stretch: kept just before its end
  const [left, right] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  for (const step of [0, 1, -1, 2, -2, 3, -3]) {
    const moved = { ...box, x: box.x + step * (box.width + 6) };
    const inside = moved.x >= left && moved.x + moved.width <= right;
    if ((step === 0 || inside) && !placed.some((other) => overlaps(moved, other))) return moved;
  }
  return box;
}

function labelFlows(plane) {
  const placed = [];
  for (const edge of plane.planeElement) {
    if (edge.$type !== "bpmndi:BPMNEdge" || !edge.bpmnElement?.name) continue;
    const points = edge.waypoint;
    let [a, b] = points.slice(-2);
    if (points.length > 2 && Math.hypot(b.x - a.x, b.y - a.y) < 30) [a, b] = points.slice(-3, -1);
    const [x, y] = [Math.round((a.x + b.x) / 2), Math.round((a.y + b.y) / 2)];
    const w = Math.min(90, Math.max(60, Math.round(Math.abs(b.x - a.x)) - 6)); // within a short stretch
    let box = { x: x - w / 2, y: y - 31, width: w, height: 27 }; // above a stretch to the right
    if (b.x < a.x) box = { x: x - w / 2, y: y + 4, width: w, height: 27 }; // under one that goes back
    if (Math.abs(a.x - b.x) < 1) {
      // right of a vertical stretch, just before its end (its middle may pass other nodes)
      box = { x: x + 6, y: b.y > a.y ? Math.max(a.y, b.y - 33) : Math.min(b.y + 6, a.y - 27), width: 90, height: 27 };
    }
    box = clear(box, a, b, placed);
    placed.push(box);
    edge.label = moddle.create("bpmndi:BPMNLabel", { bounds: bounds(box) });
  }
}

// The collaboration the pool belongs to: the file's own when it has one (its id, other
// participants and message flows kept; a second copy, which an earlier run of this tool
// used to add, dropped), else a new one. Re-laying out a file never adds a second.
function poolOf(definitions, process) {
  const collaborations = definitions.rootElements.filter((el) => el.$type === "bpmn:Collaboration");
  let collaboration = collaborations[0];
  definitions.rootElements = definitions.rootElements.filter(
    (el) => el.$type !== "bpmn:Collaboration" || el === collaboration,
  );
  if (!collaboration) {
    collaboration = moddle.create("bpmn:Collaboration", { id: `Collaboration_${process.id}`, participants: [] });
    definitions.rootElements.unshift(collaboration);
  }
  collaboration.participants = collaboration.participants ?? [];
  let participant = collaboration.participants.find((p) => p.processRef?.id === process.id);
  if (!participant) {
    participant = moddle.create("bpmn:Participant", {
      id: `Participant_${process.id}`,
      name: process.name,
      processRef: process,
    });
    collaboration.participants.unshift(participant);
  }
  return { collaboration, participant };
}

function addPool(definitions, process, plane, bands, shapes) {
  const right = Math.max(...[...shapes.values()].map((s) => s.bounds.x + s.bounds.width)) + 50;
  const height = bands.reduce((sum, band) => sum + band.height, 0);
  const { collaboration, participant } = poolOf(definitions, process);
  plane.bpmnElement = collaboration;
  const poolShape = moddle.create("bpmndi:BPMNShape", {
    id: `${participant.id}_di`,
    bpmnElement: participant,
    isHorizontal: true,
    bounds: bounds({ x: 0, y: 0, width: right, height }),
  });
  const laneShapes = bands.map((band) =>
    moddle.create("bpmndi:BPMNShape", {
      id: `${band.lane.id}_di`,
      bpmnElement: band.lane,
      isHorizontal: true,
      bounds: bounds({ x: 30, y: band.top, width: right - 30, height: band.height }),
    }),
  );
  plane.planeElement.unshift(poolShape, ...laneShapes);
}

async function layout(path) {
  const laidOut = await layoutProcess(fs.readFileSync(path, "utf8"));
  const { rootElement: definitions } = await moddle.fromXML(laidOut);
  const process = definitions.rootElements.find((el) => el.$type === "bpmn:Process" && el.isExecutable);
  const plane = definitions.diagrams[0].plane;
  const shapes = shapesOf(plane);
  const bands = laneBands(process, shapes);
  if (bands.length) {
    placeInLanes(bands, shapes);
    attachBoundaries(process, shapes, new Set(bands.flatMap((b) => b.nodes.map((n) => n.id))));
    routeFlows(process, shapes, plane);
    addPool(definitions, process, plane, bands, shapes);
  }
  labelFlows(plane);
  const { xml } = await moddle.toXML(definitions, { format: true });
  fs.writeFileSync(path, `${xml}\n`);
}

for (const path of process.argv.slice(2)) await layout(path);
