// /api/v1/docs in Chromium with every request to another host refused: Swagger UI must still
// draw the operations, with no Content-Security-Policy violation.
import { axeProblems, base, launch, shot } from "./lib.mjs";

const result = { foreign: [], violations: [] };
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const home = new URL(base).host;
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === home || url.protocol === "data:") return route.continue();
    result.foreign.push(url.href);
    return route.abort();
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    window.__violations = [];
  });
  await page.goto(`${base}/api/v1/docs`);
  await page.waitForSelector(".opblock-tag", { timeout: 30000 });
  result.tags = await page.locator(".opblock-tag").count();
  result.title = (await page.locator(".info .title").first().innerText()).trim();
  result.violations = await page.evaluate(() => window.__violations);
  result.axe = await axeProblems(page);
  await page.locator(".opblock-summary-control").first().click();
  await page.waitForSelector(".opblock-body");
  result.axeOpened = await axeProblems(page);
  await shot(page, "api-docs");
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
