// Gives a BPMN file a diagram layout (BPMNDI), in place, replacing any it had; running it
// again on its own output gives the same file:
//   node web/layout-bpmn.mjs processes/repair.bpmn [...]
// bpmn-auto-layout places the nodes in columns along the flow; a process with lanes is
// then drawn in a pool with one band per lane (the lane where the flow starts on top),
// each node in its lane's band and the flows routed at right angles.
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

function route(source, target, boundary, below) {
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
  return [start, [tx, sy], [tx, sy < ty ? target.y : target.y + target.height]];
}

function routeFlows(process, shapes, plane) {
  const edges = plane.planeElement.filter((el) => el.$type === "bpmndi:BPMNEdge");
  for (const edge of edges) {
    const flow = edge.bpmnElement;
    const source = shapes.get(flow.sourceRef.id).bounds;
    const target = shapes.get(flow.targetRef.id).bounds;
    const below = Math.max(source.y + source.height, target.y + target.height);
    const boundary = flow.sourceRef.$type === "bpmn:BoundaryEvent";
    edge.waypoint = route(source, target, boundary, below).map(point);
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
  const { xml } = await moddle.toXML(definitions, { format: true });
  fs.writeFileSync(path, `${xml}\n`);
}

for (const path of process.argv.slice(2)) await layout(path);
