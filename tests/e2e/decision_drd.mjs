// The DRD of every shipped decision file draws: open each draft in the dmn-js editor, press
// "View DRD", and list the elements drawn.
// Usage: BASE_URL=... DRAFTS='{"triage.dmn": "/decisions/triage/v1/"}' node tests/e2e/decision_drd.mjs
import { base, launch, loggedIn, shot } from "./lib.mjs";

const drafts = JSON.parse(process.env.DRAFTS);
const result = { drawn: {}, consoleErrors: [] };
const browser = await launch();
try {
  const page = await loggedIn(browser, "olga");
  page.on("pageerror", (e) => result.consoleErrors.push(String(e).slice(0, 300)));
  for (const [file, url] of Object.entries(drafts)) {
    await page.goto(`${base}${url}`);
    await page.waitForSelector(".fd-dmn-ready", { timeout: 20000 });
    await page.click(".view-drd-button");
    await page.waitForSelector(".dmn-drd-container .djs-shape", { timeout: 10000 });
    result.drawn[file] = await page.$$eval(
      ".dmn-drd-container .djs-element[data-element-id]",
      (nodes) => nodes.map((n) => ({ id: n.dataset.elementId, shape: n.classList.contains("djs-shape"),
        connection: n.classList.contains("djs-connection"), width: n.getBoundingClientRect().width })),
    );
    if (file === "sla.dmn") await shot(page, "decision-drd-sla");
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
