// Opens a BPMN file in bpmn-js (the viewer of bpmn.io and Camunda Modeler) in Debian's
// Chromium; prints the import warnings and the ids of the elements drawn, saves a picture.
// Usage: node tests/e2e/diagram.mjs processes/auto_repair.bpmn var/e2e/auto_repair.png
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [file, shot] = process.argv.slice(2);
const assets = "node_modules/bpmn-js/dist";
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 2400, height: 800 } });
  await page.setContent('<div id="canvas" style="width:2400px;height:800px"></div>');
  await page.addStyleTag({ path: `${assets}/assets/diagram-js.css` });
  await page.addStyleTag({ path: `${assets}/assets/bpmn-js.css` });
  await page.addScriptTag({ path: `${assets}/bpmn-navigated-viewer.production.min.js` });
  const result = await page.evaluate(async (xml) => {
    const viewer = new BpmnJS({ container: "#canvas" });
    const { warnings } = await viewer.importXML(xml);
    viewer.get("canvas").zoom("fit-viewport");
    const drawn = viewer.get("elementRegistry").filter((e) => e.type !== "label" && e.parent);
    return {
      warnings: warnings.map((w) => w.message),
      drawn: drawn.map((e) => e.businessObject.id),
      gfx: document.querySelectorAll(".djs-element .djs-visual").length,
    };
  }, readFileSync(file, "utf8"));
  await page.screenshot({ path: shot });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
