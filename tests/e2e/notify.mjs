// The bell's unread count in Chromium: it goes up live (SSE) when a notification arrives,
// and the centre marks everything read. Prints "ready" once the page listens, then waits.
// Usage: BASE_URL=http://127.0.0.1:8081 node tests/e2e/notify.mjs
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";

const base = process.env.BASE_URL;
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
const result = { errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
  page.on("console", (m) => {
    // a failed load is reported below with its address (the browser's own /favicon.ico aside)
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      result.errors.push(m.text());
    }
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) {
      result.errors.push(`${r.status()} ${r.url()}`);
    }
  });
  page.on("pageerror", (e) => result.errors.push(String(e)));
  await page.goto(`${base}/notify/`);
  await page.fill("#id_username", "alice");
  await page.fill("#id_password", "pw");
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/notify/`);
  result.before = await page.getAttribute("[data-unread]", "data-unread");
  await page.waitForTimeout(500);  // the stream is open
  console.log("ready");
  await page.waitForSelector("[data-unread='1']:not([hidden])", { timeout: 20000 });
  result.live = await page.textContent("[data-unread]");
  result.banner = await page.isVisible("[data-notify-new]");
  await page.click("[data-notify-new] a");
  await page.waitForURL(`${base}/notify/`);
  result.listed = await page.locator(".fd-notification.fd-unread").count();
  await page.click("text=Mark all read");
  await page.waitForURL(`${base}/notify/`);
  result.after = await page.getAttribute("[data-unread]", "data-unread");
  result.afterHidden = await page.locator("[data-unread]").isHidden();
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
