// Shared by the browser scripts: Debian's Chromium, logging in, axe-core and the
// 375 px check. Scripts print one JSON line of findings for their pytest test to assert.
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const base = process.env.BASE_URL;
export const shots = process.env.SHOTS || "var/e2e";
mkdirSync(shots, { recursive: true });

export async function launch() {
  const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
  return chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run"],
  });
}

// A page for `username` (password "pw", the test cast) in `locale` ("en" or "zh-CN").
export async function loggedIn(browser, username, { locale = "en", width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ locale, viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(`${base}/login/`);
  await page.fill("#id_username", username);
  await page.fill("#id_password", "pw");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  return page;
}

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// Serious and critical axe-core findings on the page as "rule: target" strings.
export async function axeProblems(page) {
  await page.evaluate(axeSource);  // evaluated over CDP: the page's CSP stays in force
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

// True when the page scrolls sideways (wider content than the viewport).
export async function overflowsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

// The modeler's status line once it shows a message of `kind` (ok, error, …).
export async function modelerStatus(page, kind, timeout = 60000) {
  const box = page.locator(`[data-status][data-kind="${kind}"]`);
  await box.waitFor({ timeout });
  return (await box.textContent()).trim();
}

// Clicks a modeler button and waits until the status line says something new.
export async function modelerClick(page, selector, timeout = 60000) {
  const before = await page.locator("[data-status]").textContent();
  await page.click(selector);
  await page.waitForFunction(
    (old) => {
      const box = document.querySelector("[data-status]");
      return box.dataset.kind && box.textContent !== old && !document.querySelector("[data-action]:disabled");
    },
    before,
    { timeout },
  );
}
