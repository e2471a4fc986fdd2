// The analytics dashboard in Debian's Chromium as bob the supervisor: the charts draw
// from the page's JSON under the strict CSP (no violation, no console error).
// Usage: BASE_URL=… RANGE="from=…&to=…" SHOTS=var/e2e node tests/e2e/analytics.mjs
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const base = process.env.BASE_URL;
const shots = process.env.SHOTS || "var/e2e";
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
const result = { errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Failed loads are reported by URL (the browser's own /favicon.ico probe is not ours).
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) result.errors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) result.errors.push(`${r.status()} ${r.url()}`);
  });
  page.on("pageerror", (e) => result.errors.push(String(e)));
  await page.goto(`${base}/login/`);
  await page.fill("#id_username", "bob");
  await page.fill("#id_password", "pw");
  await page.click("button[type=submit]");
  await page.waitForLoadState("networkidle");
  await page.goto(`${base}/analytics/?${process.env.RANGE}`);
  await page.waitForLoadState("networkidle");
  result.charts = await page.evaluate(() =>
    Array.from(document.querySelectorAll("canvas[data-chart]"))
      .filter((c) => typeof Chart !== "undefined" && Chart.getChart(c))
      .map((c) => c.dataset.chart));
  result.trendPoints = await page.evaluate(() => {
    const chart = Chart.getChart(document.getElementById("chart-trend"));
    return chart ? chart.data.datasets[0].data : null;
  });
  await page.screenshot({ path: `${shots}/analytics.png`, fullPage: true });
  // On a phone the wide tables scroll inside their cards, the page does not.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await page.waitForLoadState("networkidle");
  result.phoneOverflows = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth + 1);
  await page.screenshot({ path: `${shots}/analytics-375.png`, fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
